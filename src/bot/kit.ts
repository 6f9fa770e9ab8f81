/**
 * The command kit: everything a file in `commands/` may import from `src/bot` besides `types.ts`.
 */
import { z } from 'zod';
import { DingTalkApiError } from '../dingtalk/errors.ts';
import type { ChatSettings } from '../dingtalk/types.ts';
import { CHAT_ID, OPEN_CONVERSATION_ID } from './chat-ref.ts';
import { USER_ID } from './person-word.ts';
import { type Markdown, md, mdEscape } from './render.ts';
import type { ChatRef, CommandSpec, IncomingMessage, PeopleView, Translate } from './types.ts';

export { type AuditReason, decodeReason } from './audit.ts';
export { MAX_SET, normalizeTag } from './chat-ref.ts';
export { userErrorText } from './i18n.ts';
export { clipEcho, dtmdSendLink, Markdown, md, mdEscape, mdLink } from './render.ts';
export { suggest } from './suggest.ts';
export type {
  BatchChanges,
  BatchChatPlan,
  BatchSpec,
  Change,
  ChangeLog,
  ChatRef,
  ChatTemplate,
  CommandSpec,
  ExpandEnv,
  Expansion,
  HandlerContext,
  IncomingMessage,
  JobsView,
  JobView,
  KnownSetup,
  Locale,
  MessageCatalogue,
  OptionSpec,
  ParamSpec,
  PeopleView,
  Reply,
  Role,
  Translate,
  UndoStep,
} from './types.ts';
export { UserError } from './types.ts';
export { formatLocal } from './when.ts';
export { CHAT_ID, OPEN_CONVERSATION_ID, USER_ID };

/** DingTalk's errcode (legacy) or code (new API) of a failure, for logs, audit and short notes. */
export function dingtalkErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { errcode?: unknown; code?: unknown };
  if (typeof e.errcode === 'number') return String(e.errcode);
  if (typeof e.code === 'string') return e.code;
  return undefined;
}

/**
 * DingTalk refused a call over its user list and provably did nothing: legacy 40031 (invalid
 * userid list) / 40003, v1 `parameter.invalid`, `invalid.staffid`, `staff.not.found`
 * (dingtalk-api.md §2-3). A command may then try the users one by one to tell who is wrong.
 */
export function isUserListRejected(err: unknown): boolean {
  if (!(err instanceof DingTalkApiError) || err.mayHaveTakenEffect) return false;
  if (err.errcode === 40031 || err.errcode === 40003) return true;
  return err.code === 'parameter.invalid' || err.code === 'invalid.staffid' || err.code === 'staff.not.found';
}

/**
 * Whether a reply may suggest `/chat add … <userId>`: only when the user surely exists (picked
 * with @ in DingTalk, or the caller) and the caller may run it (`mayAdd`). A typed userId may be
 * a typo, and "add zed" would then be a hint that cannot work.
 */
export async function canAddExisting(
  userId: string,
  message: Pick<IncomingMessage, 'mentions'>,
  callerId: string,
  mayAdd: () => Promise<boolean>,
): Promise<boolean> {
  const known = userId === callerId || message.mentions.some((m) => m.userId === userId);
  return known && (await mayAdd());
}

/**
 * Declares a command. Identity at run time; it lets TypeScript infer the handler's `args` type
 * from the zod schema: `export default defineCommand({ ..., args: z.object({...}), handler })`.
 */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}

function isChatRef(v: unknown): v is ChatRef {
  return typeof v === 'object' && v !== null && typeof (v as { chatId?: unknown }).chatId === 'string';
}

/** zod schemas for bound values: a resolved `<chat>`, one userId, a list of userIds. */
export const zChat = (): z.ZodType<ChatRef> => z.custom<ChatRef>(isChatRef, 'needs a chat');
export const zUserId = (): z.ZodString => z.string().regex(USER_ID, 'is not a userId');
export const zUserIds = (): z.ZodArray<z.ZodString> => z.array(zUserId());

/** The `/chat set` option each setting is typed as (`mentionAll` is `mention-all=`). */
export const SETTING_OPTION: Readonly<Record<keyof ChatSettings, string>> = {
  searchable: 'searchable',
  validation: 'validation',
  mentionAll: 'mention-all',
  management: 'management',
  mute: 'mute',
  history: 'history',
};

/**
 * A chat's settings as lines `- searchable: on` in the caller's language. The labels are the
 * `/chat set` keys so the user can copy them.
 */
export function settingsInWords(settings: ChatSettings, t: Translate): Markdown {
  const onOff = (b: boolean): string => t(b ? 'word.on' : 'word.off');
  const who = (w: 'everyone' | 'owner'): string => t(w === 'everyone' ? 'word.everyone' : 'word.owner');
  const rows: [string, string][] = [
    ['settings.searchable', onOff(settings.searchable)],
    ['settings.validation', onOff(settings.validation)],
    ['settings.mention-all', who(settings.mentionAll)],
    ['settings.management', who(settings.management)],
    ['settings.mute', onOff(settings.mute)],
    ['settings.history', onOff(settings.history)],
  ];
  return md(rows.map(([key, value]) => `- ${t(key)}: ${value}`).join('\n'));
}

/** `alice, bob, carol (+7)`: at most `max` ids, escaped, as markdown; `—` when empty. */
export function formatUsers(ids: readonly string[], max = 10): Markdown {
  if (ids.length === 0) return md('—');
  const n = Math.max(1, Math.floor(max));
  const shown = ids
    .slice(0, n)
    .map((id) => mdEscape(id))
    .join(', ');
  return md(ids.length > n ? `${shown} (+${ids.length - n})` : shown);
}

/**
 * `Alice Wang (alice), Bob (bob) (+7)`: {@link formatUsers} over people's labels: the first
 * `max` people named (the userId alone when DingTalk gives no name), the rest counted. Names
 * cost DingTalk calls for people the directory does not know yet, at most `budgetMs` of them
 * (default the view's 2 s). Never throws.
 */
export async function formatPeople(
  people: PeopleView,
  ids: readonly string[],
  o: { max?: number; budgetMs?: number } = {},
): Promise<Markdown> {
  const n = Math.max(1, Math.floor(o.max ?? 10));
  const shown = await people.labels(
    ids.slice(0, n),
    o.budgetMs === undefined ? {} : { budgetMs: o.budgetMs },
  );
  return formatUsers([...shown, ...ids.slice(n)], n);
}
