/**
 * /whoami: who the bot thinks you are and where you are talking to it.
 */
import { z } from 'zod';
import { defineCommand } from '../src/bot/kit.ts';

export default defineCommand({
  name: 'whoami',
  aliases: ['我是谁'],
  summary: 'whoami.summary',
  usage: 'whoami.usage',
  params: [],
  args: z.object({}),
  role: 'everyone',
  changes: false,
  messages: {
    en: {
      'whoami.summary': 'Show your userId, role and this conversation’s ids',
      'whoami.usage': '/whoami',
      'whoami.title': 'Who you are',
      'whoami.user': '- userId: {userId}\n- nick: {nick}\n- role: {role}',
      'whoami.org-admin': '- DingTalk org admin: yes (this alone grants no bot role)',
      'whoami.conversation': '- conversation: {type}\n- openConversationId: {cid}',
      'whoami.chat': '- chatId: {chatId} ({name})',
      'whoami.chat-unknown': '- chatId: not known yet; send /chat link <chatId> here to link this group',
    },
    'zh-CN': {
      'whoami.summary': '查看你的 userId、角色和当前会话的编号',
      'whoami.usage': '/我是谁',
      'whoami.title': '你是谁',
      'whoami.user': '- userId：{userId}\n- 昵称：{nick}\n- 角色：{role}',
      'whoami.org-admin': '- 钉钉组织管理员：是（这本身不授予机器人角色）',
      'whoami.conversation': '- 会话：{type}\n- openConversationId：{cid}',
      'whoami.chat': '- chatId：{chatId}（{name}）',
      'whoami.chat-unknown': '- chatId：尚未知道；在此发送 /关联群 <chatId> 关联本群',
    },
  },
  handler: async (ctx) => {
    const { t, message, caller } = ctx;
    const roleKey = `role.${caller.role}`;
    const label = t(roleKey);
    const role = label === roleKey ? caller.role : label;
    const lines = [
      `**${t('whoami.title')}**`,
      t('whoami.user', { userId: caller.userId, nick: caller.nick, role }),
    ];
    if (message.senderIsOrgAdmin) lines.push(t('whoami.org-admin'));
    lines.push(
      t('whoami.conversation', {
        type: t(`conversation.${message.conversationType}`),
        cid: message.conversationId,
      }),
    );
    if (message.conversationType === 'group') {
      const rec = await ctx.registry.byOpenConversationId(message.conversationId);
      lines.push(
        rec === undefined
          ? t('whoami.chat-unknown')
          : t('whoami.chat', { chatId: rec.chatId, name: rec.name }),
      );
    }
    return { text: lines.join('\n'), title: t('whoami.title') };
  },
});
