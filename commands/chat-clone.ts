/**
 * `/chat clone <chat> "<new name>" [more users…] [owner=…]` (复制群): a new chat with the
 * source's members and settings (chat/get), then the admins, private-chat switch and nicknames
 * the bot knows it set in the source (chat/get returns none of them), each step reported. The
 * clone is registered for the caller.
 *
 * It is `chat info` of the source and `chat create` of the clone, so it answers to their rules
 * (`answersTo`): a policy that raises either one's role raises the clone's, and create's
 * `forbiddenOptions` hold for the clone's options (checked before anything is read). The handler
 * asks again, with the source chat, before its first call (`mayRun`: role, then ownership).
 */
import { z } from 'zod';
import {
  defineCommand,
  dingtalkErrorCode,
  formatPeople,
  settingsInWords,
  UserError,
  zChat,
  zUserId,
  zUserIds,
} from '../src/bot/kit.ts';

/** DingTalk's limits (dingtalk-api.md §2.1): name 1-20 characters, at most 1000 members. */
const MAX_NAME = 20;
const MAX_MEMBERS = 1000;

/** `errcode 40035` or a v1 code, for a failed step's line. */
function codeOf(err: unknown): string {
  const raw = dingtalkErrorCode(err);
  if (raw === undefined) return err instanceof Error ? err.name : 'unknown error';
  return /^\d+$/.test(raw) ? `errcode ${raw}` : raw;
}

