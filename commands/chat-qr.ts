/**
 * `/chat qr [<chat>]` (群二维码): the chat's join link from topapi qrcode/get, shared by the
 * caller. DingTalk only lets members share (60124); then the reply names who can.
 */
import { z } from 'zod';
import { defineCommand, UserError, zChat } from '../src/bot/kit.ts';

/** qrcode/get's "user not in group" (dingtalk-api.md §2.7). */
const NOT_IN_GROUP = 60124;

export default defineCommand({
  name: 'chat qr',
  aliases: ['群二维码'],
  summary: 'chat.qr.summary',
  usage: 'chat.qr.usage',
  params: [{ name: 'chat', kind: 'chat' }],
  args: z.object({ chat: zChat() }),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.qr.summary': "Get a chat's join link, shared by you.",
      'chat.qr.usage': '/chat qr [<chat>]',
      'chat.qr.example': '/chat qr #"Design Review"',
      'chat.qr.done': 'Join link for **{name}** (`{chatId}`), shared by you. Tap it to join or forward it.',
      'chat.qr.join': 'Join {name}',
      'chat.qr.not-member':
        'DingTalk lets only members share the join link of **{name}**, and you, {you|userId}, are not one. Ask its owner {owner} to share it.',
      'chat.qr.not-member-add':
        'DingTalk lets only members share the join link of **{name}**, and you, {you|userId}, are not one. Ask its owner {owner} to share it, or add yourself first: /{add, command} {chatId} me',
    },
    'zh-CN': {
      'chat.qr.summary': '获取群的入群链接（由你分享）。',
      'chat.qr.usage': '/群二维码 [<群>]',
      'chat.qr.example': '/群二维码 #"设计评审"',
      'chat.qr.done': '**{name}**（`{chatId}`）的入群链接，由你分享。点开入群或转发。',
      'chat.qr.join': '加入 {name}',
      'chat.qr.not-member':
        '钉钉只允许群成员分享 **{name}** 的入群链接，而你 {you|userId} 不在群里。请群主 {owner} 分享。',
      'chat.qr.not-member-add':
        '钉钉只允许群成员分享 **{name}** 的入群链接，而你 {you|userId} 不在群里。请群主 {owner} 分享，或先把自己拉进群：/{add, command} {chatId} me',
    },
  },
  async handler({ args, caller, api, t, mayRun, people }) {
    const { chat } = args;
    let url: string;
    try {
      url = await api.qrLink(chat.chatId, caller.userId);
    } catch (err) {
      if ((err as { errcode?: unknown } | null)?.errcode !== NOT_IN_GROUP) throw err;
      const info = await api.get(chat.chatId);
      // Suggest adding themselves only to someone who may.
      const canAdd = await mayRun('chat add', chat);
      const [owner = info.owner, you = caller.userId] = await people.labels([info.owner, caller.userId]);
      throw new UserError(canAdd ? 'chat.qr.not-member-add' : 'chat.qr.not-member', {
        name: info.name,
        chatId: chat.chatId,
        you,
        userId: caller.userId,
        owner,
        add: 'chat add',
      });
    }
    const name = chat.record?.name ?? chat.chatId;
    return {
      text: t('chat.qr.done', { name: name, chatId: chat.chatId }),
      link: { title: t('chat.qr.join', { name }), url },
    };
  },
});
