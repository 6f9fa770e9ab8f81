/**
 * `/chat nick <chat> <user> <nickname>` (群昵称): topapi updategroupnick. The user must be a
 * member (checked first, so the reply can say so plainly).
 */
import { z } from 'zod';
import { canAddExisting, defineCommand, UserError, zChat, zUserId } from '../src/bot/kit.ts';

/**
 * Longest nickname sent. dingtalk-api.md §2.6 leaves updategroupnick's limit UNCONFIRMED; the
 * DingTalk client caps a group nickname like a group name, at 20 characters.
 */
const MAX_NICK = 20;

/** The nickname as sent: trimmed, not empty, not too long (a UserError says which). */
function checkedNick(typed: string): string {
  const nick = typed.trim();
  if (nick === '') throw new UserError('chat.nick.empty');
  const length = Array.from(nick).length;
  if (length > MAX_NICK) throw new UserError('chat.nick.too-long', { nick, length, max: MAX_NICK });
  return nick;
}

export default defineCommand({
  name: 'chat nick',
  aliases: ['群昵称'],
  summary: 'chat.nick.summary',
  usage: 'chat.nick.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'user', kind: 'user' },
    { name: 'nick', kind: 'text' },
  ],
  args: z.object({ chat: zChat(), user: zUserId(), nick: z.string() }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.nick.summary': "Set a member's nickname in a chat or a set of chats.",
      'chat.nick.usage': '/chat nick <chat> <user> <nickname>',
      'chat.nick.example': '/chat nick here @alice "Alice (PM)"',
      'chat.nick.empty': 'The nickname is empty: /chat nick <chat> <user> <nickname>',
      'chat.nick.too-long':
        'The nickname "{nick}" is too long: it has {length} characters and DingTalk takes at most {max}. Nothing was changed.',
      'chat.nick.not-member':
        '{who} is not a member of **{name}**, so they have no nickname there. /chat info {chat} lists its members.',
      'chat.nick.not-member-add':
        '{who} is not a member of **{name}**, so they have no nickname there. Add them first: /chat add {chat} {user}',
      'chat.nick.done': '{user} is now “{nick}” in **{name}**.',
      'chat.nick.batch': 'nickname of {user} → “{nick}”',
      'chat.nick.skip-not-member': '{user} is not a member',
    },
    'zh-CN': {
      'chat.nick.summary': '设置成员在一个群或一组群里的昵称。',
      'chat.nick.usage': '/群昵称 <群> <用户> <昵称>',
      'chat.nick.example': '/群昵称 here @alice "产品 Alice"',
      'chat.nick.empty': '昵称不能为空：/群昵称 <群> <用户> <昵称>',
      'chat.nick.too-long': '昵称“{nick}”太长：有 {length} 个字符，钉钉最多允许 {max} 个。未做任何更改。',
      'chat.nick.not-member': '{who} 不是 **{name}** 的成员，不能设群昵称。/群信息 {chat} 列出群成员。',
      'chat.nick.not-member-add': '{who} 不是 **{name}** 的成员，不能设群昵称。请先拉人：/拉人 {chat} {user}',
      'chat.nick.done': '{user} 在 **{name}** 的群昵称已改为“{nick}”。',
      'chat.nick.batch': '{user} 的群昵称 → “{nick}”',
      'chat.nick.skip-not-member': '{user} 不是群成员',
    },
  },
  batch: {
    async plan({ args, t, people }, info) {
      const nick = checkedNick(args.nick);
      const user = await people.label(args.user);
      if (!info.members.includes(args.user)) return { skip: t('chat.nick.skip-not-member', { user }) };
      return { change: t('chat.nick.batch', { user, nick }) };
    },
    retry: (args, chatId) => `${chatId} ${args.user} "${args.nick.trim().replaceAll('"', '”')}"`,
  },
  async handler({ args, api, t, message, caller, mayRun, people, changes }) {
    const nick = checkedNick(args.nick);
    const info = await api.get(args.chat.chatId);
    if (!info.members.includes(args.user)) {
      const hint = (await canAddExisting(args.user, message, caller.userId, () =>
        mayRun('chat add', args.chat),
      ))
        ? 'chat.nick.not-member-add'
        : 'chat.nick.not-member';
      // `who` names them; `user` is the userId the suggested command takes.
      throw new UserError(hint, {
        who: await people.label(args.user),
        user: args.user,
        name: info.name,
        chat: args.chat.chatId,
      });
    }
    const previous = (await changes.known(args.chat.chatId)).nicks[args.user];
    await api.setNick(args.chat.chatId, args.user, nick);
    await changes.record(args.chat.chatId, [{ kind: 'nick', user: args.user, nick: previous ?? null }]);
    return {
      text: t('chat.nick.done', {
        user: await people.label(args.user),
        nick: nick,
        name: info.name,
      }),
    };
  },
});
