/**
 * `/chat remove <chat> <users…>` (踢人): chat/update del_useridlist, after `/confirm`. Never the
 * owner; people not in the chat are reported, not sent.
 */
import { z } from 'zod';
import {
  type ChatRef,
  defineCommand,
  formatPeople,
  type HandlerContext,
  UserError,
  zChat,
  zUserIds,
} from '../src/bot/kit.ts';

interface Args {
  chat: ChatRef;
  users: string[];
}

/** Who leaves and who is skipped; refuses the owner and a list of nobody in the chat. */
async function plan({ args, api, people }: HandlerContext<Args>) {
  const info = await api.get(args.chat.chatId);
  if (args.users.includes(info.owner)) {
    throw new UserError('chat.remove.owner', {
      owner: await people.label(info.owner),
      chat: args.chat.chatId,
    });
  }
  const inChat = new Set(info.members);
  return {
    info,
    leave: args.users.filter((u) => inChat.has(u)),
    notIn: args.users.filter((u) => !inChat.has(u)),
  };
}

export default defineCommand<Args>({
  name: 'chat remove',
  aliases: ['踢人'],
  summary: 'chat.remove.summary',
  usage: 'chat.remove.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'users', kind: 'users' },
  ],
  args: z.object({ chat: zChat(), users: zUserIds().min(1) }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  risk: 'confirm',
  messages: {
    en: {
      'chat.remove.summary': 'Remove people from a chat or a set of chats (asks for confirmation).',
      'chat.remove.usage': '/chat remove <chat> <users…>',
      'chat.remove.example': '/chat remove #"Design Review" bob',
      'chat.remove.owner':
        '{owner} owns the chat and cannot be removed: transfer ownership first (/chat owner {chat} <user>).',
      'chat.remove.none': 'Nobody to remove: {users} not in **{name}**.',
      'chat.remove.preview': '{count} will leave **{name}** (`{chatId}`): {users}.',
      'chat.remove.done': 'Removed {count} from **{name}**: {users}. Members now: {total}.',
      'chat.remove.not-in': 'Not in the chat (skipped): {users}.',
      'chat.remove.batch': 'remove {users}',
      'chat.remove.skip-owner': '{owner} is the owner and cannot be removed',
      'chat.remove.skip-none': 'nothing to change: {users} not in the chat',
    },
    'zh-CN': {
      'chat.remove.summary': '把人移出群或一组群（需确认）。',
      'chat.remove.usage': '/踢人 <群> <成员…>',
      'chat.remove.example': '/踢人 #"设计评审" bob',
      'chat.remove.owner': '{owner} 是群主，不能移出：请先转让群主（/转让群主 {chat} <用户>）。',
      'chat.remove.none': '无需移出：{users} 不在 **{name}** 里。',
      'chat.remove.preview': '将有 {count} 人离开 **{name}**（`{chatId}`）：{users}。',
      'chat.remove.done': '已把 {count} 人移出 **{name}**：{users}。现有 {total} 人。',
      'chat.remove.not-in': '不在群里（已跳过）：{users}。',
      'chat.remove.batch': '移出 {users}',
      'chat.remove.skip-owner': '{owner} 是群主，不能移出',
      'chat.remove.skip-none': '无需改动：{users} 不在群里',
    },
  },
  batch: {
    async plan({ args, t, people }, info) {
      const list = (ids: readonly string[]) => formatPeople(people, ids, { max: 20 });
      if (args.users.includes(info.owner))
        return { skip: t('chat.remove.skip-owner', { owner: await people.label(info.owner) }) };
      const inChat = new Set(info.members);
      const leave = args.users.filter((u) => inChat.has(u));
      if (leave.length === 0) return { skip: t('chat.remove.skip-none', { users: await list(args.users) }) };
      return { change: t('chat.remove.batch', { users: await list(leave) }) };
    },
    retry: (args, chatId) => `${chatId} ${args.users.join(' ')}`,
  },
  async preview(ctx) {
    const { info, leave, notIn } = await plan(ctx);
    const name = info.name;
    const { t, people } = ctx;
    // UserError params are escaped when rendered: the labels go in raw.
    if (leave.length === 0)
      throw new UserError('chat.remove.none', {
        users: (await people.labels(notIn)).join(', '),
        name: info.name,
      });
    const lines = [
      t('chat.remove.preview', {
        count: leave.length,
        name,
        chatId: info.chatId,
        users: await formatPeople(people, leave, { max: 50 }),
      }),
    ];
    if (notIn.length > 0)
      lines.push(t('chat.remove.not-in', { users: await formatPeople(people, notIn, { max: 50 }) }));
    return lines.join('\n\n');
  },
  async handler(ctx) {
    const { info, leave, notIn } = await plan(ctx);
    const { t, people } = ctx;
    const name = info.name;
    const list = (ids: readonly string[]) => formatPeople(people, ids, { max: 50 });
    if (leave.length === 0) return { text: t('chat.remove.none', { users: await list(notIn), name }) };
    await ctx.api.update(ctx.args.chat.chatId, { remove: leave });
    await ctx.changes.record(ctx.args.chat.chatId, [{ kind: 'add', users: leave }]);
    const lines = [
      t('chat.remove.done', {
        count: leave.length,
        name,
        users: await list(leave),
        total: info.members.length - leave.length,
      }),
    ];
    if (notIn.length > 0) lines.push(t('chat.remove.not-in', { users: await list(notIn) }));
    return { text: lines.join('\n\n') };
  },
});
