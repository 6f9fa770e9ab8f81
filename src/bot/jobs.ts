/**
 * Scheduled changes (issue 22; architecture.md §2: "a scheduled change is a plan with a time").
 * An `at=` job holds the plan of the command, bound once as a confirmation holds it; an `until=`
 * job holds the plan of the `/chat undo` that pins the change it takes back. Each has a short id
 * (`J7`). The scheduler (scheduler.ts) carries jobs out; this is what commands and steps use.
 */
import type { JobRecord, Store } from '../store/types.ts';
import { type Plan, readStored } from './plan.ts';
import type { JobsView, JobView } from './types.ts';

/** `J7` */
export const jobId = (n: number): string => `J${n}`;

/** `J7`, `j7`, `#J7` or `7` to 7; undefined for anything else. */
export function parseJobId(typed: string): number | undefined {
  const m = /^#?[Jj]?(\d{1,12})$/.exec(typed.normalize('NFKC').trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The run key of a job in the write journal (a message's is `robotCode:msgId`). */
export const jobKey = (n: number): string => `job:${n}`;

export function jobView(j: JobRecord): JobView {
  const pinned = j.kind === 'until' ? readStored<Plan>(j.plan)?.pinned : undefined;
  // A job on a set of chats (at= on tag:, mine, a list) has no one chat: it names the set.
  const set = j.chatId === undefined ? readStored<Plan>(j.plan)?.set?.label : undefined;
  return {
    ...(pinned !== undefined ? { pinned } : {}),
    ...(set !== undefined ? { set } : {}),
    n: j.id,
    id: jobId(j.id),
    kind: j.kind,
    userId: j.userId,
    chatId: j.chatId,
    command: j.command,
    what: j.what,
    dueAt: j.dueAt,
    state: j.state,
  };
}

export class Jobs implements JobsView {
  constructor(
    private readonly store: Pick<Store, 'jobs'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores `plan` to be carried out at `plan.when.at`. */
  async scheduleAt(plan: Plan): Promise<JobView> {
    const at = plan.when?.at;
    if (at === undefined) throw new Error('scheduleAt needs a plan with when.at');
    return this.#add('at', plan, at);
  }

  /**
   * Stores the undo of the change `changeId` (made by `plan`, on its chat) for `plan.when.until`.
   * The undo plan pins that change, so it takes back exactly it, as a confirmed `/chat undo` does.
   */
  async scheduleUntil(plan: Plan, changeId: number): Promise<JobView> {
    const until = plan.when?.until;
    if (until === undefined || plan.chat === undefined)
      throw new Error('scheduleUntil needs a plan with a chat and when.until');
    const undo: Plan = {
      v: 1,
      command: 'chat undo',
      caller: plan.caller,
      locale: plan.locale,
      message: plan.message,
      chat: plan.chat,
      args: { chat: plan.chat },
      shown: { chat: plan.chat.chatId },
      usedOptions: [],
      notes: [],
      people: [],
      pinned: changeId,
      when: { what: plan.when?.what ?? plan.command },
    };
    return this.#add('until', undo, until);
  }

  async #add(kind: 'at' | 'until', plan: Plan, dueAt: number): Promise<JobView> {
    const what = plan.when?.what ?? plan.command;
    const row = {
      kind,
      userId: plan.caller.userId,
      chatId: plan.chat?.chatId,
      command: plan.command,
      plan: JSON.stringify(plan),
      what,
      dueAt,
      createdAt: this.now(),
    };
    const n = await this.store.jobs.add(row);
    return jobView({
      ...row,
      id: n,
      state: 'pending',
      replicaId: undefined,
      startedAt: undefined,
      finishedAt: undefined,
      result: undefined,
      notifiedAt: undefined,
    });
  }

  async pending(userId?: string): Promise<JobView[]> {
    return (await this.store.jobs.pending(userId)).map(jobView);
  }

  async find(typed: string): Promise<JobView | undefined> {
    const n = parseJobId(typed);
    if (n === undefined) return undefined;
    const j = await this.store.jobs.get(n);
    return j && jobView(j);
  }

  cancel(n: number): Promise<boolean> {
    return this.store.jobs.cancel(n, this.now());
  }
}
