/**
 * `/chat create <name> [users…] [owner=…] [settings…] [template=<t>]` (建群): creates a group chat
 * through chat/create or v1 group/create (GroupApi picks), records it in the registry for the
 * caller, and answers with its ids and the join link.
 *
 * With a template (policy file, `templates`): its users are added to the typed ones before people
 * are resolved (`expand`), so names, mobiles and `dept:` work as when typed. Then the create with
 * members and settings, then admins, the private-chat switch and nicknames, each step reported;
 * a step that fails is reported with the command that retries it, and the rest go on. What is
 * typed (settings, private-chat, owner) wins over the template.
 *
 * A template does other commands' work, so it answers to their rules (architecture.md §3): its
 * admins are `chat admin`'s, its nicknames `chat nick`'s, its private-chat switch (typed or not)
 * `chat set`'s; the caller must be allowed to run each of those the template uses, and the
 * template's settings and switch are held to the `forbiddenOptions` of `chat create` (and of
 * `chat set` for `private-chat`) as if typed. All checked before the create: nothing is written.
 */
import { z } from 'zod';
import {
  defineCommand,
  dingtalkErrorCode,
  formatPeople,
  type HandlerContext,
  md,
  SETTING_OPTION,
  settingsInWords,
  UserError,
  zUserId,
  zUserIds,
} from '../src/bot/kit.ts';
import type { ChatSettings, CreatedChat } from '../src/dingtalk/types.ts';

/** DingTalk's limits (dingtalk-api.md §2.1): name 1-20 characters, at most 1000 members. */
const MAX_NAME = 20;
const MAX_MEMBERS = 1000;

const DEFAULTS: ChatSettings = {
  searchable: false,
  validation: false,
  mentionAll: 'everyone',
  management: 'everyone',
  mute: false,
  history: false,
};

/** The chat a failed create still made (DingTalkPartialCreateError carries it), if any. */
function partiallyCreated(err: unknown): Pick<CreatedChat, 'chatId' | 'openConversationId'> | undefined {
  const created = (err as { created?: unknown } | null)?.created as
    | { chatId?: unknown; openConversationId?: unknown }
    | undefined;
  if (typeof created?.chatId !== 'string' || typeof created.openConversationId !== 'string') return undefined;
  return { chatId: created.chatId, openConversationId: created.openConversationId };
}

/** What `expand` copies from the template for the handler (its users come as userId lists). */
const zTemplate = z.object({
  name: z.string(),
  settings: z.object({
    searchable: z.boolean().exactOptional(),
    validation: z.boolean().exactOptional(),
    mentionAll: z.enum(['everyone', 'owner']).exactOptional(),
    management: z.enum(['everyone', 'owner']).exactOptional(),
    mute: z.boolean().exactOptional(),
    history: z.boolean().exactOptional(),
  }),
  privateChat: z.boolean().optional(),
  nickNames: z.array(z.string()),
});

/** `unknown error`, `errcode 40035` or the new API's code: the cause of a failed step, briefly. */
function shortCode(err: unknown): string {
  const raw = dingtalkErrorCode(err);
  return raw === undefined ? 'error' : /^-?\d+$/.test(raw) ? `errcode ${raw}` : raw;
}

/**
 * The caller's own chats already named `name` (case as the registry compares it): the chats
 * `/chat list` shows them, those the bot created for them or they linked. Another lead's chat of
 * that name does not count: it is not the caller's to mix up, and naming it would tell them about
 * a chat they cannot see.
 */
async function ownNamesakes(ctx: HandlerContext<{ name: string }>) {
  const name = ctx.args.name.trim();
  if (name === '') return [];
  return (await ctx.registry.byName(name)).filter((c) => c.createdFor === ctx.caller.userId);
}

/** A nickname quoted for a retry command: the parser's quotes, with a `"` inside switched to `“`. */
const quoted = (s: string): string => `"${s.replaceAll('"', '“')}"`;

