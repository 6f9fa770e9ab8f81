/**
 * The path of one message (architecture.md §2): frame -> normalize -> dedupe claim -> parse ->
 * resolve -> authorize -> validate -> confirm -> handler -> render -> reply -> audit.
 * Every message that reaches a command gets exactly one reply; nothing here throws to the caller.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { DingTalkError } from '../dingtalk/errors.ts';
import { explainDingTalkError } from '../dingtalk/explain.ts';
import type { GroupApi } from '../dingtalk/types.ts';
import type { Metrics } from '../health.ts';
import { StoreUnavailableError } from '../store/errors.ts';
import type { ChangeRecord, ClaimResult, OrphanedClaim, Store } from '../store/types.ts';
import type { RobotFrame } from '../stream/index.ts';
import type { AuditReason, AuditTrail } from './audit.ts';
import type { Authorizer } from './auth.ts';
import { bindArgs, completeArgs, expandArgs, type PreArgs, shownArgs, typedPerson } from './bind.ts';
import type { Confirmations } from './confirm.ts';
import { CONTACT_RANGE, type Directory, type Person, peopleView, personLabel } from './directory.ts';
import { createTranslator, userErrorText } from './i18n.ts';
import { dingtalkErrorCode } from './kit.ts';
import { normalizeRobotPayload } from './normalize.ts';
import { leadingWords, parseLine } from './parse.ts';
import { type CommandRegistry, impliedLocale } from './registry.ts';
import { dtmdSendLink, mdEscape, renderReply } from './render.ts';
import type { RenderedReply, Replier } from './replier.ts';
import {
  type Change,
  type ChangeLog,
  type ChatRef,
  type ChatTemplate,
  type CommandSpec,
  type HandlerContext,
  type IncomingMessage,
  type KnownSetup,
  type Locale,
  type PeopleView,
  type Reply,
  type Translate,
  type UndoStep,
  UserError,
} from './types.ts';

export interface PipelineOptions {
  logger: Logger;
  store: Store;
  groups: GroupApi;
  replier: Replier;
  commands: CommandRegistry;
  authorizer: Authorizer;
  confirmations: Confirmations;
  audit: AuditTrail;
  defaultLocale: Locale;
  robotCode: string;
  /** Names and people lookups (contact API, cached). */
  directory: Directory;
  /** This replica's id, recorded with its claims and intents. Default {@link PROCESS_REPLICA_ID}. */
  replicaId?: string;
  /** Messages processed at once; more wait in a queue (the ack has already left). */
  concurrency?: number;
  /** A handler running longer than this is abandoned with an error reply. */
  commandTimeoutMs?: number;
  /** Prometheus counters (messages, replies, errors, takeovers); none when undefined. */
  metrics?: Metrics | undefined;
  now?: () => number;
}

/** While the store is unreachable, a claim is tried again after this long (doubling, capped). */
const CLAIM_RETRY_FIRST_MS = 250;
const CLAIM_RETRY_MAX_MS = 5_000;

/** Stored with a pending confirmation: enough to bind and run the command again later. */
interface ConfirmPayload {
  command: string;
  text: string;
  mentions: IncomingMessage['mentions'];
  conversationType: IncomingMessage['conversationType'];
  conversationId: string;
  /** The chat it concerns, so that a cancel is audited with it. */
  chatId?: string;
  /** The typed people as resolved when it was asked (so the confirmed run uses what was shown). */
  people?: Resolved[];
  /** The change the preview showed (`ctx.changes.pin`), so the confirmed undo takes back that one. */
  pinned?: number;
}

/**
 * One typed person, resolved: its userIds (one, or a department's members) with their labels,
 * and the line that tells the user who the word was.
 */
interface Resolved {
  raw: string;
  ids: string[];
  labels: string[];
  note?: string;
  /** found by name or department (counts toward {@link BIG_FIND}) */
  found: boolean;
  /** a department of more than {@link BIG_DEPT} people */
  bigDept?: boolean;
}

/** One ambiguous word of a pending pick and its numbered candidates. */
interface PickWord {
  index: number;
  raw: string;
  candidates: { userId: string; name?: string; line: string }[];
}

/** Stored with a pending pick: the message, what was resolved and what waits for a choice. */
interface PickPayload extends Omit<ConfirmPayload, 'people'> {
  people: (Resolved | null)[];
  words: PickWord[];
}

type PeopleStep =
  | { kind: 'ok'; people: Resolved[] }
  | { kind: 'pick'; people: (Resolved | null)[]; words: PickWord[] }
  | { kind: 'fail'; errors: UserError[] }
  | { kind: 'error'; error: unknown };

interface Outcome {
  reply: Reply;
  audit?: {
    command: string;
    chatId?: string;
    args?: unknown;
    outcome: 'allowed' | 'refused' | 'failed' | 'confirmed' | 'pending';
    reason?: AuditReason;
    errcode?: string;
  };
}

const CONFIRM_COMMANDS = new Set(['confirm', 'cancel']);
const PICK_COMMAND = 'pick';
/** How far back `/chat undo` reaches: 24 hours. */
const UNDO_WINDOW_MS = 24 * 60 * 60_000;
/** How long a pick waits: two minutes, like a confirmation. */
const PICK_TTL_MS = 120_000;
/** A department larger than this, or more people than {@link BIG_FIND} found by name or department, is confirmed first. */
const BIG_DEPT = 50;
const BIG_FIND = 20;
/** People a preview lists by name before it counts the rest. */
const PREVIEW_PEOPLE = 60;
/** Parse errors of a line that meant a command (audited); the others are chit-chat (not). */
const MALFORMED = new Set(['parse.unclosed-quote', 'parse.too-long']);

/** A UserError as an audit reason: what the user was told, without the usage line's key. */
function reasonOf(err: UserError): AuditReason {
  const { usageKey: _usage, ...params } = err.params;
  return { key: err.code, params };
}

/** Echoed input is cut short. */
function clip(s: string, max = 40): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : s;
}

/** The replica id of this process when none is configured: host, pid and a random part. */
export const PROCESS_REPLICA_ID = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** The message pipeline. Feed it frames with {@link handleFrame}. */
export class Pipeline {
  private readonly log: Logger;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly queue: (() => void)[] = [];
  /** Acked frames not yet admitted (see handleFrame). */
  private readonly incoming: RobotFrame[] = [];
  private admitScheduled = false;
  private active = 0;
  private accepting = true;
  private readonly concurrency: number;
  private readonly commandTimeoutMs: number;
  private readonly now: () => number;
  private readonly replicaId: string;
  private readonly translators = new Map<Locale, Translate>();
  private readonly people: PeopleView;
  /** Counters for tests, the bench and shutdown. */
  readonly stats = { frames: 0, dropped: 0, duplicates: 0, replied: 0, replyFailures: 0, errors: 0 };

