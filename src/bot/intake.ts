/**
 * Intake: acked frames to jobs, fairly. A frame is only queued where the stream layer hands it
 * over (its ack must not wait); frames are then read one per event-loop turn, normalized, held
 * to the sender's rate limit (BOT_USER_RATE: a burst past it is told once, the rest dropped),
 * and run in their sender's turn (fair-queue.ts): one person's flood waits behind that person,
 * not in front of everyone. A copy of a message still being worked on waits for it.
 */
import type { Logger } from 'pino';
import type { RobotFrame } from '../stream/index.ts';
import { FairQueue, UserRateLimit } from './fair-queue.ts';
import { normalizeRobotPayload } from './normalize.ts';
import type { IncomingMessage } from './types.ts';

export interface IntakeOptions {
  log: Logger;
  /** Messages worked on at once, over all senders. */
  concurrency: number;
  /** Per-sender limit: `limit` messages per `windowMs`; none when undefined. */
  userRate?: { limit: number; windowMs: number } | undefined;
  keyOf: (msg: IncomingMessage) => string;
  /** A new message. */
  process: (key: string, msg: IncomingMessage) => Promise<void>;
  /** A copy of a message that was being worked on when it came. */
  redelivered: (key: string, msg: IncomingMessage) => Promise<void>;
  /** A sender past the rate limit, told once per burst. */
  tooFast: (msg: IncomingMessage, seconds: number) => Promise<void>;
  /** A job threw (the pipeline's steps never should). */
  failed: (err: unknown) => void;
}

/** Counters for tests, the bench and shutdown. */
export interface IntakeStats {
  frames: number;
  dropped: number;
  duplicates: number;
  /** messages dropped or told off by the per-sender rate limit */
  limited: number;
}

export class Intake {
  readonly stats: IntakeStats = { frames: 0, dropped: 0, duplicates: 0, limited: 0 };
  readonly #o: IntakeOptions;
  readonly #queue: FairQueue;
  readonly #rate: UserRateLimit | undefined;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Acked frames not yet read. */
  readonly #incoming: RobotFrame[] = [];
  #admitScheduled = false;
  #accepting = true;

  constructor(o: IntakeOptions) {
    this.#o = o;
    this.#queue = new FairQueue({ concurrency: o.concurrency });
    this.#rate = o.userRate === undefined ? undefined : new UserRateLimit(o.userRate);
  }

  get accepting(): boolean {
    return this.#accepting;
  }

  /**
   * Called synchronously by the stream layer after the ack left. Never throws. Only queues the
   * frame: `ws` emits every frame of a TCP chunk in one loop, so any work done here would delay
   * the acks of the frames behind it (a late ack makes DingTalk deliver again).
   */
  push(frame: RobotFrame): void {
    if (!this.#accepting) {
      // App.stop closes the stream before draining, so this should not happen; if it does, say so.
      this.#o.log.warn({ messageId: frame.messageId }, 'dropped a message that arrived while shutting down');
      return;
    }
    this.stats.frames++;
    this.#incoming.push(frame);
    if (!this.#admitScheduled) {
      this.#admitScheduled = true;
      setImmediate(() => this.#admitNext());
    }
  }

  /** Runs `job` for `sender` in its turn, as the latest job of `key` (the one a copy waits for). */
  schedule(key: string, sender: string, job: () => Promise<void>): void {
    this.#track(key, this.#run(sender, job));
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.#incoming.length > 0 || this.#inFlight.size > 0 || this.#queue.active > 0) {
      await Promise.race([...this.#inFlight.values(), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** Stops taking messages and waits (bounded) for those in hand. Returns how many were cut off. */
  async drain(timeoutMs: number): Promise<number> {
    this.#accepting = false;
    const waiting = this.#queue.waiting();
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const r = await Promise.race([this.idle().then(() => 'idle' as const), timeout]);
    return r === 'timeout' ? this.#queue.active + waiting : 0;
  }

  /** Reads one queued frame per event-loop turn, so socket reads (and acks) come first. */
  #admitNext(): void {
    const frame = this.#incoming.shift();
    try {
      if (frame) this.#admit(frame);
    } catch (err) {
      this.#o.failed(err);
    }
    if (this.#incoming.length > 0) setImmediate(() => this.#admitNext());
    else this.#admitScheduled = false;
  }

  #admit(frame: RobotFrame): void {
    const { log } = this.#o;
    let data: unknown;
    try {
      data = JSON.parse(frame.data);
    } catch {
      this.stats.dropped++;
      log.warn({ messageId: frame.messageId }, 'dropped a robot frame whose data is not JSON');
      return;
    }
    const n = normalizeRobotPayload(data, frame.messageId);
    if (!n.ok) {
      this.stats.dropped++;
      log.warn({ messageId: frame.messageId, reason: n.reason }, 'dropped an unusable robot payload');
      return;
    }
    const msg = n.message;
    const key = this.#o.keyOf(msg);
    const running = this.#inFlight.get(key);
    if (running) {
      // The same message again while its first delivery is still being worked on: wait for it,
      // then make sure its reply went out (stream-protocol.md §6.1). Copies queue behind each
      // other, so that two of them cannot both resend a reply that was not delivered.
      this.stats.duplicates++;
      this.#track(
        key,
        running.then(() => this.#run(msg.senderUserId, () => this.#o.redelivered(key, msg))),
      );
      return;
    }
    const rate = this.#rate?.take(msg.senderUserId || msg.conversationId) ?? { kind: 'ok' as const };
    if (rate.kind !== 'ok') {
      this.stats.limited++;
      log.info({ msgId: msg.msgId, told: rate.kind === 'tell' }, 'a sender is past the per-user rate limit');
      if (rate.kind === 'tell')
        this.#track(
          key,
          this.#run(msg.senderUserId, () => this.#o.tooFast(msg, rate.seconds)),
        );
      return;
    }
    this.schedule(key, msg.senderUserId, () => this.#o.process(key, msg));
  }

  /** Runs `job` in `sender`'s turn; the promise resolves (never rejects) when it is over. */
  #run(sender: string, job: () => Promise<void>): Promise<void> {
    return this.#queue.run(sender, job).catch((err: unknown) => this.#o.failed(err));
  }

  #track(key: string, work: Promise<void>): void {
    this.#inFlight.set(key, work);
    void work.then(() => {
      if (this.#inFlight.get(key) === work) this.#inFlight.delete(key);
    });
  }
}
