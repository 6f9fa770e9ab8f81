/**
 * `/chat owner <chat> <user>` (转让群主): chat/update owner, after `/confirm`. The new owner
 * must already be a member.
 */
import { z } from 'zod';
import {
  type ChatRef,
  canAddExisting,
  defineCommand,
  type HandlerContext,
  UserError,
  zChat,
  zUserId,
} from '../src/bot/kit.ts';

interface Args {
  chat: ChatRef;
  user: string;
}

/** The chat as it is now; refuses a new owner who already owns it or is not a member. */
async function plan({ args, api, message, caller, mayRun, people }: HandlerContext<Args>) {
  const info = await api.get(args.chat.chatId);
  if (info.owner === args.user)
    throw new UserError('chat.owner.already', { user: await people.label(args.user), name: info.name });
  if (!info.members.includes(args.user)) {
    const hint = (await canAddExisting(args.user, message, caller.userId, () =>
      mayRun('chat add', args.chat),
    ))
      ? 'chat.owner.not-member-add'
      : 'chat.owner.not-member';
    // `who` names them; `user` is the userId the suggested command takes.
    throw new UserError(hint, {
      who: await people.label(args.user),
      user: args.user,
      name: info.name,
      chat: args.chat.chatId,
    });
  }
  return info;
}

export default defineCommand<Args>({
  name: 'chat owner',
  aliases: ['转让群主'],
  summary: 'chat.owner.summary',
  usage: 'chat.owner.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'user', kind: 'user' },
  ],
  args: z.object({ chat: zChat(), user: zUserId() }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  risk: 'confirm',
  messages: {
    en: {
      'chat.owner.summary': 'Hand a chat over to another member (asks for confirmation).',
      'chat.owner.usage': '/chat owner <chat> <user>',
      'chat.owner.example': '/chat owner here @alice',
      'chat.owner.already': '{user} already owns **{name}**; nothing to change.',
      'chat.owner.not-member':
        '{who} is not a member of **{name}**; only a member can become the owner. /chat info {chat} lists its members.',
      'chat.owner.not-member-add':
        '{who} is not a member of **{name}**; only a member can become the owner. Add them first: /chat add {chat} {user}',
      'chat.owner.preview': 'Owner of **{name}** (`{chatId}`): {old} → {new}.',
      'chat.owner.done': 'Owner of **{name}** changed: {old} → {new}. {old} stays a member.',
    },
    'zh-CN': {
      'chat.owner.summary': '把群主转让给另一位群成员（需确认）。',
      'chat.owner.usage': '/转让群主 <群> <用户>',
      'chat.owner.example': '/转让群主 here @alice',
      'chat.owner.already': '{user} 已经是 **{name}** 的群主，无需改动。',
      'chat.owner.not-member':
        '{who} 不是 **{name}** 的成员，只有群成员才能成为群主。/群信息 {chat} 列出群成员。',
      'chat.owner.not-member-add':
        '{who} 不是 **{name}** 的成员，只有群成员才能成为群主。请先拉人：/拉人 {chat} {user}',
      'chat.owner.preview': '**{name}**（`{chatId}`）的群主：{old} → {new}。',
      'chat.owner.done': '**{name}** 的群主已转让：{old} → {new}。{old} 仍是群成员。',
    },
  },
  async preview(ctx) {
    const info = await plan(ctx);
    const [old, next] = await ctx.people.labels([info.owner, ctx.args.user]);
    return ctx.t('chat.owner.preview', {
      name: info.name,
      chatId: ctx.args.chat.chatId,
      old: old ?? info.owner,
      new: next ?? ctx.args.user,
    });
  },
  async handler(ctx) {
    const info = await plan(ctx);
    await ctx.api.update(ctx.args.chat.chatId, { owner: ctx.args.user });
    // The registry follows the handover: the chat is now the new owner's to change and list, no
    // longer the old lead's (architecture.md §3, Roles). Admins still may.
    const rec = ctx.args.chat.record ?? (await ctx.registry.get(ctx.args.chat.chatId));
    await ctx.registry.upsert({
      chatId: ctx.args.chat.chatId,
      openConversationId: rec?.openConversationId ?? ctx.args.chat.openConversationId,
      name: rec?.name ?? info.name,
      createdFor: ctx.args.user,
      createdByBot: rec?.createdByBot ?? false,
    });
    await ctx.changes.record(ctx.args.chat.chatId, [
      { kind: 'owner', owner: info.owner, current: ctx.args.user },
    ]);
    const [old, next] = await ctx.people.labels([info.owner, ctx.args.user]);
    return {
      text: ctx.t('chat.owner.done', {
        name: info.name,
        old: old ?? info.owner,
        new: next ?? ctx.args.user,
      }),
    };
  },
});
