/**
 * The scheduler (issue 22): carries out jobs when they fall due, exactly once across restarts
 * and replicas. A job is claimed like a message (a compare-and-set on its row: pending →
 * running), then its plan goes through the same steps as a confirmed plan (role and chat
 * authorized again, run with every write journaled under `job:<id>`), it spends the rate budget
 * like any call (the same DingTalk client), it is audited, and its lead is told in a 1:1 message
 * through the robot API (oToMessages/batchSend) what was done, or why not, and how late.
 *
 * A job that fell due while no bot ran runs when one starts. A job left running by a process
 * that died (SQLite: at start; PostgreSQL: a replica that stopped beating) is adopted by
 * compare-and-set and the write journal decides, as for a message: no write begun, it runs; a
 * write without an answer, reported as unknown; else carried on. A job done whose lead was not
 * told yet is told by the survivor.
 */
import type { Logger } from 'pino';
import type { RobotApi } from '../dingtalk/robot.ts';
import type { JobRecord, Store } from '../store/types.ts';
import type { AuditTrail } from './audit.ts';
import { jobId, jobKey } from './jobs.ts';
import type { WriteJournal } from './journal.ts';
import { type Plan, readStored, refreshChats } from './plan.ts';
import type { CommandRegistry } from './registry.ts';
import { renderReply } from './render.ts';
import { authorizeChat, authorizeRole } from './steps/authorize.ts';
import { batch } from './steps/batch.ts';
import { describe, failure } from './steps/failure.ts';
import { interrupted, recovery } from './steps/recover.ts';
import { run } from './steps/run.ts';
import { compose, type Deps, type Outcome, type Step, type Turn } from './steps/turn.ts';
import { scheduleUntil } from './steps/when.ts';
import type { IncomingMessage, Locale, Translate } from './types.ts';
import { formatLocal, formatSpan } from './when.ts';

export interface SchedulerOptions {
  deps: Deps & { journal: WriteJournal };
  store: Store;
  commands: CommandRegistry;
  audit: AuditTrail;
  /** the robot API and robot code: the lead's 1:1 message (oToMessages/batchSend) */
  robot: { api: Pick<RobotApi, 'batchSendOTO'>; robotCode: string };
  translator: (locale: Locale) => Translate;
  logger: Logger;
  replicaId: string;
  /** How often due jobs are looked for. Default {@link DEFAULT_POLL_MS}. */
  pollMs?: number;
  /** Jobs run at once by this replica. Default 32 (the rate limiter paces their calls). */
  concurrency?: number;
  now?: () => number;
}

/** Due jobs are looked for every second: one indexed query. */
export const DEFAULT_POLL_MS = 1_000;
/** A job that starts later than this after its time tells its lead how late it is. */
export const LATE_AFTER_MS = 5_000;
/** Due jobs read per query. */
const BATCH = 200;
/** A 1:1 message DingTalk flow-controlled is tried again after these delays, then given up. */
const FLOW_RETRY_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

/** What the lead is told, kept with the job until it went out. */
interface Notice {
  userId: string;
  locale: Locale;
  text: string;
  title: string;
}

