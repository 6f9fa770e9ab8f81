/**
 * The path of one message (architecture.md §2): frame -> intake -> claim -> the chain of steps
 * (steps/: route, pending, authorize, bind, resolve, confirm gate, run) -> outcome (audit, stored
 * and sent reply). Every message that reaches a command gets exactly one reply; nothing here
 * throws to the caller. After a crash, or on the replica that takes a dead one's claim over, the
 * write journal decides (recover): no write begun, the message runs; a write begun without an
 * answer, it is reported once as unknown; else the plan is carried on from the journal.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { GroupApi } from '../dingtalk/types.ts';
import type { Metrics } from '../health.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import type { OrphanedClaim, Store } from '../store/types.ts';
import type { RobotFrame } from '../stream/index.ts';
import type { AuditTrail } from './audit.ts';
import type { Authorizer } from './auth.ts';
import type { Confirmations } from './confirm.ts';
import type { Directory } from './directory.ts';
import { createTranslator } from './i18n.ts';
import { Intake, type IntakeStats } from './intake.ts';
import type { Jobs } from './jobs.ts';
import type { WriteJournal } from './journal.ts';
import { leadingWords } from './parse.ts';
import { peopleView } from './people.ts';
import { refreshChats } from './plan.ts';
import { type CommandRegistry, impliedLocale } from './registry.ts';
import type { Replier } from './replier.ts';
import { authorizeChat, authorizeRole } from './steps/authorize.ts';
import { batch } from './steps/batch.ts';
import { bind } from './steps/bind.ts';
import { claim } from './steps/claim.ts';
import { confirmGate } from './steps/confirm-gate.ts';
import { describe, failure, timedOut } from './steps/failure.ts';
import { type OutcomeDeps, render, resendStored, settle } from './steps/outcome.ts';
import { pending } from './steps/pending.ts';
import { interrupted, recovery } from './steps/recover.ts';
import { resolve } from './steps/resolve.ts';
import { route } from './steps/route.ts';
import { run } from './steps/run.ts';
import { clip, compose, type Deps, type Outcome, type Step, type Turn } from './steps/turn.ts';
import { checkWhen, readWhen, scheduleAt, scheduleUntil } from './steps/when.ts';
import type { IncomingMessage, Locale, Translate } from './types.ts';

export interface PipelineOptions {
  logger: Logger;
  store: Store;
  groups: GroupApi;
  replier: Replier;
  commands: CommandRegistry;
  authorizer: Authorizer;
  confirmations: Confirmations;
  audit: AuditTrail;
  /** The write journal the DingTalk client was built with. */
  journal: WriteJournal;
  defaultLocale: Locale;
  /** BOT_TIMEZONE, for times shown. */
  timeZone: string;
  robotCode: string;
  /** Names and people lookups (contact API, cached). */
  directory: Directory;
  /** This replica's id, recorded with its claims and runs. Default {@link PROCESS_REPLICA_ID}. */
  replicaId?: string;
  /** Messages processed at once, fairly between senders; more wait (the ack has already left). */
  concurrency?: number;
  /** BOT_USER_RATE: messages one sender may send per window; none when undefined. */
  userRate?: { limit: number; windowMs: number } | undefined;
  /** A handler running longer than this is abandoned with an error reply. */
  commandTimeoutMs?: number;
  /** Prometheus counters (messages, replies, errors, takeovers); none when undefined. */
  metrics?: Metrics | undefined;
  /** Scheduled changes (`at=`, `until=`, `/chat jobs`); none: those options are unknown. */
  jobs?: Jobs | undefined;
  now?: () => number;
}

/** The run step answers a handler's timeout itself; the backstop waits this much longer. */
const BACKSTOP_GRACE_MS = 250;

/** What the pipeline counts besides the intake's counters. */
interface Counters {
  replied: number;
  replyFailures: number;
  errors: number;
}