export default defineCommand({
  name: 'chat clone',
  aliases: ['复制群'],
  summary: 'chat.clone.summary',
  usage: 'chat.clone.usage',
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'name', kind: 'word' },
    { name: 'users', kind: 'users', optional: true },
  ],
  options: { owner: { kind: 'user' } },
  args: z.object({
    chat: zChat(),
    name: z.string(),
    users: zUserIds().optional(),
    owner: zUserId().optional(),
  }),
  role: 'lead',
  answersTo: ['chat info', 'chat create'],
  changes: true,
  messages: {
    en: {
      'chat.clone.summary':
        'Make a new chat like another: its members and settings, and the admins and nicknames I set there (DingTalk does not tell me others).',
      'chat.clone.usage': '/chat clone <chat> "<new name>" [more users…] [owner=<user>]',
      'chat.clone.example': '/chat clone #"Sprint 41" "Sprint 42" @erin',
      'chat.clone.name-length':
        '"{name}" is too long for a chat name: it has {length} characters, DingTalk allows at most {max}.',
      'chat.clone.name-empty':
        'The new chat needs a name of 1 to {max} characters, e.g. /chat clone here "Sprint 42"',
      'chat.clone.too-many': 'A chat holds at most {max} members; the clone would have {count}.',
      'chat.clone.refused':
        'You may not run /{command, command}{chat}, so you may not clone it: a clone reads its source as /chat info does and makes a chat as /chat create does.',
      'chat.clone.done':
        'Cloned **{source}** as **{name}** with {count} members; owner {owner}.\n- chatId: `{chatId}`\n- openConversationId: `{cid}`',
      'chat.clone.members': 'Members: {members}',
      'chat.clone.settings': 'Settings (from **{source}**):',
      'chat.clone.steps': 'Steps:',
      'chat.clone.step-create': 'create with members and settings: done',
      'chat.clone.step-admins': 'admins: {users}: done',
      'chat.clone.step-admins-none': 'admins: none that I set in **{source}**',
      'chat.clone.step-admins-failed':
        'admins: **failed** (DingTalk refused, {code}). Retry: /chat admin add {chatId} {users}',
      'chat.clone.step-private-chat': 'private chat {value}: done',
      'chat.clone.step-private-chat-failed':
        'private chat: **failed** (DingTalk refused, {code}). Retry: /chat set {chatId} private-chat={value}',
      'chat.clone.step-nick': 'nickname of {user} “{nick}”: done',
      'chat.clone.step-nick-failed':
        'nickname of {user}: **failed** (DingTalk refused, {code}). Retry: /chat nick {chatId} {userId} "{nick}"',
      'chat.clone.step-nicks-none': 'nicknames: none that I set in **{source}**',
      'chat.clone.unknown':
        'DingTalk does not tell me a chat’s admins, nicknames or private-chat switch: I copied only what I set in **{source}** myself. Anything set in DingTalk itself is not in the clone.',
    },
    'zh-CN': {
      'chat.clone.summary':
        '照着另一个群建新群：成员和群设置，以及我在那里设置过的管理员和群昵称（其他的钉钉不告诉我）。',
      'chat.clone.usage': '/复制群 <群> "<新群名>" [更多成员…] [owner=<用户>]',
      'chat.clone.example': '/复制群 #"第41迭代" "第42迭代" @erin',
      'chat.clone.name-length': '"{name}" 作为群名太长：有 {length} 个字符，钉钉最多允许 {max} 个。',
      'chat.clone.name-empty': '新群需要 1 到 {max} 个字符的群名，例如 /复制群 here "第42迭代"',
      'chat.clone.too-many': '一个群最多 {max} 人，复制出的群会有 {count} 人。',
      'chat.clone.refused':
        '你不能运行 /{command, command}{chat}，所以不能复制它：复制会像 /群信息 那样读取源群，并像 /建群 那样建群。',
      'chat.clone.done':
        '已把 **{source}** 复制为 **{name}**，共 {count} 人，群主 {owner}。\n- chatId：`{chatId}`\n- openConversationId：`{cid}`',
      'chat.clone.members': '成员：{members}',
      'chat.clone.settings': '群设置（来自 **{source}**）：',
      'chat.clone.steps': '步骤：',
      'chat.clone.step-create': '建群（成员和群设置）：完成',
      'chat.clone.step-admins': '管理员：{users}：完成',
      'chat.clone.step-admins-none': '管理员：我在 **{source}** 里没有设置过',
      'chat.clone.step-admins-failed':
        '管理员：**失败**（钉钉拒绝了，{code}）。重试：/群管理员 add {chatId} {users}',
      'chat.clone.step-private-chat': '群内私聊 {value}：完成',
      'chat.clone.step-private-chat-failed':
        '群内私聊：**失败**（钉钉拒绝了，{code}）。重试：/群设置 {chatId} private-chat={value}',
      'chat.clone.step-nick': '{user} 的群昵称“{nick}”：完成',
      'chat.clone.step-nick-failed':
        '{user} 的群昵称：**失败**（钉钉拒绝了，{code}）。重试：/群昵称 {chatId} {userId} "{nick}"',
      'chat.clone.step-nicks-none': '群昵称：我在 **{source}** 里没有设置过',
      'chat.clone.unknown':
        '钉钉不告诉我群的管理员、群昵称和群内私聊设置：我只复制了我自己在 **{source}** 里设置过的。在钉钉里直接设置的不会出现在新群里。',
    },
  },
  async handler({ args, caller, api, registry, t, log, concerns, people, changes, mayRun }) {
    // Each command it is made of, on its own terms, before anything is read or written.
    const parts: [string, typeof args.chat | undefined][] = [
      ['chat info', args.chat],
      ['chat create', undefined],
    ];
    for (const [command, chat] of parts) {
      if (!(await mayRun(command, chat)))
        throw new UserError('chat.clone.refused', { command, chat: chat ? ` ${chat.label}` : '' });
    }
    const name = args.name.trim();
    const length = Array.from(name).length;
    if (length < 1) throw new UserError('chat.clone.name-empty', { max: MAX_NAME });
    if (length > MAX_NAME) throw new UserError('chat.clone.name-length', { name, length, max: MAX_NAME });
    const source = await api.get(args.chat.chatId);
    const known = await changes.known(args.chat.chatId);
    const owner = args.owner ?? caller.userId;
    const members = [...new Set([caller.userId, ...source.members, ...(args.users ?? []), owner])];
    if (members.length > MAX_MEMBERS)
      throw new UserError('chat.clone.too-many', { max: MAX_MEMBERS, count: members.length });

    const created = await api.create({ name, owner, members, settings: source.settings });
    concerns(created.chatId);
    await registry.upsert({
      chatId: created.chatId,
      openConversationId: created.openConversationId,
      name,
      createdFor: caller.userId,
      createdByBot: true,
    });
    const chatId = created.chatId;
    const sourceName = source.name;
    const steps = [t('chat.clone.step-create')];
    const inClone = new Set(members);

    // Each later step is tried on its own: a failure is reported with its retry, the rest go on.
    const admins = known.admins.filter((u) => inClone.has(u) && u !== owner);
    if (admins.length === 0) steps.push(t('chat.clone.step-admins-none', { source: sourceName }));
    else {
      try {
        await api.setAdmins({ chatId, openConversationId: created.openConversationId }, admins, 'add');
        steps.push(t('chat.clone.step-admins', { users: await formatPeople(people, admins, { max: 50 }) }));
      } catch (err) {
        log.warn({ err, chatId }, 'clone: admins not set');
        steps.push(
          t('chat.clone.step-admins-failed', { code: codeOf(err), chatId, users: admins.join(' ') }),
        );
      }
    }
    if (known.privateChat !== undefined) {
      const value = known.privateChat ? 'on' : 'off';
      try {
        await api.setPrivateChat(chatId, !known.privateChat);
        steps.push(t('chat.clone.step-private-chat', { value }));
      } catch (err) {
        log.warn({ err, chatId }, 'clone: private chat not set');
        steps.push(t('chat.clone.step-private-chat-failed', { code: codeOf(err), chatId, value }));
      }
    }
    const nicks = Object.entries(known.nicks).filter(([u]) => inClone.has(u));
    if (nicks.length === 0) steps.push(t('chat.clone.step-nicks-none', { source: sourceName }));
    for (const [userId, nick] of nicks) {
      const user = await people.label(userId);
      try {
        await api.setNick(chatId, userId, nick);
        steps.push(t('chat.clone.step-nick', { user, nick }));
      } catch (err) {
        log.warn({ err, chatId }, 'clone: a nickname not set');
        steps.push(t('chat.clone.step-nick-failed', { user, code: codeOf(err), chatId, userId, nick: nick }));
      }
    }

    return {
      text: [
        t('chat.clone.done', {
          source: sourceName,
          name: name,
          count: members.length,
          owner: await people.label(owner),
          chatId,
          cid: created.openConversationId,
        }),
        t('chat.clone.members', { members: await formatPeople(people, members) }),
        `${t('chat.clone.settings', { source: sourceName })}\n${settingsInWords(source.settings, t)}`,
        `${t('chat.clone.steps')}\n${steps.map((s) => `- ${s}`).join('\n')}`,
        t('chat.clone.unknown', { source: sourceName }),
      ].join('\n\n'),
    };
  },
});
