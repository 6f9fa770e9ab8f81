/**
 * The handler context of a plan (`HandlerContext`): what a command's preview, `confirmWhen` and
 * handler may use, made from the plan alone, so that a confirmed plan runs exactly as previewed.
 * Also the change history a run records for `/chat undo`.
 */
import type { Logger } from 'pino';
import type { ChangeRecord } from '../../store/types.ts';
import type { Plan } from '../plan.ts';
import {
  type Change,
  type ChangeLog,
  type HandlerContext,
  type KnownSetup,
  type UndoStep,
  UserError,
} from '../types.ts';
import { describe } from './failure.ts';
import { findPerson } from './find-person.ts';
import type { Deps, Turn } from './turn.ts';

/** How far back `/chat undo` reaches: 24 hours. */
export const UNDO_WINDOW_MS = 24 * 60 * 60_000;

/** The context a handler runs with, for `turn.plan`. `signal` ends with the command's time. */
export function handlerContext(
  deps: Deps,
  turn: Turn,
  plan: Plan,
  signal: AbortSignal,
): HandlerContext<unknown> {
  const { t, log } = turn;
  const userId = plan.caller.userId;
  const role = deps.authorizer.roleOf(userId).role;
  return {
    // The message it was planned from, with the webhook of the one that runs it.
    message: {
      ...plan.message,
      sessionWebhook: turn.msg.sessionWebhook,
      sessionWebhookExpiresAt: turn.msg.sessionWebhookExpiresAt,
    },
    args: plan.args,
    caller: { userId, nick: plan.caller.nick, role },
    api: deps.groups,
    registry: deps.store.registry,
    tags: deps.store.tags,
    auditLog: deps.store.audit,
    log,
    t,
    locale: plan.locale,
    visibleCommands: () => deps.authorizer.visible(deps.commands.all(), userId),
    mayRun: async (command, target) => {
      const s = deps.commands.get(command);
      if (s === undefined || !deps.authorizer.canRun(s, userId).ok) return false;
      if (s.ownership !== 'chat' || target === undefined) return true;
      try {
        return (await deps.authorizer.checkOwnership(userId, target, deps.groups)).ok;
      } catch {
        return false; // unknown: no hint rather than a wrong one
      }
    },
    forbiddenOptions: (command, options) => {
      const s = deps.commands.get(command);
      return s === undefined ? [] : deps.authorizer.forbiddenOptions(s, userId, options);
    },
    concerns: (chatId) => {
      turn.concerned = chatId;
    },
    people: deps.people,
    changes: changeLog(deps, plan, log),
    findPerson: (typed) => findPerson(deps, typed, userId, t, log),
    templates: deps.authorizer.templates(userId, deps.commands.get('chat create')),
    timeZone: deps.timeZone,
    ...(deps.jobs !== undefined ? { jobs: deps.jobs } : {}),
    ...(turn.job !== undefined ? { scheduled: true as const } : {}),
    signal,
  };
}

/**
 * The change history for one run of `plan`. `latest` reads the change the plan pinned when it
 * pinned one (a confirmed undo takes back what its preview showed); `pin` pins it in the plan.
 */
function changeLog(deps: Deps, plan: Plan, log: Logger): ChangeLog {
  const store = deps.store.changes;
  const userId = plan.caller.userId;
  const toChange = (c: ChangeRecord): Change | undefined => {
    try {
      return {
        id: c.id,
        chatId: c.chatId,
        command: c.command,
        at: c.at,
        undo: JSON.parse(c.undo) as UndoStep[],
      };
    } catch {
      log.error({ changeId: c.id }, 'a recorded change holds no readable undo');
      return undefined;
    }
  };
  return {
    record: async (chatId, undo) => {
      if (undo.length === 0) return;
      try {
        await store.record({
          chatId,
          userId,
          command: plan.command,
          at: deps.now(),
          undo: JSON.stringify(undo),
        });
      } catch (err) {
        log.error({ err: describe(err), chatId }, 'could not record what undoes a change');
      }
    },
    known: async (chatId) => {
      const out: KnownSetup = { admins: [], nicks: {}, privateChat: undefined };
      for (const f of await store.facts(chatId)) {
        if (f.kind === 'admin') out.admins.push(f.userId);
        else if (f.kind === 'nick') out.nicks[f.userId] = f.value;
        else out.privateChat = f.value === 'on';
      }
      return out;
    },
    latest: async (chatId) => {
      if (plan.pinned !== undefined) {
        const c = await store.get(plan.pinned);
        if (c === undefined || c.userId !== userId) return undefined;
        // A second code for a change already taken back: say so, write nothing.
        if (c.undoneAt !== undefined) throw new UserError('chat.undo.already', { command: c.command });
        return toChange(c);
      }
      const c = await store.latestUndoable(userId, deps.now() - UNDO_WINDOW_MS, chatId);
      return c && toChange(c);
    },
    pin: (id) => {
      plan.pinned = id;
    },
    markUndone: (id) => store.markUndone(id, deps.now()),
    unmarkUndone: (id) => store.unmarkUndone(id),
    batchOf: async (id) => {
      const batch = await deps.store.batches.byChange(id);
      if (batch === undefined || batch.userId !== userId) return undefined;
      const out: Change[] = [];
      for (const item of await deps.store.batches.items(batch.key)) {
        if (item.changeId === undefined) continue;
        const c = await store.get(item.changeId);
        if (c === undefined || c.undoneAt !== undefined || c.userId !== userId) continue;
        const change = toChange(c);
        if (change !== undefined) out.push(change);
      }
      out.sort((a, b) => b.id - a.id);
      return {
        key: batch.key,
        command: batch.command,
        setLabel: batch.setLabel,
        at: batch.startedAt,
        changes: out,
      };
    },
    markBatchUndone: async (key) => {
      await deps.store.batches.markUndone(key, deps.now());
    },
  };
}
