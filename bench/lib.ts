/**
 * Shared set-up for `npm run bench` and `npm run soak`, on the emulator's side: the emulator in
 * this thread, the real bot (bench/bot.ts) in a worker thread or a child process wired to it
 * through the real Stream path (as test/helpers/harness.ts does), precise time stamps on the
 * emulator's side of the wire, message drivers, statistics, memory sampling and the result table.
 *
 * Stamps are absolute, `now()` of bench/protocol.ts (`performance.timeOrigin +
 * performance.now()`), on both sides, so that they compare with the bot's. The emulator's own
 * `at` fields are `Date.now()`, whole milliseconds: we hook the `push` of the emulator's recording
 * arrays, so the stamp is taken at the moment the emulator records a delivery (right after the
 * frame was written to the socket), an ack, a request or a reply.
 */
import { Emulator, type EmulatorOptions, type RobotPayload, type SeedUser } from '../src/emulator/index.ts';
import { type BotStart, now } from './protocol.ts';
import { RemoteBot } from './remote.ts';

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

/** The env the bot under test is built from: the emulator's, the bench org's roles, logging. */
export function botEnv(emu: Emulator, logLevel = 'info'): Record<string, string> {
  // Throughput figures send bursts from a few people: the per-user limit is off (its own item has it on).
  return {
    ...emu.env(),
    BOT_ADMINS: 'admin1',
    BOT_LEADS: LEADS.join(','),
    LOG_LEVEL: logLevel,
    BOT_USER_RATE: 'off',
  };
}

/**
 * Starts the bot under test (bench/bot.ts) against `emu`, away from the emulator's thread: in a
 * worker thread (`where: 'worker'`, the timed items) or a child process (`'process'`, memory),
 * and waits until its Stream connection is up.
 */
export async function startBot(
  emu: Emulator,
  o: Omit<BotStart, 'env'> & { where: 'worker' | 'process'; env?: Record<string, string> },
): Promise<RemoteBot> {
  const { where, env, ...start } = o;
  const spec: BotStart = { ...start, env: { ...botEnv(emu, o.logLevel), ...env } };
  const bot = where === 'worker' ? await RemoteBot.inWorker(spec) : await RemoteBot.inProcess(spec);
  try {
    await emu.waitForConnection(10_000);
  } catch (err) {
    await bot.stop();
    throw err;
  }
  return bot;
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
      if (this.stamping) this.deliveredAt.set(d.messageId, now());
      return this.keep;
    });
    hookPush(emu.acks, (a) => {
      if (this.stamping) this.ackedAt.set(a.messageId, now());
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
        list.push({ at: now(), text: r.text });
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
  const sentAt = now();
  const { msgId, messageId } = emu.deliver(payload);
  return { msgId, messageId, session: sessionKey(payload.sessionWebhook), sentAt, payload };
}

/** A reply that shows a user DingTalk's rate limit (either language). */
export const RATE_TEXT = /Too many calls|90018|QpsLimit|频率超过限制|并发量超过限制/;

/** How the `/chat create` replies of a burst read, and when the last one came. */
export function tallyCreateReplies(
  sent: readonly Sent[],
  rec: Recorder,
  t0: number,
): { succeeded: number; rateLimitShown: number; otherErrors: number; last: number } {
  const t = { succeeded: 0, rateLimitShown: 0, otherErrors: 0, last: t0 };
  for (const s of sent) {
    const r = rec.replies.get(s.msgId)?.[0];
    if (!r) continue;
    t.last = Math.max(t.last, r.at);
    if (/^Created\b/.test(r.text)) t.succeeded++;
    else if (RATE_TEXT.test(r.text)) t.rateLimitShown++;
    else t.otherErrors++;
  }
  return t;
}

/**
 * The DingTalk calls of a burst (tokens and the gateway left out): how many, how many DingTalk
 * refused for its rate limit, and the calls done per endpoint. Refused or failed calls were not
 * done: a floor counts only the calls the work needs.
 */
export function tallyCalls(requests: Emulator['requests']): {
  calls: number;
  refusals: number;
  done: Record<string, number>;
} {
  const t = { calls: 0, refusals: 0, done: {} as Record<string, number> };
  for (const r of requests) {
    if (r.endpoint === 'oauth2.accessToken' || r.endpoint === 'gateway.open') continue;
    t.calls++;
    const body = r.response as { errcode?: unknown; code?: unknown } | undefined;
    if (body?.errcode === 90018 || (typeof body?.code === 'string' && /Qp[sm]Limit/.test(body.code))) {
      t.refusals++;
      continue;
    }
    if (r.status !== 200 || (body?.errcode !== undefined && body.errcode !== 0)) continue;
    t.done[r.endpoint] = (t.done[r.endpoint] ?? 0) + 1;
  }
  return t;
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
  /** the bot's process (bench/bot.ts in a child process), not the emulator's */
  samples: HeapSample[];
  /** the bot's resident set when the load began (bot started and warmed up, tsx loaded) */
  rssBefore: number;
  /** the bot's peak resident set over the whole run (getrusage maxrss in its process) */
  peakRss: number;
  /** whether the bot's heap samples were settled by gc */
  gc: boolean;
  /** messages that never got a reply */
  lost: number;
  /** messages that got more than one reply */
  duplicated: number;
  elapsedMs: number;
}

/**
 * Pushes `messages` 1:1 messages through the Stream path in batches, waiting for every reply of
 * a batch before the next, and samples the bot's settled heap (asked of `bot`, which runs in a
 * process of its own) every `sampleEvery` messages after `warmup`. The emulator keeps no
 * recordings meanwhile (they would grow this process, not the bot's, but need not).
 */
export async function sustainedLoad(
  emu: Emulator,
  rec: Recorder,
  bot: RemoteBot,
  o: LoadOptions,
): Promise<LoadResult> {
  const pick = o.message ?? ((n: number) => ({ from: USERS[n % USERS.length] as string, text: '/whoami' }));
  rec.keep = false;
  rec.stamping = false;
  rec.clear();
  const samples: HeapSample[] = [];
  let lost = 0;
  let duplicated = 0;
  let sent = 0;
  let nextSample = o.warmup;
  const rssBefore = (await bot.call('memory', { settle: false })).rss;
  let gc = true;
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
      const m = await bot.call('memory', { settle: true });
      gc &&= m.gc;
      const s = {
        messages: sent,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        rss: m.rss,
      };
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
    peakRss: (await bot.call('memory', { settle: false })).peakRss,
    gc,
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
