/**
 * `npm run bench [-- --runs N] [--memory-messages N] [--only names|replicas|tokenizer|fairness|overhead|jobs|batch] [--out FILE]`: measures the bot
 * against the emulator and prints a table (metric, value, target, ok/MISS); the same figures go
 * to bench/results.json. Each timed figure is the median of N runs (default 3). `--only names`
 * runs item 7 alone (names: calls per resolved name, /chat info on 500 members); `--only replicas`
 * item 8 alone (two replicas on a throwaway PostgreSQL: burst, overhead, failover); `--only jobs`
 * item 11 alone (1 000 jobs due at once on two replicas sharing PostgreSQL); `--only batch`
 * item 12 alone (a command over a set of 200 chats: its planning, its run against the floor).
 *
 * The emulator runs in this thread; the bot under test never does (DingTalk is another machine
 * in production): for items 1-4 and 6 it runs in a worker thread (bench/bot.ts through
 * bench/remote.ts), for item 5 in a child process of its own (bench/soak.ts starts it).
 * Timing never fails anything: the exit code is 0 whatever the figures, 1 only if the bench could
 * not run. bench/README.md explains how to read the figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseLine } from '../src/bot/parse.ts';
import { DEFAULT_CLIENT_OPTIONS } from '../src/dingtalk/index.ts';
import type { Emulator } from '../src/emulator/index.ts';
import { BATCH_CHATS, type BatchRun, batchBench } from './batch.ts';
import { BENCH_JOBS, type JobsRun, jobsBench } from './jobs.ts';
import {
  type HeapSample,
  LEADS,
  MB,
  median,
  out,
  percentile,
  Recorder,
  type Row,
  type Sent,
  send,
  sleep,
  startBot,
  startEmulator,
  table,
  tallyCalls,
  tallyCreateReplies,
  USERS,
} from './lib.ts';
import { type BigInfoRun, bigInfo, INFO_MEMBERS, INFO_NAMED, type NameCallsRun, nameCalls } from './names.ts';
import { type AckStamp, now } from './protocol.ts';
import type { RemoteBot, RuntimeFloor } from './remote.ts';
import { REPLICA_CREATES, type ReplicasRaw, replicasBench } from './replicas.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'memory-messages': { type: 'string', default: '20000' },
    only: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
  },
});
const RUNS = Math.max(1, Number(args.runs) || 3);
const MEMORY_MESSAGES = Math.max(4_000, Number(args['memory-messages']) || 20_000);

/** DingTalk's standard-edition limit, per app and API (dingtalk-api.md §5). */
const QPS = 20;
const ACK_BURST = { messages: 500, users: 50 };
const CREATE_BURST = 200;
const WHOAMI_BURST = 100;
const INFO_MESSAGES = 100;
/** Pace of the overhead probe: below 20/s so that the limiter never makes a message wait. */
const INFO_PACE_MS = 60;
/** Sliding windows (ours and the emulator's) are 1 s: let them empty between runs. */
const WINDOW_GAP_MS = 1_100;
const HEAP_BOUND_BYTES = 4 * MB;
const RSS_TARGET = 150 * MB;
const POOL = DEFAULT_CLIENT_OPTIONS.connectionsPerHost;

const progress = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};

// ---------------------------------------------------------------- phases

interface AckRun {
  botP50: number;
  botP99: number;
  /** emulator pushed the frame → the ack left the bot (bot's thread, absolute clocks) */
  sentP50: number;
  sentP99: number;
  wireP50: number;
  wireP99: number;
  /** how long the emulator took to push the whole burst (its own thread, while the bot reads) */
  pushMs: number;
  /** pipeline work done synchronously inside the frame handler, summed over the burst */
  handledMs: number;
  handledMax: number;
  missingAcks: number;
  answeredMs: number;
}

/** Item 1: a burst of 500 /whoami from 50 users, all pushed in one tick. */
async function ackBurst(emu: Emulator, rec: Recorder, bot: RemoteBot): Promise<AckRun> {
  rec.clear();
  await bot.call('stamps', { clear: true });
  const t0 = now();
  const sent: Sent[] = [];
  for (let i = 0; i < ACK_BURST.messages; i++) {
    sent.push(send(emu, USERS[i % ACK_BURST.users] as string, '/whoami'));
  }
  const pushEnd = now();
  await rec.waitReplies(
    sent.map((s) => s.msgId),
    ACK_BURST.messages * 200,
  );
  const answered = Math.max(...sent.map((s) => rec.replies.get(s.msgId)?.[0]?.at ?? t0)) - t0;
  const ackInBot = new Map<string, AckStamp>(
    (await bot.call('stamps', { clear: true })).acks.map((a) => [a.messageId, a]),
  );
  const inBot: number[] = [];
  const handled: number[] = [];
  const leftBot: number[] = [];
  const wire: number[] = [];
  let missing = 0;
  for (const s of sent) {
    const b = ackInBot.get(s.messageId);
    const d = rec.deliveredAt.get(s.messageId);
    const a = rec.ackedAt.get(s.messageId);
    if (b !== undefined) inBot.push(b.ackedAt - b.receivedAt);
    if (b !== undefined) handled.push(b.handledMs);
    // The bot runs in its own thread and reads frames while the emulator is still pushing the
    // rest of the burst, so this is simply bot ack time − emulator push time (both absolute).
    // (With both on one thread, the bench had to count from max(push, end of the push loop).)
    if (b !== undefined && d !== undefined) leftBot.push(b.ackedAt - d);
    if (d !== undefined && a !== undefined) wire.push(a - d);
    else missing++;
  }
  return {
    botP50: percentile(inBot, 50),
    botP99: percentile(inBot, 99),
    sentP50: percentile(leftBot, 50),
    sentP99: percentile(leftBot, 99),
    pushMs: pushEnd - t0,
    handledMs: handled.reduce((a, x) => a + x, 0),
    handledMax: Math.max(...handled),
    wireP50: percentile(wire, 50),
    wireP99: percentile(wire, 99),
    missingAcks: missing,
    answeredMs: answered,
  };
}

