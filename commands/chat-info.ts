/**
 * `/chat info [<chat>]` (群信息): what chat/get says about a chat (name, owner, members,
 * settings, status) plus what the registry knows (openConversationId, who it is for).
 */
import { z } from 'zod';
import { defineCommand, formatUsers, settingsInWords, zChat } from '../src/bot/kit.ts';

/**
 * Members named (chat/get gives only userIds, so names come from the directory); the rest are
 * counted. Naming them spends at most {@link NAMES_BUDGET_MS} of DingTalk calls: user/get once
 * per person the directory does not know yet, which at 20 QPS (less the limiter's burst) is just
 * enough for the owner and 50 members, so the reply comes within 3 s; whoever is still unnamed
 * when the time is up is shown by userId alone.
 */
const MEMBERS_SHOWN = 50;
const NAMES_BUDGET_MS = 2_500;

export default defineCommand({
  name: 'chat info',
  aliases: ['群信息'],
  summary: 'chat.info.summary',
  usage: 'chat.info.usage',
  params: [{ name: 'chat', kind: 'chat' }],
  args: z.object({ chat: zChat() }),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.info.summary': 'Show a chat: name, owner, members, settings and ids.',
      'chat.info.usage': '/chat info [<chat>]',
      'chat.info.example': '/chat info #"Design Review"',
      'chat.info.title': '**{name}**',
      'chat.info.dissolved': 'Status: **dissolved** (DingTalk status 2); it can no longer be changed.',
      'chat.info.owner': '- owner: {owner}',
      'chat.info.members': '- members ({count}): {members}',
      'chat.info.chat-id': '- chatId: `{chatId}`',
      'chat.info.cid': '- openConversationId: `{cid}`',
      'chat.info.cid-unknown': '- openConversationId: not known yet (`/chat cid {chatId}`)',
      'chat.info.settings': 'Settings:',
      'chat.info.created': 'Created by me for {user} on {date}.',
      'chat.info.linked': 'Linked by {user} on {date}.',
      'chat.info.unregistered': 'Not in my registry; `/chat link {chatId}` registers it.',
    },
    'zh-CN': {
      'chat.info.summary': '查看群：群名、群主、成员、群设置和 ID。',
      'chat.info.usage': '/群信息 [<群>]',
      'chat.info.example': '/群信息 #"设计评审"',
      'chat.info.title': '**{name}**',
      'chat.info.dissolved': '状态：**已解散**（钉钉 status 2），不能再修改。',
      'chat.info.owner': '- 群主：{owner}',
      'chat.info.members': '- 成员（{count} 人）：{members}',
      'chat.info.chat-id': '- chatId：`{chatId}`',
      'chat.info.cid': '- openConversationId：`{cid}`',
      'chat.info.cid-unknown': '- openConversationId：尚未获取（`/群会话号 {chatId}`）',
      'chat.info.settings': '群设置：',
      'chat.info.created': '由我于 {date} 为 {user} 创建。',
      'chat.info.linked': '由 {user} 于 {date} 登记。',
      'chat.info.unregistered': '尚未登记；`/关联群 {chatId}` 可登记。',
    },
  },
  async handler({ args, api, registry, t, people }) {
    const { chat } = args;
    const info = await api.get(chat.chatId);
    const rec = chat.record ?? (await registry.get(chat.chatId));
    const cid = chat.openConversationId ?? rec?.openConversationId;
    const head = [t('chat.info.title', { name: info.name })];
    if (info.status === 2) head.push(t('chat.info.dissolved'));
    // One batch, so the whole reply stays inside the budget; the owner first, so it is named
    // even when the budget runs out on the members.
    const shown = info.members.slice(0, MEMBERS_SHOWN);
    const lead = [info.owner, ...(rec ? [rec.createdFor] : [])];
    const labels = await people.labels([...lead, ...shown], { budgetMs: NAMES_BUDGET_MS });
    const label = (i: number, id: string): string => labels[i] ?? id;
    const owner = label(0, info.owner);
    const members = formatUsers(
      [...shown.map((id, i) => label(lead.length + i, id)), ...info.members.slice(MEMBERS_SHOWN)],
      MEMBERS_SHOWN,
    );
    const facts = [
      t('chat.info.owner', { owner: owner }),
      t('chat.info.members', { count: info.members.length, members }),
      t('chat.info.chat-id', { chatId: info.chatId }),
      cid ? t('chat.info.cid', { cid }) : t('chat.info.cid-unknown', { chatId: info.chatId }),
    ].join('\n');
    const settings = `${t('chat.info.settings')}\n${settingsInWords(info.settings, t)}`;
    const registered = rec
      ? t(rec.createdByBot ? 'chat.info.created' : 'chat.info.linked', {
          user: label(1, rec.createdFor),
          date: new Date(rec.createdAt).toISOString().slice(0, 10),
        })
      : t('chat.info.unregistered', { chatId: info.chatId });
    return { text: [head.join('\n'), facts, settings, registered].join('\n\n') };
  },
});
