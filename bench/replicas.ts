/**
 * Bench item 8, replicas (issue 12): several bots on one PostgreSQL, against one emulator.
 * A throwaway cluster (test/helpers/pg-cluster.ts) holds a fresh database per figure:
 * - burst: 200 `/chat create` spread over two replicas (worker threads) at 20 QPS;
 * - overhead: `/chat info` one at a time on one bot on PostgreSQL, and on one on SQLite;
 * - failover: a steady stream over two replicas (child processes), one SIGKILLed: the longest
 *   time a user waited for the reply.
 */
import pg from 'pg';
import type { Emulator } from '../src/emulator/index.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import {
  botEnv,
  LEADS,
  percentile,
  Recorder,
  type Sent,
  send,
  sleep,
  startEmulator,
  tallyCalls,
  tallyCreateReplies,
  USERS,
} from './lib.ts';
import { now } from './protocol.ts';
import { RemoteBot } from './remote.ts';

const QPS = 20;
export const REPLICA_CREATES = 200;
const INFO_MESSAGES = 100;
/** Below 20/s, so that the limiter never makes an overhead probe wait. */
const INFO_PACE_MS = 60;
/** Failover stream: one message every STREAM_EVERY_MS, the kill after KILL_AFTER_MS. */
const STREAM_EVERY_MS = 100;
const KILL_AFTER_MS = 5_000;
const STREAM_MS = 15_000;
/** chat.get slowed down, so that some messages are in the killed replica's hands when it dies. */
const INFO_LATENCY_MS = 500;