interface OverheadRun {
  p50: number;
  p99: number;
  e2eP50: number;
  apiP50: number;
  /** emulator pushed the frame → the bot's frame handler ran (socket, ws parsing, thread wake-up) */
  toBotP50: number;
}

/**
 * Item 2: /chat info one at a time; end to end (emulator pushed the frame → the bot saw its
 * webhook reply answered, across threads on absolute clocks) minus the emulator's time on the API
 * calls the message caused.
 */
async function overhead(emu: Emulator, rec: Recorder, bot: RemoteBot, chatId: string): Promise<OverheadRun> {
  const over: number[] = [];
  const e2e: number[] = [];
  const api: number[] = [];
  const sent: Sent[] = [];
  await bot.call('stamps', { clear: true });
  for (let i = 0; i < INFO_MESSAGES; i++) {
    const first = emu.requests.length;
    const s = send(emu, LEADS[i % LEADS.length] as string, `/chat info ${chatId}`);
    sent.push(s);
    await rec.waitReplies([s.msgId], 10_000);
    const replySent = await bot.call('replySent', { key: s.session ?? '', timeoutMs: 10_000 });
    const total = replySent - (rec.deliveredAt.get(s.messageId) ?? s.sentAt);
    const spent = emu.requests.slice(first).reduce((a, r) => a + r.durationMs, 0);
    e2e.push(total);
    api.push(spent);
    over.push(total - spent);
    const wait = s.sentAt + INFO_PACE_MS - now();
    if (wait > 0) await sleep(wait);
  }
  const received = new Map((await bot.call('stamps', { clear: true })).acks.map((a) => [a.messageId, a]));
  const toBot = sent.flatMap((s) => {
    const d = rec.deliveredAt.get(s.messageId);
    const b = received.get(s.messageId);
    return d !== undefined && b !== undefined ? [b.receivedAt - d] : [];
  });
  return {
    p50: percentile(over, 50),
    p99: percentile(over, 99),
    e2eP50: percentile(e2e, 50),
    apiP50: percentile(api, 50),
    toBotP50: percentile(toBot, 50),
  };
}

interface BurstRun {
  succeeded: number;
  rateLimitShown: number;
  otherErrors: number;
  /** rate-limit refusals DingTalk (the emulator) answered */
  refusals: number;
  elapsedMs: number;
  floorMs: number;
  busiest: string;
  calls: Record<string, number>;
  ackP99: number;
}

/** Item 3 / 6: 200 /chat create at once from 10 leads, 2 members each; 20 QPS, 20 ms latency. */
async function createBurst(emu: Emulator, rec: Recorder, tag: string): Promise<BurstRun> {
  rec.clear();
  emu.faults.qpsLimit = QPS;
  emu.faults.latencyMs = 20;
  const first = emu.requests.length;
  const t0 = now();
  const sent: Sent[] = [];
  try {
    for (let i = 0; i < CREATE_BURST; i++) {
      const lead = LEADS[i % LEADS.length] as string;
      const a = USERS[i % USERS.length] as string;
      const b = USERS[(i + 7) % USERS.length] as string;
      sent.push(send(emu, lead, `/chat create ${tag}-${String(i).padStart(3, '0')} @${a} @${b}`));
    }
    await rec.waitReplies(
      sent.map((s) => s.msgId),
      120_000,
    );
  } finally {
    emu.faults.latencyMs = 0;
  }
  const { succeeded, rateLimitShown, otherErrors, last } = tallyCreateReplies(sent, rec, t0);
  const { refusals, done: calls } = tallyCalls(emu.requests.slice(first));
  const [busiest, count] = Object.entries(calls).sort((x, y) => y[1] - x[1])[0] ?? ['-', 0];
  const wire: number[] = [];
  for (const s of sent) {
    const d = rec.deliveredAt.get(s.messageId);
    const a = rec.ackedAt.get(s.messageId);
    if (d !== undefined && a !== undefined) wire.push(a - d);
  }
  return {
    succeeded,
    rateLimitShown,
    otherErrors,
    refusals,
    elapsedMs: last - t0,
    floorMs: (count / QPS) * 1000,
    busiest,
    calls,
    ackP99: percentile(wire, 99),
  };
}

interface WhoamiRun {
  elapsedMs: number;
  perSecond: number;
  ackP99: number;
}