export class JobScheduler {
  readonly stats = { ran: 0, dropped: 0, failed: 0, notified: 0, adopted: 0 };
  readonly #o: SchedulerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #concurrency: number;
  readonly #chain: Step;
  readonly #carryOn: Step;
  readonly #active = new Set<Promise<void>>();
  #queue: JobRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pumping = false;
  #again = false;
  #stopped = true;
  #failing = false;

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'scheduler' });
    this.#now = o.now ?? o.deps.now;
    this.#concurrency = o.concurrency ?? 32;
    const d = o.deps;
    // A stored plan's way (architecture.md §2): authorization again, then exactly the plan.
    // batch: a job may hold a set of chats (at= on tag:, mine, a list), run chat by chat.
    this.#chain = compose([authorizeRole(d), authorizeChat(d), batch(d), run(d), scheduleUntil(d)]);
    this.#carryOn = compose([batch(d), run(d), scheduleUntil(d)]);
  }

  /** Starts polling for due jobs. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const every = this.#o.pollMs ?? DEFAULT_POLL_MS;
    this.#timer = setInterval(() => this.poke(), every);
    this.#timer.unref();
    this.poke();
  }

  /** Stops claiming; waits (bounded) for the jobs running now. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#queue = [];
    if (this.#active.size === 0) return;
    await Promise.race([
      Promise.allSettled([...this.#active]),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** Looks for due jobs now (the timer does it every poll). */
  poke(): void {
    if (this.#stopped) return;
    void this.#pump().then(
      (ran) => {
        if (!ran) return;
        if (this.#failing) this.#log.info('looking for due jobs works again');
        this.#failing = false;
      },
      (err: unknown) => {
        // Once per outage at warn (the poll runs every second), then at debug.
        if (this.#failing) this.#log.debug({ err: describe(err) }, 'looking for due jobs failed');
        else this.#log.warn({ err: describe(err) }, 'looking for due jobs failed; trying again every poll');
        this.#failing = true;
      },
    );
  }

  /** Resolves when no job is running and none is due (tests and the bench). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#active.size > 0) await Promise.allSettled([...this.#active]);
      else if (this.#pumping) await new Promise((r) => setTimeout(r, 5));
      else return;
    }
  }

  /** Claims and starts due jobs while there is room; false when another pump was running. */
  async #pump(): Promise<boolean> {
    if (this.#pumping) {
      this.#again = true;
      return false;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (!this.#stopped && this.#active.size < this.#concurrency) {
          if (this.#queue.length === 0) {
            const due = await this.#o.store.jobs.due(this.#now(), BATCH);
            if (due.length === 0) break;
            // Replicas reading the same due list try it in different orders: fewer lost claims.
            this.#queue = shuffle(due);
          }
          const job = this.#queue.shift() as JobRecord;
          if (!(await this.#o.store.jobs.claim(job.id, this.#o.replicaId, this.#now()))) continue;
          this.#track(this.#run({ ...job, startedAt: this.#now(), replicaId: this.#o.replicaId }, 'fresh'));
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#pumping = false;
    }
    return true;
  }

  #track(p: Promise<void>): void {
    const done = p
      .catch((err: unknown) => this.#log.error({ err: describe(err) }, 'a job failed to run'))
      .finally(() => {
        this.#active.delete(done);
        this.poke();
      });
    this.#active.add(done);
  }

  /**
   * Adopts the jobs of processes that stopped beating `deadAfterMs` ago (0 at start on SQLite:
   * every other process is gone). Returns how many this replica took.
   */
  async takeOverOrphans(deadAfterMs: number): Promise<number> {
    if (this.#stopped) return 0;
    let n = 0;
    for (const job of await this.#o.store.jobs.orphaned(this.#o.replicaId, deadAfterMs)) {
      if (job.replicaId === undefined) continue;
      if (!(await this.#o.store.jobs.adopt(job.id, job.replicaId, this.#o.replicaId))) continue;
      n++;
      this.stats.adopted++;
      const mine = { ...job, replicaId: this.#o.replicaId };
      this.#track(job.state === 'done' ? this.#tell(mine) : this.#run(mine, 'adopted'));
    }
    return n;
  }

  /** Runs a claimed job to its notice. */
  async #run(job: JobRecord, how: 'fresh' | 'adopted'): Promise<void> {
    const log = this.#log.child({ job: jobId(job.id) });
    const plan = readStored<Plan>(job.plan);
    const t = this.#o.translator(plan?.locale ?? 'en');
    if (plan === undefined) {
      log.error('the job holds no readable plan; dropping it');
      await this.#finish(job, { reply: { text: t('jobs.unreadable') } }, undefined, log);
      return;
    }
    const key = jobKey(job.id);
    // The registry as it is now (ownership, names), as a confirmation reads its plan back.
    const turn = this.#turn(job, await refreshChats(plan, (id) => this.#o.store.registry.get(id)), log);
    let steps = this.#chain;
    if (how === 'adopted') {
      // A process died while it ran this job: the write journal decides, as for a message.
      const r = await recovery(this.#o.store, this.#o.commands, key);
      if (r.kind === 'unknown') {
        if (!(await this.#o.store.journal.markReported(key, this.#now()))) return;
        log.warn({ command: r.command }, 'a write of an interrupted job has no known outcome; reported it');
        await this.#finish(job, await interrupted(this.#o.store, t, r), plan, log);
        return;
      }
      if (r.kind === 'carry-on') {
        log.warn({ writes: r.writes.length }, 'carrying on an interrupted job from its journal');
        turn.spec = r.spec;
        turn.plan = await refreshChats(r.record.plan, (id) => this.#o.store.registry.get(id));
        turn.replay = r.writes;
        steps = this.#carryOn;
      }
    }
    let outcome: Outcome;
    try {
      await steps(turn, async () => {});
      outcome =
        turn.outcome ?? failure(new Error('no step answered'), t, log, plan.command, this.#o.deps.metrics);
    } catch (err) {
      outcome = failure(err, t, log, plan.command, this.#o.deps.metrics);
    }
    await this.#finish(job, outcome, plan, log);
  }

  #turn(job: JobRecord, plan: Plan, log: Logger): Turn {
    const ms = this.#o.deps.commandTimeoutMs;
    // The message the plan was made from, without a webhook: replies go through the robot API.
    const msg: IncomingMessage = { ...plan.message, sessionWebhook: '', sessionWebhookExpiresAt: 0 };
    const turn: Turn = {
      msg,
      key: jobKey(job.id),
      log,
      locale: plan.locale,
      t: this.#o.translator(plan.locale),
      deadline: this.#now() + ms,
      signal: AbortSignal.timeout(ms),
      notices: [],
      plan,
      stored: true,
      job: { id: job.id, dueAt: job.dueAt },
    };
    const spec = this.#o.commands.get(plan.command);
    if (spec !== undefined) turn.spec = spec;
    return turn;
  }

  /** Audits the outcome, stores the notice with the job, and tells the lead. */
  async #finish(job: JobRecord, outcome: Outcome, plan: Plan | undefined, log: Logger): Promise<void> {
    const id = jobId(job.id);
    const a = outcome.audit;
    const kind =
      a === undefined || a.outcome === 'failed' ? 'failed' : a.outcome === 'refused' ? 'dropped' : 'done';
    this.#o.deps.metrics?.jobs.inc({ outcome: kind });
    if (kind === 'done') this.stats.ran++;
    else if (kind === 'dropped') this.stats.dropped++;
    else this.stats.failed++;
    if (a !== undefined && plan !== undefined) {
      const reason =
        a.outcome === 'allowed' || a.outcome === 'confirmed'
          ? { key: 'audit.reason.job', params: { job: id } }
          : a.reason;
      try {
        await this.#o.audit.record({
          userId: plan.caller.userId,
          command: a.command,
          ...(a.chatId !== undefined ? { chatId: a.chatId } : {}),
          args: a.args ?? {},
          outcome: a.outcome,
          ...(reason !== undefined ? { reason } : {}),
          ...(a.errcode !== undefined ? { errcode: a.errcode } : {}),
          durationMs: this.#now() - (job.startedAt ?? this.#now()),
        });
      } catch (err) {
        log.error({ err: describe(err) }, 'audit write failed');
      }
    }
    const locale = plan?.locale ?? 'en';
    const t = this.#o.translator(locale);
    const tz = this.#o.deps.timeZone;
    const head = t(`jobs.notice.${kind}`, {
      job: id,
      what: job.kind === 'until' ? t('jobs.what.until', { what: job.what }) : job.what,
      due: formatLocal(job.dueAt, tz),
      zone: tz,
    });
    const lines = [head, outcome.reply.text];
    const late = (job.startedAt ?? this.#now()) - job.dueAt;
    if (late > LATE_AFTER_MS)
      lines.push(t('jobs.notice.late', { late: formatSpan(late, locale), due: formatLocal(job.dueAt, tz) }));
    const notice: Notice = {
      userId: job.userId,
      locale,
      text: lines.join('\n\n'),
      title: t('jobs.notice.title', { job: id }),
    };
    if (!(await this.#o.store.jobs.finish(job.id, this.#o.replicaId, JSON.stringify(notice), this.#now()))) {
      log.warn('the job was taken over by another replica before it finished');
      return;
    }
    log.info({ outcome: kind, lateMs: Math.max(0, late) }, 'job finished');
    await this.#tell({ ...job, result: JSON.stringify(notice) });
  }

  /** The lead's 1:1 message (robot oToMessages/batchSend), once; marked when it went out. */
  async #tell(job: JobRecord, attempt = 0): Promise<void> {
    const id = jobId(job.id);
    let notice: Notice;
    try {
      notice = JSON.parse(job.result ?? '') as Notice;
    } catch {
      this.#log.error({ job: id }, 'a finished job holds no readable notice');
      await this.#o.store.jobs.markNotified(job.id, this.#now());
      return;
    }
    const { openApi } = renderReply(
      { text: notice.text, title: notice.title },
      { conversationType: 'direct', senderUserId: notice.userId },
    );
    let res: Awaited<ReturnType<RobotApi['batchSendOTO']>>;
    try {
      res = await this.#o.robot.api.batchSendOTO({
        robotCode: this.#o.robot.robotCode,
        userIds: [notice.userId],
        msgKey: openApi.msgKey,
        msgParam: openApi.msgParam,
      });
    } catch (err) {
      // Not marked: a survivor (or the next start) tells the lead if this process dies first.
      this.#log.error({ err: describe(err), job: id }, 'could not tell the lead about a job');
      return;
    }
    // HTTP 200 with the lead in flowControlledStaffIdList: DingTalk sent nothing (dingtalk-api.md §4.2).
    if (res.flowControlledStaffIdList.includes(notice.userId)) {
      const wait = FLOW_RETRY_MS[attempt];
      if (wait !== undefined && !this.#stopped) {
        this.#log.warn(
          { job: id, retryInMs: wait },
          'DingTalk flow-controlled the 1:1 message; trying again',
        );
        await new Promise((r) => setTimeout(r, wait).unref());
        return this.#tell(job, attempt + 1);
      }
      this.#log.error({ job: id }, 'DingTalk kept flow-controlling the 1:1 message; the lead was not told');
    } else if (res.invalidStaffIdList.includes(notice.userId)) {
      this.#log.error({ job: id }, 'DingTalk does not know the lead any more; the lead was not told');
    } else this.stats.notified++;
    await this.#o.store.jobs
      .markNotified(job.id, this.#now())
      .catch((err: unknown) =>
        this.#log.warn({ err: describe(err) }, 'could not record that a job was told'),
      );
  }
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}