interface Database {
  url: string;
  /** a fresh database on the cluster */
  fresh(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function cluster(): Promise<Database> {
  const c = await startCluster();
  return {
    url: c.url,
    async fresh(name) {
      const client = new pg.Client({ connectionString: c.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const u = new URL(c.url);
      u.pathname = `/${name}`;
      return u.toString();
    },
    stop: () => c.stop(),
  };
}

/** Starts `n` replicas on `databaseUrl` and waits until each has its Stream connection. */
async function replicas(
  emu: Emulator,
  databaseUrl: string,
  n: number,
  where: 'worker' | 'process',
): Promise<RemoteBot[]> {
  const bots: RemoteBot[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const spec = {
        kind: 'ours' as const,
        env: botEnv(emu),
        databaseUrl,
        replicaId: `bench-replica-${i + 1}`,
      };
      bots.push(where === 'worker' ? await RemoteBot.inWorker(spec) : await RemoteBot.inProcess(spec));
    }
    await emu.waitFor(() => emu.connections().filter((c) => c.open).length >= n || undefined, 20_000);
    return bots;
  } catch (err) {
    for (const b of bots) await b.stop();
    throw err;
  }
}

export interface ReplicaBurstRun {
  succeeded: number;
  rateLimitShown: number;
  otherErrors: number;
  /** 90018/QpsLimit answers of the emulator, and every API call it answered (not token/gateway) */
  refusals: number;
  calls: number;
  elapsedMs: number;
  floorMs: number;
  busiest: string;
  /** when the busiest API's last successful call was answered, from the burst's start */
  busiestLastMs: number;
}

/** Figure 1: 200 creates at once, delivered at random to one of two replicas; 20 QPS, 20 ms. */
async function burst(db: Database, run: number): Promise<ReplicaBurstRun> {
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bots = await replicas(emu, await db.fresh(`bench_burst_${run}`), 2, 'worker');
  try {
    emu.faults.qpsLimit = QPS;
    emu.faults.latencyMs = 20;
    const first = emu.requests.length;
    const t0 = now();
    const sent: Sent[] = [];
    for (let i = 0; i < REPLICA_CREATES; i++) {
      const lead = LEADS[i % LEADS.length] as string;
      const a = USERS[i % USERS.length] as string;
      const b = USERS[(i + 7) % USERS.length] as string;
      sent.push(send(emu, lead, `/chat create rep-${String(i).padStart(3, '0')} @${a} @${b}`));
    }
    await rec.waitReplies(
      sent.map((s) => s.msgId),
      120_000,
    );
    const { succeeded, rateLimitShown, otherErrors, last } = tallyCreateReplies(sent, rec, t0);
    const { calls, refusals, done } = tallyCalls(emu.requests.slice(first));
    const [busiest, count] = Object.entries(done).sort((x, y) => y[1] - x[1])[0] ?? ['-', 0];
    const busiestLast = emu.requests
      .slice(first)
      .filter((r) => r.endpoint === busiest && r.status === 200)
      .reduce((a, r) => Math.max(a, r.at + r.durationMs), t0);
    return {
      succeeded,
      rateLimitShown,
      otherErrors,
      refusals,
      calls,
      elapsedMs: last - t0,
      floorMs: (count / QPS) * 1000,
      busiest,
      busiestLastMs: busiestLast - t0,
    };
  } finally {
    for (const b of bots) await b.stop();
    await emu.stop();
  }
}

export interface OverheadRun {
  p50: number;
  p99: number;
}

/**
 * Figure 2: as item 2, `/chat info` one at a time: emulator pushed the frame → the bot saw its
 * webhook reply answered, minus the emulator's time on the calls the message caused. One bot,
 * on PostgreSQL (`databaseUrl`) or SQLite.
 */
async function overhead(databaseUrl: string | undefined): Promise<OverheadRun> {
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bots =
    databaseUrl === undefined
      ? [await RemoteBot.inWorker({ kind: 'ours', env: botEnv(emu) })]
      : await replicas(emu, databaseUrl, 1, 'worker');
  const bot = bots[0] as RemoteBot;
  try {
    await emu.waitForConnection(10_000);
    const chat = emu.org.addChat({
      name: 'bench-info',
      owner: LEADS[0] as string,
      members: [LEADS[0] as string, USERS[0] as string, USERS[1] as string],
      createdByApi: true,
    });
    // warm-up: connections, token, the store's statements
    for (let i = 0; i < 20; i++) {
      const s = send(emu, LEADS[0] as string, `/chat info ${chat.chatId}`);
      await rec.waitReplies([s.msgId], 10_000);
      await sleep(INFO_PACE_MS);
    }
    await sleep(1_100);
    const over: number[] = [];
    for (let i = 0; i < INFO_MESSAGES; i++) {
      const first = emu.requests.length;
      const s = send(emu, LEADS[i % LEADS.length] as string, `/chat info ${chat.chatId}`);
      await rec.waitReplies([s.msgId], 10_000);
      const replySent = await bot.call('replySent', { key: s.session ?? '', timeoutMs: 10_000 });
      const total = replySent - (rec.deliveredAt.get(s.messageId) ?? s.sentAt);
      over.push(total - emu.requests.slice(first).reduce((a, r) => a + r.durationMs, 0));
      const wait = s.sentAt + INFO_PACE_MS - now();
      if (wait > 0) await sleep(wait);
    }
    return { p50: percentile(over, 50), p99: percentile(over, 99) };
  } finally {
    await bot.stop();
    await emu.stop();
  }
}

export interface FailoverRun {
  messages: number;
  /** the longest push → reply of any message, and the median */
  maxWaitMs: number;
  p50WaitMs: number;
  /**
   * Messages answered more than 5 s after they were pushed: the killed replica's. `acked`: it had
   * acked them (a survivor's takeover answers); not acked: pushed to the dying connection, answered
   * when DingTalk (the emulator, after 60 s as observed in the field) pushes them again.
   */
  slow: { waitMs: number; acked: boolean }[];
  /** the longest wait of the acked orphans alone (the takeover gap); 0 when there was none */
  takeoverMs: number;
  lost: number;
  duplicated: number;
}

/**
 * Figure 3: `/chat info` every 100 ms over two replicas in child processes; one is SIGKILLed
 * after 5 s, the stream goes on to 15 s, then every reply is awaited (up to 90 s).
 */
async function failover(db: Database, run: number): Promise<FailoverRun> {
  const emu = await startEmulator();
  const rec = new Recorder(emu);
  const bots = await replicas(emu, await db.fresh(`bench_failover_${run}`), 2, 'process');
  const [victim, survivor] = bots as [RemoteBot, RemoteBot];
  try {
    const chat = emu.org.addChat({
      name: 'bench-failover',
      owner: LEADS[0] as string,
      members: [LEADS[0] as string, USERS[0] as string],
      createdByApi: true,
    });
    emu.faults.latencyByEndpoint = { 'chat.get': INFO_LATENCY_MS };
    const sent: Sent[] = [];
    const t0 = now();
    let killed = false;
    for (let i = 0; now() - t0 < STREAM_MS; i++) {
      sent.push(send(emu, LEADS[i % LEADS.length] as string, `/chat info ${chat.chatId}`));
      // Between two pushes, so that the emulator sees the socket close before the next one.
      if (!killed && now() - t0 >= KILL_AFTER_MS) {
        await sleep(STREAM_EVERY_MS / 2);
        victim.kill('SIGKILL');
        killed = true;
      }
      const wait = t0 + (i + 1) * STREAM_EVERY_MS - now();
      if (wait > 0) await sleep(wait);
    }
    await rec
      .waitReplies(
        sent.map((s) => s.msgId),
        90_000,
      )
      .catch(() => {});
    const waits: number[] = [];
    let lost = 0;
    let duplicated = 0;
    const slow: FailoverRun['slow'] = [];
    for (const s of sent) {
      const r = rec.replies.get(s.msgId);
      if (!r?.[0]) {
        lost++;
        continue;
      }
      if (r.length > 1) duplicated++;
      const w = r[0].at - s.sentAt;
      waits.push(w);
      if (w > 5_000) slow.push({ waitMs: w, acked: rec.ackedAt.has(s.messageId) });
    }
    return {
      messages: sent.length,
      maxWaitMs: lost > 0 ? Number.POSITIVE_INFINITY : Math.max(...waits),
      p50WaitMs: percentile(waits, 50),
      slow,
      takeoverMs: Math.max(0, ...slow.filter((x) => x.acked).map((x) => x.waitMs)),
      lost,
      duplicated,
    };
  } finally {
    await survivor.stop();
    await victim.stop();
    await emu.stop();
  }
}

export interface ReplicasRaw {
  burst: ReplicaBurstRun[];
  overheadPostgres: OverheadRun[];
  overheadSqlite: OverheadRun[];
  failover: FailoverRun[];
}

/** Runs the three figures `runs` times each (failover once: it takes up to 105 s). */
export async function replicasBench(runs: number, progress: (s: string) => void): Promise<ReplicasRaw> {
  const db = await cluster();
  try {
    const raw: ReplicasRaw = { burst: [], overheadPostgres: [], overheadSqlite: [], failover: [] };
    for (let r = 0; r < runs; r++) {
      progress(`replicas: ${REPLICA_CREATES} creates over two replicas, run ${r + 1}/${runs}`);
      raw.burst.push(await burst(db, r));
    }
    for (let r = 0; r < runs; r++) {
      progress(`replicas: /chat info overhead, PostgreSQL and SQLite, run ${r + 1}/${runs}`);
      raw.overheadPostgres.push(await overhead(await db.fresh(`bench_info_${r}`)));
      raw.overheadSqlite.push(await overhead(undefined));
    }
    progress('replicas: failover, SIGKILL of one replica in a stream of 10 messages/s');
    raw.failover.push(await failover(db, 0));
    return raw;
  } finally {
    await db.stop();
  }
}
