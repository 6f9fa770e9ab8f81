/**
 * `/chat add <chat> <users…>` (拉人): chat/update add_useridlist (calls of 40, GroupApi splits).
 * People already in the chat are reported, not sent.
 */
import { z } from 'zod';
import {
  defineCommand,
  formatPeople,
  isUserListRejected,
  UserError,
  zChat,
  zUserIds,
} from '../src/bot/kit.ts';

/** dingtalk-api.md §2.1: a chat holds at most 1000 members. */
const MAX_MEMBERS = 1000;

export default defineCommand({
  name: 'chat add',
  aliases: ['拉人'],
  summary: 'chat.add.summary',
  usage: 'chat.add.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'users', kind: 'users' },
  ],
  args: z.object({ chat: zChat(), users: zUserIds().min(1) }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.add.summary':
        'Add people to a chat, or to a set of chats (tag:<tag>, mine, or chats separated by commas).',
      'chat.add.usage': '/chat add <chat> <users…>',
      'chat.add.example': '/chat add here @carol dave',
      'chat.add.too-many': 'A chat holds at most {max} members; **{name}** would have {count}.',
      'chat.add.none': 'Nobody to add: {users} already in **{name}**.',
      'chat.add.done': 'Added {count} to **{name}**: {users}. Members now: {total}.',
      'chat.add.already': 'Already in the chat: {users}.',
      'chat.add.refused':
        'DingTalk refused these userIds (not in the organisation?), so they were not added: {users}.',
      'chat.add.batch': 'add {users}',
      'chat.add.skip-in': 'nothing to change: {users} already in',
      'chat.add.skip-full': 'it would have more than {max} members',
    },
    'zh-CN': {
      'chat.add.summary': '把人拉进群，或拉进一组群（标签:<标签>、我的群，或用逗号分隔的多个群）。',
      'chat.add.usage': '/拉人 <群> <成员…>',
      'chat.add.example': '/拉人 here @carol dave',
      'chat.add.too-many': '一个群最多 {max} 人，**{name}** 会有 {count} 人。',
      'chat.add.none': '无需拉人：{users} 已在 **{name}** 里。',
      'chat.add.done': '已把 {count} 人拉进 **{name}**：{users}。现有 {total} 人。',
      'chat.add.already': '已在群里：{users}。',
      'chat.add.refused': '钉钉拒绝了这些 userId（不在本组织？），未添加：{users}。',
      'chat.add.batch': '拉入 {users}',
      'chat.add.skip-in': '无需改动：{users} 已在群里',
      'chat.add.skip-full': '人数会超过 {max}',
    },
  },
  batch: {
    async plan({ args, t, people }, info) {
      const inChat = new Set(info.members);
      const add = args.users.filter((u) => !inChat.has(u));
      const list = (ids: readonly string[]) => formatPeople(people, ids, { max: 20 });
      if (add.length === 0) return { skip: t('chat.add.skip-in', { users: await list(args.users) }) };
      if (info.members.length + add.length > MAX_MEMBERS)
        return { skip: t('chat.add.skip-full', { max: MAX_MEMBERS }) };
      return { change: t('chat.add.batch', { users: await list(add) }) };
    },
    retry: (args, chatId) => `${chatId} ${args.users.join(' ')}`,
  },
  async handler({ args, api, t, people, changes }) {
    const { chat, users } = args;
    const info = await api.get(chat.chatId);
    const inChat = new Set(info.members);
    const already = users.filter((u) => inChat.has(u));
    const add = users.filter((u) => !inChat.has(u));
    const name = info.name;
    const list = (ids: readonly string[]) => formatPeople(people, ids, { max: 50 });
    if (add.length === 0) return { text: t('chat.add.none', { users: await list(already), name }) };
    const total = info.members.length + add.length;
    if (total > MAX_MEMBERS)
      throw new UserError('chat.add.too-many', { max: MAX_MEMBERS, name: info.name, count: total });
    let added = add;
    const refused: string[] = [];
    try {
      await api.update(chat.chatId, { add });
    } catch (err) {
      if (add.length < 2 || !isUserListRejected(err)) throw err;
      // One bad userId sinks the whole call; find out who, one by one, so the rest get in.
      // Re-read first: with more than 40 people an earlier call of 40 may have gone through.
      const now = new Set((await api.get(chat.chatId)).members);
      added = add.filter((u) => now.has(u));
      for (const u of add.filter((x) => !now.has(x))) {
        try {
          await api.update(chat.chatId, { add: [u] });
          added.push(u);
        } catch (one) {
          if (!isUserListRejected(one)) throw one;
          refused.push(u);
        }
      }
    }
    // Undo takes out only those this add put in, not those already in.
    if (added.length > 0) await changes.record(chat.chatId, [{ kind: 'remove', users: added }]);
    const lines =
      added.length > 0
        ? [
            t('chat.add.done', {
              count: added.length,
              name,
              users: await list(added),
              total: info.members.length + added.length,
            }),
          ]
        : [];
    if (refused.length > 0) lines.push(t('chat.add.refused', { users: await list(refused) }));
    if (already.length > 0) lines.push(t('chat.add.already', { users: await list(already) }));
    return { text: lines.join('\n\n') };
  },
});