/** The steps of a command, from its text to its result (architecture.md §2). */
export function commandChain(d: Deps & { journal: WriteJournal }): Step {
  return compose([
    route(d),
    // /confirm, /cancel and /pick answer to their own role first; a stored plan's command to its own after.
    authorizeRole(d),
    // at= / until= (steps/when.ts): read before binding, checked before the gate, a plan with a
    // time stored as a job after it, the job that takes a change back made after the run.
    readWhen(d),
    pending(d),
    authorizeRole(d),
    bind(d),
    authorizeChat(d),
    resolve(d),
    checkWhen(d),
    // A set of chats (`tag:proj`, `mine`): its own preview, confirmation and run, chat by chat.
    batch(d),
    confirmGate(d),
    scheduleAt(d),
    run(d),
    scheduleUntil(d),
  ]);
}

/** The replica id of this process when none is configured: host, pid and a random part. */
export const PROCESS_REPLICA_ID = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** The message pipeline. Feed it frames with {@link handleFrame}. */
export class Pipeline {
  private readonly log: Logger;
  private readonly intake: Intake;
  private readonly counters: Counters = { replied: 0, replyFailures: 0, errors: 0 };
  private readonly translators = new Map<Locale, Translate>();
  private readonly deps: Deps & { journal: WriteJournal };
  private readonly out: OutcomeDeps;
  /** The steps of a command, from its text to its result. */
  private readonly chain: Step;
  /** The steps of a plan carried on from the journal. */
  private readonly carryOn: Step;

  constructor(private readonly o: PipelineOptions) {
    this.log = o.logger.child({ component: 'pipeline' });
    this.intake = new Intake({
      log: this.log,
      concurrency: o.concurrency ?? 32,
      userRate: o.userRate,
      keyOf: (msg) => this.keyOf(msg),
      process: (key, msg) => this.process(key, msg),
      redelivered: (key, msg) => this.redelivered(key, msg),
      tooFast: (msg, seconds) => this.tooFast(msg, seconds),
      failed: (err) => {
        this.counters.errors++;
        this.o.metrics?.errors.inc({ kind: err instanceof StoreUnavailableError ? 'store' : 'internal' });
        this.log.error({ err }, 'message processing failed');
      },
    });
    this.deps = {
      store: o.store,
      groups: o.groups,
      commands: o.commands,
      authorizer: o.authorizer,
      confirmations: o.confirmations,
      audit: o.audit,
      directory: o.directory,
      people: peopleView(o.directory),
      metrics: o.metrics,
      replicaId: o.replicaId ?? PROCESS_REPLICA_ID,
      commandTimeoutMs: o.commandTimeoutMs ?? 60_000,
      timeZone: o.timeZone,
      now: o.now ?? Date.now,
      journal: o.journal,
      ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
      notify: async (msg, reply) => {
        await o.replier.send(msg, render(reply, msg));
      },
    };
    this.out = {
      store: o.store,
      audit: o.audit,
      replier: o.replier,
      metrics: o.metrics,
      stats: this.stats,
      log: this.log,
    };
    const d = this.deps;
    this.chain = commandChain(d);
    this.carryOn = compose([batch(d), run(d), scheduleUntil(d)]);
  }

  /** What the job scheduler runs a stored plan with (the same steps' parts as a message). */
  get stepDeps(): Deps & { journal: WriteJournal } {
    return this.deps;
  }

  /** The translator of `locale` (commands' messages merged in). */
  translatorFor(locale: Locale): Translate {
    return this.translator(locale);
  }

  /** The dedupe key (also the run's key in the journal): msgId is stable across redeliveries, scoped by robot. */
  private keyOf(msg: IncomingMessage): string {
    return `${msg.robotCode || this.o.robotCode}:${msg.msgId}`;
  }

  /** Called synchronously by the stream layer after the ack left. Never throws. */
  handleFrame(frame: RobotFrame): void {
    this.intake.push(frame);
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.intake.idle();
  }

  /** Stops taking messages and waits (bounded) for in-flight ones. Returns how many were cut off. */
  drain(timeoutMs: number): Promise<number> {
    return this.intake.drain(timeoutMs);
  }

