/**
 * `/audit [n] [<chat>|<user>]`: the latest audit records, for admins (and roles the policy
 * grants `audit`). The target is read here rather than by the kit because it may be either a
 * chat or a user: `chat…`, `cid…`, `here` and `#name` name a chat, anything else a user.
 */
import { z } from 'zod';
import {
  CHAT_ID,
  decodeReason,
  defineCommand,
  type HandlerContext,
  type Locale,
  md,
  mdEscape,
  OPEN_CONVERSATION_ID,
  type Translate,
  USER_ID,
  UserError,
  userErrorText,
} from '../src/bot/kit.ts';
import type { AuditRecord } from '../src/store/types.ts';

export const AUDIT_DEFAULT_COUNT = 10;
export const AUDIT_MAX_COUNT = 50;

const QUOTES = /^["'“‘](.*)["'”’]$/s;

const args = z.object({
  // The range is checked by the handler, which says it in the reader's words.
  n: z.number().int().optional(),
  target: z.string().optional(),
});
type Args = z.infer<typeof args>;
type Filter = { chatId?: string; userId?: string };

/** Turns the optional target word into a store filter. Throws UserError for unknown chats or bad ids. */
async function filterFor(ctx: HandlerContext<Args>): Promise<Filter> {
  const { target } = ctx.args;
  const { message, registry } = ctx;
  if (target === undefined) {
    // DingTalk may strip a picked @mention from the text; the mention alone still names the user.
    const picked = message.mentions[0];
    if (picked === undefined) return {};
    if (picked.userId === undefined) throw new UserError('user.external');
    return { userId: picked.userId };
  }
  const word = target.normalize('NFKC');
  const lower = word.toLowerCase();
  if (CHAT_ID.test(word)) return { chatId: word };
  if (OPEN_CONVERSATION_ID.test(word)) {
    const rec = await registry.byOpenConversationId(word);
    if (rec === undefined) throw new UserError('chat.cid-unknown', { cid: word });
    return { chatId: rec.chatId };
  }
  if (lower === 'here') {
    if (message.conversationType !== 'group') throw new UserError('chat.here-direct');
    const rec = await registry.byOpenConversationId(message.conversationId);
    if (rec === undefined) throw new UserError('chat.here-unknown');
    return { chatId: rec.chatId };
  }
  if (word.startsWith('#') && word.length > 1) {
    const name = word.slice(1).replace(QUOTES, '$1');
    const found = await registry.byName(name);
    const only = found[0];
    if (only === undefined) throw new UserError('chat.name-not-found', { name });
    if (found.length > 1) {
      throw new UserError('chat.name-ambiguous', { name, candidates: found.map((r) => r.chatId).join(', ') });
    }
    return { chatId: only.chatId };
  }
  if (word.startsWith('@')) {
    const picked = message.mentions[0];
    if (picked !== undefined) {
      if (picked.userId === undefined) throw new UserError('user.external');
      return { userId: picked.userId };
    }
  }
  // A person by userId, name or mobile: the directory decides. A userId it does not know (someone
  // who left) still filters the records: they outlive the person.
  const typed = word.replace(/^@/, '');
  try {
    return { userId: await ctx.findPerson(target) };
  } catch (err) {
    if (err instanceof UserError && err.code === 'people.none' && USER_ID.test(typed))
      return { userId: typed };
    throw err;
  }
}

/** The end of a reply's first sentence ("e.g." and "i.e." do not end one). */
const SENTENCE_END = /(?<!\b(?:e\.g|i\.e))[.!?](?=\s|$)|[。！？]/u;

/**
 * A stored reason in the reader's words: its message rendered in `locale` (a reply's key gives
 * the first sentence of what the user was told), as markdown, without a closing full stop.
 */
export function reasonInWords(stored: string, t: Translate, locale: Locale): string {
  const r = decodeReason(stored);
  if ('text' in r) return mdEscape(r.text); // written before reasons were keys
  if (t(r.key) === r.key) return ''; // a key no catalogue knows any more: never show it
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(r.params ?? {})) {
    const at = k.indexOf('@');
    if (at < 0) params[k] ??= v;
    else if (k.slice(at + 1) === locale) params[k.slice(0, at)] = v;
  }
  const text = userErrorText(new UserError(r.key, params), t)
    .split('\n', 1)[0]!
    .replace(/\*\*/g, '')
    .replace(/(?<!\\)`/g, '')
    // A param an older record lacks.
    .replace(/\{[A-Za-z0-9_-]+\}/g, '…');
  const end = SENTENCE_END.exec(text);
  return (end === null ? text : text.slice(0, end.index)).replace(/[\s.,;:。，；：]+$/u, '');
}

/** A moment as the reader writes it, in the organisation's time zone: `Jan 2, 2026, 11:05:04`, `2026/1/2 11:05:04`. */
export function localTime(at: number, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    year: 'numeric',
    month: locale === 'zh-CN' ? 'numeric' : 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(at));
}

/** A time zone as the reader names it: `China Standard Time`, `中国标准时间`. */
export function zoneName(locale: Locale, timeZone: string): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' }).formatToParts(0);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

/** One record; `who` is the label of its user (a name beside the userId, or the userId), `chat` of its chat. */
function row(
  r: AuditRecord,
  who: string,
  chat: string | undefined,
  t: Translate,
  locale: Locale,
  zone: string,
): string {
  const why = [
    r.reason === undefined ? '' : reasonInWords(r.reason, t, locale),
    r.errcode === undefined ? '' : `errcode ${mdEscape(r.errcode)}`,
  ]
    .filter((x) => x !== '')
    .join(t('audit.and'));
  const parts = [
    localTime(r.at, locale, zone),
    mdEscape(who),
    `/${t('audit.command', { command: r.command })}`,
    // `chat` is the translator's (escaped) `Name (chatId)`.
    r.chatId === undefined ? '—' : (chat ?? mdEscape(r.chatId)),
    t(`audit.outcome.${r.outcome}`),
  ];
  return `- ${parts.join(' · ')}${why === '' ? '' : t('audit.why', { why: md(why) })} · ${t('audit.ms', { ms: r.durationMs })}`;
}

export default defineCommand<Args>({
  name: 'audit',
  aliases: ['审计'],
  summary: 'audit.summary',
  usage: 'audit.usage',
  params: [
    { name: 'n', kind: 'int', optional: true },
    { name: 'target', kind: 'word', optional: true },
  ],
  args,
  role: 'admin',
  changes: false,
  messages: {
    en: {
      'audit.summary': 'Show the latest audit records (admins).',
      'audit.usage': '/audit [n] [<chat>|<user>]  (n: 1–50, default 10)',
      'audit.title': 'Audit',
      'audit.header':
        '{count, plural, one {The latest audit record} other {The latest # audit records}}{scope} (times in {zone}):',
      'audit.scope-chat': ' for chat {chat}',
      'audit.chat': '{name} ({chatId})',
      'audit.command': '{command, command}',
      'audit.ms': '{ms} ms',
      'audit.range': '/audit shows 1 to {max} records, not {n}. Send /audit {max} for the most.',
      'audit.scope-user': ' for user {userId}',
      'audit.empty': 'No audit records{scope}.',
      'audit.capped': 'You asked for {n} records; I show at most {max}.',
      'audit.why': ' ({why})',
      'audit.and': ', ',
      'audit.outcome.allowed': 'allowed',
      'audit.outcome.refused': 'refused',
      'audit.outcome.failed': 'failed',
      'audit.outcome.confirmed': 'confirmed',
      'audit.outcome.pending': 'pending',
    },
    'zh-CN': {
      'audit.summary': '查看最近的审计记录（管理员）。',
      'audit.usage': '/审计 [条数] [<群>|<用户>]（条数 1–50，默认 10）',
      'audit.title': '审计',
      'audit.header': '最近 {count} 条审计记录{scope}（时间为{zone}）：',
      'audit.scope-chat': '（群 {chat}）',
      'audit.chat': '{name}（{chatId}）',
      'audit.command': '{command, command}',
      'audit.ms': '{ms} 毫秒',
      'audit.range': '/审计 显示 1 到 {max} 条记录，不能是 {n}。发送 /审计 {max} 可看最多的记录。',
      'audit.scope-user': '（用户 {userId}）',
      'audit.empty': '没有审计记录{scope}。',
      'audit.capped': '你要求 {n} 条记录，最多只能显示 {max} 条。',
      'audit.why': '（{why}）',
      'audit.and': '，',
      'audit.outcome.allowed': '已执行',
      'audit.outcome.refused': '已拒绝',
      'audit.outcome.failed': '失败',
      'audit.outcome.confirmed': '已确认',
      'audit.outcome.pending': '待确认',
    },
  },
  async handler(ctx) {
    const { t } = ctx;
    const asked = ctx.args.n ?? AUDIT_DEFAULT_COUNT;
    // Too few is a mistake; too many is read as "as many as you can", and said so.
    if (asked < 1) throw new UserError('audit.range', { n: asked, max: AUDIT_MAX_COUNT });
    const n = Math.min(asked, AUDIT_MAX_COUNT);
    const zone = ctx.timeZone;
    const capped = asked > AUDIT_MAX_COUNT ? [t('audit.capped', { n: asked, max: AUDIT_MAX_COUNT }), ''] : [];
    const filter = await filterFor(ctx);
    const records = await ctx.auditLog.latest(n, filter);
    // Every user once, the filtered one first (the header names them even with no records).
    const users = [
      ...new Set([...(filter.userId === undefined ? [] : [filter.userId]), ...records.map((r) => r.userId)]),
    ];
    const named = await ctx.people.labels(users);
    const label = (u: string): string => named[users.indexOf(u)] ?? u;
    // Chats by name where the registry knows them, the chatId beside the name.
    const chatIds = [
      ...new Set([
        ...(filter.chatId === undefined ? [] : [filter.chatId]),
        ...records.flatMap((r) => r.chatId ?? []),
      ]),
    ];
    const chatNames = new Map<string, string>();
    for (const id of chatIds) {
      const rec = await ctx.registry.get(id);
      if (rec !== undefined) chatNames.set(id, t('audit.chat', { name: rec.name, chatId: id }));
    }
    const scope =
      filter.chatId !== undefined
        ? t('audit.scope-chat', { chat: md(chatNames.get(filter.chatId) ?? mdEscape(filter.chatId)) })
        : filter.userId !== undefined
          ? t('audit.scope-user', { userId: label(filter.userId) })
          : '';
    if (records.length === 0)
      return {
        title: t('audit.title'),
        text: [...capped, t('audit.empty', { scope: md(scope) })].join('\n'),
      };
    const lines = [
      ...capped,
      t('audit.header', { count: records.length, scope: md(scope), zone: zoneName(ctx.locale, zone) }),
      '',
      ...records.map((r) =>
        row(
          r,
          label(r.userId),
          r.chatId === undefined ? undefined : chatNames.get(r.chatId),
          t,
          ctx.locale,
          zone,
        ),
      ),
    ];
    return { title: t('audit.title'), text: lines.join('\n') };
  },
});
