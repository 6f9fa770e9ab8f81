/**
 * Sets of chats (issue 21): one plan for a set (`tag:proj`, `mine`, `a,b`), run chat by chat.
 *
 * Each chat is looked at now (chat/get): a chat the caller may not change, or where there is
 * nothing to change, is skipped and never written; the others run the command's own handler
 * with that chat, its chat/get answered from the look (one read per chat), within the rate
 * budget (the client's limiter) and a few chats at once. What happened in each chat is stored
 * as it happens (batch_items) and audited, linked to the batch; a failure is one chat's, with
 * its cause and the command that retries just it, and the rest go on. The reply is the ledger.
 *
 * Carried on after a crash (the journal keeps the batch's run): a chat with a stored outcome is
 * not run again; one whose write began without an answer is reported as unknown; one whose
 * writes were answered is done; the rest run.
 */
import { createHash } from 'node:crypto';
import { DingTalkError } from '../dingtalk/errors.ts';
import { explainDingTalkError } from '../dingtalk/explain.ts';
import type { ChatInfo, GroupApi } from '../dingtalk/types.ts';
import type { BatchItem, JournalWrite } from '../store/types.ts';
import { ledgerText, previewText } from './batch-render.ts';
import { userErrorText } from './i18n.ts';
import type { WriteJournal } from './journal.ts';
import { type Scope, WriteOutcomeUnknown } from './journal.ts';
import type { Plan } from './plan.ts';
import { mdEscape } from './render.ts';
import { BIG_FIND } from './steps/confirm-gate.ts';
import { handlerContext } from './steps/context.ts';
import { describe } from './steps/failure.ts';
import type { Deps, Turn } from './steps/turn.ts';
import {
  type BatchSpec,
  type ChatRef,
  type ChatSet,
  type CommandSpec,
  type HandlerContext,
  type Reply,
  UserError,
} from './types.ts';

/** A set of more chats than this asks for `/confirm` first. */
export const CONFIRM_OVER = 20;
/** Chats worked on at once; the client's limiter keeps each API within its rate. */
export const BATCH_CONCURRENCY = 4;
/** A batch expected to take longer than this is told to have started. */
export const NOTICE_AFTER_MS = 3_000;
/** DingTalk's rate per API (dingtalk-api.md §5), for the estimate of how long a batch takes. */
const QPS = 20;

export type ChatState = BatchItem['state'];

/** What happened (or will happen) in one chat of a set. */
export interface ChatResult {
  chatId: string;
  name: string;
  seq: number;
  state: ChatState;
  /** done: what was done; skipped: why; failed: the cause (markdown) */
  line: string;
  /** failed: the command that retries just this chat */
  retry?: string;
  changeId?: number;
}

/** What a batch needs besides the turn. */
export type BatchDeps = Deps & { journal: WriteJournal };

interface Env {
  deps: BatchDeps;
  turn: Turn;
  plan: Plan & { set: ChatSet };
  spec: CommandSpec<unknown> & { batch: BatchSpec<unknown> };
}

/** A chat looked at: to change (with the look's chat/get), or its result already. */
type Look =
  | { kind: 'change'; chat: ChatRef; info: ChatInfo; text: string; seq: number }
  | { kind: 'result'; result: ChatResult };