/** Item 6: a smaller /whoami burst (100 messages from 50 users). */
async function whoamiBurst(emu: Emulator, rec: Recorder): Promise<WhoamiRun> {
  rec.clear();
  const t0 = now();
  const sent: Sent[] = [];
  for (let i = 0; i < WHOAMI_BURST; i++) sent.push(send(emu, USERS[i % USERS.length] as string, '/whoami'));
  await rec.waitReplies(
    sent.map((s) => s.msgId),
    60_000,
  );
  const last = Math.max(...sent.map((s) => rec.replies.get(s.msgId)?.[0]?.at ?? t0));
  const wire = sent.flatMap((s) => {
    const d = rec.deliveredAt.get(s.messageId);
    const a = rec.ackedAt.get(s.messageId);
    return d !== undefined && a !== undefined ? [a - d] : [];
  });
  return {
    elapsedMs: last - t0,
    perSecond: WHOAMI_BURST / ((last - t0) / 1000),
    ackP99: percentile(wire, 99),
  };
}

/** bench/soak.ts's --json: figures of the bot's own process. */
interface MemoryRun {
  gc: boolean;
  rssBefore: number;
  peakRss: number;
  floor: RuntimeFloor;
  lost: number;
  duplicated: number;
  growth: { growth: number; perMessage: number };
  samples: HeapSample[];
  verdict: string;
}

/**
 * Item 5: bench/soak.ts without faults; it runs
 * a fresh emulator and starts the bot in a child process of its own, whose memory it reports.
 */
async function memoryRun(messages: number): Promise<MemoryRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dgb-bench-mem-'));
  const file = join(dir, 'memory.json');
  const soak = fileURLToPath(new URL('./soak.ts', import.meta.url));
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [...process.execArgv, soak, '--messages', String(messages), '--json', file],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      child.stdout.on('data', (d: Buffer) => {
        for (const line of String(d).split('\n')) if (line.trim()) progress(`  ${line.trim()}`);
      });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c ?? 2));
    });
    if (code === 2) throw new Error('the memory run (bench/soak.ts) could not run');
    return JSON.parse(readFileSync(file, 'utf8')) as MemoryRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

const med = <T>(runs: T[], f: (r: T) => number): number => median(runs.map(f));

/** Item 7: DingTalk calls per resolved name, and /chat info on a 500-member chat. */
async function namesItem(): Promise<{
  rows: Row[];
  raw: { nameCalls: NameCallsRun; bigInfo: BigInfoRun[] };
}> {
  progress(
    `names: resolving names twice over one directory; /chat info on ${INFO_MEMBERS} members × ${RUNS}`,
  );
  const calls = await nameCalls();
  const info = await bigInfo(RUNS);
  const answered = med(info, (r) => r.answeredMs);
  const named = Math.min(...info.map((r) => r.named));
  return {
    rows: [
      {
        metric: '7 DingTalk calls per resolved name, cold cache',
        value: calls.cold,
        unit: 'calls',
        target: '',
      },
      {
        metric: '7 DingTalk calls per resolved name, warm cache',
        value: calls.warm,
        unit: 'calls',
        target: '0',
        ok: calls.warm === 0 && calls.resolvedWarm === calls.resolvedCold && calls.resolvedCold > 0,
      },
      {
        metric: `7 /chat info, ${INFO_MEMBERS} members none cached: answered`,
        value: answered / 1000,
        unit: 's',
        target: '< 3 s at 20 QPS',
        ok: answered < 3_000,
      },
      {
        metric: `7 /chat info, ${INFO_MEMBERS} members: named (fewest of the runs)`,
        value: `${named} (${med(info, (r) => r.userGets)} user/get)`,
        target: `${INFO_NAMED}`,
        ok: named >= INFO_NAMED,
      },
    ],
    raw: { nameCalls: calls, bigInfo: info },
  };
}

/** Item 9: the tokenizer on an 8 KB pathological line (issue 19: it was quadratic, ~250 ms). */
function tokenizerItem(): { rows: Row[]; raw: { parseMs: number[]; chars: number } } {
  const line = `/help ${"a'".repeat(3997)}`;
  progress(`tokenizer: parseLine on ${line.length} chars of "a'", 200 times`);
  for (let i = 0; i < 20; i++) parseLine(line, { conversationType: 'group' }); // warm-up (JIT)
  const parseMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    parseLine(line, { conversationType: 'group' });
    parseMs.push(performance.now() - t0);
  }
  const p50 = median(parseMs);
  const worst = Math.max(...parseMs);
  return {
    rows: [
      {
        metric: `9 tokenizer, ${line.length}-char "a'" line: p50 (worst)`,
        value: `${p50.toFixed(2)} (${worst.toFixed(2)})`,
        unit: 'ms',
        target: 'p50 < 5 ms',
        ok: p50 < 5,
      },
    ],
    raw: { parseMs, chars: line.length },
  };
}

/** Lead /chat info probes of item 10, and how many messages the flood sends. */
const FAIR_PROBES = 20;
const FAIR_FLOOD = 600;

/** A lead's `/chat info` one at a time (each waits for its reply): reply latencies in ms. */
async function leadProbes(emu: Emulator, rec: Recorder, chatId: string): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < FAIR_PROBES; i++) {
    // The leads take turns: one lead's 40 probes would run into the per-user limit themselves.
    const s = send(emu, LEADS[i % LEADS.length] as string, `/chat info ${chatId}`);
    await rec.waitReplies([s.msgId], 60_000);
    const r = rec.replies.get(s.msgId)?.[0];
    if (r) lat.push(r.at - s.sentAt);
    await sleep(50);
  }
  return lat;
}

/**
 * Item 10: fairness (issue 19). A lead's `/chat info` latency with nobody else busy, then while
 * another person (no role) floods 600 `/whoami` at once, with the per-user limit on
 * (BOT_USER_RATE=20/10s, the default).
 */
