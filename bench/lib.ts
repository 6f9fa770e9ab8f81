/**
 * Shared set-up for `npm run bench` and `npm run soak`: the emulator and the real bot wired
 * through the real Stream path (as test/helpers/harness.ts does), precise time stamps on both
 * sides of the wire, message drivers, statistics, memory sampling and the result table.
 *
 * Stamps use `performance.now()` everywhere (the emulator's own `at` fields are `Date.now()`,
 * whole milliseconds): we hook the `push` of the emulator's recording arrays, so the stamp is
 * taken at the moment the emulator records a delivery, an ack, a request or a reply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type App, type AppOptions, createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { Emulator, type EmulatorOptions, type RobotPayload, type SeedUser } from '../src/emulator/index.ts';
import { createLogger } from '../src/log.ts';
import type { RobotFrame } from '../src/stream/index.ts';

// ---------------------------------------------------------------- org

/** Leads who run /chat create and /chat info. */
export const LEADS = Array.from({ length: 10 }, (_, i) => `lead${String(i + 1).padStart(2, '0')}`);
/** Plain users who send /whoami (50, as in the ack-latency burst). */
export const USERS = Array.from({ length: 50 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`);

export const BENCH_USERS: SeedUser[] = [
  { userId: 'admin1', nick: 'Ada Admin' },
  ...LEADS.map((userId, i) => ({ userId, nick: `Lead ${i + 1}` })),
  ...USERS.map((userId, i) => ({ userId, nick: `User ${i + 1}` })),
];

export async function startEmulator(o: EmulatorOptions = {}): Promise<Emulator> {
  return Emulator.start({ users: BENCH_USERS, redeliveryDelayMs: 60_000, ...o });
}

// ---------------------------------------------------------------- the bot

export interface BotHandle {
  app: App;
  /** Bot side: RobotFrame.receivedAt and ackedAt (performance.now()) per headers.messageId. */
  ackInBot: Map<string, { receivedAt: number; ackedAt: number; handledMs: number }>;
  /** Bot side: when robot.sendBySession resolved, per session key. */
  replySentAt: Map<string, number>;
  stop(): Promise<void>;
}

/** A Writable that drops everything: logs are produced (their cost counts) but not kept. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

/**
 * Starts the real bot (SQLite store in a temp dir, production timings unless `app` overrides
 * them, pino at `info` into a discarding sink) against `emu`, and instruments it.
 */
export async function startBot(
  emu: Emulator,
  o: {
    app?: Partial<Omit<AppOptions, 'config' | 'logger'>>;
    logLevel?: string;
    /** false for long runs: the stamp maps would grow with every message */
    stamp?: boolean;
  } = {},
): Promise<BotHandle> {
  const stampAcks = o.stamp ?? true;
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-bench-'));
  const config = loadConfig(
    {
      ...emu.env(),
      BOT_ADMINS: 'admin1',
      BOT_LEADS: LEADS.join(','),
      BOT_DATA_DIR: dataDir,
      LOG_LEVEL: o.logLevel ?? 'info',
    },
    undefined,
  );
  const logger = createLogger({ level: o.logLevel ?? 'info', destination: discard() });
  const app = createApp({ config, logger, ...o.app });

  // createApp wires `onRobotFrame: (f) => pipeline.handleFrame(f)`, looked up at call time, so an
  // instance property shadowing the method sees every frame right after its ack left.
  const ackInBot: BotHandle['ackInBot'] = new Map();
  const pipeline = app.pipeline;
  const handleFrame = pipeline.handleFrame.bind(pipeline);
  pipeline.handleFrame = (f: RobotFrame) => {
    if (!stampAcks) {
      handleFrame(f);
      return;
    }
    // handledMs: the pipeline work done inside the socket's message event; the next frame of
    // the same chunk is not read (nor acked) before it ends.
    const t = performance.now();
    handleFrame(f);
    ackInBot.set(f.messageId, {
      receivedAt: f.receivedAt,
      ackedAt: f.ackedAt,
      handledMs: performance.now() - t,
    });
  };
  // The Replier holds this same RobotClient object: wrapping its method on the instance stamps
  // the moment a webhook reply was answered, as the bot sees it.
  const replySentAt = new Map<string, number>();
  const robot = app.dingtalk.robot;
  const send = robot.sendBySession.bind(robot);
  robot.sendBySession = async (url, body, opts) => {
    await send(url, body, opts);
    const key = stampAcks ? sessionKey(url) : undefined;
    if (key) replySentAt.set(key, performance.now());
  };

  await app.start();
  await emu.waitForConnection(10_000);
  return {
    app,
    ackInBot,
    replySentAt,
    async stop() {
      await app.stop({ drainMs: 2_000 }).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sessionKey(webhook: string): string | undefined {
  try {
    return new URL(webhook).searchParams.get('session') ?? undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- emulator stamps

export interface ReplyRecord {
  at: number;
  text: string;
}

/**
 * Precise stamps on the emulator side, and a way to stop it from keeping recordings (the soak:
 * an emulator that remembers 20 000 requests would look like a leak in the bot's heap).
 */
export class Recorder {
  /** headers.messageId → when the frame was pushed / its ack was read */
  readonly deliveredAt = new Map<string, number>();
  readonly ackedAt = new Map<string, number>();
  /** msgId → replies caused (webhook replies carry the msgId of their session) */
  readonly replies = new Map<string, ReplyRecord[]>();
  /** while false, the emulator's recording arrays keep nothing (long runs) */
  keep = true;
  /** when set, replies to other msgIds are counted in `stray` and not kept (late duplicates) */
  only: Set<string> | undefined;
  stray = 0;
  /** TCP connections the emulator's server accepted: open now, most open at once, total */
  /** stamps are only taken while true (keeps the maps small outside measured phases) */
  stamping = true;
  private waiters: { ids: Set<string>; resolve: () => void }[] = [];

  constructor(readonly emu: Emulator) {
    hookPush(emu.deliveries, (d) => {
      if (this.stamping) this.deliveredAt.set(d.messageId, performance.now());
      return this.keep;
    });
    hookPush(emu.acks, (a) => {
      if (this.stamping) this.ackedAt.set(a.messageId, performance.now());
      return this.keep;
    });
    hookPush(emu.requests, () => this.keep);
    hookPush(emu.replies, (r) => {
      if (r.via === 'webhook' && r.msgId) {
        if (this.only && !this.only.has(r.msgId)) {
          this.stray++;
          return this.keep;
        }
        const list = this.replies.get(r.msgId) ?? [];
        list.push({ at: performance.now(), text: r.text });
        this.replies.set(r.msgId, list);
        this.settle(r.msgId);
      }
      // emu.say() looks at emu.replies; the bench never uses it while keep is false.
      return this.keep;
    });
  }

  /** Resolves when every msgId in `ids` has at least one reply; rejects after timeoutMs. */
  waitReplies(ids: Iterable<string>, timeoutMs: number): Promise<void> {
    const missing = new Set([...ids].filter((id) => !this.replies.has(id)));
    if (missing.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { ids: missing, resolve: () => {} };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${w.ids.size} of the messages got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      w.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(w);
    });
  }

  private settle(msgId: string): void {
    for (const w of [...this.waiters]) {
      if (w.ids.delete(msgId) && w.ids.size === 0) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }

  /** Forgets the stamps (not the recorded arrays). */
  clear(): void {
    this.deliveredAt.clear();
    this.ackedAt.clear();
    this.replies.clear();
  }
}

/** Replaces `arr.push` on the instance: `onPush` sees each item and says whether to keep it. */
function hookPush<T>(arr: T[], onPush: (item: T) => boolean): void {
  Object.defineProperty(arr, 'push', {
    configurable: true,
    writable: true,
    value(...items: T[]): number {
      for (const it of items) if (onPush(it)) Array.prototype.push.call(arr, it);
      return arr.length;
    },
  });
}

// ---------------------------------------------------------------- driving messages

export interface Sent {
  msgId: string;
  messageId: string;
  session: string | undefined;
  sentAt: number;
  payload: RobotPayload;
}

/** Builds and pushes one 1:1 message. */
export function send(emu: Emulator, from: string, text: string): Sent {
  const payload = emu.buildMessage(from, text);
  const sentAt = performance.now();
  const { msgId, messageId } = emu.deliver(payload);
  return { msgId, messageId, session: sessionKey(payload.sessionWebhook), sentAt, payload };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- statistics

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// ---------------------------------------------------------------- memory

let gcFn: (() => void) | undefined;

/**
 * `global.gc` when node runs with --expose-gc; otherwise the flag is switched on at run time
 * (`v8.setFlagsFromString`) and `gc` taken from a fresh context. Undefined if neither works.
 */
export function getGc(): (() => void) | undefined {
  if (gcFn) return gcFn;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') {
    gcFn = g;
    return gcFn;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    if (typeof fn === 'function') gcFn = fn as () => void;
  } catch {
    gcFn = undefined;
  }
  return gcFn;
}

/** heapUsed after two full collections (or without, when gc is unavailable), in bytes. */
export async function settledHeap(): Promise<number> {
  const gc = getGc();
  if (gc) {
    gc();
    await sleep(20);
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Peak resident set of the process so far, in bytes (getrusage maxrss). */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const MB = 1024 * 1024;

// ---------------------------------------------------------------- sustained load (bench item 5, soak)

export interface LoadOptions {
  messages: number;
  /** messages pushed before waiting for their replies */
  batch: number;
  /** heap sample every this many messages */
  sampleEvery: number;
  /** messages before the first (baseline) heap sample */
  warmup: number;
  /** what user i sends for message n (default /whoami from 50 users) */
  message?: (n: number) => { from: string; text: string };
  /** called before batch k is pushed (fault injection) */
  beforeBatch?: (sentSoFar: number) => void;
  /** per batch */
  replyTimeoutMs: number;
  onSample?: (s: HeapSample) => void;
}

export interface HeapSample {
  messages: number;
  heapUsed: number;
  /** V8 heap reserved (heapTotal), off-heap buffers (external), resident set */
  heapTotal: number;
  external: number;
  rss: number;
}

export interface LoadResult {
  samples: HeapSample[];
  /** resident set when the load began (bot and emulator started, tsx loaded) */
  rssBefore: number;
  peakRss: number;
  /** messages that never got a reply */
  lost: number;
  /** messages that got more than one reply */
  duplicated: number;
  elapsedMs: number;
}

/**
 * Pushes `messages` 1:1 messages through the Stream path in batches, waiting for every reply of
 * a batch before the next, and samples the settled heap every `sampleEvery` messages after
 * `warmup`. The emulator keeps no recordings meanwhile.
 */
export async function sustainedLoad(emu: Emulator, rec: Recorder, o: LoadOptions): Promise<LoadResult> {
  const pick = o.message ?? ((n: number) => ({ from: USERS[n % USERS.length] as string, text: '/whoami' }));
  rec.keep = false;
  rec.stamping = false;
  rec.clear();
  const samples: HeapSample[] = [];
  let lost = 0;
  let duplicated = 0;
  let sent = 0;
  let nextSample = o.warmup;
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  while (sent < o.messages) {
    o.beforeBatch?.(sent);
    const n = Math.min(o.batch, o.messages - sent);
    const batch: Sent[] = [];
    for (let i = 0; i < n; i++) {
      const m = pick(sent + i);
      batch.push(send(emu, m.from, m.text));
    }
    sent += n;
    rec.only = new Set(batch.map((b) => b.msgId));
    try {
      await rec.waitReplies(
        batch.map((b) => b.msgId),
        o.replyTimeoutMs,
      );
    } catch {
      // counted below
    }
    for (const b of batch) {
      const r = rec.replies.get(b.msgId);
      if (!r) lost++;
      else if (r.length > 1) duplicated++;
      rec.replies.delete(b.msgId);
      if (b.session) emu.forgetSession(b.session);
    }
    if (sent >= nextSample) {
      const heapUsed = await settledHeap();
      const m = process.memoryUsage();
      const s = { messages: sent, heapUsed, heapTotal: m.heapTotal, external: m.external, rss: m.rss };
      samples.push(s);
      o.onSample?.(s);
      nextSample += o.sampleEvery;
    }
  }
  // Replies that come in late, after their batch was counted, are duplicates too.
  await sleep(500);
  duplicated += rec.stray;
  rec.only = undefined;
  rec.stray = 0;
  rec.keep = true;
  rec.stamping = true;
  return {
    samples,
    rssBefore,
    peakRss: peakRss(),
    lost,
    duplicated,
    elapsedMs: performance.now() - started,
  };
}

/**
 * Heap growth after warm-up: the last sample minus the lowest of the first two (GC noise makes
 * a single baseline unreliable), in bytes; and the least-squares slope in bytes per message.
 */
export function heapGrowth(samples: readonly HeapSample[]): { growth: number; perMessage: number } {
  if (samples.length < 2) return { growth: 0, perMessage: 0 };
  const base = Math.min(samples[0]?.heapUsed ?? 0, samples[1]?.heapUsed ?? Number.POSITIVE_INFINITY);
  const last = samples[samples.length - 1]?.heapUsed ?? base;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.messages, 0) / n;
  const my = samples.reduce((a, s) => a + s.heapUsed, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.messages - mx) * (s.heapUsed - my);
    den += (s.messages - mx) ** 2;
  }
  return { growth: last - base, perMessage: den === 0 ? 0 : num / den };
}

// ---------------------------------------------------------------- output

export interface Row {
  metric: string;
  value: number | string;
  unit?: string;
  /** human-readable target, '' when the row is informational */
  target: string;
  /** undefined = no target */
  ok?: boolean;
}

export function fmt(v: number | string, unit = ''): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v) && unit === '') return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** A plain-text table: metric, value, target, ok / MISS. */
export function table(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.metric,
    fmt(r.value, r.unit),
    r.target || '-',
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISS',
  ]);
  const head = ['metric', 'value', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}
