/**
 * The write journal (architecture.md §2), at the DingTalk client: every write call made while a
 * plan runs is journaled before it leaves and finished with its answer, whichever command made
 * it (create, clone, a template's steps, undo). Which endpoint writes is a fact of the endpoint
 * (`src/dingtalk/endpoints.ts`). The run a call belongs to is found through AsyncLocalStorage, so
 * neither commands nor the HTTP layer pass it along.
 *
 * Carried on after a crash ({@link Scope.replay}): a write that already has its answer is
 * answered from the journal and not sent again; one that began without an answer stops the run
 * ({@link WriteOutcomeUnknown}), never repeated. What the bot set in a chat (admins, nicknames,
 * the private-chat switch) is recorded from the finished writes, so every path records it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { EndpointName } from '../dingtalk/errors.ts';
import type { WriteJournalHook } from '../dingtalk/http.ts';
import type { ChangeStore, JournalStore, JournalWrite, RegistryStore } from '../store/types.ts';
import { type Plan, readStored } from './plan.ts';

/** What a run stores: the plan, and the code it was confirmed with. */
export interface RunRecord {
  plan: Plan;
  confirmedWith?: string;
}

/** A run's record read back; undefined when it holds no plan (a damaged row, or one migrated from before plans). */
export function readRun(json: string): RunRecord | undefined {
  try {
    const v = JSON.parse(json) as Partial<RunRecord> | null;
    const plan = v?.plan === undefined ? undefined : readStored<Plan>(JSON.stringify(v.plan));
    if (plan === undefined) return undefined;
    return typeof v?.confirmedWith === 'string' ? { plan, confirmedWith: v.confirmedWith } : { plan };
  } catch {
    return undefined;
  }
}

/** One run of a plan, as the journal sees it. */
export interface Scope {
  key: string;
  record: RunRecord;
  conversationId: string;
  /** the run's row exists */
  started: boolean;
  /** a run carried on after a crash: the writes it made before */
  replay?: JournalWrite[];
  used: Set<number>;
}

/** A write of an earlier attempt of this run began and never got its answer: it is not repeated. */
export class WriteOutcomeUnknown extends Error {
  constructor(
    readonly endpoint: string,
    readonly chatId: string | undefined,
  ) {
    super(`the outcome of an earlier ${endpoint} call is unknown`);
    this.name = 'WriteOutcomeUnknown';
  }
}

export class WriteJournal implements WriteJournalHook {
  readonly #als = new AsyncLocalStorage<Scope>();

  constructor(
    private readonly store: JournalStore,
    private readonly facts: { changes: ChangeStore; registry: RegistryStore },
    private readonly replicaId: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `fn` with every write it makes journaled under `scope`. */
  within<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    return this.#als.run(scope, fn);
  }

  /** Records the run now (a confirmed plan: its message cannot be run again after a crash). */
  async start(scope: Scope): Promise<void> {
    if (scope.started) return;
    const plan = scope.record.plan;
    await this.store.startRun({
      key: scope.key,
      userId: plan.caller.userId,
      conversationId: scope.conversationId,
      command: plan.command,
      chatId: plan.chat?.chatId,
      plan: JSON.stringify(scope.record),
      replicaId: this.replicaId,
      startedAt: this.now(),
    });
    scope.started = true;
  }

  /** The run is over (whatever its outcome): it is not carried on after a crash. */
  async finish(scope: Scope): Promise<void> {
    if (scope.started) await this.store.finishRun(scope.key, this.now());
  }

  async write<T>(call: { endpoint: EndpointName; body: unknown }, send: () => Promise<T>): Promise<T> {
    const scope = this.#als.getStore();
    if (scope === undefined) return send();
    const request = JSON.stringify(call.body ?? null);
    const earlier = scope.replay?.find(
      (w) => !scope.used.has(w.id) && w.endpoint === call.endpoint && w.request === request,
    );
    if (earlier !== undefined) {
      scope.used.add(earlier.id);
      if (earlier.outcome === 'ok') return JSON.parse(earlier.answer ?? 'null') as T;
      // No answer, or a failure that may have taken effect (a 5xx, a timeout): never sent twice.
      if (earlier.outcome === undefined || mayHaveTakenEffect(earlier.answer))
        throw new WriteOutcomeUnknown(call.endpoint, earlier.chatId);
      // It failed before, and the failure proved nothing was done: send it again.
    }
    await this.start(scope);
    // A v1 body names the chat by openConversationId: the plan's chat says which chatId that is.
    const named = chatIdOf(call.body);
    const planned = scope.record.plan.chat;
    const chatId =
      planned !== undefined && (named === planned.chatId || named === planned.openConversationId)
        ? planned.chatId
        : named;
    const id = await this.store.begin({
      runKey: scope.key,
      endpoint: call.endpoint,
      chatId,
      request,
      startedAt: this.now(),
    });
    let value: T;
    try {
      value = await send();
    } catch (err) {
      const e = err as { name?: string; message?: string; mayHaveTakenEffect?: boolean };
      await this.store.finish(
        id,
        'failed',
        JSON.stringify({
          name: e.name,
          message: e.message,
          mayHaveTakenEffect: e.mayHaveTakenEffect === true,
        }),
        this.now(),
      );
      throw err;
    }
    await this.store.finish(id, 'ok', JSON.stringify(value ?? null), this.now());
    await this.#recordFacts(call.endpoint, call.body).catch((err: unknown) =>
      this.log.error(
        { err: (err as Error).message, endpoint: call.endpoint },
        'could not note what the bot set',
      ),
    );
    return value;
  }

  /** Admins, nicknames and the private-chat switch a successful write set (chat/get does not tell them). */
  async #recordFacts(endpoint: EndpointName, body: unknown): Promise<void> {
    const b = (body ?? {}) as Record<string, unknown>;
    const { changes, registry } = this.facts;
    switch (endpoint) {
      case 'subadmin.update':
      case 'im.subAdministrators': {
        const chatId =
          typeof b.chatid === 'string'
            ? b.chatid
            : typeof b.openConversationId === 'string'
              ? (await registry.byOpenConversationId(b.openConversationId))?.chatId
              : undefined;
        if (chatId === undefined) return;
        const raw = b.userids ?? b.userIds;
        const users = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(',');
        for (const u of users.filter((x) => x !== ''))
          await changes.setFact({ chatId, kind: 'admin', userId: u, value: b.role === 2 ? '1' : undefined });
        return;
      }
      case 'friendswitch.update':
        if (typeof b.chatid === 'string')
          await changes.setFact({
            chatId: b.chatid,
            kind: 'private-chat',
            userId: '',
            value: b.is_prohibit === true ? 'off' : 'on',
          });
        return;
      case 'updategroupnick':
        if (typeof b.chatid === 'string' && typeof b.userid === 'string' && typeof b.group_nick === 'string')
          await changes.setFact({ chatId: b.chatid, kind: 'nick', userId: b.userid, value: b.group_nick });
        return;
      default:
        return;
    }
  }
}

/** Whether a journaled failure says the write may have happened anyway. */
function mayHaveTakenEffect(answer: string | undefined): boolean {
  try {
    return (JSON.parse(answer ?? '{}') as { mayHaveTakenEffect?: unknown }).mayHaveTakenEffect === true;
  } catch {
    return true;
  }
}

/** The chat a write's body names, for the journal and the report of an unknown outcome. */
function chatIdOf(body: unknown): string | undefined {
  const b = (body ?? {}) as Record<string, unknown>;
  for (const k of ['chatid', 'chatId', 'openConversationId'])
    if (typeof b[k] === 'string') return b[k] as string;
  return undefined;
}