async function fairnessItem(): Promise<{
  rows: Row[];
  raw: { quiet: number[]; flood: number[]; floodReplies: number };
}> {
  progress(`fairness: ${FAIR_PROBES} × a lead's /chat info, quiet and during a ${FAIR_FLOOD}-message flood`);
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bot = await startBot(emu, { where: 'worker', kind: 'ours', env: { BOT_USER_RATE: '20/10s' } });
  try {
    const chat = emu.org.addChat({ name: 'Fair', owner: LEADS[0] as string, members: [LEADS[0] as string] });
    const quiet = await leadProbes(emu, rec, chat.chatId);
    const flood = Array.from({ length: FAIR_FLOOD }, () => send(emu, USERS[0] as string, '/whoami'));
    const busy = await leadProbes(emu, rec, chat.chatId);
    await sleep(2_000);
    const floodReplies = flood.filter((s) => rec.replies.has(s.msgId)).length;
    const q = median(quiet);
    const f = median(busy);
    return {
      rows: [
        { metric: "10 a lead's /chat info, nobody else busy: p50", value: q, unit: 'ms', target: '' },
        {
          metric: `10 the same while another user floods ${FAIR_FLOOD} messages: p50`,
          value: f,
          unit: 'ms',
          target: '< 2× quiet + 20 ms',
          ok: f < 2 * q + 20,
        },
        {
          metric: '10 replies the flood got (the per-user limit: 20 + one "too fast" a window)',
          value: floodReplies,
          unit: 'replies',
          target: '≤ 30',
          ok: floodReplies <= 30,
        },
      ],
      raw: { quiet, flood: busy, floodReplies },
    };
  } finally {
    await bot.stop();
    await emu.stop();
  }
}

/** Item 11: 1 000 jobs falling due at once on two replicas sharing PostgreSQL. */
async function jobsItem(): Promise<{ rows: Row[]; raw: JobsRun[] }> {
  const runs = await jobsBench(RUNS, progress);
  const ratio = med(runs, (r) => r.elapsedMs / r.floorMs);
  const refusalShare = Math.max(...runs.map((r) => r.refusals / Math.max(1, r.calls)));
  return {
    rows: [
      {
        metric: `11 jobs: ${BENCH_JOBS} due at once on two replicas, done (worst run)`,
        value: `${Math.min(...runs.map((r) => r.done))}/${BENCH_JOBS}`,
        target: `${BENCH_JOBS}/${BENCH_JOBS}`,
        ok: runs.every((r) => r.done === BENCH_JOBS),
      },
      {
        metric: '11 jobs: run or told twice / never told (worst run)',
        value: `${Math.max(...runs.map((r) => r.duplicated))} / ${Math.max(...runs.map((r) => r.missing))}`,
        target: '0 / 0',
        ok: runs.every((r) => r.duplicated === 0 && r.missing === 0),
      },
      {
        metric: `11 jobs: last notice after / floor (${runs[0]?.busiest ?? '-'} at 20 QPS)`,
        value: `${fmt1(med(runs, (r) => r.elapsedMs) / 1000)} s / ${fmt1(med(runs, (r) => r.floorMs) / 1000)} s (${(ratio * 100).toFixed(0)} %)`,
        target: '<= 110 %',
        ok: ratio <= 1.1,
      },
      {
        metric: '11 jobs: 90018/QpsLimit answers / API calls (worst run)',
        value: `${(refusalShare * 100).toFixed(2)} % (${Math.max(...runs.map((r) => r.refusals))} of ~${fmt0(med(runs, (r) => r.calls))})`,
        target: '<= 1 %',
        ok: refusalShare <= 0.01,
      },
    ],
    raw: runs,
  };
}

/** Item 12: a command over a set of 200 chats (issue 21): planning it, and its run against the floor. */
async function batchItem(): Promise<{ rows: Row[]; raw: BatchRun[] }> {
  const runs = await batchBench(RUNS, progress);
  const ratio = med(runs, (r) => r.runMs / r.floorMs);
  const shown = Math.max(...runs.map((r) => r.rateLimitShown));
  const refusals = Math.max(...runs.map((r) => r.refusals));
  const done = Math.min(...runs.map((r) => r.done));
  return {
    rows: [
      {
        metric: `12 planning /chat add on ${BATCH_CHATS} chats: to its preview`,
        value: med(runs, (r) => r.planMs) / 1000,
        unit: 's',
        target: `floor ${(med(runs, (r) => r.planFloorMs) / 1000).toFixed(1)} s (one chat/get a chat)`,
      },
      {
        metric: `12 /confirm of it: to the ledger (busiest API ${runs[0]?.busiest ?? '-'})`,
        value: med(runs, (r) => r.runMs) / 1000,
        unit: 's',
        target: `floor ${(med(runs, (r) => r.floorMs) / 1000).toFixed(1)} s`,
      },
      {
        metric: '12 batch run / floor of its busiest API',
        value: `${(ratio * 100).toFixed(0)}%`,
        target: '≤ 110%',
        ok: ratio <= 1.1,
      },
      {
        metric: '12 chats done; rate-limit errors shown; 90018 refusals',
        value: `${done}; ${shown}; ${refusals}`,
        target: `${BATCH_CHATS}; 0; 0`,
        ok: done === BATCH_CHATS && shown === 0 && refusals === 0,
      },
      {
        metric: '12 a reply when it started, before the ledger',
        value: runs.every((r) => r.notice) ? 'yes' : 'no',
        target: 'yes',
        ok: runs.every((r) => r.notice),
      },
    ],
    raw: runs,
  };
}

