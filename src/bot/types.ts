/**
 * The command kit's types: what a file in `commands/` declares and what its handler receives.
 * `commands/` imports only from here, `src/bot/kit.ts` and `src/dingtalk/types.ts`.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ChatInfo, ChatSettings, GroupApi } from '../dingtalk/types.ts';
import type { AuditStore, ChatRecord, RegistryStore, TagStore } from '../store/types.ts';
import type { Markdown } from './render.ts';

export type Locale = 'en' | 'zh-CN';

/** Built-in roles, weakest first. A policy file may add more roles that grant commands by name. */
export type Role = 'everyone' | 'lead' | 'admin';

/** One robot message after normalization (the bot's own mention removed). */
export interface IncomingMessage {
  msgId: string;
  /** `headers.messageId` of the frame that carried it */
  frameMessageId: string;
  robotCode: string;
  /** DingTalk msgtype; only `text` (and the text parts of `richText`) carry commands */
  msgtype: string;
  /** Text with the bot mention stripped and trimmed */
  text: string;
  senderUserId: string;
  senderNick: string;
  /** DingTalk's own isAdmin flag (org admin), informational only: never grants a role */
  senderIsOrgAdmin: boolean;
  conversationType: 'direct' | 'group';
  /** openConversationId (`cid…`) */
  conversationId: string;
  conversationTitle: string | undefined;
  /** Picked mentions in order, the bot's own entry left out. */
  mentions: { dingtalkId: string; userId: string | undefined }[];
  sessionWebhook: string;
  sessionWebhookExpiresAt: number;
  createdAt: number;
}

/** A resolved `<chat>` argument. */
export interface ChatRef {
  chatId: string;
  openConversationId: string | undefined;
  /** The registry's row when the chat is known to it. */
  record: ChatRecord | undefined;
  /** How the user named it, for messages: `here`, `#Design`, `chat…` */
  label: string;
}

/**
 * A set of chats in the chat slot (issue 21): `tag:<tag>`, `mine`, or chats separated by commas.
 * Bound once into the plan; the batch runs the command chat by chat.
 */
export interface ChatSet {
  /** the set as typed (`tag:proj`, `mine`, `chatA,#Ops`), for replies */
  label: string;
  kind: 'tag' | 'mine' | 'list';
  /** the chats, pinned by chatId, in the set's order */
  chats: ChatRef[];
}

/** What a command would do in one chat of a set: the change (markdown), or why it skips the chat. */
export type BatchChatPlan = { change: string } | { skip: string };

/** A command that can run over a set of chats (`tag:proj`, `mine`, a list). */
export interface BatchSpec<A> {
  /**
   * What it would do in one chat (`ctx.args.chat` is that chat), checked against `info` (chat/get
   * now): one line of change, or why the chat is skipped. Makes no write.
   */
  plan: (ctx: HandlerContext<A>, info: ChatInfo) => Promise<BatchChatPlan>;
  /** The words after the command's name that retry it in just `chatId`: `chat1 alice bob`. */
  retry: (args: A, chatId: string) => string;
}

/** What a handler answers. Rendered as DingTalk markdown. */
export interface Reply {
  /** Markdown body. */
  text: string;
  /** Shown in the chat list; defaults to the command name. */
  title?: string;
  /** A tappable button (actionCard) or link, e.g. the join link or the confirm link. */
  link?: { title: string; url: string };
}

export type MessageCatalogue = Record<string, string>;

/**
 * Translates a key with `{name}` placeholders. Unknown keys fall back to English, then the key.
 * A string parameter is text from a user or DingTalk and is markdown-escaped (and clipped when
 * the template quotes it, as an echo); bot-made markdown goes in as {@link Markdown} (`md(…)`).
 */
export type Translate = (key: string, params?: Record<string, string | number | Markdown>) => string;