const command = defineCommand({
  name: 'chat create',
  aliases: ['建群'],
  summary: 'chat.create.summary',
  usage: 'chat.create.usage',
  params: [
    { name: 'name', kind: 'word' },
    { name: 'users', kind: 'users', optional: true },
  ],
  options: {
    template: { kind: 'text' },
    owner: { kind: 'user' },
    searchable: { kind: 'onoff' },
    validation: { kind: 'onoff' },
    'mention-all': { kind: 'enum', values: ['everyone', 'owner'] },
    management: { kind: 'enum', values: ['everyone', 'owner'] },
    mute: { kind: 'onoff' },
    history: { kind: 'onoff' },
    'private-chat': { kind: 'onoff' },
  },
  args: z.object({
    name: z.string(),
    users: zUserIds().optional(),
    owner: zUserId().optional(),
    searchable: z.boolean().optional(),
    validation: z.boolean().optional(),
    mentionAll: z.enum(['everyone', 'owner']).optional(),
    management: z.enum(['everyone', 'owner']).optional(),
    mute: z.boolean().optional(),
    history: z.boolean().optional(),
    privateChat: z.boolean().optional(),
    template: z.string().optional(),
    // Filled by `expand` from the template, not typed.
    tpl: zTemplate.optional(),
    templateMembers: zUserIds().optional(),
    templateAdmins: zUserIds().optional(),
    templateNicks: zUserIds().optional(),
  }),
  expand(values, { templates }) {
    const asked = values.template;
    if (typeof asked !== 'string') return undefined;
    const key = asked.trim().toLowerCase();
    const tpl = templates.find((t) => t.name === key);
    if (tpl === undefined) {
      throw new UserError(
        templates.length > 0 ? 'chat.create.template-unknown' : 'chat.create.template-none',
        {
          template: asked,
          templates: templates.map((t) => t.name).join(', '),
        },
      );
    }
    return {
      values: {
        tpl: {
          name: tpl.name,
          settings: tpl.settings,
          ...(tpl.privateChat === undefined ? {} : { privateChat: tpl.privateChat }),
          nickNames: tpl.nicks.map(([, nick]) => nick),
        },
      },
      people: [
        { name: 'templateMembers', typed: tpl.members },
        { name: 'templateAdmins', typed: tpl.admins },
        { name: 'templateNicks', typed: tpl.nicks.map(([user]) => user), each: true },
      ].filter((p) => p.typed.length > 0),
    };
  },
  role: 'lead',
  changes: true,
  messages: {
    en: {
      'chat.create.summary':
        'Create a group chat; you are a member and, unless owner= says otherwise, its owner. template=<t> sets it up the way a template in the policy file says (members, admins, settings, private chat, nicknames; /chat templates lists yours); what you type wins over the template.',
      'chat.create.usage':
        '/chat create "<name>" [users…] [template=<t>] [owner=<user>] [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off] [private-chat=on|off]',
      'chat.create.example': '/chat create "Design Review" @alice bob owner=alice validation=on',
      'chat.create.name-length':
        '"{name}" is too long for a chat name: it has {length} characters, DingTalk allows at most {max}.',
      'chat.create.name-empty':
        'The chat name is empty. Give it 1 to {max} characters, e.g. /chat create "Design Review" @alice',
      'chat.create.too-many': 'A chat holds at most {max} members; this one would have {count}.',
      'chat.create.done':
        'Created **{name}** with {count, plural, one {# member} other {# members}}; owner {owner}.',
      'chat.create.same-name':
        '{count, plural, one {Another chat is} other {# other chats are}} named **{name}** too ({chatIds}), so #"{name}" no longer names one chat. Name this one by its chatId `{chatId}`, or give it a name of its own: /chat rename {chatId} "<new name>"',
      'chat.create.preview-same-name':
        '{count, plural, one {You already have a chat named **{name}**} other {You already have # chats named **{name}**}}: {chats}. Create another one of that name?',
      'chat.create.namesake': '**{name}** (`{chatId}`)',
      'chat.create.members': 'Members: {members}',
      'chat.create.ids': '- chatId: `{chatId}`\n- openConversationId: `{cid}`',
      'chat.create.settings': 'Settings:',
      'chat.create.join': 'Join {name}',
      'chat.create.join-hint': 'Tap the link below to join or share it.',
      'chat.create.qr-failed':
        'I could not fetch the join link just now; send `/chat qr {chatId}` to try again.',
      'chat.create.template-unknown':
        'There is no template "{template}" you may use. Yours: {templates}. /chat templates shows what each sets.',
      'chat.create.template-none':
        'There is no template "{template}" you may use: the policy file gives you no templates.',
      'chat.create.part-refused':
        'Template **{template}** {what}, which is the work of /{command, command}; you may not run that, so you may not use this template. Nothing was created.',
      'chat.create.part-private-chat': 'sets the private-chat switch',
      'chat.create.part-admins': 'makes admins',
      'chat.create.part-nicks': 'sets nicknames',
      'chat.create.private-chat-refused':
        'private-chat= is the work of /{command, command}, which you may not run. Nothing was created.',
      'chat.create.template-options':
        'Template **{template}** sets {options}, which the policy file does not let you set. Nothing was created.',
      'chat.create.template-steps': 'Template **{template}**, after the create:',
      'chat.create.steps': 'After the create:',
      'chat.create.step-admin-owner': '- admins: {owner} owns the chat and needs no admin role (skipped)',
      'chat.create.step-admins': '- admins: {users}: done',
      'chat.create.step-admins-failed':
        '- admins: {users}: **not set**, DingTalk refused ({code}). Retry just this step: `/chat admin add {chatId} {ids}`',
      'chat.create.step-private-chat': '- private-chat: {value}: done',
      'chat.create.step-private-chat-failed':
        '- private-chat: {value}: **not set**, DingTalk refused ({code}). Retry just this step: `/chat set {chatId} private-chat={raw}`',
      'chat.create.step-nick': '- nickname of {user}: “{nick}”: done',
      'chat.create.step-nick-failed':
        '- nickname of {user}: “{nick}”: **not set**, DingTalk refused ({code}). Retry just this step: `/chat nick {chatId} {id} {quoted}`',
    },
    'zh-CN': {
      'chat.create.summary':
        '创建群聊；你是群成员，未指定 owner= 时你是群主。template=<模板> 按策略文件里的模板设置群（成员、管理员、群设置、群内私聊、群昵称；/群模板 列出你可用的模板）；你输入的选项优先于模板。',
      'chat.create.usage':
        '/建群 "<群名>" [成员…] [template=<模板>] [owner=<用户>] [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off] [private-chat=on|off]',
      'chat.create.example': '/建群 "设计评审" @alice bob validation=on',
      'chat.create.name-length': '"{name}" 作为群名太长：有 {length} 个字符，钉钉最多允许 {max} 个。',
      'chat.create.name-empty': '群名为空。请用 1 到 {max} 个字符，例如 /建群 "设计评审" @alice',
      'chat.create.too-many': '一个群最多 {max} 人，这个群会有 {count} 人。',
      'chat.create.done': '已创建 **{name}**，共 {count} 人，群主 {owner}。',
      'chat.create.same-name':
        '另有 {count} 个群也叫 **{name}**（{chatIds}），#"{name}" 不再只指一个群。请用 chatId `{chatId}` 指定这个群，或给它改个名字：/改群名 {chatId} "<新群名>"',
      'chat.create.preview-same-name':
        '你已经有 {count} 个名为 **{name}** 的群：{chats}。还要再建一个同名的群吗？',
      'chat.create.namesake': '**{name}**（`{chatId}`）',
      'chat.create.members': '成员：{members}',
      'chat.create.ids': '- chatId：`{chatId}`\n- openConversationId：`{cid}`',
      'chat.create.settings': '群设置：',
      'chat.create.join': '加入 {name}',
      'chat.create.join-hint': '点下方链接入群或转发给他人。',
      'chat.create.qr-failed': '暂时没能获取入群链接，请稍后发送 `/群二维码 {chatId}` 重试。',
      'chat.create.template-unknown':
        '没有你可用的模板“{template}”。你可用的模板：{templates}。/群模板 列出每个模板的设置。',
      'chat.create.template-none': '没有你可用的模板“{template}”：策略文件没有给你任何模板。',
      'chat.create.part-refused':
        '模板 **{template}** {what}，这是 /{command, command} 的工作；你不能运行它，所以不能使用这个模板。没有建群。',
      'chat.create.part-private-chat': '会设置群内私聊',
      'chat.create.part-admins': '会设置管理员',
      'chat.create.part-nicks': '会设置群昵称',
      'chat.create.private-chat-refused':
        'private-chat= 是 /{command, command} 的工作，你不能运行它。没有建群。',
      'chat.create.template-options':
        '模板 **{template}** 会设置 {options}，策略文件不允许你设置这些。没有建群。',
      'chat.create.template-steps': '模板 **{template}**，建群之后：',
      'chat.create.steps': '建群之后：',
      'chat.create.step-admin-owner': '- 管理员：{owner} 是群主，无需设为管理员（已跳过）',
      'chat.create.step-admins': '- 管理员：{users}：已完成',
      'chat.create.step-admins-failed':
        '- 管理员：{users}：**未设置**，钉钉拒绝了（{code}）。只重试这一步：`/群管理员 add {chatId} {ids}`',
      'chat.create.step-private-chat': '- 群内私聊：{value}：已完成',
      'chat.create.step-private-chat-failed':
        '- 群内私聊：{value}：**未设置**，钉钉拒绝了（{code}）。只重试这一步：`/群设置 {chatId} private-chat={raw}`',
      'chat.create.step-nick': '- {user} 的群昵称：“{nick}”：已完成',
      'chat.create.step-nick-failed':
        '- {user} 的群昵称：“{nick}”：**未设置**，钉钉拒绝了（{code}）。只重试这一步：`/群昵称 {chatId} {id} {quoted}`',
    },
  },
  // A second chat of a name the caller already uses is confirmed first (issue 20).
  async confirmWhen(ctx) {
    return (await ownNamesakes(ctx)).length > 0;
  },
  async preview(ctx) {
    const { t } = ctx;
    const namesakes = await ownNamesakes(ctx);
    const chats = namesakes.map((c) => t('chat.create.namesake', { name: c.name, chatId: c.chatId }));
    return t('chat.create.preview-same-name', {
      count: namesakes.length,
      name: ctx.args.name.trim(),
      chats: md(chats.join(ctx.locale === 'zh-CN' ? '、' : ', ')),
    });
  },
  async handler(ctx) {
    const { args, caller, api, registry, t, log, concerns, people } = ctx;
    const name = args.name.trim();
    const length = Array.from(name).length;
    if (length < 1) throw new UserError('chat.create.name-empty', { max: MAX_NAME });
    if (length > MAX_NAME) throw new UserError('chat.create.name-length', { name, length, max: MAX_NAME });
    const owner = args.owner ?? caller.userId;
    const tpl = args.tpl;
    const admins = [...new Set(args.templateAdmins ?? [])];
    const nicks = (args.templateNicks ?? []).map((user, i) => [user, tpl?.nickNames[i] ?? ''] as const);
    // The caller, the people named, the template's (admins and nicknamed people must be in the
    // chat too), and the owner (who must be a member).
    const members = [
      ...new Set([
        caller.userId,
        ...(args.users ?? []),
        ...(args.templateMembers ?? []),
        ...admins,
        ...nicks.map(([user]) => user),
        owner,
      ]),
    ];
    if (members.length > MAX_MEMBERS) {
      throw new UserError('chat.create.too-many', { max: MAX_MEMBERS, count: members.length });
    }
    await answerToParts(ctx, admins.length > 0, nicks.length > 0);
    // Typed settings win over the template's.
    const settings: Partial<ChatSettings> = { ...tpl?.settings };
    if (args.searchable !== undefined) settings.searchable = args.searchable;
    if (args.validation !== undefined) settings.validation = args.validation;
    if (args.mentionAll !== undefined) settings.mentionAll = args.mentionAll;
    if (args.management !== undefined) settings.management = args.management;
    if (args.mute !== undefined) settings.mute = args.mute;
    if (args.history !== undefined) settings.history = args.history;
    const hasSettings = Object.keys(settings).length > 0;

    const record = (c: Pick<CreatedChat, 'chatId' | 'openConversationId'>) =>
      registry.upsert({
        chatId: c.chatId,
        openConversationId: c.openConversationId,
        name,
        createdFor: caller.userId,
        createdByBot: true,
      });
    let created: CreatedChat;
    try {
      created = await api.create({ name, owner, members, ...(hasSettings ? { settings } : {}) });
    } catch (err) {
      // The chat exists although some members could not be added: keep it in the registry.
      const partial = partiallyCreated(err);
      if (partial) {
        concerns(partial.chatId);
        await record(partial);
      }
      throw err;
    }
    concerns(created.chatId);
    // Chats already known by this name: #name stops naming one chat, so say how to tell them apart.
    const namesakes = (await registry.byName(name)).filter((c) => c.chatId !== created.chatId);
    await record(created);

    let link: string | undefined;
    try {
      link = await api.qrLink(created.chatId, caller.userId);
    } catch (err) {
      log.warn({ err, chatId: created.chatId }, 'join link not fetched after create');
    }

    const memberList = await formatPeople(people, members);
    // The owner is among the members named just now: a cache hit.
    const ownerLabel = await people.label(owner);
    const lines = [
      t('chat.create.done', { name: name, count: members.length, owner: ownerLabel }),
      t('chat.create.members', { members: memberList }),
      t('chat.create.ids', { chatId: created.chatId, cid: created.openConversationId }),
    ];
    if (hasSettings)
      lines.push(`${t('chat.create.settings')}\n${settingsInWords({ ...DEFAULTS, ...settings }, t)}`);
    if (namesakes.length > 0) {
      lines.push(
        t('chat.create.same-name', {
          count: namesakes.length,
          name: name,
          chatIds: namesakes.map((c) => c.chatId).join(', '),
          chatId: created.chatId,
        }),
      );
    }
    const privateChat = args.privateChat ?? tpl?.privateChat;
    const steps = await followUps(ctx, created, owner, admins, privateChat, nicks);
    if (steps.length > 0) {
      const head = tpl ? t('chat.create.template-steps', { template: tpl.name }) : t('chat.create.steps');
      lines.push(`${head}\n${steps.join('\n')}`);
    }
    lines.push(link ? t('chat.create.join-hint') : t('chat.create.qr-failed', { chatId: created.chatId }));
    return {
      text: lines.join('\n\n'),
      ...(link ? { link: { title: t('chat.create.join', { name }), url: link } } : {}),
    };
  },
});