  constructor(private readonly o: PipelineOptions) {
    this.log = o.logger.child({ component: 'pipeline' });
    this.concurrency = o.concurrency ?? 32;
    this.commandTimeoutMs = o.commandTimeoutMs ?? 60_000;
    this.now = o.now ?? Date.now;
    this.replicaId = o.replicaId ?? PROCESS_REPLICA_ID;
    this.people = peopleView(o.directory);
  }

  /**
   * Called synchronously by the stream layer after the ack left. Never throws. Only queues the
   * frame: `ws` emits every frame of a TCP chunk in one loop, so any work done here would delay
   * the acks of the frames behind it (a late ack makes DingTalk deliver again).
   */
  handleFrame(frame: RobotFrame): void {
    if (!this.accepting) {
      // App.stop closes the stream before draining, so this should not happen; if it does, say so.
      this.log.warn({ messageId: frame.messageId }, 'dropped a message that arrived while shutting down');
      return;
    }
    this.stats.frames++;
    this.incoming.push(frame);
    if (!this.admitScheduled) {
      this.admitScheduled = true;
      setImmediate(() => this.admitNext());
    }
  }

  /** Admits one queued frame per event-loop turn, so socket reads (and acks) come first. */
  private admitNext(): void {
    const frame = this.incoming.shift();
    try {
      if (frame) this.admit(frame);
    } catch (err) {
      this.stats.errors++;
      this.log.error({ err }, 'admitting a frame failed');
    }
    if (this.incoming.length > 0) setImmediate(() => this.admitNext());
    else this.admitScheduled = false;
  }

  private admit(frame: RobotFrame): void {
    let data: unknown;
    try {
      data = JSON.parse(frame.data);
    } catch {
      this.stats.dropped++;
      this.log.warn({ messageId: frame.messageId }, 'dropped a robot frame whose data is not JSON');
      return;
    }
    const n = normalizeRobotPayload(data, frame.messageId);
    if (!n.ok) {
      this.stats.dropped++;
      this.log.warn({ messageId: frame.messageId, reason: n.reason }, 'dropped an unusable robot payload');
      return;
    }
    const msg = n.message;
    const key = this.keyOf(msg);
    const running = this.inFlight.get(key);
    if (running) {
      // The same message again while its first delivery is still being processed: wait for it,
      // then make sure its reply went out (stream-protocol.md §6.1). Copies queue behind each
      // other, so that two of them cannot both resend a reply that was not delivered.
      this.stats.duplicates++;
      this.track(
        key,
        running.then(() => this.schedule(() => this.redelivered(key, msg))),
      );
      return;
    }
    this.track(
      key,
      this.schedule(() => this.process(key, msg)),
    );
  }