/** The short id of a batch, shown in the audit (the batch's key is its message's key). */
export function batchId(key: string): string {
  return `B${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** Whether the plan is a set's and its command runs over sets. */
export function isBatch(
  plan: Plan | undefined,
  spec: CommandSpec<unknown> | undefined,
): spec is CommandSpec<unknown> & { batch: BatchSpec<unknown> } {
  return plan?.set !== undefined && spec?.batch !== undefined;
}

/** Whether the batch waits for `/confirm`: a risky command, a big set, many people found by name. */
export function needsConfirm(
  deps: Pick<Deps, 'authorizer'>,
  plan: Plan,
  spec: CommandSpec<unknown>,
): boolean {
  const found = new Set(plan.people.filter((p) => p.found).flatMap((p) => p.ids)).size;
  return (
    deps.authorizer.isRisky(spec) ||
    (plan.set?.chats.length ?? 0) > CONFIRM_OVER ||
    plan.people.some((p) => p.bigDept === true) ||
    found > BIG_FIND
  );
}

/** Runs `fn` over `items`, `n` at once, in order of start; results in the items' order. */
async function pool<T, R>(
  items: readonly T[],
  n: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** The plan of one chat of the set: the command as if typed with that chat. */
function chatPlan(plan: Plan, chat: ChatRef): Plan {
  const { set: _set, ...rest } = plan;
  return { ...rest, chat, args: { ...plan.args, chat } };
}

/** A GroupApi whose first chat/get of `info`'s chat is answered by `info` (read a moment ago). */
function withLook(api: GroupApi, info: ChatInfo): GroupApi {
  let fresh = true;
  return new Proxy(api, {
    get(target, prop) {
      if (prop === 'get')
        return async (chatId: string) => {
          if (fresh && chatId === info.chatId) {
            fresh = false;
            return info;
          }
          return target.get(chatId);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The handler context of one chat; the change it records is kept in `recorded`. */
function chatContext(
  env: Env,
  chat: ChatRef,
  info: ChatInfo | undefined,
  recorded: { id?: number },
): HandlerContext<unknown> {
  const { deps, turn, plan } = env;
  const sub = chatPlan(plan, chat);
  const ctx = handlerContext(deps, turn, sub, turn.signal);
  return {
    ...ctx,
    api: info === undefined ? deps.groups : withLook(deps.groups, info),
    changes: {
      ...ctx.changes,
      record: async (chatId, undo) => {
        if (undo.length === 0) return;
        try {
          recorded.id = await deps.store.changes.record({
            chatId,
            userId: plan.caller.userId,
            command: plan.command,
            at: deps.now(),
            undo: JSON.stringify(undo),
          });
        } catch (err) {
          turn.log.error({ err: describe(err), chatId }, 'could not record what undoes a change');
        }
      },
    },
  };
}

/** The cause of a failure in one line (markdown), in the turn's language. */
function causeOf(err: unknown, turn: Turn): string {
  if (err instanceof UserError) return userErrorText(err, turn.t);
  if (err instanceof DingTalkError) {
    const e = explainDingTalkError(err, turn.locale);
    return `${mdEscape(e.cause)} (${mdEscape(e.ids)})`;
  }
  turn.log.error({ err: describe(err) }, 'a chat of a batch failed');
  return turn.t('batch.internal');
}

/** The command that retries `spec` in just `chatId`. */
function retryLine(env: Env, chatId: string): string {
  return `/${env.spec.name} ${env.spec.batch.retry(env.plan.args, chatId).trim()}`;
}

/** Looks at one chat now: may the caller change it, and what would change there. */
async function look(env: Env, ref: ChatRef, seq: number): Promise<Look> {
  const { deps, turn, plan, spec } = env;
  const { t } = turn;
  const userId = plan.caller.userId;
  const record = await deps.store.registry.get(ref.chatId);
  const chat: ChatRef = {
    ...ref,
    record,
    openConversationId: ref.openConversationId ?? record?.openConversationId,
  };
  const result = (state: ChatState, line: string, name: string, retry?: string): Look => ({
    kind: 'result',
    result: { chatId: chat.chatId, name, seq, state, line, ...(retry !== undefined ? { retry } : {}) },
  });
  let info: ChatInfo;
  try {
    info = await deps.groups.get(chat.chatId);
  } catch (err) {
    return result('failed', causeOf(err, turn), record?.name ?? chat.chatId, retryLine(env, chat.chatId));
  }
  if (info.status === 2) return result('skipped', t('batch.skip.gone'), info.name);
  // The one ownership rule (admin, the registry, DingTalk's owner), on the chat/get just made.
  const own = await deps.authorizer.checkOwnership(userId, chat, { get: async () => info });
  if (!own.ok) return result('skipped', t('batch.skip.not-yours'), info.name);
  try {
    const p = await spec.batch.plan(chatContext(env, chat, info, {}), info);
    if ('skip' in p) return result('skipped', p.skip, info.name);
    return { kind: 'change', chat, info, text: p.change, seq };
  } catch (err) {
    if (err instanceof UserError) return result('skipped', userErrorText(err, t), info.name);
    return result('failed', causeOf(err, turn), info.name, retryLine(env, chat.chatId));
  }
}

/** Runs the command in one chat looked at; a failure is this chat's alone. */
async function runOne(
  env: Env,
  l: Extract<Look, { kind: 'change' }>,
  replay: Pick<Scope, 'replay' | 'used'>,
) {
  const { deps, turn, plan, spec } = env;
  const recorded: { id?: number } = {};
  const ctx = chatContext(env, l.chat, l.info, recorded);
  const scope: Scope = {
    key: turn.key,
    record: {
      plan: chatPlan(plan, l.chat),
      ...(turn.confirmedWith !== undefined ? { confirmedWith: turn.confirmedWith } : {}),
    },
    conversationId: turn.msg.conversationId,
    started: true,
    ...(replay.replay !== undefined ? { replay: replay.replay } : {}),
    used: replay.used,
  };
  const base = { chatId: l.chat.chatId, name: l.info.name, seq: l.seq };
  try {
    const reply = await deps.journal.within(scope, () => spec.handler(ctx));
    const first = reply.text.split('\n\n')[0] ?? reply.text;
    return {
      ...base,
      state: 'done' as const,
      line: first,
      ...(recorded.id !== undefined ? { changeId: recorded.id } : {}),
    };
  } catch (err) {
    if (err instanceof WriteOutcomeUnknown)
      return { ...base, state: 'unknown' as const, line: turn.t('batch.unknown-line') };
    return {
      ...base,
      state: 'failed' as const,
      line: causeOf(err, turn),
      retry: retryLine(env, l.chat.chatId),
      ...(recorded.id !== undefined ? { changeId: recorded.id } : {}),
    };
  }
}

/** The earlier attempt's writes to `chatId` (a batch carried on after a crash). */
function earlierState(writes: readonly JournalWrite[], chatId: string): ChatState | undefined {
  const mine = writes.filter((w) => w.chatId === chatId);
  if (mine.length === 0) return undefined;
  const maybe = (w: JournalWrite) => {
    if (w.outcome === undefined) return true;
    if (w.outcome === 'ok') return false;
    try {
      return (JSON.parse(w.answer ?? '{}') as { mayHaveTakenEffect?: unknown }).mayHaveTakenEffect === true;
    } catch {
      return true;
    }
  };
  if (mine.some(maybe)) return 'unknown';
  return mine.some((w) => w.outcome === 'ok') ? 'done' : undefined;
}

/** The preview of a set: chat by chat what will change, and which chats are skipped and why. */
export async function previewBatch(
  deps: BatchDeps,
  turn: Turn,
  plan: Plan & { set: ChatSet },
  spec: CommandSpec<unknown> & { batch: BatchSpec<unknown> },
): Promise<{ text: string; changing: number }> {
  const env: Env = { deps, turn, plan, spec };
  const looks = await pool(plan.set.chats, BATCH_CONCURRENCY, (ref, i) => look(env, ref, i));
  const results: ChatResult[] = [];
  const changes: { text: string; name: string; chatId: string }[] = [];
  for (const l of looks) {
    if (l.kind === 'result') results.push(l.result);
    else changes.push({ text: l.text, name: l.info.name, chatId: l.chat.chatId });
  }
  const head = { command: spec.name, set: plan.set.label, count: plan.set.chats.length };
  return { text: previewText(turn.t, head, changes, results), changing: changes.length };
}

/** The result of a chat as stored, read back (a batch carried on). */
function fromItem(item: BatchItem): ChatResult {
  let d: { name?: string; line?: string; retry?: string } = {};
  try {
    d = JSON.parse(item.detail ?? '{}') as typeof d;
  } catch {
    d = {};
  }
  return {
    chatId: item.chatId,
    name: d.name ?? item.chatId,
    seq: item.seq,
    state: item.state,
    line: d.line ?? '',
    ...(d.retry !== undefined ? { retry: d.retry } : {}),
    ...(item.changeId !== undefined ? { changeId: item.changeId } : {}),
  };
}

/**
 * Runs the batch to its ledger: every chat of the set looked at and, where it changes, the
 * command run there; each outcome stored and audited as it happens.
 */
export async function runBatch(
  deps: BatchDeps,
  turn: Turn,
  plan: Plan & { set: ChatSet },
  spec: CommandSpec<unknown> & { batch: BatchSpec<unknown> },
): Promise<{ reply: Reply; results: ChatResult[] }> {
  const env: Env = { deps, turn, plan, spec };
  const { t } = turn;
  const key = turn.key;
  const id = batchId(key);
  const chats = plan.set.chats;
  const carried = turn.replay !== undefined;
  await deps.store.batches.start({
    key,
    userId: plan.caller.userId,
    command: plan.command,
    setLabel: plan.set.label,
    chats: chats.length,
    startedAt: deps.now(),
  });
  // The batch's run in the journal, with the whole plan: a crash carries the batch on.
  const run: Scope = {
    key,
    record: { plan, ...(turn.confirmedWith !== undefined ? { confirmedWith: turn.confirmedWith } : {}) },
    conversationId: turn.msg.conversationId,
    started: false,
    ...(turn.replay !== undefined ? { replay: turn.replay } : {}),
    used: new Set<number>(),
  };
  await deps.journal.start(run);
  const seconds = Math.ceil(chats.length / QPS);
  if (!carried && seconds * 1000 > NOTICE_AFTER_MS && deps.notify !== undefined) {
    await deps
      .notify(turn.msg, { text: t('batch.started', { count: chats.length, seconds, set: plan.set.label }) })
      .catch((err: unknown) => turn.log.warn({ err: describe(err) }, 'could not say that a batch started'));
  }
  const stored = new Map((await deps.store.batches.items(key)).map((i) => [i.chatId, i]));
  const settle = async (r: ChatResult, started: number): Promise<ChatResult> => {
    await deps.store.batches.setItem({
      batchKey: key,
      chatId: r.chatId,
      seq: r.seq,
      state: r.state,
      detail: JSON.stringify({
        name: r.name,
        line: r.line,
        ...(r.retry !== undefined ? { retry: r.retry } : {}),
      }),
      changeId: r.changeId,
      at: deps.now(),
    });
    if (r.state !== 'skipped') await auditChat(env, id, r, deps.now() - started);
    return r;
  };
  let results: ChatResult[];
  try {
    results = await runChats(env, run, stored, settle);
  } finally {
    // Whatever its outcome, the run is over: it is not carried on again.
    await deps.journal
      .finish(run)
      .catch((err: unknown) =>
        turn.log.error({ err: describe(err) }, 'could not close the batch in the journal'),
      );
  }
  await deps.store.batches.finish(key, deps.now());
  return {
    reply: { text: ledgerText(t, { command: spec.name, set: plan.set.label }, results) },
    results,
  };
}

/** Each chat of the set: its stored outcome, the earlier attempt's, or a look and a run now. */
function runChats(
  env: Env,
  run: Scope,
  stored: ReadonlyMap<string, BatchItem>,
  settle: (r: ChatResult, started: number) => Promise<ChatResult>,
): Promise<ChatResult[]> {
  const { deps, turn } = env;
  const { t } = turn;
  return pool(env.plan.set.chats, BATCH_CONCURRENCY, async (ref, seq): Promise<ChatResult> => {
    const had = stored.get(ref.chatId);
    if (had !== undefined) return fromItem(had);
    const started = deps.now();
    const earlier = turn.replay === undefined ? undefined : earlierState(turn.replay, ref.chatId);
    if (earlier !== undefined) {
      // Named as the registry or DingTalk (a read, never repeated harm) knows it.
      const name =
        (await deps.store.registry.get(ref.chatId))?.name ??
        (await deps.groups.get(ref.chatId).then(
          (i) => i.name,
          () => undefined,
        )) ??
        ref.chatId;
      // A write that finished before the stop recorded its undo right after: the chat's change
      // made since the batch began is this batch's, so one undo still takes it back.
      const since = (await deps.store.batches.get(turn.key))?.startedAt;
      const change =
        earlier === 'done' && since !== undefined
          ? await deps.store.changes.latestUndoable(env.plan.caller.userId, since, ref.chatId)
          : undefined;
      return settle(
        {
          chatId: ref.chatId,
          name,
          seq,
          state: earlier,
          line: t(
            earlier === 'unknown'
              ? 'batch.unknown-line'
              : change === undefined
                ? 'batch.done-before-no-undo'
                : 'batch.done-before',
          ),
          ...(change !== undefined ? { changeId: change.id } : {}),
        },
        started,
      );
    }
    const l = await look(env, ref, seq);
    if (l.kind === 'result') return settle(l.result, started);
    return settle(await runOne(env, l, run), started);
  });
}

/** One audit record per chat written, linked to the batch by its id. */
async function auditChat(env: Env, id: string, r: ChatResult, durationMs: number): Promise<void> {
  const { deps, turn, plan } = env;
  const { chat: _chat, ...args } = plan.args;
  try {
    await deps.audit.record({
      userId: plan.caller.userId,
      command: plan.command,
      chatId: r.chatId,
      args: { batch: id, ...args },
      outcome: r.state === 'done' ? (turn.confirmedWith !== undefined ? 'confirmed' : 'allowed') : 'failed',
      reason: { key: 'audit.reason.batch-chat', params: { batch: id, state: r.state } },
      durationMs,
    });
  } catch (err) {
    turn.log.error({ err: describe(err) }, 'audit write of a chat of a batch failed');
  }
}
