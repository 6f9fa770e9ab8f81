/**
 * Fairness between senders (issue 19 item 5): a scheduler that runs jobs keyed by sender,
 * round-robin between the senders that wait, at most `concurrency` at once and at most
 * `perKey` of one sender at once, so one person's flood queues behind that person and not in
 * front of everyone; and a per-sender rate limit that answers a burst once.
 */

/** A job was refused because its sender already has `maxQueuedPerKey` jobs waiting. */
export class FairQueueFullError extends Error {
  constructor(readonly key: string) {
    super('too many jobs wait for this sender');
    this.name = 'FairQueueFullError';
  }
}

export interface FairQueueOptions {
  /** Jobs running at once, over all senders (≥ 1). */
  concurrency: number;
  /** Jobs of one sender running at once (≥ 1; default 1: one sender's jobs run in order). */
  perKey?: number;
  /** Jobs of one sender that may wait; more are refused with {@link FairQueueFullError}. Default unbounded. */
  maxQueuedPerKey?: number;
}

interface Waiting {
  run: () => void;
}

/**
 * Runs `job`s with `run(key, job)`. Scheduling: when a slot frees, the next sender in turn that
 * has a job waiting and fewer than `perKey` running gets it; a sender that still has jobs goes
 * to the back of the turn, and again when its job ends (it queued more while it ran). A job's rejection is its caller's; the queue goes on.
 */
export class FairQueue {
  readonly #concurrency: number;
  readonly #perKey: number;
  readonly #maxQueued: number;
  /** Senders with jobs waiting, in turn order; each key at most once. */
  readonly #turn: string[] = [];
  readonly #waiting = new Map<string, Waiting[]>();
  readonly #running = new Map<string, number>();
  #active = 0;
  #idle: (() => void)[] = [];

  constructor(o: FairQueueOptions) {
    this.#concurrency = Math.max(1, Math.floor(o.concurrency));
    this.#perKey = Math.max(1, Math.floor(o.perKey ?? 1));
    this.#maxQueued =
      o.maxQueuedPerKey === undefined ? Number.POSITIVE_INFINITY : Math.max(0, o.maxQueuedPerKey);
  }

  /** Jobs running now. */
  get active(): number {
    return this.#active;
  }

  /** Jobs waiting, in all or for one sender. */
  waiting(key?: string): number {
    if (key !== undefined) return this.#waiting.get(key)?.length ?? 0;
    let n = 0;
    for (const q of this.#waiting.values()) n += q.length;
    return n;
  }

  /** Runs `job` in `key`'s turn; settles as the job does. Rejects at once when `key`'s queue is full. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queue = this.#waiting.get(key) ?? [];
      if (queue.length >= this.#maxQueued) {
        reject(new FairQueueFullError(key));
        return;
      }
      queue.push({
        run: () => {
          let p: Promise<T>;
          try {
            p = job();
          } catch (err) {
            p = Promise.reject(err);
          }
          p.then(resolve, reject).finally(() => this.#done(key));
        },
      });
      if (!this.#waiting.has(key)) {
        this.#waiting.set(key, queue);
        this.#turn.push(key);
      }
      this.#pump();
    });
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#turn.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  #done(key: string): void {
    this.#active--;
    const n = (this.#running.get(key) ?? 1) - 1;
    if (n === 0) this.#running.delete(key);
    else this.#running.set(key, n);
    // It just had its turn: behind those that waited meanwhile, also when it queued more first.
    const at = this.#turn.indexOf(key);
    if (at >= 0 && at < this.#turn.length - 1) {
      this.#turn.splice(at, 1);
      this.#turn.push(key);
    }
    this.#pump();
    if (this.#active === 0 && this.#turn.length === 0) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }

  #pump(): void {
    while (this.#active < this.#concurrency) {
      const at = this.#turn.findIndex((k) => (this.#running.get(k) ?? 0) < this.#perKey);
      if (at < 0) return;
      const key = this.#turn[at] as string;
      this.#turn.splice(at, 1);
      const queue = this.#waiting.get(key) as Waiting[];
      const next = queue.shift() as Waiting;
      if (queue.length > 0) this.#turn.push(key);
      else this.#waiting.delete(key);
      this.#active++;
      this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
      next.run();
    }
  }
}

export interface UserRateOptions {
  /** Messages a sender may send in `windowMs` (a token bucket of this size, refilled evenly). */
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Senders remembered at most (the idlest are forgotten first). Default 10 000. */
  maxSenders?: number;
}

/**
 * What to do with one message: `ok`; `tell`: refuse it and answer `rate.user` with `seconds`
 * (the first refusal of a burst); `drop`: refuse it without a reply (the sender was told).
 */
export type RateDecision = { kind: 'ok' } | { kind: 'tell'; seconds: number } | { kind: 'drop' };

interface Bucket {
  tokens: number;
  at: number;
  /** when the sender was last told to slow down */
  toldAt: number | undefined;
}

/**
 * A per-sender rate limit: a token bucket of `limit` refilled over `windowMs`. The first message
 * over the limit is answered (`tell`), at most once a window; the rest are dropped silently, so a
 * flood costs one reply, not one per message (a message let through by the refill in between
 * does not earn the flood a second "too fast").
 */
export class UserRateLimit {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #max: number;
  /** In order of last use (a Map keeps insertion order; a use re-inserts). */
  readonly #buckets = new Map<string, Bucket>();
  readonly stats = { told: 0, dropped: 0 };

  constructor(o: UserRateOptions) {
    this.#limit = Math.max(1, Math.floor(o.limit));
    this.#windowMs = Math.max(1, o.windowMs);
    this.#now = o.now ?? Date.now;
    this.#max = Math.max(1, o.maxSenders ?? 10_000);
  }

  /** Takes one message of `key` into account and says what to do with it. */
  take(key: string): RateDecision {
    const now = this.#now();
    const perMs = this.#limit / this.#windowMs;
    const old = this.#buckets.get(key);
    const b: Bucket =
      old === undefined
        ? { tokens: this.#limit, at: now, toldAt: undefined }
        : { ...old, tokens: Math.min(this.#limit, old.tokens + (now - old.at) * perMs), at: now };
    this.#buckets.delete(key);
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.#max) {
      const idlest = this.#buckets.keys().next().value;
      if (idlest !== undefined) this.#buckets.delete(idlest);
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { kind: 'ok' };
    }
    if (b.toldAt !== undefined && now - b.toldAt < this.#windowMs) {
      this.stats.dropped++;
      return { kind: 'drop' };
    }
    b.toldAt = now;
    this.stats.told++;
    return { kind: 'tell', seconds: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)) };
  }
}