export type ParamKind =
  /** a `<chat>`: chat…, cid…, here, #name, #"name"; may be left out in a group when optional */
  | 'chat'
  /** one user: a mention, a typed userId (with or without @), or `me` */
  | 'user'
  /** one or more users, takes the rest of the positional words */
  | 'users'
  /** free text: the rest of the words joined by one space, or one quoted string */
  | 'text'
  /** one bare word (e.g. add|remove) */
  | 'word'
  /** a whole number */
  | 'int';

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  optional?: boolean;
  /**
   * `word` only: the words accepted (any case), each mapped to the value the handler gets
   * (`{ add: 'add', 添加: 'add' }`). Another word is answered with the distinct values.
   */
  choices?: Readonly<Record<string, string>>;
}

export interface OptionSpec {
  /** on|off -> boolean; enum -> one of values; user -> a resolved userId; text -> string */
  kind: 'onoff' | 'enum' | 'user' | 'text';
  values?: readonly string[];
}

/**
 * A command, declared once in `commands/<name>.ts`.
 * The kit binds the words of a message to `params` and `options`, resolves chats and users,
 * then validates the resulting object with `args`.
 */
export interface CommandSpec<A = Record<string, unknown>> {
  /** One or two words, lower case: `help`, `chat create`. */
  name: string;
  /** Other names, e.g. Chinese aliases (`建群`); a Chinese alias answers in Chinese. */
  aliases?: readonly string[];
  /** Message keys (in `messages`) of a one-line summary and the usage line. */
  summary: string;
  usage: string;
  params: readonly ParamSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Validates the bound arguments (after chat and user resolution). */
  args: z.ZodType<A>;
  /** Least role that may run it. */
  role: Role;
  /**
   * The commands this one is made of (a clone reads a chat as `chat info` and makes one as
   * `chat create`): it answers to each of their rules in the policy file too, their role
   * override and their `forbiddenOptions` for the options it shares with them, checked where its
   * own are. Their built-in roles must be no higher than this one's.
   */
  answersTo?: readonly string[];
  /**
   * `chat`: the caller must own the chat of the `<chat>` param to run it (admins: any chat; a
   * lead: the chats DingTalk names them owner of, or the bot made or was handed for them).
   */
  ownership?: 'chat';
  /**
   * It changes something (a chat, the registry): a pending pick of the caller's in the same
   * conversation is replaced by it. Read-only commands leave a pick alone.
   */
  changes: boolean;
  /** `confirm`: answered with a preview and a code; runs on `/confirm <code>`. */
  risk?: 'confirm';
  /** Text for this command in each locale; merged into the catalogues at start-up. */
  messages: Record<Locale, MessageCatalogue>;
  /**
   * Confirmation for some runs only (e.g. an undo that removes people): when it resolves true,
   * the command is answered with its preview and a code, as for `risk: 'confirm'`.
   */
  confirmWhen?: (ctx: HandlerContext<A>) => Promise<boolean>;
  /**
   * Adds people (as typed) and values to the bound arguments before people are resolved, so they
   * go through the same lookups, picks and confirmations as typed ones: e.g. a template's users.
   * Gets the bound values (typed people not yet resolved); throws a UserError to refuse.
   */
  expand?: (values: Readonly<Record<string, unknown>>, env: ExpandEnv) => Expansion | undefined;
  /** It takes a set of chats in its `<chat>` (`tag:proj`, `mine`, `a,b`): one plan, run chat by chat. */
  batch?: BatchSpec<A>;
  /** Optional preview for risky commands (who leaves, old and new owner). */
  preview?: (ctx: HandlerContext<A>) => Promise<string>;
  handler: (ctx: HandlerContext<A>) => Promise<Reply>;
}

/** A chat template of the policy file, as commands see it (users as typed, values in words). */
export interface ChatTemplate {
  name: string;
  members: readonly string[];
  admins: readonly string[];
  settings: Partial<ChatSettings>;
  privateChat: boolean | undefined;
  /** [user as typed, nickname], in file order */
  nicks: readonly (readonly [string, string])[];
}