  /** Counters for tests, the bench and shutdown. */
  get stats(): IntakeStats & Counters {
    return { ...this.intake.stats, ...this.counters };
  }

  /** A redelivered message: never run again; resend the stored reply only if it was not delivered. */
  private async redelivered(key: string, msg: IncomingMessage): Promise<void> {
    const c = await this.o.store.dedupe.claim(key, this.deps.now());
    if (c.state === 'done' && !c.delivered) await resendStored(this.out, key, msg, c.reply, this.deps.now());
    if (c.state === 'claimed') await this.o.store.dedupe.release(key);
  }

  private async process(key: string, msg: IncomingMessage): Promise<void> {
    const log = this.log.child({ msgId: msg.msgId });
    const c = await claim(
      {
        dedupe: this.o.store.dedupe,
        replicaId: this.deps.replicaId,
        metrics: this.o.metrics,
        now: this.deps.now,
        accepting: () => this.intake.accepting,
        tellWaiting: (m) => this.tellWaiting(m, log),
      },
      key,
      msg,
      log,
    );
    if (c === undefined) return;
    if (c.state === 'done') {
      this.intake.stats.duplicates++;
      if (!c.delivered) await resendStored(this.out, key, msg, c.reply, this.deps.now());
      return;
    }
    if (c.state === 'running') {
      this.intake.stats.duplicates++;
      if (
        this.o.store.kind === 'postgres' &&
        c.replicaId !== undefined &&
        c.replicaId !== this.deps.replicaId
      ) {
        // Another replica holds it (DingTalk gave the message to both): that one answers, or a
        // survivor takes the claim over if it dies (see takeOver).
        log.info({ holder: c.replicaId }, 'message is being processed by another replica');
        return;
      }
      // Claimed by an earlier process that did not finish (a crash): the journal decides.
      await this.recover(key, msg, log);
      return;
    }
    this.o.metrics?.messages.inc();
    await this.runMessage(key, msg, log);
  }

  /** A sender past the per-user rate limit: told once per burst (the rest is dropped unanswered). */
  private async tooFast(msg: IncomingMessage, seconds: number): Promise<void> {
    const t = this.translator(this.localeOf(msg));
    try {
      await this.o.replier.send(msg, render({ text: t('rate.user', { seconds }) }, msg));
    } catch (err) {
      this.log.error({ err: describe(err) }, 'could not tell a sender to slow down');
    }
  }

  private async tellWaiting(msg: IncomingMessage, log: Logger): Promise<void> {
    const t = this.translator(this.localeOf(msg));
    try {
      await this.o.replier.send(msg, render({ text: t('pipeline.store-waiting') }, msg));
    } catch (e) {
      log.error({ err: describe(e) }, 'could not tell the user that the message waits');
    }
  }

  /**
   * Takeover: answers a claim left by a stopped process (at start, on SQLite) or by a replica
   * that stopped beating (shared store). Only the replica whose compare-and-set wins goes on, so
   * the message is answered once. Resolves with true when this replica took the claim.
   */
  async takeOver(orphan: OrphanedClaim): Promise<boolean> {
    if (!this.intake.accepting) return false;
    if (!(await this.o.store.dedupe.adopt(orphan.key, orphan.replicaId, this.deps.replicaId))) return false;
    this.o.metrics?.claimsTakenOver.inc();
    const log = this.log.child({ msgKey: orphan.key, from: orphan.replicaId });
    let msg: IncomingMessage;
    try {
      msg = JSON.parse(orphan.message) as IncomingMessage;
    } catch {
      // Written by claim() from JSON.stringify; unreadable means a damaged row: let it go.
      log.error('the claim taken over holds no readable message; dropping it');
      await this.o.store.dedupe.release(orphan.key);
      return true;
    }
    this.intake.schedule(orphan.key, msg.senderUserId, () => this.recover(orphan.key, msg, log));
    return true;
  }

  /** Takes over every claim of processes that stopped beating `deadAfterMs` ago. Returns how many. */
  async takeOverOrphans(deadAfterMs: number): Promise<number> {
    let n = 0;
    for (const orphan of await this.o.store.dedupe.orphaned(this.deps.replicaId, deadAfterMs))
      if (await this.takeOver(orphan)) n++;
    return n;
  }

