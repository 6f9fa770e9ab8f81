/**
 * Item 12 (issue 21): a command over a set of 200 chats. `/chat add <200 chatIds> <user>` asks
 * for `/confirm` (more than 20 chats): the time to its preview is the cost of planning the set
 * (one chat/get per chat); `/confirm` then runs it, chat by chat, and the time to its ledger is
 * compared with the floor of its busiest API at DingTalk's 20 QPS. The emulator enforces 20 QPS
 * per API (answering 90018 beyond it) with 20 ms latency, as item 3; the bot runs in a worker.
 */
import type { Emulator } from '../src/emulator/index.ts';
import {
  LEADS,
  RATE_TEXT,
  Recorder,
  type Sent,
  send,
  sleep,
  startBot,
  startEmulator,
  tallyCalls,
  USERS,
} from './lib.ts';
import { now } from './protocol.ts';

export const BATCH_CHATS = 200;
const QPS = 20;

export interface BatchRun {
  /** /chat add on 200 chats → its preview */
  planMs: number;
  planFloorMs: number;
  /** /confirm → the ledger */
  runMs: number;
  floorMs: number;
  busiest: string;
  calls: Record<string, number>;
  refusals: number;
  /** chats the ledger says were done */
  done: number;
  /** a reply (the start notice or the ledger) that shows DingTalk's rate limit */
  rateLimitShown: number;
  /** the start notice came before the ledger */
  notice: boolean;
  ledgerChars: number;
}

/** Waits until `s` has a reply matching `re`; its arrival time and text. */
async function replyMatching(rec: Recorder, s: Sent, re: RegExp, timeoutMs: number) {
  const until = now() + timeoutMs;
  for (;;) {
    const hit = rec.replies.get(s.msgId)?.find((r) => re.test(r.text));
    if (hit !== undefined) return hit;
    if (now() > until)
      throw new Error(
        `no reply matching ${re} within ${timeoutMs} ms; got: ${JSON.stringify(rec.replies.get(s.msgId)?.map((r) => r.text.slice(0, 300)))}`,
      );
    await sleep(20);
  }
}

/** The floor of the busiest endpoint among `calls` at 20 QPS. */
function floor(calls: Record<string, number>): { busiest: string; ms: number } {
  const [busiest, count] = Object.entries(calls).sort((x, y) => y[1] - x[1])[0] ?? ['-', 0];
  return { busiest, ms: (count / QPS) * 1000 };
}

async function oneRun(): Promise<BatchRun> {
  const emu: Emulator = await startEmulator();
  const bot = await startBot(emu, { where: 'worker', kind: 'ours' });
  try {
    const rec = new Recorder(emu);
    const lead = LEADS[0] as string;
    const ids = Array.from(
      { length: BATCH_CHATS },
      (_, i) =>
        emu.org.addChat({
          name: `Batch ${String(i).padStart(3, '0')}`,
          owner: lead,
          members: [lead, USERS[0] as string],
        }).chatId,
    );
    emu.faults.qpsLimit = QPS;
    emu.faults.latencyMs = 20;
    // A warm-up command: the token and the connection pool, as a lead's earlier work would have.
    await replyMatching(rec, send(emu, lead, `/chat info ${ids[0]}`), /./, 10_000);
    await sleep(1_100);

    const planFirst = emu.requests.length;
    const t0 = now();
    const ask = send(emu, lead, `/chat add ${ids.join(',')} ${USERS[1]}`);
    const preview = await replyMatching(rec, ask, /\/confirm [A-Z0-9]{6}/, 60_000);
    const planMs = preview.at - t0;
    const plan = floor(tallyCalls(emu.requests.slice(planFirst)).done);
    const code = /\/confirm ([A-Z0-9]{6})/.exec(preview.text)?.[1] ?? '';
    // The rate window of the preview's reads passes, as a person's reading time would.
    await sleep(1_100);

    const first = emu.requests.length;
    const t1 = now();
    const go = send(emu, lead, `/confirm ${code}`);
    const ledger = await replyMatching(rec, go, /\d+ done, \d+ skipped, \d+ failed/, 120_000);
    const runMs = ledger.at - t1;
    const { refusals, done: calls } = tallyCalls(emu.requests.slice(first));
    const f = floor(calls);
    const replies = rec.replies.get(go.msgId) ?? [];
    return {
      planMs,
      planFloorMs: plan.ms,
      runMs,
      floorMs: f.ms,
      busiest: f.busiest,
      calls,
      refusals,
      done: Number(/(\d+) done/.exec(ledger.text)?.[1] ?? 0),
      rateLimitShown: [...replies, preview].filter((r) => RATE_TEXT.test(r.text)).length,
      notice: replies.length > 1 && replies[0] !== ledger,
      ledgerChars: ledger.text.length,
    };
  } finally {
    emu.faults.latencyMs = 0;
    await bot.stop();
    await emu.stop();
  }
}

/** Item 12: `runs` runs, each on a fresh emulator and bot. */
export async function batchBench(runs: number, progress: (s: string) => void): Promise<BatchRun[]> {
  const out: BatchRun[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`batch: /chat add on ${BATCH_CHATS} chats, preview then /confirm (run ${i + 1} of ${runs})`);
    out.push(await oneRun());
  }
  return out;
}
