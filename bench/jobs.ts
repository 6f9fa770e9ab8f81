/**
 * Bench item 11, jobs (issue 22, `--only jobs`): 1 000 scheduled renames falling due at once on
 * two replicas (worker threads) sharing one PostgreSQL, against DingTalk's 20 QPS per API with
 * 20 ms latency. Each must run once (one rename, one 1:1 notice), and all within 110% of the
 * floor set by the rate limit of their busiest API.
 *
 * The jobs are written into the shared store directly (as `/chat rename … at=` stores them: a
 * bound plan with its time), so that the figure is the scheduler's, not 1 000 commands'.
 */
import pg from 'pg';
import type { Plan } from '../src/bot/plan.ts';
import type { ChatRef } from '../src/bot/types.ts';
import type { Emulator } from '../src/emulator/index.ts';
import { openPostgresStore } from '../src/store/index.ts';
import { startCluster } from '../test/helpers/pg-cluster.ts';
import { botEnv, LEADS, sleep, startEmulator, tallyCalls } from './lib.ts';
import { RemoteBot } from './remote.ts';

export const BENCH_JOBS = 1_000;
const QPS = 20;
/** The replicas are up before the jobs fall due. */
const DUE_IN_MS = 3_000;

export interface JobsRun {
  jobs: number;
  /** jobs whose lead got a notice saying it was done */
  done: number;
  /** jobs renamed more than once, or told more than once */
  duplicated: number;
  /** jobs never told */
  missing: number;
  elapsedMs: number;
  floorMs: number;
  busiest: string;
  refusals: number;
  calls: number;
}

function planFor(lead: string, chat: ChatRef, name: string, at: number): Plan {
  return {
    v: 1,
    command: 'chat rename',
    caller: { userId: lead, nick: lead },
    locale: 'en',
    message: {
      msgId: `bench-job-${name}`,
      frameMessageId: `bench-job-${name}`,
      robotCode: '',
      msgtype: 'text',
      text: `/chat rename ${chat.chatId} ${name} at=…`,
      senderUserId: lead,
      senderNick: lead,
      senderIsOrgAdmin: false,
      conversationType: 'direct',
      conversationId: `cid-bench-${lead}`,
      conversationTitle: undefined,
      mentions: [],
      createdAt: Date.now(),
    },
    chat,
    args: { chat, name },
    shown: { chat: chat.chatId, name },
    usedOptions: [],
    notes: [],
    people: [],
    when: { at, what: `/chat rename ${chat.chatId} ${name}` },
  };
}

async function freshDatabase(clusterUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(clusterUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function oneRun(clusterUrl: string, run: number, progress: (s: string) => void): Promise<JobsRun> {
  const emu: Emulator = await startEmulator();
  const url = await freshDatabase(clusterUrl, `bench_jobs_${run}_${process.pid}`);
  const store = await openPostgresStore({ url });
  const bots: RemoteBot[] = [];
  try {
    // The chats, each made by the bot for its lead (ownership from the registry, as after /chat create).
    const chats: ChatRef[] = [];
    for (let i = 0; i < BENCH_JOBS; i++) {
      const lead = LEADS[i % LEADS.length] as string;
      const c = emu.org.addChat({ name: `job-${i}`, owner: lead, members: [lead], createdByApi: true });
      const record = await store.registry.upsert({
        chatId: c.chatId,
        openConversationId: c.openConversationId,
        name: c.name,
        createdFor: lead,
        createdByBot: true,
      });
      chats.push({ chatId: c.chatId, openConversationId: c.openConversationId, record, label: c.chatId });
    }
    for (let i = 0; i < 2; i++)
      bots.push(
        await RemoteBot.inWorker({
          kind: 'ours',
          env: botEnv(emu),
          databaseUrl: url,
          replicaId: `bench-jobs-${i + 1}`,
        }),
      );
    await emu.waitFor(() => emu.connections().filter((c) => c.open).length >= 2 || undefined, 20_000);
    emu.faults.qpsLimit = QPS;
    emu.faults.latencyMs = 20;
    const first = emu.requests.length;
    const firstReply = emu.replies.length;
    const dueAt = Date.now() + DUE_IN_MS;
    const ids: number[] = [];
    for (const [i, chat] of chats.entries()) {
      const lead = LEADS[i % LEADS.length] as string;
      const plan = planFor(lead, chat, `done-${i}`, dueAt);
      ids.push(
        await store.jobs.add({
          kind: 'at',
          userId: lead,
          chatId: chat.chatId,
          command: plan.command,
          plan: JSON.stringify(plan),
          what: plan.when?.what ?? '',
          dueAt,
          createdAt: Date.now(),
        }),
      );
    }
    progress(`jobs: ${BENCH_JOBS} jobs due at once on two replicas (run ${run + 1})`);
    const notices = () => emu.replies.slice(firstReply).filter((r) => r.via === 'oto');
    await emu.waitFor(() => notices().length >= BENCH_JOBS || undefined, 600_000).catch(() => undefined);
    const last = notices().reduce((a, r) => Math.max(a, r.at), dueAt);
    // A loser of a race would show itself now.
    await sleep(2_000);
    const told = new Map<string, number>();
    let done = 0;
    for (const r of notices()) {
      const m = /\*\*(J\d+)\*\*/.exec(r.text);
      if (m?.[1]) told.set(m[1], (told.get(m[1]) ?? 0) + 1);
      if (r.text.includes('is done')) done++;
    }
    const renames = new Map<string, number>();
    for (const r of emu.requests.slice(first))
      if ((r.endpoint === 'chat.update' || r.endpoint === 'im.group.update') && r.status === 200) {
        const b = r.body as { chatid?: unknown; openConversationId?: unknown };
        const id = String(b.chatid ?? b.openConversationId);
        renames.set(id, (renames.get(id) ?? 0) + 1);
      }
    const duplicated =
      [...told.values()].filter((n) => n > 1).length + [...renames.values()].filter((n) => n > 1).length;
    const missing = ids.filter((n) => !told.has(`J${n}`)).length;
    const { calls, refusals, done: perApi } = tallyCalls(emu.requests.slice(first));
    const [busiest, count] = Object.entries(perApi).sort((x, y) => y[1] - x[1])[0] ?? ['-', 0];
    return {
      jobs: BENCH_JOBS,
      done,
      duplicated,
      missing,
      elapsedMs: last - dueAt,
      floorMs: (count / QPS) * 1000,
      busiest,
      refusals,
      calls,
    };
  } finally {
    for (const b of bots) await b.stop();
    await store.close();
    await emu.stop();
  }
}

export async function jobsBench(runs: number, progress: (s: string) => void): Promise<JobsRun[]> {
  const cluster = await startCluster();
  try {
    const out: JobsRun[] = [];
    for (let i = 0; i < runs; i++) out.push(await oneRun(cluster.url, i, progress));
    return out;
  } finally {
    await cluster.stop();
  }
}