  /** A message whose earlier attempt stopped: the write journal says what to do with it. */
  private async recover(key: string, msg: IncomingMessage, log: Logger): Promise<void> {
    const r = await recovery(this.o.store, this.o.commands, key);
    if (r.kind === 'run') {
      log.warn('a message interrupted before any write runs now');
      await this.runMessage(key, msg, log);
      return;
    }
    if (r.kind === 'unknown') {
      // Reported once: replicas racing for the same run report it once.
      if (!(await this.o.store.journal.markReported(key, this.deps.now()))) return;
      log.warn({ command: r.command }, 'a write of an interrupted command has no known outcome; reported it');
      await settle(
        this.out,
        key,
        msg,
        await interrupted(this.o.store, this.translator(this.localeOf(msg)), r),
        0,
        log,
      );
      return;
    }
    // Every write it began has its answer: carry the plan on (answered writes are not sent again).
    log.warn(
      { command: r.spec.name, writes: r.writes.length },
      'carrying on an interrupted command from its journal',
    );
    const turn = this.newTurn(key, msg, log);
    turn.spec = r.spec;
    turn.plan = await refreshChats(r.record.plan, (id) => this.o.store.registry.get(id));
    turn.replay = r.writes;
    if (r.record.confirmedWith !== undefined) turn.confirmedWith = r.record.confirmedWith;
    await this.finishTurn(turn, this.carryOn);
  }

  /** Runs a claimed message through the chain to its reply. */
  private async runMessage(key: string, msg: IncomingMessage, log: Logger): Promise<void> {
    await this.finishTurn(this.newTurn(key, msg, log), this.chain);
  }

  private newTurn(key: string, msg: IncomingMessage, log: Logger): Turn {
    const locale = this.localeOf(msg);
    const ms = this.deps.commandTimeoutMs;
    return {
      msg,
      key,
      log,
      locale,
      t: this.translator(locale),
      deadline: this.deps.now() + ms,
      signal: AbortSignal.timeout(ms),
      notices: [],
    };
  }

  /**
   * Runs the steps to an outcome and settles it once. The command's time covers every step
   * (lookups, previews, ownership checks, the handler): past its deadline, a step still waiting is
   * abandoned and the user told the outcome is unknown (the run step says so itself for the
   * handler; this backstop covers the steps before it).
   */
  private async finishTurn(turn: Turn, steps: Step): Promise<void> {
    const started = this.deps.now();
    const command = () => turn.spec?.name ?? clip(leadingWords(turn.msg.text).join(' '));
    const chain = steps(turn, async () => {}).then(
      () => turn.outcome ?? failure(new Error('no step answered'), turn.t, turn.log, '', this.o.metrics),
      (err: unknown) => failure(err, turn.t, turn.log, command(), this.o.metrics),
    );
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<Outcome>((resolve) => {
      timer = setTimeout(
        () => resolve(timedOut(turn, this.deps.commandTimeoutMs, command())),
        Math.max(0, turn.deadline - this.deps.now()) + BACKSTOP_GRACE_MS,
      );
      timer.unref();
    });
    const outcome = await Promise.race([chain, backstop]);
    clearTimeout(timer);
    await settle(this.out, turn.key, turn.msg, outcome, this.deps.now() - started, turn.log);
  }

  private translator(locale: Locale): Translate {
    let t = this.translators.get(locale);
    if (!t) {
      t = createTranslator(locale, this.o.commands.messages);
      this.translators.set(locale, t);
    }
    return t;
  }

  /**
   * The language of every reply to `msg`, decided once: a Chinese command word (an alias, or a
   * mistyped one) answers in Chinese, anything else in BOT_LOCALE.
   */
  private localeOf(msg: IncomingMessage): Locale {
    const word = leadingWords(msg.text)[0];
    return (word === undefined ? undefined : impliedLocale(word)) ?? this.o.defaultLocale;
  }
}
