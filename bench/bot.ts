/**
 * The bot under test, away from the emulator: bench/remote.ts runs this file in a worker thread
 * (items 1-4 and 6: its own event loop and V8 isolate, through bench/bot-worker.mjs) or in a child
 * process (item 5 and `npm run soak`: its own RSS). The emulator stays in the bench's main thread,
 * as DingTalk is another machine in production.
 *
 * The bot is built exactly as the bench built it in-process before: createApp with the
 * emulator's env, the SQLite store in a temp dir, production timings unless `app` overrides
 * them, pino at `info` into a discarding sink; its frame handler and robot.sendBySession are
 * hooked to stamp acks and replies. Stamps stay here until the bench asks for them (posting each
 * one would add work on the bot's thread during the burst).
 *
 * It answers the requests of bench/protocol.ts; the first must be `start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parentPort, threadId } from 'node:worker_threads';
import type { App } from '../src/app.ts';
import type { RobotFrame } from '../src/stream/index.ts';
import { getGc, peakRss, settledHeap } from './mem.ts';
import type { NaiveBot } from './naive.ts';
import type { AckStamp, BotOps, BotStart, Op, Request, Response } from './protocol.ts';
import { now } from './protocol.ts';

interface Link {
  post(m: Response): void;
  listen(fn: (m: Request) => void): void;
  close(): void;
}

function link(): Link | undefined {
  const port = parentPort;
  if (port) {
    return {
      post: (m) => port.postMessage(m),
      listen: (fn) => port.on('message', fn),
      close: () => port.close(),
    };
  }
  if (process.send) {
    // the bench died without stopping us: do not linger
    process.on('disconnect', () => process.exit(0));
    return {
      post: (m) => process.send?.(m),
      listen: (fn) => process.on('message', (m) => fn(m as Request)),
      close: () => {
        // let the answer to `stop` leave before the channel closes
        setTimeout(() => process.exit(0), 50);
      },
    };
  }
  return undefined;
}

/** A Writable that drops everything: logs are produced (their cost counts) but not kept. */
function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

function sessionKey(webhook: string): string | undefined {
  try {
    return new URL(webhook).searchParams.get('session') ?? undefined;
  } catch {
    return undefined;
  }
}

class BotHost {
  private app: App | undefined;
  private naive: NaiveBot | undefined;
  private dataDir: string | undefined;
  private acks: AckStamp[] = [];
  private readonly replies = new Map<string, number>();
  private readonly replyWaiters = new Map<string, () => void>();

  async start(o: BotStart): Promise<BotOps['start']['value']> {
    if (o.kind === 'ours') await this.startOurs(o);
    else if (o.kind === 'naive') {
      const { NaiveBot } = await import('./naive.ts');
      this.naive = await NaiveBot.start({
        apiBase: o.env.DINGTALK_API_BASE ?? '',
        clientId: o.env.DINGTALK_CLIENT_ID ?? '',
        clientSecret: o.env.DINGTALK_CLIENT_SECRET ?? '',
      });
    }
    return { pid: process.pid, threadId };
  }