  /** Makes `work` the latest job of `key`: the one a later copy of the message waits for. */
  private track(key: string, work: Promise<void>): void {
    this.inFlight.set(key, work);
    void work.then(() => {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
    });
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.incoming.length > 0 || this.active > 0 || this.queue.length > 0 || this.inFlight.size > 0) {
      await Promise.race([...this.inFlight.values(), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** Stops taking messages and waits (bounded) for in-flight ones. Returns how many were cut off. */
  async drain(timeoutMs: number): Promise<number> {
    this.accepting = false;
    const dropped = this.queue.length;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const r = await Promise.race([this.idle().then(() => 'idle' as const), timeout]);
    return r === 'timeout' ? this.active + dropped : 0;
  }

  /** The dedupe key (also the intent's msgKey): msgId is stable across redeliveries, scoped by robot. */
  private keyOf(msg: IncomingMessage): string {
    return `${msg.robotCode || this.o.robotCode}:${msg.msgId}`;
  }

  /** Runs `job` within the concurrency limit; the promise resolves (never rejects) when it is over. */
  private schedule(job: () => Promise<void>): Promise<void> {
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    const run = async () => {
      this.active++;
      try {
        await job();
      } catch (err) {
        this.stats.errors++;
        this.o.metrics?.errors.inc({ kind: err instanceof StoreUnavailableError ? 'store' : 'internal' });
        this.log.error({ err }, 'message processing failed');
      } finally {
        this.active--;
        release();
        this.queue.shift()?.();
      }
    };
    if (this.active < this.concurrency) void run();
    else this.queue.push(() => void run());
    return done;
  }

  /** A redelivered message: never run again; resend the stored reply only if it was not delivered. */
  private async redelivered(key: string, msg: IncomingMessage): Promise<void> {
    const c = await this.o.store.dedupe.claim(key, this.now());
    if (c.state === 'done' && !c.delivered)
      await this.deliver(key, msg, JSON.parse(c.reply) as RenderedReply);
    if (c.state === 'claimed') await this.o.store.dedupe.release(key);
  }

  private async process(key: string, msg: IncomingMessage): Promise<void> {
    const log = this.log.child({ msgId: msg.msgId });
    const claim = await this.claim(key, msg, log);
    if (claim === undefined) return;
    if (claim.state === 'done') {
      this.stats.duplicates++;
      if (!claim.delivered) await this.deliver(key, msg, JSON.parse(claim.reply) as RenderedReply);
      return;
    }
    if (claim.state === 'running') {
      this.stats.duplicates++;
      if (
        this.o.store.kind === 'postgres' &&
        claim.replicaId !== undefined &&
        claim.replicaId !== this.replicaId
      ) {
        // Another replica holds it (DingTalk gave the message to both): that one answers, or a
        // survivor takes the claim over if it dies (see takeOver).
        log.info({ holder: claim.replicaId }, 'message is being processed by another replica');
        return;
      }
      // Claimed by an earlier process that did not finish (a crash): never run it again.
      log.warn('message was being processed when the bot stopped; reporting it as uncertain');
      const t = this.translator(this.localeOf(msg));
      const rendered = this.render({ text: t('pipeline.uncertain') }, msg);
      await this.o.store.dedupe.finish(key, JSON.stringify(rendered));
      await this.deliver(key, msg, rendered);
      return;
    }
    this.o.metrics?.messages.inc();
    await this.runClaimed(key, msg, log);
  }

  /**
   * The claim of a new message. While the store is unreachable the message (already acked) is
   * kept here and its claim tried again until the store is back; the user is told once that the
   * command waits. Undefined when the bot shuts down before the store returned.
   */
  private async claim(key: string, msg: IncomingMessage, log: Logger): Promise<ClaimResult | undefined> {
    const owner = { replicaId: this.replicaId, message: JSON.stringify(msg) };
    let delay = CLAIM_RETRY_FIRST_MS;
    let told = false;
    for (;;) {
      try {
        const c = await this.o.store.dedupe.claim(key, this.now(), owner);
        if (told) log.info('the store is back; running the message that waited');
        return c;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (!told) {
          told = true;
          this.o.metrics?.errors.inc({ kind: 'store' });
          log.warn({ err: err.message }, 'store unavailable; the message waits for it');
          const t = this.translator(this.localeOf(msg));
          try {
            await this.o.replier.send(msg, this.render({ text: t('pipeline.store-waiting') }, msg));
          } catch (e) {
            log.error({ err: describe(e) }, 'could not tell the user that the message waits');
          }
        }
        if (!this.accepting) {
          log.error('shutting down while the store is unavailable: the waiting message is not run');
          return undefined;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(CLAIM_RETRY_MAX_MS, delay * 2);
      }
    }
  }

  /**
   * Takeover (shared store): answers a claim left by a replica that stopped beating. Only the
   * replica whose compare-and-set wins goes on, so the message is answered once. With no write
   * intent begun for it, the command runs as if it had just arrived, under the adopted claim;
   * otherwise the user is told the outcome is unknown and how to check (never a replay).
   * Resolves with true when this replica took the claim.
   */
  async takeOver(orphan: OrphanedClaim): Promise<boolean> {
    if (!this.accepting) return false;
    if (!(await this.o.store.dedupe.adopt(orphan.key, orphan.replicaId, this.replicaId))) return false;
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
    const last = await this.o.store.journal.getRun(orphan.key);
    if (last === undefined) {
      log.warn('took over a message of a stopped replica; running it');
      this.track(
        orphan.key,
        this.schedule(() => this.runClaimed(orphan.key, msg, log)),
      );
      return true;
    }
    // A write had begun: report it once (start-up reporting races for the same intents).
    if (!(await this.o.store.journal.markReported(orphan.key, this.now()))) return true;
    const t = this.translator(this.localeOf(msg));
    const rendered = this.render(
      {
        text: t('pipeline.interrupted', {
          command: last.command,
          chat: last.chatId ?? '-',
          check: last.chatId ? `/chat info ${last.chatId}` : '/chat list',
        }),
      },
      msg,
    );
    log.warn({ command: last.command }, 'took over an interrupted write of a stopped replica; reported it');
    await this.o.store.dedupe.finish(orphan.key, JSON.stringify(rendered));
    await this.deliver(orphan.key, msg, rendered);
    return true;
  }

  /** Runs a claimed message to its reply: the command, the audit, the stored and sent reply. */
  private async runClaimed(key: string, msg: IncomingMessage, log: Logger): Promise<void> {
    const started = this.now();
    let outcome: Outcome;
    try {
      outcome = await this.run(msg, log);
    } catch (err) {
      outcome = this.failure(
        err,
        this.translator(this.localeOf(msg)),
        log,
        clip(leadingWords(msg.text).join(' ')),
      );
    }
    if (outcome.audit) {
      try {
        await this.o.audit.record({
          userId: msg.senderUserId,
          command: outcome.audit.command,
          ...(outcome.audit.chatId !== undefined ? { chatId: outcome.audit.chatId } : {}),
          args: outcome.audit.args ?? {},
          outcome: outcome.audit.outcome,
          ...(outcome.audit.reason !== undefined ? { reason: outcome.audit.reason } : {}),
          ...(outcome.audit.errcode !== undefined ? { errcode: outcome.audit.errcode } : {}),
          durationMs: this.now() - started,
        });
      } catch (err) {
        log.error({ err }, 'audit write failed');
      }
    }
    const rendered = this.render(outcome.reply, msg);
    try {
      await this.o.store.dedupe.finish(key, JSON.stringify(rendered));
    } catch (err) {
      // The store went away after the claim: the user still gets the answer.
      this.o.metrics?.errors.inc({ kind: 'store' });
      log.error({ err: describe(err) }, 'could not store the reply; sending it anyway');
    }
    await this.deliver(key, msg, rendered);
  }

  private render(reply: Reply, msg: IncomingMessage): RenderedReply {
    return renderReply(reply, { conversationType: msg.conversationType, senderUserId: msg.senderUserId });
  }

  private async deliver(key: string, msg: IncomingMessage, rendered: RenderedReply): Promise<void> {
    try {
      await this.o.replier.send(msg, rendered);
    } catch (err) {
      this.stats.replyFailures++;
      this.o.metrics?.errors.inc({ kind: 'reply' });
      this.log.error({ err: describe(err), msgId: msg.msgId }, 'reply could not be delivered');
      return;
    }
    this.stats.replied++;
    this.o.metrics?.replies.inc();
    try {
      await this.o.store.dedupe.markDelivered(key);
    } catch (err) {
      this.log.error(
        { err: describe(err), msgId: msg.msgId },
        'could not record that the reply was delivered',
      );
    }
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

  /** Parse, resolve, authorize, confirm and run. Returns the reply and what to audit. */
  private async run(msg: IncomingMessage, log: Logger): Promise<Outcome> {
    const locale = this.localeOf(msg);
    const t = this.translator(locale);
    if (!msg.senderUserId) return { reply: { text: t('pipeline.no-user-id') } };
    if (msg.msgtype !== 'text' && msg.msgtype !== 'richText')
      return { reply: { text: t('pipeline.text-only') } };

    const parsed = parseLine(msg.text, {
      conversationType: msg.conversationType,
      isCommandWord: this.o.commands.isCommandWord,
    });
    if (!parsed.ok) {
      // A line that meant a command: answer with that command's example and audit it.
      const words = leadingWords(msg.text);
      const meant = this.o.commands.get(words.join(' ')) ?? this.o.commands.get(words[0] ?? '');
      const reply = this.userErrorReply(parsed.error, t, meant, msg);
      if (!MALFORMED.has(parsed.error.code)) return { reply };
      return {
        reply,
        audit: {
          command: meant?.name ?? clip(words[0] ?? ''),
          outcome: 'refused',
          reason: reasonOf(parsed.error),
        },
      };
    }
    const match = this.o.commands.match(parsed.words);
    if (!match.ok) {
      const typed = match.error.params.command;
      return {
        reply: this.userErrorReply(match.error, t),
        audit: {
          command: typeof typed === 'string' ? typed : clip(leadingWords(msg.text)[0] ?? ''),
          outcome: 'refused',
          reason: reasonOf(match.error),
        },
      };
    }
    const spec = match.spec;
    const cmdLog = log.child({ command: spec.name });
    // Names seen for free label people in later replies.
    this.o.directory.learn(msg.senderUserId, msg.senderNick);

    if (spec.name === PICK_COMMAND) return this.pickFlow(match.rest, msg, t, cmdLog);
    // Any other command drops the sender's pending pick.
    const droppedPick = await this.dropPicks(msg.senderUserId);
    if (CONFIRM_COMMANDS.has(spec.name))
      return this.confirmFlow(spec, match.rest, msg, t, cmdLog, droppedPick);
    return this.execute(spec, match.rest, msg, t, locale, cmdLog, undefined, undefined, undefined);
  }

  private async execute(
    spec: CommandSpec<unknown>,
    rest: Parameters<typeof bindArgs>[1],
    msg: IncomingMessage,
    t: Translate,
    locale: Locale,
    log: Logger,
    /** The code it was confirmed with, when this runs on `/confirm`. */
    confirmedWith: string | undefined,
    /** Typed people resolved before (by `/pick` or for the confirmation), by ref index. */
    known: readonly (Resolved | null)[] | undefined,
    /** The change a confirmed undo takes back (see {@link ConfirmPayload.pinned}). */
    pinned: number | undefined,
  ): Promise<Outcome> {
    const userId = msg.senderUserId;
    const role = this.o.authorizer.roleOf(userId);
    const can = this.o.authorizer.canRun(spec, userId);
    if (!can.ok) {
      return {
        reply: {
          text: t('auth.role-needed', { command: spec.name, needed: can.needed, role: can.role, userId }),
        },
        audit: {
          command: spec.name,
          outcome: 'refused',
          reason: { key: 'audit.reason.role-needed', params: { needed: can.needed, role: can.role } },
        },
      };
    }
    const bound = await bindArgs(spec, rest, {
      message: msg,
      caller: { userId },
      registry: this.o.store.registry,
    });
    if (!bound.ok) {
      return {
        reply: this.userErrorReply(bound.error, t, spec, msg),
        audit: { command: spec.name, outcome: 'refused', reason: reasonOf(bound.error) },
      };
    }
    const chat: ChatRef | undefined = bound.chat;
    let { pre } = bound;
    if (spec.expand) {
      // Added people (a template's) join the typed ones, before authorization looks further.
      let more: ReturnType<NonNullable<typeof spec.expand>> | UserError;
      try {
        more = spec.expand(pre.values, { caller: { userId }, templates: this.templatesFor(userId) });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        more = err;
      }
      const expanded = more instanceof UserError ? more : more ? expandArgs(pre, more, userId) : pre;
      if (expanded instanceof UserError) {
        return {
          reply: this.userErrorReply(expanded, t, spec, msg),
          audit: { command: spec.name, args: shownArgs(pre), outcome: 'refused', reason: reasonOf(expanded) },
        };
      }
      pre = expanded;
    }
    const auditBase: { command: string; chatId?: string; args: unknown } = {
      command: spec.name,
      ...(chat ? { chatId: chat.chatId } : {}),
      args: shownArgs(pre),
    };
    let args: unknown;
    /** Puts the resolved people in and validates; an Outcome when the arguments are refused. */
    const complete = (resolved: readonly (readonly string[])[]): Outcome | undefined => {
      const done = completeArgs(spec, pre, resolved);
      if (!done.ok) {
        return {
          reply: this.userErrorReply(done.error, t, spec, msg),
          audit: { ...auditBase, outcome: 'refused', reason: reasonOf(done.error) },
        };
      }
      args = done.args;
      auditBase.args = args;
      return undefined;
    };
    if (pre.refs.length === 0) {
      // Nothing to look up: validate now, as before any DingTalk call.
      const refused = complete([]);
      if (refused) return refused;
    }
    // The chat a command without a <chat> reports (ctx.concerns), e.g. the one a create made.
    let concerned: string | undefined;
    const audited = (a: NonNullable<Outcome['audit']>): NonNullable<Outcome['audit']> =>
      a.chatId === undefined && concerned !== undefined ? { ...a, chatId: concerned } : a;
    const failed = (err: unknown): Outcome => {
      const f = this.failure(err, t, log, spec.name);
      return {
        reply: f.reply,
        audit: audited({ ...auditBase, ...f.audit, command: spec.name } as NonNullable<Outcome['audit']>),
      };
    };
    const forbidden = this.o.authorizer.forbiddenOptions(spec, userId, bound.usedOptions);
    if (forbidden.length > 0) {
      return {
        reply: {
          text: t('auth.option-forbidden', { options: forbidden.join(', '), role: role.role, userId }),
        },
        audit: {
          ...auditBase,
          outcome: 'refused',
          reason: { key: 'audit.reason.options-forbidden', params: { options: forbidden.join(', ') } },
        },
      };
    }
    if (spec.access === 'write' && chat) {
      let own: Awaited<ReturnType<Authorizer['checkOwnership']>>;
      try {
        own = await this.o.authorizer.checkOwnership(userId, chat, this.o.groups);
      } catch (err) {
        return failed(err);
      }
      if (!own.ok) {
        return {
          reply: { text: t('auth.not-owner', { chat: chat.label, owner: own.owner, userId }) },
          audit: {
            ...auditBase,
            outcome: 'refused',
            reason: { key: 'audit.reason.not-owner', params: { owner: own.owner } },
          },
        };
      }
    }
    // Typed people, after authorization (a refused caller learns nothing about the directory).
    let people: Resolved[] = [];
    if (pre.refs.length > 0) {
      const r = await this.resolvePeople(pre, known, t, log);
      if (r.kind === 'error') return failed(r.error);
      if (r.kind === 'fail') {
        const first = r.errors[0] as UserError;
        return {
          reply: { text: r.errors.map((e) => peopleErrorText(e, t)).join('\n') },
          audit: { ...auditBase, outcome: 'refused', reason: reasonOf(first) },
        };
      }
      if (r.kind === 'pick') return this.askPick(spec, msg, chat, r.people, r.words, t, auditBase);
      people = r.people;
      const refused = complete(people.map((p) => p.ids));
      if (refused) return refused;
    }
    // A person named twice (a template's admin and nickname) is told once.
    const notes = [...new Set(people.flatMap((p) => (p.note === undefined ? [] : [p.note])))];
    // Who each typed word turned out to be goes right after the reply's first paragraph (the
    // result), before ids and hints, so it is read with the result it explains.
    const withNotes = (reply: Reply): Reply => {
      if (notes.length === 0) return reply;
      const line = t('people.resolved', { list: notes.join('; ') });
      const cut = reply.text.indexOf('\n\n');
      const text =
        cut < 0
          ? `${reply.text}\n\n${line}`
          : `${reply.text.slice(0, cut)}\n\n${line}${reply.text.slice(cut)}`;
      return { ...reply, text };
    };
    const found = people.filter((p) => p.found);
    const foundCount = new Set(found.flatMap((p) => p.ids)).size;
    const big = found.some((p) => p.bigDept === true) || foundCount > BIG_FIND;

    const changes = this.changeLog(msg.senderUserId, spec.name, log, pinned);
    const ctx = this.context(args, msg, t, locale, log, role.role, changes.log, (id) => {
      concerned = id;
    });
    let risky = this.o.authorizer.isRisky(spec);
    if (confirmedWith === undefined && !risky && spec.confirmWhen) {
      try {
        risky = await spec.confirmWhen(ctx);
      } catch (err) {
        return failed(err);
      }
    }
    if (confirmedWith === undefined && (big || risky)) {
      const parts: string[] = [];
      try {
        if (risky)
          parts.push(
            spec.preview ? await spec.preview(ctx) : t('confirm.generic-preview', { command: spec.name }),
          );
      } catch (err) {
        return failed(err);
      }
      if (big) parts.push(this.bigPreview(found, foundCount, t));
      if (notes.length > 0) parts.push(t('people.resolved', { list: notes.join('; ') }));
      const preview = parts.join('\n\n');
      const pinnedId = changes.pinned();
      const payload: ConfirmPayload = {
        command: spec.name,
        text: msg.text,
        mentions: msg.mentions,
        conversationType: msg.conversationType,
        conversationId: msg.conversationId,
        ...(chat ? { chatId: chat.chatId } : {}),
        ...(people.length > 0 ? { people } : {}),
        ...(pinnedId !== undefined ? { pinned: pinnedId } : {}),
      };
      const pending = await this.o.confirmations.create({
        userId,
        conversationId: msg.conversationId,
        command: spec.name,
        payload,
        preview,
      });
      return {
        reply: {
          text: t('confirm.ask', { preview, code: pending.code, minutes: 2 }),
          title: t('confirm.title'),
          link: {
            title: t('confirm.link', { code: pending.code }),
            // The link sends the command in the prompt's language, so the answer stays in it.
            url: dtmdSendLink(t('confirm.command', { code: pending.code })),
          },
        },
        audit: {
          ...auditBase,
          outcome: 'pending',
          reason: { key: 'audit.reason.pending', params: { code: pending.code } },
        },
      };
    }
    // One journal run per message, with one write spanning the handler.
    const runKey = this.keyOf(msg);
    const intentId =
      spec.access === 'write' ? await this.beginRun(runKey, spec.name, msg, chat?.chatId) : undefined;
    const finishRun = async (outcome: 'ok' | 'failed', answer: string) => {
      if (intentId === undefined) return;
      await this.o.store.journal.finish(intentId, outcome, JSON.stringify(answer), this.now());
      await this.o.store.journal.finishRun(runKey, this.now());
    };
    try {
      const reply = await this.withTimeout(spec.handler(ctx));
      await finishRun('ok', 'ok');
      return {
        reply: withNotes(reply),
        audit: audited(
          confirmedWith === undefined
            ? { ...auditBase, outcome: 'allowed' }
            : {
                ...auditBase,
                outcome: 'confirmed',
                reason: { key: 'audit.reason.confirmed', params: { code: confirmedWith } },
              },
        ),
      };
    } catch (err) {
      if (err instanceof CommandTimeoutError) {
        // The handler is abandoned, not stopped: a DingTalk write it started may still land.
        // The user is told the outcome is unknown now, so a restart need not report it again.
        await finishRun('failed', 'timeout: outcome unknown');
        log.warn({ timeoutMs: this.commandTimeoutMs }, 'command timed out');
        const seconds = Number((this.commandTimeoutMs / 1000).toFixed(1));
        return {
          reply: {
            text: t('pipeline.timeout', {
              seconds,
              check: chat ? `/chat info ${chat.chatId}` : '/chat list',
            }),
          },
          audit: audited({
            ...auditBase,
            outcome: 'failed',
            reason: { key: 'audit.reason.timeout', params: { seconds } },
          }),
        };
      }
      await finishRun('failed', `error: ${dingtalkErrorCode(err) ?? 'unknown'}`);
      return failed(err);
    }
  }

  private async confirmFlow(
    spec: CommandSpec<unknown>,
    rest: Parameters<typeof bindArgs>[1],
    msg: IncomingMessage,
    t: Translate,
    log: Logger,
    /** `/cancel` dropped a pending pick on the way in. */
    droppedPick: boolean,
  ): Promise<Outcome> {
    const userId = msg.senderUserId;
    const code = rest.find((w) => w.kind === 'word' || w.kind === 'quoted')?.text;
    if (spec.name === 'cancel') {
      const dropped = await this.o.confirmations.cancel(userId, code);
      if (!dropped && droppedPick) return { reply: { text: t('pick.cancelled') } };
      return dropped
        ? {
            reply: { text: t('confirm.cancelled', { command: dropped.command, code: dropped.code }) },
            audit: {
              command: dropped.command,
              ...chatOf(dropped.plan),
              outcome: 'refused',
              reason: { key: 'audit.reason.cancelled', params: { code: dropped.code } },
            },
          }
        : { reply: { text: t('confirm.nothing-to-cancel') } };
    }
    if (!code) return { reply: { text: t('confirm.need-code') } };
    const r = await this.o.confirmations.confirm(code, userId);
    if (!r.ok) {
      return {
        reply: { text: t(`confirm.${r.reason}`, { code }) },
        audit: {
          command: 'confirm',
          outcome: 'refused',
          reason: { key: `confirm.${r.reason}`, params: { code } },
        },
      };
    }
    const p = r.payload as ConfirmPayload;
    const target = this.o.commands.get(p.command);
    if (!target) return { reply: { text: t('confirm.unknown', { code }) } };
    const original: IncomingMessage = {
      ...msg,
      text: p.text,
      mentions: p.mentions,
      conversationType: p.conversationType,
      conversationId: p.conversationId,
    };
    const parsed = parseLine(p.text, {
      conversationType: p.conversationType,
      isCommandWord: this.o.commands.isCommandWord,
    });
    if (!parsed.ok) return { reply: this.userErrorReply(parsed.error, t) };
    const match = this.o.commands.match(parsed.words);
    if (!match.ok) return { reply: this.userErrorReply(match.error, t) };
    // Authorization and ownership are checked again: things may have changed in two minutes.
    // The answer is in this message's language, like every reply to it.
    return this.execute(
      target,
      match.rest,
      original,
      t,
      this.localeOf(msg),
      log.child({ command: p.command }),
      r.pending.code,
      p.people,
      p.pinned,
    );
  }

  /** Resolves the typed people of `pre` through the directory; `known` ones are taken as they are. */
  private async resolvePeople(
    pre: PreArgs,
    known: readonly (Resolved | null)[] | undefined,
    t: Translate,
    log: Logger,
  ): Promise<PeopleStep> {
    const people: (Resolved | null)[] = [];
    const words: PickWord[] = [];
    const errors: UserError[] = [];
    for (const [index, ref] of pre.refs.entries()) {
      const had = known?.[index];
      if (had && had.raw === ref.raw) {
        people.push(had);
        continue;
      }
      const word = clip(ref.raw);
      const shown = mdEscape(word);
      const r = await this.o.directory.resolve(ref);
      switch (r.kind) {
        case 'one': {
          const label = personLabel(r.person.userId, r.person.name);
          const named = ref.kind !== 'userId' || r.person.userId !== ref.text;
          people.push({
            raw: ref.raw,
            ids: [r.person.userId],
            labels: [label],
            ...(named ? { note: `${shown} → ${mdEscape(label)}` } : {}),
            found: named && ref.kind !== 'mobile',
          });
          break;
        }
        case 'members': {
          if (r.members.length === 0) {
            errors.push(new UserError('people.dept-empty', { word, dept: r.dept.name }));
            break;
          }
          people.push({
            raw: ref.raw,
            ids: r.members.map((m) => m.userId),
            labels: r.members.map((m) => personLabel(m.userId, m.name)),
            note: t('people.dept-note', {
              word: shown,
              dept: mdEscape(r.dept.name),
              count: r.members.length,
            }),
            found: true,
            ...(r.members.length > BIG_DEPT || r.truncated ? { bigDept: true } : {}),
          });
          break;
        }
        case 'many':
          people.push(null);
          words.push({
            index,
            raw: ref.raw,
            candidates: r.candidates.map((c) => ({
              userId: c.userId,
              ...(c.name !== undefined ? { name: c.name } : {}),
              line: candidateLine(c),
            })),
          });
          break;
        case 'none':
          errors.push(
            r.close.length > 0
              ? new UserError('people.none-close', {
                  word,
                  close: r.close.map((c) => personLabel(c.userId, c.name)).join(', '),
                })
              : new UserError(ref.kind === 'dept' ? 'people.dept-none' : 'people.none', { word }),
          );
          break;
        case 'depts':
          errors.push(
            new UserError('people.depts', {
              word,
              depts: r.candidates.map((d) => d.name).join(', '),
            }),
          );
          break;
        case 'invalid':
          errors.push(new UserError(`people.invalid-${r.reason}`, { word }));
          break;
        case 'denied':
          errors.push(
            r.permission === CONTACT_RANGE
              ? new UserError('people.out-of-range', { word })
              : new UserError('people.denied', { word, permission: r.permission }),
          );
          break;
        case 'error':
          log.warn({ kind: ref.kind }, 'a people lookup failed');
          return { kind: 'error', error: r.error };
      }
    }
    if (errors.length > 0) return { kind: 'fail', errors };
    if (words.length > 0) return { kind: 'pick', people, words };
    return { kind: 'ok', people: people as Resolved[] };
  }

  /** Stores a pending pick and answers with the numbered candidates of each ambiguous word. */
  private async askPick(
    spec: CommandSpec<unknown>,
    msg: IncomingMessage,
    chat: ChatRef | undefined,
    people: (Resolved | null)[],
    words: PickWord[],
    t: Translate,
    auditBase: { command: string; chatId?: string; args: unknown },
  ): Promise<Outcome> {
    const now = this.now();
    const payload: PickPayload = {
      command: spec.name,
      text: msg.text,
      mentions: msg.mentions,
      conversationType: msg.conversationType,
      conversationId: msg.conversationId,
      ...(chat ? { chatId: chat.chatId } : {}),
      people,
      words,
    };
    // One pending pick per user (any conversation), as before the pending store.
    await this.dropPicks(msg.senderUserId);
    await this.o.store.pending.put({
      code: `pick:${randomUUID()}`,
      kind: 'pick',
      userId: msg.senderUserId,
      conversationId: msg.conversationId,
      command: spec.name,
      plan: JSON.stringify(payload),
      preview: '',
      createdAt: now,
      expiresAt: now + PICK_TTL_MS,
    });
    const lines = [t('pick.ask', { count: words.length })];
    for (const w of words) {
      lines.push('', t('pick.word', { word: mdEscape(clip(w.raw)) }));
      w.candidates.forEach((c, i) => {
        lines.push(`${i + 1}. ${c.line}`);
      });
    }
    const example = `/${t('pick.word-command')} ${words.map(() => '1').join(' ')}`;
    lines.push('', t('pick.how', { example, minutes: PICK_TTL_MS / 60_000, count: words.length }));
    return {
      reply: { text: lines.join('\n'), title: t('pick.title') },
      audit: {
        ...auditBase,
        outcome: 'pending',
        reason: { key: 'audit.reason.pick', params: { words: words.map((w) => clip(w.raw)).join(', ') } },
      },
    };
  }

  /** `/pick <n>…`: the sender's pending pick, carried out with the chosen people. */
  /** Drops the user's pending picks; true when one had not expired. */
  private async dropPicks(userId: string): Promise<boolean> {
    let live = false;
    for (const p of await this.o.store.pending.list(userId, { kind: 'pick' }))
      if ((await this.o.store.pending.take(p.code, this.now()))?.state === 'taken') live = true;
    return live;
  }

  /** Records the journal run of a message and the one write that spans its handler. */
  private async beginRun(key: string, command: string, msg: IncomingMessage, chatId: string | undefined) {
    const startedAt = this.now();
    const { senderUserId: userId, conversationId } = msg;
    const run = { key, userId, conversationId, command, chatId, startedAt, replicaId: this.replicaId };
    await this.o.store.journal.startRun({ ...run, plan: '{}' });
    const request = JSON.stringify({ summary: msg.text.slice(0, 200) });
    return this.o.store.journal.begin({ runKey: key, endpoint: 'handler', chatId, request, startedAt });
  }

  private async pickFlow(
    rest: Parameters<typeof bindArgs>[1],
    msg: IncomingMessage,
    t: Translate,
    log: Logger,
  ): Promise<Outcome> {
    const userId = msg.senderUserId;
    const now = this.now();
    // Expired rows too, so that a late pick hears "expired".
    const row = (await this.o.store.pending.list(userId, { kind: 'pick' })).at(-1);
    if (row === undefined) return { reply: { text: t('pick.nothing') } };
    if (row.expiresAt <= now) {
      await this.o.store.pending.take(row.code, now);
      return { reply: { text: t('pick.expired', { command: row.command }) } };
    }
    let p: PickPayload;
    try {
      p = JSON.parse(row.plan) as PickPayload;
    } catch {
      await this.o.store.pending.take(row.code, now);
      return { reply: { text: t('pick.nothing') } };
    }
    const typed = rest
      .flatMap((w) => (w.kind === 'quoted' ? w.text : w.raw).normalize('NFKC').split(/[\s,，、]+/u))
      .filter((w) => w !== '');
    const choices = typed.map((w) => (/^\d{1,3}$/.test(w) ? Number(w) : Number.NaN));
    const wrong =
      choices.length !== p.words.length ||
      choices.some((n, i) => !(n >= 1 && n <= (p.words[i]?.candidates.length ?? 0)));
    if (wrong) {
      const ranges = p.words.map((w) => `1–${w.candidates.length}`).join(', ');
      return {
        reply: {
          text: t('pick.bad', { count: p.words.length, ranges, typed: mdEscape(clip(typed.join(' '))) }),
        },
      };
    }
    // Taken atomically: a pick runs once.
    if ((await this.o.store.pending.take(row.code, now))?.state !== 'taken')
      return { reply: { text: t('pick.nothing') } };
    const people = [...p.people];
    p.words.forEach((w, i) => {
      const c = w.candidates[(choices[i] as number) - 1] as PickWord['candidates'][number];
      const label = personLabel(c.userId, c.name);
      people[w.index] = {
        raw: w.raw,
        ids: [c.userId],
        labels: [label],
        note: `${mdEscape(clip(w.raw))} → ${mdEscape(label)}`,
        found: true,
      };
    });
    const target = this.o.commands.get(p.command);
    if (!target) return { reply: { text: t('pick.nothing') } };
    const parsed = parseLine(p.text, {
      conversationType: p.conversationType,
      isCommandWord: this.o.commands.isCommandWord,
    });
    if (!parsed.ok) return { reply: this.userErrorReply(parsed.error, t) };
    const match = this.o.commands.match(parsed.words);
    if (!match.ok) return { reply: this.userErrorReply(match.error, t) };
    const original: IncomingMessage = {
      ...msg,
      text: p.text,
      mentions: p.mentions,
      conversationType: p.conversationType,
      conversationId: p.conversationId,
    };
    // Authorization and ownership are checked again, as for /confirm.
    return this.execute(
      target,
      match.rest,
      original,
      t,
      this.localeOf(msg),
      log.child({ command: p.command }),
      undefined,
      people,
      undefined,
    );
  }

  /** One typed person for a handler (e.g. `/audit <user>`): a userId, or a UserError thrown. */
  private async findPerson(typed: string, callerId: string, t: Translate, log: Logger): Promise<string> {
    const w = typedPerson(typed, callerId);
    if (w instanceof UserError) throw w;
    if ('userId' in w) return w.userId;
    const r = await this.resolvePeople({ values: {}, slots: [], refs: [w] }, undefined, t, log);
    if (r.kind === 'error') throw r.error;
    if (r.kind === 'fail') throw r.errors[0] as UserError;
    if (r.kind === 'pick') {
      const candidates = (r.words[0]?.candidates ?? []).map((c) => personLabel(c.userId, c.name)).join(', ');
      throw new UserError('people.ambiguous', { word: clip(w.raw), candidates });
    }
    const ids = r.people[0]?.ids ?? [];
    if (ids.length !== 1)
      throw new UserError('people.one-expected', { word: clip(w.raw), count: ids.length });
    return ids[0] as string;
  }

  /** The chat templates `userId` may use (they are used through `chat create`). */
  private templatesFor(userId: string): ChatTemplate[] {
    return this.o.authorizer.templates(userId, this.o.commands.get('chat create'));
  }

  /** Who a big command would touch: names first, then a count. */
  private bigPreview(found: Resolved[], count: number, t: Translate): string {
    const labels = [...new Map(found.flatMap((p) => p.ids.map((id, i) => [id, p.labels[i] ?? id]))).values()];
    const shown = labels.slice(0, PREVIEW_PEOPLE).map(mdEscape).join(', ');
    const more = labels.length - PREVIEW_PEOPLE;
    return t('people.big', {
      count,
      list: more > 0 ? `${shown} ${t('people.more', { count: more })}` : shown,
    });
  }

  private context(
    args: unknown,
    msg: IncomingMessage,
    t: Translate,
    locale: Locale,
    log: Logger,
    role: HandlerContext<unknown>['caller']['role'],
    changes: ChangeLog,
    concerns: (chatId: string) => void,
  ): HandlerContext<unknown> {
    return {
      message: msg,
      args,
      caller: { userId: msg.senderUserId, nick: msg.senderNick, role },
      api: this.o.groups,
      registry: this.o.store.registry,
      auditLog: this.o.store.audit,
      log,
      t,
      locale,
      visibleCommands: () => this.o.authorizer.visible(this.o.commands.all(), msg.senderUserId),
      mayRun: async (command, target) => {
        const s = this.o.commands.get(command);
        if (s === undefined || !this.o.authorizer.canRun(s, msg.senderUserId).ok) return false;
        if (s.access !== 'write' || target === undefined) return true;
        try {
          return (await this.o.authorizer.checkOwnership(msg.senderUserId, target, this.o.groups)).ok;
        } catch {
          return false; // unknown: no hint rather than a wrong one
        }
      },
      concerns,
      people: this.people,
      changes,
      findPerson: (typed) => this.findPerson(typed, msg.senderUserId, t, log),
      templates: this.templatesFor(msg.senderUserId),
      signal: AbortSignal.timeout(this.commandTimeoutMs),
    };
  }

  /**
   * The change history for one run of `command` by `userId`. `pinned` is the change a confirmed
   * undo takes back; `pinned()` reads what a preview pinned, for the confirmation's payload.
   */
  private changeLog(
    userId: string,
    command: string,
    log: Logger,
    pinned: number | undefined,
  ): { log: ChangeLog; pinned: () => number | undefined } {
    const store = this.o.store.changes;
    let pin = pinned;
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
    const changes: ChangeLog = {
      record: async (chatId, undo) => {
        if (undo.length === 0) return;
        try {
          await store.record({ chatId, userId, command, at: this.now(), undo: JSON.stringify(undo) });
        } catch (err) {
          log.error({ err: describe(err), chatId }, 'could not record what undoes a change');
        }
      },
      note: async (chatId, fact) => {
        try {
          if (fact.kind === 'admin')
            await store.setFact({
              chatId,
              kind: 'admin',
              userId: fact.user,
              value: fact.on ? '1' : undefined,
            });
          else if (fact.kind === 'nick')
            await store.setFact({ chatId, kind: 'nick', userId: fact.user, value: fact.nick });
          else
            await store.setFact({ chatId, kind: 'private-chat', userId: '', value: fact.on ? 'on' : 'off' });
        } catch (err) {
          log.error({ err: describe(err), chatId }, 'could not note what the bot set');
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
        if (pinned !== undefined) {
          const c = await store.get(pinned);
          return c && c.undoneAt === undefined && c.userId === userId ? toChange(c) : undefined;
        }
        const c = await store.latestUndoable(userId, this.now() - UNDO_WINDOW_MS, chatId);
        return c && toChange(c);
      },
      pin: (id) => {
        pin = id;
      },
      markUndone: (id) => store.markUndone(id, this.now()),
      unmarkUndone: (id) => store.unmarkUndone(id),
    };
    return { log: changes, pinned: () => pin };
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandTimeoutError()), this.commandTimeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * A UserError about the input: with the command's usage where the message has a place for it,
   * and then the command's own example. In a 1:1 chat the usage shows `<chat>` as required.
   */
  private userErrorReply(
    err: UserError,
    t: Translate,
    spec?: CommandSpec<unknown>,
    msg?: IncomingMessage,
  ): Reply {
    if (spec === undefined) return { text: userErrorText(err, t) };
    const withUsage =
      err.params.usage === undefined && err.params.usageKey === undefined
        ? new UserError(err.code, { ...err.params, usageKey: spec.usage })
        : err;
    let text = userErrorText(withUsage, t);
    if (t(err.code).includes('{usage}') && msg?.conversationType === 'direct') {
      const chat = t('param.chat');
      text = text.replaceAll(`[${chat}]`, chat);
    }
    // The example goes with errors about the line's shape, not with e.g. an unknown chat name.
    const exampleKey = `${spec.usage.replace(/\.usage$/, '')}.example`;
    const example = t(exampleKey);
    if (example !== exampleKey && (t(err.code).includes('{usage}') || MALFORMED.has(err.code)))
      text += `\n${t('usage.example', { example })}`;
    return { text };
  }

  /** Turns any error into the reply the user sees and what the audit records. */
  private failure(err: unknown, t: Translate, log: Logger, command: string): Outcome {
    if (err instanceof StoreUnavailableError) {
      this.o.metrics?.errors.inc({ kind: 'store' });
      log.error({ err: err.message }, 'store unavailable while running a command');
      return {
        reply: { text: t('pipeline.store-unavailable') },
        audit: { command, outcome: 'failed', reason: { key: 'audit.reason.store', params: {} } },
      };
    }
    if (err instanceof UserError) {
      return {
        reply: { text: userErrorText(err, t) },
        audit: { command, outcome: 'refused', reason: reasonOf(err) },
      };
    }
    if (err instanceof DingTalkError) {
      this.o.metrics?.errors.inc({ kind: 'dingtalk' });
      const locale = t('locale.code') === 'zh-CN' ? 'zh-CN' : 'en';
      const e = explainDingTalkError(err, locale);
      log.warn({ err: describe(err) }, 'DingTalk refused a call');
      return {
        reply: {
          text: t('pipeline.dingtalk-error', {
            cause: e.cause,
            next: e.next,
            permission: e.permission ?? '-',
            ids: e.ids,
          }),
        },
        audit: {
          command,
          outcome: 'failed',
          // In both languages: the reader of /audit decides which one they see.
          reason: {
            key: 'audit.reason.dingtalk',
            params: {
              'cause@en': explainDingTalkError(err, 'en').cause,
              'cause@zh-CN': explainDingTalkError(err, 'zh-CN').cause,
            },
          },
          errcode: dingtalkErrorCode(err) ?? 'unknown',
        },
      };
    }
    const incident = randomBytes(4).toString('hex');
    this.o.metrics?.errors.inc({ kind: 'internal' });
    log.error({ err, incident }, 'command failed');
    return {
      reply: { text: t('pipeline.internal-error', { incident }) },
      audit: { command, outcome: 'failed', reason: { key: 'audit.reason.internal', params: { incident } } },
    };
  }
}

/** A handler ran past commandTimeoutMs. */
class CommandTimeoutError extends Error {
  constructor() {
    super('command timed out');
    this.name = 'CommandTimeoutError';
  }
}

/** A people error: like {@link userErrorText}, but a permission point is shown as it is spelled. */
function peopleErrorText(err: UserError, t: Translate): string {
  const params: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(err.params))
    params[k] = typeof v === 'string' && k !== 'permission' ? mdEscape(v) : v;
  return t(err.code, params);
}

/** A pick candidate: name, department or title, userId. */
function candidateLine(p: Person): string {
  const where = p.deptNames?.join(', ') ?? p.title;
  return [p.name ?? p.userId, where, p.userId]
    .filter((x) => x !== undefined && x !== '')
    .map((x) => mdEscape(x as string))
    .join(' · ');
}

/** `{chatId}` of a stored confirmation payload, when it names one. */
function chatOf(payload: string): { chatId?: string } {
  try {
    const p = JSON.parse(payload) as Partial<ConfirmPayload> | null;
    return typeof p?.chatId === 'string' ? { chatId: p.chatId } : {};
  } catch {
    return {};
  }
}

function describe(err: unknown): object {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, code: dingtalkErrorCode(err) };
  }
  return { message: String(err) };
}