/** What a spec's `expand` sees besides the bound values. */
export interface ExpandEnv {
  caller: { userId: string };
  /** The templates the caller may use. */
  templates: readonly ChatTemplate[];
}

/** What `expand` adds. */
export interface Expansion {
  /** Plain values merged into the arguments. */
  values?: Record<string, unknown>;
  /**
   * Lists of people as typed, each put under `name` as a list of userIds. `each`: every entry
   * must come to exactly one person and the list keeps its order and length (e.g. nicknames).
   */
  people?: readonly { name: string; typed: readonly string[]; each?: boolean }[];
}

/** Everything a handler may use. No globals. */
export interface HandlerContext<A> {
  message: IncomingMessage;
  args: A;
  caller: { userId: string; nick: string; role: Role };
  api: GroupApi;
  registry: RegistryStore;
  /** Tags on registered chats (`/chat tag`, `tag:<tag>` sets). */
  tags: TagStore;
  /** Read access to the audit trail (for /audit). */
  auditLog: Pick<AuditStore, 'latest'>;
  log: Logger;
  t: Translate;
  locale: Locale;
  /** Specs the caller may run (for /help). */
  visibleCommands: () => readonly CommandSpec<unknown>[];
  /**
   * May the caller run `command` (by name), on `chat` when given (role, then ownership)? For
   * hints: a reply suggests a command only when the person may run it.
   */
  mayRun: (command: string, chat?: ChatRef) => Promise<boolean>;
  /**
   * The options among `options` the policy forbids the caller on `command` (its
   * `forbiddenOptions`), for a command that does another's work with options not typed as its own
   * (a template's settings).
   */
  forbiddenOptions: (command: string, options: readonly string[]) => string[];
  /** Tells the audit which chat the command concerned when it has no `<chat>`, e.g. the one a create made. */
  concerns: (chatId: string) => void;
  /** People as replies show them: names from the directory, the userId beside each. */
  people: PeopleView;
  /** The change history: what a write records so that `/chat undo` can take it back. */
  changes: ChangeLog;
  /**
   * One person typed as text (a name, a mobile, a userId, `me`) to a userId, through the
   * directory. Throws a UserError to show when it is nobody, several people or refused.
   */
  findPerson: (typed: string) => Promise<string>;
  /** The policy's chat templates the caller may use, in file order. */
  templates: readonly ChatTemplate[];
  /** BOT_TIMEZONE: the organisation's time zone (an IANA name), for times shown and typed. */
  timeZone: string;
  /** Scheduled changes (`/chat jobs`); absent where the bot runs without a scheduler. */
  jobs?: JobsView;
  /** The run is a job's (at=, until=): its reply goes to the lead later, in a 1:1 message. */
  scheduled?: true;
  signal: AbortSignal;
}

/** A scheduled change as commands see it (`/chat jobs`). */
export interface JobView {
  /** the number behind the short id `J<n>` */
  n: number;
  /** `J7` */
  id: string;
  kind: 'at' | 'until';
  userId: string;
  chatId: string | undefined;
  command: string;
  /** the command as typed, without at=/until= */
  what: string;
  dueAt: number;
  state: 'pending' | 'running' | 'done' | 'cancelled';
  /** an `until` job: the change it takes back */
  pinned?: number;
  /** a job on a set of chats (no `chatId`): the set as typed, `tag:proj` */
  set?: string;
}

/** The jobs as commands use them. */
export interface JobsView {
  /** Pending jobs by due time; only `userId`'s when given. */
  pending(userId?: string): Promise<JobView[]>;
  /** By its id as typed (`J7`, `j7`, `7`); undefined when there is no such job. */
  find(typed: string): Promise<JobView | undefined>;
  /** Cancels a pending job (compare-and-set): false when it is running, done or cancelled already. */
  cancel(n: number): Promise<boolean>;
}

/**
 * One step that takes a change back, stored with the change (`/chat undo`). Each names the
 * state to go back to, as the change found it before its write.
 */
