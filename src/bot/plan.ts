/**
 * The plan (architecture.md §2): the one bound value of a command. A command is parsed, bound and
 * resolved once into a plan; the preview is rendered from it, a stored confirmation or pick holds
 * it (never the typed text), `/confirm` carries it out after checking authorization again, and the
 * audit and the undo history are written from it. A plan survives JSON: it is stored as JSON.
 */
import type { PreArgs } from './bind.ts';
import type { ChatRef, ChatSet, IncomingMessage, Locale } from './types.ts';

/**
 * One typed person, resolved: its userIds (one, or a department's members) with their labels,
 * and the line that tells the user who the word was.
 */
export interface Resolved {
  raw: string;
  ids: string[];
  labels: string[];
  note?: string;
  /** found by name or department (counts toward the big-find confirmation) */
  found: boolean;
  /** a department of more than the big-department size */
  bigDept?: boolean;
  /** the department's true size when its member list was capped */
  trueSize?: number;
}

/** One ambiguous word of a pending pick and its numbered candidates. */
export interface PickWord {
  index: number;
  raw: string;
  candidates: { userId: string; name?: string; line: string }[];
}

/** The message a plan was made from, without its credential (the sessionWebhook). */
export type PlanMessage = Omit<IncomingMessage, 'sessionWebhook' | 'sessionWebhookExpiresAt'>;

/**
 * `at=` and `until=` of a changing command (issue 22), read before it is bound: carried out at
 * `at` (stored as a job), or taken back at `until`. `what` is the command as typed without them,
 * for `/chat jobs`.
 */
export interface PlanWhen {
  at?: number;
  until?: number;
  what: string;
}

/** What a plan and a draft share: the command, who asked, where, in which language, for which chat. */
interface Bound {
  v: 1;
  /** the command's name (`chat remove`) */
  command: string;
  caller: { userId: string; nick: string };
  locale: Locale;
  /** the message it was made from (the conversation it waits in, `here`, mentions) */
  message: PlanMessage;
  /** the chat it concerns, pinned by chatId whatever was typed */
  chat?: ChatRef;
  /** a set of chats in the chat slot: the command runs chat by chat (batch.ts); `chat` is then unset */
  set?: ChatSet;
  /** options typed (for the policy's forbiddenOptions) */
  usedOptions: string[];
  /** done later, or taken back later (`at=`, `until=`) */
  when?: PlanWhen;
}

/** A command bound and resolved: what it will do, to which chat, for whom. */
export interface Plan extends Bound {
  /** the arguments: chats as {@link ChatRef}, people as userIds */
  args: Record<string, unknown>;
  /** the arguments as the audit shows them before resolution (people as typed) */
  shown: Record<string, unknown>;
  /** who each typed word turned out to be ("Found: …"), escaped markdown */
  notes: string[];
  /** people found by name or department, for the big-find preview */
  people: Resolved[];
  /** the change a confirmed `/chat undo` takes back */
  pinned?: number;
}

/** A plan whose typed people are not all known yet: it waits for `/pick`. */
export interface Draft extends Bound {
  pre: PreArgs;
  /** resolved people by ref index; null for the open slots */
  people: (Resolved | null)[];
  /** the open slots and their candidates */
  words: PickWord[];
}

/** The message of a plan: the incoming one without its webhook. */
export function planMessage(msg: IncomingMessage): PlanMessage {
  const { sessionWebhook: _w, sessionWebhookExpiresAt: _e, ...rest } = msg;
  return rest;
}

/** A stored plan or draft read back; undefined when it is not one (a damaged or older row). */
export function readStored<T extends Plan | Draft>(json: string): T | undefined {
  try {
    const v = JSON.parse(json) as Partial<T> | null;
    if (v === null || typeof v !== 'object' || v.v !== 1 || typeof v.command !== 'string') return undefined;
    if (typeof v.caller?.userId !== 'string' || typeof v.message?.conversationId !== 'string')
      return undefined;
    return v as T;
  } catch {
    return undefined;
  }
}

/**
 * Each {@link ChatRef} of a stored plan or draft (`chat`, `args`, a draft's bound values) with
 * its registry record read again; JSON drops `record: undefined`, which the audit relies on.
 */
export async function refreshChats<
  P extends { args?: Record<string, unknown>; chat?: ChatRef; pre?: PreArgs },
>(plan: P, get: (chatId: string) => Promise<ChatRef['record']>): Promise<P> {
  const fresh = async (c: ChatRef): Promise<ChatRef> => ({
    ...c,
    openConversationId: c.openConversationId,
    record: await get(c.chatId),
  });
  const values = async (from: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(from)) out[k] = isChatRef(v) ? await fresh(v) : v;
    return out;
  };
  const out: P = { ...plan };
  if (plan.chat) out.chat = await fresh(plan.chat);
  if (plan.args) out.args = await values(plan.args);
  if (plan.pre) out.pre = { ...plan.pre, values: await values(plan.pre.values) };
  return out;
}

function isChatRef(v: unknown): v is ChatRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { chatId?: unknown }).chatId === 'string' &&
    typeof (v as { label?: unknown }).label === 'string'
  );
}
