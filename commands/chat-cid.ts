/**
 * `/chat cid [<chat>]`: the chat's openConversationId from the v1 convertToOpenConversationId
 * API, saved in the registry when the chat is registered.
 */
import { z } from 'zod';
import { defineCommand, zChat } from '../src/bot/kit.ts';

export default defineCommand({
  name: 'chat cid',
  aliases: ['群会话号'],
  summary: 'chat.cid.summary',
  usage: 'chat.cid.usage',
  params: [{ name: 'chat', kind: 'chat' }],
  args: z.object({ chat: zChat() }),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.cid.summary': "Look up a chat's openConversationId (and remember it).",
      'chat.cid.usage': '/chat cid [<chat>]',
      'chat.cid.example': '/chat cid here',
      'chat.cid.done': 'openConversationId of `{chatId}`: `{cid}`',
      'chat.cid.saved': 'Saved in my registry.',
      'chat.cid.known': 'My registry already had it.',
      'chat.cid.unregistered': 'This chat is not in my registry; `/chat link {chatId}` registers it.',
    },
    'zh-CN': {
      'chat.cid.summary': '查询群的 openConversationId（并记下来）。',
      'chat.cid.usage': '/群会话号 [<群>]',
      'chat.cid.example': '/群会话号 here',
      'chat.cid.done': '`{chatId}` 的 openConversationId：`{cid}`',
      'chat.cid.saved': '已记入登记表。',
      'chat.cid.known': '登记表里已有。',
      'chat.cid.unregistered': '此群尚未登记；`/关联群 {chatId}` 可登记。',
    },
  },
  async handler({ args, api, registry, t }) {
    const { chatId } = args.chat;
    const cid = await api.toOpenConversationId(chatId);
    const rec = await registry.get(chatId);
    let note: string;
    if (!rec) note = t('chat.cid.unregistered', { chatId });
    else if (rec.openConversationId === cid) note = t('chat.cid.known');
    else {
      await registry.setOpenConversationId(chatId, cid);
      note = t('chat.cid.saved');
    }
    return { text: `${t('chat.cid.done', { chatId, cid })}\n\n${note}` };
  },
});