export type UndoStep =
  /** back to the old name */
  | { kind: 'rename'; name: string }
  /** add back those a remove took out */
  | { kind: 'add'; users: string[] }
  /** remove those an add put in (not those already in) */
  | { kind: 'remove'; users: string[] }
  /** back to the old owner, while `current` (the one the change made owner) still owns it */
  | { kind: 'owner'; owner: string; current: string }
  /** the previous values of the settings a set changed */
  | { kind: 'settings'; settings: Partial<ChatSettings> }
  /** the previous private-chat switch; null when the bot did not know it (DingTalk does not tell) */
  | { kind: 'private-chat'; on: boolean | null }
  /** the inverse of an admin add or remove */
  | { kind: 'admins'; action: 'add' | 'remove'; users: string[] }
  /** the previous nickname; null when the bot did not know it */
  | { kind: 'nick'; user: string; nick: string | null }
  /** a scheduling (`at=`): its undo cancels the job while it waits */
  | { kind: 'job'; job: number };

/** A recorded change as `/chat undo` sees it. */
export interface Change {
  id: number;
  chatId: string;
  command: string;
  at: number;
  undo: UndoStep[];
}

/** What the bot knows it set in a chat and DingTalk does not return (chat/get has no admins or nicknames). */
export interface KnownSetup {
  admins: string[];
  nicks: Record<string, string>;
  /** undefined when the bot never set it */
  privateChat: boolean | undefined;
}

/** The change history as handlers use it (the pipeline stores it; commands never touch the store). */
export interface ChangeLog {
  /**
   * Records, after a successful DingTalk write to `chatId`, what takes it back. Never throws: a
   * store failure is logged (the write happened, and the reply must say so).
   */
  record(chatId: string, undo: readonly UndoStep[]): Promise<void>;
  /**
   * What the bot set in the chat that DingTalk does not tell (admins, nicknames, the private-chat
   * switch), as the write journal recorded it from the bot's successful writes.
   */
  known(chatId: string): Promise<KnownSetup>;
  /**
   * The caller's newest change not yet undone within the last 24 h (to `chatId` when given). On
   * `/confirm` it is the change the preview showed ({@link pin}), or undefined when that one has
   * been undone meanwhile.
   */
  latest(chatId?: string): Promise<Change | undefined>;
  /** Ties a confirmation to this change, so the confirmed undo takes back what the preview showed. */
  pin(id: number): void;
  /** Marks it undone; false when another undo got there first (an undo runs once). */
  markUndone(id: number): Promise<boolean>;
  /** Gives the change back after an undo that changed nothing (its first write failed). */
  unmarkUndone(id: number): Promise<void>;
  /**
   * The batch (a command over a set of chats) that made the change, with the caller's changes of
   * it not undone yet, newest first; undefined for a change of a single command.
   */
  batchOf(id: number): Promise<BatchChanges | undefined>;
  /** Notes that an undo took the batch back. */
  markBatchUndone(key: string): Promise<void>;
}

/** The changes one batch made, as `/chat undo` takes them back together. */
export interface BatchChanges {
  key: string;
  command: string;
  /** the set as typed */
  setLabel: string;
  at: number;
  changes: Change[];
}

/**
 * Names for replies (architecture.md §3: "Replies show people by name with the userId beside
 * it"). Never throws: a person DingTalk will not name is shown by userId alone.
 */
export interface PeopleView {
  /**
   * `Alice Wang (alice)` for each id, in order. Names at most `limit` people (default all; the
   * rest are shown by userId), spending at most `budgetMs` of DingTalk calls (default 2 s).
   */
  labels(userIds: readonly string[], o?: { limit?: number; budgetMs?: number }): Promise<string[]>;
  /** One person's label. */
  label(userId: string): Promise<string>;
}

/** An error whose message is meant for the user: a catalogue key and its params. */
export class UserError extends Error {
  constructor(
    readonly code: string,
    /** Plain text (escaped when shown) and numbers. */
    readonly params: Record<string, string | number> = {},
  ) {
    super(code);
    this.name = 'UserError';
  }
}
