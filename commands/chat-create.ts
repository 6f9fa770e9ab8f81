/**
 * `/chat create <name> [users…] [owner=…] [settings…]` (建群): creates a group chat through
 * chat/create or v1 group/create (GroupApi picks), records it in the registry for the caller,
 * and answers with its ids and the join link.
 */
import { z } from 'zod';
import {
  defineCommand,
  formatPeople,
  mdEscape,
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

export default defineCommand({
  name: 'chat create',
  aliases: ['建群'],
  summary: 'chat.create.summary',
  usage: 'chat.create.usage',
  params: [
    { name: 'name', kind: 'word' },
    { name: 'users', kind: 'users', optional: true },
  ],
  options: {
    owner: { kind: 'user' },
    searchable: { kind: 'onoff' },
    validation: { kind: 'onoff' },
    'mention-all': { kind: 'enum', values: ['everyone', 'owner'] },
    management: { kind: 'enum', values: ['everyone', 'owner'] },
    mute: { kind: 'onoff' },
    history: { kind: 'onoff' },
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
  }),
  role: 'lead',
  access: 'none',
  messages: {
    en: {
      'chat.create.summary':
        'Create a group chat; you are a member and, unless owner= says otherwise, its owner.',
      'chat.create.usage':
        '/chat create "<name>" [users…] [owner=<user>] [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off]',
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
      'chat.create.members': 'Members: {members}',
      'chat.create.ids': '- chatId: `{chatId}`\n- openConversationId: `{cid}`',
      'chat.create.settings': 'Settings:',
      'chat.create.join': 'Join {name}',
      'chat.create.join-hint': 'Tap the link below to join or share it.',
      'chat.create.qr-failed':
        'I could not fetch the join link just now; send `/chat qr {chatId}` to try again.',
    },
    'zh-CN': {
      'chat.create.summary': '创建群聊；你是群成员，未指定 owner= 时你是群主。',
      'chat.create.usage':
        '/建群 "<群名>" [成员…] [owner=<用户>] [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off]',
      'chat.create.example': '/建群 "设计评审" @alice bob validation=on',
      'chat.create.name-length': '"{name}" 作为群名太长：有 {length} 个字符，钉钉最多允许 {max} 个。',
      'chat.create.name-empty': '群名为空。请用 1 到 {max} 个字符，例如 /建群 "设计评审" @alice',
      'chat.create.too-many': '一个群最多 {max} 人，这个群会有 {count} 人。',
      'chat.create.done': '已创建 **{name}**，共 {count} 人，群主 {owner}。',
      'chat.create.same-name':
        '另有 {count} 个群也叫 **{name}**（{chatIds}），#"{name}" 不再只指一个群。请用 chatId `{chatId}` 指定这个群，或给它改个名字：/改群名 {chatId} "<新群名>"',
      'chat.create.members': '成员：{members}',
      'chat.create.ids': '- chatId：`{chatId}`\n- openConversationId：`{cid}`',
      'chat.create.settings': '群设置：',
      'chat.create.join': '加入 {name}',
      'chat.create.join-hint': '点下方链接入群或转发给他人。',
      'chat.create.qr-failed': '暂时没能获取入群链接，请稍后发送 `/chat qr {chatId}` 重试。',
    },
  },
  async handler({ args, caller, api, registry, t, log, concerns, people }) {
    const name = args.name.trim();
    const length = Array.from(name).length;
    if (length < 1) throw new UserError('chat.create.name-empty', { max: MAX_NAME });
    if (length > MAX_NAME) throw new UserError('chat.create.name-length', { name, length, max: MAX_NAME });
    const owner = args.owner ?? caller.userId;
    // The caller, the people named, and the owner (who must be a member).
    const members = [...new Set([caller.userId, ...(args.users ?? []), owner])];
    if (members.length > MAX_MEMBERS) {
      throw new UserError('chat.create.too-many', { max: MAX_MEMBERS, count: members.length });
    }
    const settings: Partial<ChatSettings> = {};
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
      t('chat.create.done', { name: mdEscape(name), count: members.length, owner: mdEscape(ownerLabel) }),
      t('chat.create.members', { members: memberList }),
      t('chat.create.ids', { chatId: created.chatId, cid: created.openConversationId }),
    ];
    if (hasSettings)
      lines.push(`${t('chat.create.settings')}\n${settingsInWords({ ...DEFAULTS, ...settings }, t)}`);
    if (namesakes.length > 0) {
      lines.push(
        t('chat.create.same-name', {
          count: namesakes.length,
          name: mdEscape(name),
          chatIds: namesakes.map((c) => c.chatId).join(', '),
          chatId: created.chatId,
        }),
      );
    }
    lines.push(link ? t('chat.create.join-hint') : t('chat.create.qr-failed', { chatId: created.chatId }));
    return {
      text: lines.join('\n\n'),
      ...(link ? { link: { title: t('chat.create.join', { name }), url: link } } : {}),
    };
  },
});
