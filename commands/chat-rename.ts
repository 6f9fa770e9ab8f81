/**
 * `/chat rename <chat> <name>` (改群名): chat/update (or v1 group/update) with a new name; the
 * registry follows.
 */
import { z } from 'zod';
import { defineCommand, UserError, zChat } from '../src/bot/kit.ts';

/** dingtalk-api.md §2.3: 1-20 characters. */
const MAX_NAME = 20;

export default defineCommand({
  name: 'chat rename',
  aliases: ['改群名'],
  summary: 'chat.rename.summary',
  usage: 'chat.rename.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'name', kind: 'text' },
  ],
  args: z.object({ chat: zChat(), name: z.string() }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.rename.summary': 'Rename a chat.',
      'chat.rename.usage': '/chat rename <chat> <new name>',
      'chat.rename.example': '/chat rename here "Design Review Q3"',
      'chat.rename.name-length': 'A chat name must be 1 to {max} characters; "{name}" has {length}.',
      'chat.rename.same': '**{name}** already has that name; nothing changed.',
      'chat.rename.done': 'Renamed **{old}** → **{name}** (`{chatId}`).',
    },
    'zh-CN': {
      'chat.rename.summary': '修改群名。',
      'chat.rename.usage': '/改群名 <群> <新群名>',
      'chat.rename.example': '/改群名 here "设计评审三季度"',
      'chat.rename.name-length': '群名须为 1 到 {max} 个字符，"{name}" 有 {length} 个。',
      'chat.rename.same': '**{name}** 已经是这个名字，没有改动。',
      'chat.rename.done': '群名已改：**{old}** → **{name}**（`{chatId}`）。',
    },
  },
  async handler({ args, api, registry, t, changes }) {
    const { chat } = args;
    const name = args.name.trim();
    const length = Array.from(name).length;
    if (length < 1 || length > MAX_NAME)
      throw new UserError('chat.rename.name-length', { name, length, max: MAX_NAME });
    const info = await api.get(chat.chatId);
    if (info.name === name) return { text: t('chat.rename.same', { name: name }) };
    await api.update(chat.chatId, { name });
    await changes.record(chat.chatId, [{ kind: 'rename', name: info.name }]);
    if (await registry.get(chat.chatId)) await registry.rename(chat.chatId, name);
    return {
      text: t('chat.rename.done', { old: info.name, name: name, chatId: chat.chatId }),
    };
  },
});