/** Item 8: two replicas on one PostgreSQL (a throwaway cluster): burst, overhead, failover. */
async function replicasItem(): Promise<{ rows: Row[]; raw: ReplicasRaw }> {
  const raw = await replicasBench(RUNS, progress);
  const b = raw.burst;
  const ratio = med(b, (r) => r.elapsedMs / r.floorMs);
  const refusalShare = Math.max(...b.map((r) => r.refusals / Math.max(1, r.calls)));
  const shown = Math.max(...b.map((r) => r.rateLimitShown));
  const f = raw.failover;
  const gap = Math.max(...f.map((r) => r.maxWaitMs));
  const takeover = Math.max(...f.map((r) => r.takeoverMs));
  return {
    rows: [
      {
        metric: `8 two replicas, ${REPLICA_CREATES} creates: succeeded (worst run)`,
        value: `${Math.min(...b.map((r) => r.succeeded))}/${REPLICA_CREATES}`,
        target: `${REPLICA_CREATES}/${REPLICA_CREATES}`,
        ok: b.every((r) => r.succeeded === REPLICA_CREATES),
      },
      {
        metric: '8 two replicas: elapsed / floor',
        value: `${fmt1(med(b, (r) => r.elapsedMs) / 1000)} s / ${fmt1(med(b, (r) => r.floorMs) / 1000)} s (${(ratio * 100).toFixed(0)} %)`,
        target: '<= 110 %',
        ok: ratio <= 1.1,
      },
      {
        metric: `8 two replicas: last ${b[0]?.busiest ?? '-'} answered after`,
        value: `${fmt1(med(b, (r) => r.busiestLastMs) / 1000)} s`,
        target: '',
      },
      {
        metric: '8 two replicas: rate-limit errors shown to users (worst run)',
        value: shown,
        target: '0',
        ok: shown === 0,
      },
      {
        metric: '8 two replicas: 90018/QpsLimit answers / API calls (worst run)',
        value: `${(refusalShare * 100).toFixed(2)} % (${Math.max(...b.map((r) => r.refusals))} of ~${fmt0(med(b, (r) => r.calls))})`,
        target: '<= 1 %',
        ok: refusalShare <= 0.01,
      },
      {
        metric: '8 /chat info overhead on PostgreSQL p50 / p99',
        value: `${fmtMs(med(raw.overheadPostgres, (r) => r.p50))} / ${fmtMs(med(raw.overheadPostgres, (r) => r.p99))}`,
        target: 'p50 < 2 ms',
        ok: med(raw.overheadPostgres, (r) => r.p50) < 2,
      },
      {
        metric: '8 /chat info overhead on SQLite (same run) p50 / p99',
        value: `${fmtMs(med(raw.overheadSqlite, (r) => r.p50))} / ${fmtMs(med(raw.overheadSqlite, (r) => r.p99))}`,
        target: '',
      },
      {
        metric: '8 failover, SIGKILL of one of two: longest wait for a reply',
        value: `${fmt1(gap / 1000)} s (${f.map((r) => `${r.slow.length} of ${r.messages} waited > 5 s`).join(', ')})`,
        target: '< 60 s',
        ok: gap < 60_000,
      },
      {
        metric: '8 failover: longest wait of a claim taken over (acked by the dead)',
        value: `${fmt1(takeover / 1000)} s (${f.map((r) => r.slow.filter((x) => x.acked).length).join(', ')} taken over)`,
        target: '',
      },
      {
        metric: '8 failover: messages lost / answered twice',
        value: `${Math.max(...f.map((r) => r.lost))} / ${Math.max(...f.map((r) => r.duplicated))}`,
        target: '0 / 0',
        ok: f.every((r) => r.lost === 0 && r.duplicated === 0),
      },
    ],
    raw,
  };
}

/** Item 2's warm-up (a chat for /chat info, 20 /whoami) and its RUNS probes. */
async function probeOverhead(emu: Emulator, rec: Recorder, bot: RemoteBot): Promise<OverheadRun[]> {
  const warm = send(emu, LEADS[0] as string, `/chat create bench-info @${USERS[0]} @${USERS[1]}`);
  await rec.waitReplies([warm.msgId], 10_000);
  const created = emu.requests.find((r) => r.endpoint === 'im.group.create' || r.endpoint === 'chat.create');
  const chatId = String((created?.response as { chatid?: unknown } | undefined)?.chatid ?? '');
  if (!chatId.startsWith('chat')) throw new Error('warm-up /chat create did not create a chat');
  for (let i = 0; i < 20; i++) {
    const s = send(emu, USERS[i] as string, '/whoami');
    await rec.waitReplies([s.msgId], 10_000);
  }
  await sleep(WINDOW_GAP_MS);
  const runs: OverheadRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`overhead run ${r + 1}/${RUNS}: ${INFO_MESSAGES} × /chat info, one at a time`);
    runs.push(await overhead(emu, rec, bot, chatId));
    await sleep(WINDOW_GAP_MS);
  }
  return runs;
}