type Args = typeof command extends { args: z.ZodType<infer A> } ? A : never;

/**
 * Refuses (a UserError) a create whose template, or typed `private-chat=`, does the work of a
 * command the caller may not run, or sets what the policy forbids them to type.
 */
async function answerToParts(
  { args, mayRun, forbiddenOptions, t }: HandlerContext<Args>,
  makesAdmins: boolean,
  setsNicks: boolean,
): Promise<void> {
  const tpl = args.tpl;
  // Typed or from the template, the switch is /chat set's (topapi friendswitch).
  const privateChat = args.privateChat ?? tpl?.privateChat;
  const setsPrivateChat =
    privateChat !== undefined &&
    (!(await mayRun('chat set')) || forbiddenOptions('chat set', ['private-chat']).length > 0);
  if (setsPrivateChat && tpl?.privateChat === undefined)
    throw new UserError('chat.create.private-chat-refused', { command: 'chat set' });
  if (tpl === undefined) return;
  const parts: [boolean, string, string][] = [
    [makesAdmins, 'chat admin', 'chat.create.part-admins'],
    [setsNicks, 'chat nick', 'chat.create.part-nicks'],
  ];
  for (const [uses, command, what] of parts) {
    if (uses && !(await mayRun(command)))
      throw new UserError('chat.create.part-refused', { template: tpl.name, what: t(what), command });
  }
  if (setsPrivateChat) {
    throw new UserError('chat.create.part-refused', {
      template: tpl.name,
      what: t('chat.create.part-private-chat'),
      command: 'chat set',
    });
  }
  // The template's settings as if typed (typed ones were checked before the plan was made).
  const set = (Object.keys(tpl.settings) as (keyof ChatSettings)[]).map((k) => SETTING_OPTION[k]);
  if (tpl.privateChat !== undefined) set.push('private-chat');
  const refused = forbiddenOptions('chat create', set);
  if (refused.length > 0)
    throw new UserError('chat.create.template-options', { template: tpl.name, options: refused.join(', ') });
}

