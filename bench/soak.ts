/**
 * `npm run soak [-- --messages N] [--fault-every N] [--faults drop,disconnect,storm] [--qps N]
 * [--bound-mb N] [--json FILE]`: a long run through the real Stream path. /whoami from 50 users
 * (and every 20th message a lead's /chat info, which needs a token and chat/get), in batches of
 * 500, each batch waiting for all its replies. The settled heap (after global.gc) is sampled every
 * 2 000 messages; the first sample, after 2 000 messages of warm-up, is the baseline.
 *
 * Faults, one kind at a time in turn, every `--fault-every` messages (0 = none, the default):
 * - drop: the emulator kills the Stream socket without `disconnect` (frames in flight are lost
 *   and redelivered by the emulator after 2 s);
 * - disconnect: SYSTEM `disconnect`, the socket closes 2 s later (make-before-break);
 * - storm: the next 30 webhook replies and chat/get calls are answered 90018 (rate limit).
 *
 * The emulator runs in this process; the bot runs in a child process of its own (bench/bot.ts
 * bundled like `npm run build`, plain `node --expose-gc`), so that the heap samples and the RSS
 * are the bot's alone, as in production. Before the load, an idle child started the same way (and a bare node) give the
 * runtime's floor.
 *
 * Exit 0 when the heap held within the bound and every message got its reply; 1 when the heap
 * grew beyond the bound or a message lost its reply; 2 when the soak could not run.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  heapGrowth,
  LEADS,
  MB,
  out,
  Recorder,
  send,
  startBot,
  startEmulator,
  sustainedLoad,
  USERS,
} from './lib.ts';
import { runtimeFloor } from './remote.ts';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    'fault-every': { type: 'string', default: '0' },
    faults: { type: 'string', default: 'drop,disconnect,storm' },
    qps: { type: 'string', default: '1000' },
    'bound-mb': { type: 'string', default: '4' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const MESSAGES = Math.max(4_000, Number(args.messages) || 20_000);
const FAULT_EVERY = Math.max(0, Number(args['fault-every']) || 0);
const FAULTS = String(args.faults)
  .split(',')
  .map((f) => f.trim())
  .filter((f): f is 'drop' | 'disconnect' | 'storm' => f === 'drop' || f === 'disconnect' || f === 'storm');
const QPS_LIMIT = Math.max(1, Number(args.qps) || 1_000);
const BOUND = (Number(args['bound-mb']) || 4) * MB;
const say = (s: string): void => {
  if (!args.quiet) out(s);
};

async function main(): Promise<number> {
  say(
    `soak: ${MESSAGES} messages, faults ${FAULT_EVERY > 0 ? `${FAULTS.join('+')} every ${FAULT_EVERY}` : 'off'}, ` +
      `bot limiter ${QPS_LIMIT}/s per API, heap bound ${(BOUND / MB).toFixed(1)} MB, bot in a child process`,
  );
  const floor = await runtimeFloor();
  say(
    `  runtime floor: the bundle with no bot started ${(floor.tsx.rss / MB).toFixed(0)} MB RSS (peak ${(floor.tsx.peakRss / MB).toFixed(0)} MB), ` +
      `bare node ${(floor.node.rss / MB).toFixed(0)} MB (peak ${(floor.node.peakRss / MB).toFixed(0)} MB)`,
  );
  const emu = await startEmulator({
    qpsLimit: null,
    redeliveryDelayMs: 2_000,
    disconnectCloseDelayMs: 2_000,
  });
  const rec = new Recorder(emu);
  // The bot's limiter caps sessionWebhook replies at 20/s; at that pace 20 000 messages take
  // 17 minutes, so the soak raises it (--qps 20 for the production setting).
  const bot = await startBot(emu, {
    where: 'process',
    kind: 'ours',
    app: { dingtalk: { qps: QPS_LIMIT }, stream: { backoff: { initialMs: 100, maxMs: 1_000 } } },
    stamp: false,
  });
  const warm = send(emu, LEADS[0] as string, `/chat create soak @${USERS[0]} @${USERS[1]}`);
  await rec.waitReplies([warm.msgId], 10_000);
  const created = emu.requests.find((r) => r.endpoint === 'im.group.create' || r.endpoint === 'chat.create');
  const chatId = String((created?.response as { chatid?: unknown } | undefined)?.chatid ?? '');
  if (!chatId.startsWith('chat')) throw new Error('warm-up /chat create did not create a chat');

  let faultNo = 0;
  let nextFault = FAULT_EVERY;
  const injected: Record<string, number> = {};
  const result = await sustainedLoad(emu, rec, bot, {
    messages: MESSAGES,
    batch: 500,
    sampleEvery: 2_000,
    warmup: 2_000,
    replyTimeoutMs: 60_000,
    message: (n) =>
      n % 20 === 19
        ? { from: LEADS[n % LEADS.length] as string, text: `/chat info ${chatId}` }
        : { from: USERS[n % USERS.length] as string, text: '/whoami' },
    beforeBatch: (sent) => {
      if (FAULT_EVERY === 0 || FAULTS.length === 0 || sent < nextFault) return;
      nextFault += FAULT_EVERY;
      const kind = FAULTS[faultNo++ % FAULTS.length] as (typeof FAULTS)[number];
      injected[kind] = (injected[kind] ?? 0) + 1;
      if (kind === 'drop') emu.dropConnections();
      else if (kind === 'disconnect') emu.sendDisconnect();
      else {
        emu.faults.inject('robot.sendBySession', 'qps', 30);
        emu.faults.inject('chat.get', 'qps', 30);
      }
    },
    onSample: (s) =>
      say(
        `  ${String(s.messages).padStart(6)} messages  heap ${(s.heapUsed / MB).toFixed(1).padStart(6)} MB  (reserved ${(s.heapTotal / MB).toFixed(0)} MB, external ${(s.external / MB).toFixed(1)} MB)  rss ${(s.rss / MB).toFixed(0).padStart(4)} MB`,
      ),
  });
  const stats = await bot.call('stats', null);
  await bot.stop();
  await emu.stop();

  const growth = heapGrowth(result.samples);
  const heldHeap = growth.growth < BOUND;
  const heldReplies = result.lost === 0;
  say(
    `heap growth after warm-up ${(growth.growth / MB).toFixed(2)} MB (${growth.perMessage.toFixed(0)} B/message), ` +
      `bot's RSS ${(result.rssBefore / MB).toFixed(0)} MB before the load, peak ${(result.peakRss / MB).toFixed(0)} MB, ${(result.elapsedMs / 1000).toFixed(1)} s`,
  );
  if (!result.gc) say('note: gc was unavailable in the bot process: heap samples are not settled');
  say(
    `replies: ${result.lost} lost, ${result.duplicated} duplicated; faults injected ${JSON.stringify(injected)}; ` +
      `stream reconnects ${stats.stream.reconnects}, rate-limit waits ${stats.dingtalk.rateLimitWaits}`,
  );
  const verdict = heldHeap && heldReplies ? 'HELD' : 'FAILED';
  say(
    `verdict: ${verdict}${heldHeap ? '' : ` (heap grew beyond ${(BOUND / MB).toFixed(1)} MB)`}${heldReplies ? '' : ` (${result.lost} message(s) lost their reply)`}`,
  );
  if (args.json) {
    writeFileSync(
      args.json,
      `${JSON.stringify({ messages: MESSAGES, bound: BOUND, growth, verdict, injected, stats, floor, ...result }, null, 2)}\n`,
    );
  }
  return verdict === 'HELD' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('soak could not run:', err);
    process.exit(2);
  },
);