/** Item 2 alone (`--only overhead`): the same warm-up and probe as in the full run. */
async function overheadItem(): Promise<{ rows: Row[]; raw: { overhead: OverheadRun[] } }> {
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bot = await startBot(emu, { where: 'worker', kind: 'ours' });
  try {
    const runs = await probeOverhead(emu, rec, bot);
    const p50 = med(runs, (r) => r.p50);
    return {
      rows: [
        {
          metric: '2 pipeline overhead /chat info p50',
          value: p50,
          unit: 'ms',
          target: '< 2 ms',
          ok: p50 < 2,
        },
        {
          metric: '2 pipeline overhead /chat info p99',
          value: med(runs, (r) => r.p99),
          unit: 'ms',
          target: '',
        },
        {
          metric: '2 /chat info end to end p50 (API part)',
          value: `${fmtMs(med(runs, (r) => r.e2eP50))} (${fmtMs(med(runs, (r) => r.apiP50))})`,
          target: '',
        },
        {
          metric: '2 /chat info frame pushed→bot received p50',
          value: med(runs, (r) => r.toBotP50),
          unit: 'ms',
          target: '',
        },
      ],
      raw: { overhead: runs },
    };
  } finally {
    await bot.stop();
    await emu.stop();
  }
}

async function main(): Promise<void> {
  const benchStart = performance.now();
  if (args.only !== undefined) {
    const item =
      args.only === 'names'
        ? await namesItem()
        : args.only === 'replicas'
          ? await replicasItem()
          : args.only === 'tokenizer'
            ? tokenizerItem()
            : args.only === 'fairness'
              ? await fairnessItem()
              : args.only === 'overhead'
                ? await overheadItem()
                : args.only === 'jobs'
                  ? await jobsItem()
                  : args.only === 'batch'
                    ? await batchItem()
                    : undefined;
    if (!item)
      throw new Error(
        `--only knows seven items, names, replicas, tokenizer, fairness, overhead, jobs and batch; not ${args.only}`,
      );
    out();
    out(table(item.rows));
    writeFileSync(
      args.out as string,
      `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, rows: item.rows, raw: item.raw }, null, 2)}\n`,
    );
    out(`figures written to ${args.out}`);
    return;
  }
  progress(`runs=${RUNS}, ${os.cpus().length} cpus; emulator in the main thread, bot in a worker thread`);

  // ---- ours: one emulator, one bot for items 1-4 (the token must be fetched once in all of it)
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bot = await startBot(emu, { where: 'worker', kind: 'ours' });
  const clock = await bot.clockCheck();
  progress(
    `clocks: bot thread − main thread ${(clock.offsetMs * 1000).toFixed(1)} µs (round trip ${(clock.rttMs * 1000).toFixed(0)} µs)`,
  );

  const overheadRuns = await probeOverhead(emu, rec, bot);

  const ackRuns: AckRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`ack burst ${r + 1}/${RUNS}: ${ACK_BURST.messages} × /whoami from ${ACK_BURST.users} users`);
    ackRuns.push(await ackBurst(emu, rec, bot));
    await sleep(WINDOW_GAP_MS);
  }

  const burstRuns: BurstRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`create burst ${r + 1}/${RUNS}: ${CREATE_BURST} × /chat create at 20 QPS, 20 ms latency`);
    burstRuns.push(await createBurst(emu, rec, `o${r}`));
    await sleep(WINDOW_GAP_MS);
  }

  const whoamiRuns: WhoamiRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`whoami burst ${r + 1}/${RUNS}: ${WHOAMI_BURST} × /whoami`);
    whoamiRuns.push(await whoamiBurst(emu, rec));
    await sleep(WINDOW_GAP_MS);
  }

  const botStats = await bot.call('stats', null);
  const dt = botStats.dingtalk;
  const stream = botStats.stream;
  const ours = {
    tokenFetches: dt.tokenFetches,
    emulatorTokenFetches: emu.tokenFetches,
    poolConnections: dt.connectionsOpened,
    emulatorTcp: emu.tcpConnections,
    emulatorTcpPeak: emu.tcpOpen.peak,
    streamConnects: stream.connects,
    rateLimitWaits: dt.rateLimitWaits,
    retries: dt.retries,
    limiter: dt.limiter,
    pipeline: botStats.pipeline,
  };
  await bot.stop();
  await emu.stop();

  // ---- the naive baseline, on an emulator of its own, in a worker thread as ours
  const emuN = await startEmulator();
  const recN = new Recorder(emuN);
  const naive = await startBot(emuN, { where: 'worker', kind: 'naive' });
  const naiveBurst: BurstRun[] = [];
  const naiveWhoami: WhoamiRun[] = [];
  for (let r = 0; r < RUNS; r++) {
    progress(`naive run ${r + 1}/${RUNS}: create burst and whoami burst`);
    naiveBurst.push(await createBurst(emuN, recN, `n${r}`));
    await sleep(WINDOW_GAP_MS);
    naiveWhoami.push(await whoamiBurst(emuN, recN));
    await sleep(WINDOW_GAP_MS);
  }
  const naiveTotals = {
    ...(await naive.call('naiveStats', null)),
    emulatorTcp: emuN.tcpConnections,
    emulatorTokenFetches: emuN.tokenFetches,
  };
  await naive.stop();
  await emuN.stop();

  // ---- memory: 20 000 messages through the real Stream path (bench/soak.ts), the bot in a child
  // process of its own so that peak RSS is the bot's, not the emulator's nor the bench's.
  progress(
    `memory: ${MEMORY_MESSAGES} messages, bot in a child process (bench/soak.ts, heap sampled every 2000)`,
  );
  const mem = await memoryRun(MEMORY_MESSAGES);
  const growth = mem.growth;
  const names = await namesItem();
  const tokenizer = tokenizerItem();
  const fairness = await fairnessItem();
  const batch = await batchItem();

  // ---- the table
  const ack = {
    botP50: med(ackRuns, (r) => r.botP50),
    botP99: med(ackRuns, (r) => r.botP99),
    wireP50: med(ackRuns, (r) => r.wireP50),
    wireP99: med(ackRuns, (r) => r.wireP99),
    sentP50: med(ackRuns, (r) => r.sentP50),
    sentP99: med(ackRuns, (r) => r.sentP99),
    push: med(ackRuns, (r) => r.pushMs),
    handled: med(ackRuns, (r) => r.handledMs),
    handledMax: med(ackRuns, (r) => r.handledMax),
    answered: med(ackRuns, (r) => r.answeredMs),
    missing: Math.max(...ackRuns.map((r) => r.missingAcks)),
  };
  const ov = {
    p50: med(overheadRuns, (r) => r.p50),
    p99: med(overheadRuns, (r) => r.p99),
    e2e: med(overheadRuns, (r) => r.e2eP50),
    api: med(overheadRuns, (r) => r.apiP50),
    toBot: med(overheadRuns, (r) => r.toBotP50),
  };
  const b = {
    succeeded: Math.min(...burstRuns.map((r) => r.succeeded)),
    shown: Math.max(...burstRuns.map((r) => r.rateLimitShown)),
    other: Math.max(...burstRuns.map((r) => r.otherErrors)),
    refusals: Math.max(...burstRuns.map((r) => r.refusals)),
    elapsed: med(burstRuns, (r) => r.elapsedMs),
    floor: med(burstRuns, (r) => r.floorMs),
    ratio: med(burstRuns, (r) => r.elapsedMs / r.floorMs),
    busiest: burstRuns[0]?.busiest ?? '-',
  };
  const nb = {
    succeeded: med(naiveBurst, (r) => r.succeeded),
    shown: med(naiveBurst, (r) => r.rateLimitShown),
    other: med(naiveBurst, (r) => r.otherErrors),
    refusals: med(naiveBurst, (r) => r.refusals),
    elapsed: med(naiveBurst, (r) => r.elapsedMs),
    ackP99: med(naiveBurst, (r) => r.ackP99),
  };
  const goodput = (s: number, ms: number) => s / (ms / 1000);
  const ourGoodput = med(burstRuns, (r) => goodput(r.succeeded, r.elapsedMs));
  const naiveGoodput = med(naiveBurst, (r) => goodput(r.succeeded, r.elapsedMs));
  const whoOurs = med(whoamiRuns, (r) => r.perSecond);
  const whoNaive = med(naiveWhoami, (r) => r.perSecond);
  const tokens = ours.tokenFetches;

  const rows: Row[] = [
    { metric: '1 ack in bot (receivedAt→ackedAt) p50', value: ack.botP50, unit: 'ms', target: '' },
    {
      metric: '1 ack in bot (receivedAt→ackedAt) p99',
      value: ack.botP99,
      unit: 'ms',
      target: '< 5 ms',
      ok: ack.botP99 < 5,
    },
    { metric: '1 ack, frame pushed→ack sent p50', value: ack.sentP50, unit: 'ms', target: '' },
    {
      metric: '1 ack, frame pushed→ack sent p99',
      value: ack.sentP99,
      unit: 'ms',
      target: '< 5 ms',
      ok: ack.sentP99 < 5,
    },
    { metric: '1 ack at emulator (delivery→ack read) p50', value: ack.wireP50, unit: 'ms', target: '' },
    { metric: '1 ack at emulator (delivery→ack read) p99', value: ack.wireP99, unit: 'ms', target: '' },
    { metric: '1 emulator time to push the 500 frames', value: ack.push, unit: 'ms', target: '' },
    {
      metric: '1 work in the frame handler: burst total (max)',
      value: `${fmtMs(ack.handled)} (${fmtMs(ack.handledMax)})`,
      target: '',
    },
    { metric: '1 acks missing', value: ack.missing, target: '0', ok: ack.missing === 0 },
    { metric: '1 500-message burst: last reply after', value: ack.answered / 1000, unit: 's', target: '' },
    {
      metric: '2 pipeline overhead /chat info p50',
      value: ov.p50,
      unit: 'ms',
      target: '< 2 ms',
      ok: ov.p50 < 2,
    },
    { metric: '2 pipeline overhead /chat info p99', value: ov.p99, unit: 'ms', target: '' },
    {
      metric: '2 /chat info end to end p50 (API part)',
      value: `${fmtMs(ov.e2e)} (${fmtMs(ov.api)})`,
      target: '',
    },
    { metric: '2 /chat info frame pushed→bot received p50', value: ov.toBot, unit: 'ms', target: '' },
    {
      metric: '3 create burst: succeeded (worst run)',
      value: `${b.succeeded}/${CREATE_BURST}`,
      target: `${CREATE_BURST}/${CREATE_BURST}`,
      ok: b.succeeded === CREATE_BURST,
    },
    { metric: '3 create burst: rate-limit errors shown', value: b.shown, target: '0', ok: b.shown === 0 },
    { metric: '3 create burst: other errors shown', value: b.other, target: '0', ok: b.other === 0 },
    { metric: '3 create burst: 90018/QpsLimit answers', value: b.refusals, target: '' },
    { metric: '3 create burst: elapsed', value: b.elapsed / 1000, unit: 's', target: '' },
    { metric: `3 create burst: floor (${b.busiest})`, value: b.floor / 1000, unit: 's', target: '' },
    { metric: '3 create burst: elapsed / floor', value: b.ratio, target: '≤ 1.10', ok: b.ratio <= 1.1 },
    { metric: '4 token fetches (bot)', value: tokens, target: '1', ok: tokens === 1 },
    {
      metric: '4 token fetches (emulator)',
      value: ours.emulatorTokenFetches,
      target: '1',
      ok: ours.emulatorTokenFetches === 1,
    },
    {
      metric: '4 TCP connections opened by the pool',
      value: ours.poolConnections,
      target: `≤ ${POOL}`,
      ok: ours.poolConnections <= POOL,
    },
    { metric: '4 TCP connections accepted by emulator', value: ours.emulatorTcp, target: '' },
    {
      metric: '4 TCP connections open at once (peak)',
      value: ours.emulatorTcpPeak,
      target: `≤ ${POOL + 2}`,
      ok: ours.emulatorTcpPeak <= POOL + 2,
    },
    {
      metric: `5 peak RSS, bot process (${MEMORY_MESSAGES} messages)`,
      value: mem.peakRss / MB,
      unit: 'MB',
      target: '< 150 MB',
      ok: mem.peakRss < RSS_TARGET,
    },
    {
      metric: '5 RSS before the load (idle bot, bundled)',
      value: mem.rssBefore / MB,
      unit: 'MB',
      target: '',
    },
    {
      metric: '5 floor: idle bundle, no bot started (bare node)',
      value: `${fmt0(mem.floor.tsx.rss / MB)} MB (${fmt0(mem.floor.node.rss / MB)} MB)`,
      target: '',
    },
    {
      metric: `5 heap growth after warm-up${mem.gc ? '' : ' (no gc)'}`,
      value: growth.growth / MB,
      unit: 'MB',
      target: `< ${HEAP_BOUND_BYTES / MB} MB`,
      ok: growth.growth < HEAP_BOUND_BYTES,
    },
    { metric: '5 heap slope', value: growth.perMessage, unit: 'B/msg', target: '' },
    {
      metric: '5 replies lost / duplicated',
      value: `${mem.lost} / ${mem.duplicated}`,
      target: '0 / 0',
      ok: mem.lost === 0 && mem.duplicated === 0,
    },
    {
      metric: '6 create burst succeeded: ours / naive',
      value: `${b.succeeded} / ${nb.succeeded}`,
      target: '',
    },
    {
      metric: '6 create burst successes ratio ours/naive',
      value: b.succeeded / nb.succeeded,
      unit: '×',
      target: '',
    },
    {
      metric: '6 create burst rate-limit errors: ours / naive',
      value: `${b.shown} / ${nb.shown}`,
      target: '',
    },
    {
      metric: '6 create burst successes/s: ours / naive',
      value: `${fmt1(ourGoodput)} / ${fmt1(naiveGoodput)} (${fmt1(ourGoodput / naiveGoodput)}×)`,
      target: '',
    },
    { metric: '6 create burst: naive elapsed', value: nb.elapsed / 1000, unit: 's', target: '' },
    {
      metric: '6 whoami burst msg/s: ours / naive',
      value: `${fmt1(whoOurs)} / ${fmt1(whoNaive)} (${fmt1(whoOurs / whoNaive)}×)`,
      target: '',
    },
    {
      metric: '6 ack p99 at emulator, create burst: ours / naive',
      value: `${fmtMs(med(burstRuns, (r) => r.ackP99))} / ${fmtMs(nb.ackP99)}`,
      target: '',
    },
    {
      metric: '6 naive: token fetches / TCP connections',
      value: `${naiveTotals.tokenFetches} / ${naiveTotals.emulatorTcp}`,
      target: '',
    },
    ...names.rows,
    ...tokenizer.rows,
    ...fairness.rows,
    ...batch.rows,
  ];

  const seconds = (performance.now() - benchStart) / 1000;
  out();
  out(
    `dingtalk-group-bot bench: median of ${RUNS} runs, node ${process.version}, ${os.cpus().length} cpus, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${seconds.toFixed(0)} s`,
  );
  if (!mem.gc)
    out('note: gc was unavailable in the bot process of the memory run; heap samples are not settled');
  out();
  out(table(rows));
  out();
  const misses = rows.filter((r) => r.ok === false).length;
  out(
    misses === 0
      ? 'every target met'
      : `${misses} target(s) missed (MISS); timing figures are noisy on a shared machine`,
  );

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    runs: RUNS,
    seconds,
    gcAvailable: mem.gc,
    clock,
    rows,
    raw: {
      ack: ackRuns,
      overhead: overheadRuns,
      createBurst: burstRuns,
      whoami: whoamiRuns,
      naive: { createBurst: naiveBurst, whoami: naiveWhoami, totals: naiveTotals },
      ours,
      memory: mem,
      names: names.raw,
      tokenizer: tokenizer.raw,
      fairness: fairness.raw,
      batch: batch.raw,
    },
  };
  writeFileSync(args.out as string, `${JSON.stringify(results, null, 2)}\n`);
  out(`figures written to ${args.out}`);
}

function fmtMs(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a';
}

function fmt0(v: number): string {
  return Number.isFinite(v) ? v.toFixed(0) : 'n/a';
}

function fmt1(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : 'n/a';
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench could not run:', err);
    process.exit(1);
  },
);