/**
 * The steps after the create: admins, the private-chat switch, then each nickname. Each is one
 * line, done or failed with the command that retries just it; a failure does not stop the rest.
 */
async function followUps(
  { api, t, people, log }: HandlerContext<Args>,
  created: CreatedChat,
  owner: string,
  admins: readonly string[],
  privateChat: boolean | undefined,
  nicks: readonly (readonly [string, string])[],
): Promise<string[]> {
  const lines: string[] = [];
  const failed = (err: unknown, step: string): string => {
    log.warn({ err, chatId: created.chatId, step }, 'a step after the create failed');
    return shortCode(err);
  };
  const chatId = created.chatId;
  // The owner already manages the chat: DingTalk has no admin role to give them.
  const target = admins.filter((u) => u !== owner);
  if (admins.includes(owner))
    lines.push(t('chat.create.step-admin-owner', { owner: await people.label(owner) }));
  if (target.length > 0) {
    const users = await formatPeople(people, target, { max: 50 });
    try {
      await api.setAdmins({ chatId, openConversationId: created.openConversationId }, target, 'add');
      lines.push(t('chat.create.step-admins', { users }));
    } catch (err) {
      const code = failed(err, 'admins');
      lines.push(t('chat.create.step-admins-failed', { users, code, chatId, ids: target.join(' ') }));
    }
  }
  if (privateChat !== undefined) {
    const value = privateChat ? 'on' : 'off';
    const shown = t(privateChat ? 'word.on' : 'word.off');
    try {
      // friendswitch speaks of prohibiting: private-chat=off is is_prohibit=true.
      await api.setPrivateChat(chatId, !privateChat);
      lines.push(t('chat.create.step-private-chat', { value: shown }));
    } catch (err) {
      const code = failed(err, 'private-chat');
      lines.push(t('chat.create.step-private-chat-failed', { value: shown, code, chatId, raw: value }));
    }
  }
  for (const [user, nick] of nicks) {
    const who = await people.label(user);
    try {
      await api.setNick(chatId, user, nick);
      lines.push(t('chat.create.step-nick', { user: who, nick: nick }));
    } catch (err) {
      const code = failed(err, 'nick');
      lines.push(
        t('chat.create.step-nick-failed', {
          user: who,
          nick: nick,
          code,
          chatId,
          id: user,
          quoted: quoted(nick),
        }),
      );
    }
  }
  return lines;
}

export default command;