  private async startOurs(o: BotStart): Promise<void> {
    const [{ createApp }, { loadConfig }, { createLogger }] = await Promise.all([
      import('../src/app.ts'),
      import('../src/config.ts'),
      import('../src/log.ts'),
    ]);
    const stamp = o.stamp ?? true;
    const origin = performance.timeOrigin;
    this.dataDir = mkdtempSync(join(tmpdir(), 'dgb-bench-'));
    const level = o.logLevel ?? 'info';
    const env: Record<string, string> = { ...o.env, BOT_DATA_DIR: this.dataDir, LOG_LEVEL: level };
    if (o.databaseUrl !== undefined) env.DATABASE_URL = o.databaseUrl;
    const config = loadConfig(env, undefined);
    const logger = createLogger({ level, destination: discard() });
    // As src/entry.ts does for DATABASE_URL: the shared store, then the app on it.
    const shared =
      o.databaseUrl === undefined
        ? {}
        : {
            store: await (await import('../src/store/index.ts')).openPostgresStore({
              url: o.databaseUrl,
              ...(o.replicaId === undefined ? {} : { replica: o.replicaId }),
            }),
            ...(o.replicaId === undefined ? {} : { replicaId: o.replicaId }),
          };
    const app = createApp({ config, logger, ...shared, ...o.app });
    this.app = app;

    // createApp wires `onRobotFrame: (f) => pipeline.handleFrame(f)`, looked up at call time, so
    // an instance property shadowing the method sees every frame right after its ack left.
    const pipeline = app.pipeline;
    const handleFrame = pipeline.handleFrame.bind(pipeline);
    pipeline.handleFrame = (f: RobotFrame) => {
      if (!stamp) {
        handleFrame(f);
        return;
      }
      // handledMs: the pipeline work done inside the socket's message event; the next frame of
      // the same chunk is not read (nor acked) before it ends.
      const t = performance.now();
      handleFrame(f);
      this.acks.push({
        messageId: f.messageId,
        receivedAt: origin + f.receivedAt,
        ackedAt: origin + f.ackedAt,
        handledMs: performance.now() - t,
      });
    };
    // The Replier holds this same RobotClient object: wrapping its method on the instance stamps
    // the moment a webhook reply was answered, as the bot sees it.
    const robot = app.dingtalk.robot;
    const send = robot.sendBySession.bind(robot);
    robot.sendBySession = async (url, body, opts) => {
      await send(url, body, opts);
      const key = stamp ? sessionKey(url) : undefined;
      if (key) {
        this.replies.set(key, now());
        this.replyWaiters.get(key)?.();
      }
    };
    await app.start();
  }

  replySent(key: string, timeoutMs: number): Promise<number> {
    const take = (): number => {
      const at = this.replies.get(key) as number;
      this.replies.delete(key);
      return at;
    };
    if (this.replies.has(key)) return Promise.resolve(take());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replyWaiters.delete(key);
        reject(new Error(`no reply sent for session ${key.slice(0, 6)}… within ${timeoutMs} ms`));
      }, timeoutMs);
      this.replyWaiters.set(key, () => {
        clearTimeout(timer);
        this.replyWaiters.delete(key);
        resolve(take());
      });
    });
  }

  async handle(op: Op, arg: unknown): Promise<unknown> {
    switch (op) {
      case 'start':
        return this.start(arg as BotStart);
      case 'clock':
        return now();
      case 'stamps': {
        const a = arg as BotOps['stamps']['arg'];
        const value: BotOps['stamps']['value'] = { acks: this.acks, replies: [...this.replies] };
        if (a.clear) {
          this.acks = [];
          this.replies.clear();
        }
        return value;
      }
      case 'replySent': {
        const a = arg as BotOps['replySent']['arg'];
        return this.replySent(a.key, a.timeoutMs);
      }
      case 'stats': {
        const app = this.need();
        return {
          pipeline: { ...app.pipeline.stats },
          dingtalk: app.dingtalk.stats(),
          stream: { ...app.supervisor.stats },
        } satisfies BotOps['stats']['value'];
      }
      case 'naiveStats':
        return { ...(this.naive?.stats ?? {}) };
      case 'memory': {
        const a = arg as BotOps['memory']['arg'];
        const heapUsed = a.settle ? await settledHeap() : process.memoryUsage().heapUsed;
        const m = process.memoryUsage();
        return {
          heapUsed,
          heapTotal: m.heapTotal,
          external: m.external,
          rss: m.rss,
          peakRss: peakRss(),
          gc: a.settle && getGc() !== undefined,
        } satisfies BotOps['memory']['value'];
      }
      case 'stop':
        await this.app?.stop({ drainMs: 2_000 }).catch(() => {});
        await this.naive?.stop();
        if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
        return null;
    }
  }

  private need(): App {
    if (!this.app) throw new Error('the bot under test is not ours (or not started)');
    return this.app;
  }
}

const l = link();
if (!l) {
  process.stderr.write('bench/bot.ts is started by the bench (bench/remote.ts), not on its own\n');
  process.exit(2);
}
const host = new BotHost();
l.listen((m) => {
  host.handle(m.op, m.arg).then(
    (value) => {
      l.post({ id: m.id, ok: true, value: value ?? null });
      if (m.op === 'stop') l.close();
    },
    (err: unknown) =>
      l.post({ id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
