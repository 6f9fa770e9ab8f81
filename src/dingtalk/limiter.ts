/**
 * A per-API call limiter: DingTalk allows 20 calls a second per app and API on the standard
 * edition (dingtalk-api.md §5), answering 90018 / 403 QpsLimit beyond it. A sliding-log window
 * per key; callers over the limit wait in FIFO order instead of failing.
 *
 * A slot is held from `acquire` until the call's `release` and then for one more window. Timing
 * the window from the answer (not from our send) is what makes it hold at DingTalk's end: DingTalk
 * received call i before we saw its answer, so the call that reuses the slot reaches it at least
 * one window later, however long connection set-up or the network took.
 */

/** Counters for one key. */
export interface LimiterKeyStats {
  /** Slots handed out. */
  acquired: number;
  /** Acquisitions that had to wait for a slot. */
  queued: number;
  /** Waiting right now. */
  waiting: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Bucket {
  /** Calls acquired and not yet released. */
  inFlight: number;
  /** Release times of the calls inside the current window, oldest first. */
  starts: number[];
  queue: Waiter[];
  timer: NodeJS.Timeout | undefined;
  stats: LimiterKeyStats;
}

export interface LimiterOptions {
  /** Calls allowed per window and key. */
  qps: number;
  /** Window length (DingTalk's is 1 s). */
  windowMs: number;
  now?: () => number;
  /** Told each time a call has to wait for a slot (metrics). */
  onQueued?: (key: string) => void;
}

/** Sliding-window limiter keyed by API name. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #qps: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #onQueued: ((key: string) => void) | undefined;

  constructor(opts: LimiterOptions) {
    if (!(opts.qps >= 1)) throw new RangeError('qps must be at least 1');
    this.#qps = Math.floor(opts.qps);
    this.#windowMs = opts.windowMs;
    this.#now = opts.now ?? Date.now;
    this.#onQueued = opts.onQueued;
  }

  /**
   * Resolves when a call for `key` may start, with the function to call once it has finished
   * (answered or failed). Rejects with the signal's reason on abort.
   */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const b = this.#bucket(key);
    if (b.queue.length > 0 || !this.#tryTake(b)) {
      this.#onQueued?.(key);
      await this.#enqueue(b, signal);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      b.inFlight--;
      b.starts.push(this.#now());
      this.#schedule(b);
    };
  }

  #enqueue(b: Bucket, signal: AbortSignal | undefined): Promise<void> {
    b.stats.queued++;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = b.queue.indexOf(w);
          if (i >= 0) b.queue.splice(i, 1);
          b.stats.waiting = b.queue.length;
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      b.queue.push(w);
      b.stats.waiting = b.queue.length;
      this.#schedule(b);
    });
  }

  /** Counters per key. */
  stats(): Record<string, LimiterKeyStats> {
    const out: Record<string, LimiterKeyStats> = {};
    for (const [k, b] of this.#buckets) out[k] = { ...b.stats };
    return out;
  }

  /** Rejects every waiter and stops the timers. */
  close(reason: unknown = new Error('limiter closed')): void {
    for (const b of this.#buckets.values()) {
      if (b.timer) clearTimeout(b.timer);
      b.timer = undefined;
      for (const w of b.queue.splice(0)) {
        if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
        w.reject(reason);
      }
      b.stats.waiting = 0;
    }
  }

  #bucket(key: string): Bucket {
    let b = this.#buckets.get(key);
    if (!b) {
      b = {
        inFlight: 0,
        starts: [],
        queue: [],
        timer: undefined,
        stats: { acquired: 0, queued: 0, waiting: 0 },
      };
      this.#buckets.set(key, b);
    }
    return b;
  }

  #tryTake(b: Bucket): boolean {
    const now = this.#now();
    while (b.starts.length > 0 && (b.starts[0] as number) <= now - this.#windowMs) b.starts.shift();
    if (b.starts.length + b.inFlight >= this.#qps) return false;
    b.inFlight++;
    b.stats.acquired++;
    return true;
  }

  #schedule(b: Bucket): void {
    if (b.timer) return;
    const drain = (): void => {
      b.timer = undefined;
      while (b.queue.length > 0 && this.#tryTake(b)) {
        const w = b.queue.shift() as Waiter;
        if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
        w.resolve();
      }
      b.stats.waiting = b.queue.length;
      // With every slot in flight, the next release calls #schedule again.
      const oldest = b.starts[0];
      if (b.queue.length > 0 && oldest !== undefined) {
        const wait = Math.max(1, oldest + this.#windowMs - this.#now() + 1);
        b.timer = setTimeout(drain, wait);
      }
    };
    drain();
  }
}
