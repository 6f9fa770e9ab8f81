/**
 * The bench's handle on the bot under test (bench/bot.ts), run away from the emulator's thread:
 * - `RemoteBot.inWorker`: a worker_threads Worker (own event loop and V8 isolate, same process).
 *   Used for the timed items: the emulator's push loop, ack reading and HTTP serving no longer
 *   run on the bot's event loop.
 * - `RemoteBot.inProcess`: a child node process running bench/bot.ts bundled the way
 *   `npm run build` bundles the bot for production (esbuild, plain `node`, no tsx loader), with an
 *   IPC channel. Used for memory: its RSS is the bot's own, as deployed.
 * Requests and answers are bench/protocol.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { BotOps, BotStart, Op, Request, Response } from './protocol.ts';
import { now } from './protocol.ts';

const WORKER_ENTRY = new URL('./bot-worker.mjs', import.meta.url);
const PROCESS_ENTRY = fileURLToPath(new URL('./bot.ts', import.meta.url));
/** Inside the repository, so that the bundle's bare imports resolve from node_modules. */
const PROCESS_BUNDLE = fileURLToPath(new URL('./.build/bot.mjs', import.meta.url));
/** The child's flags: settled heap samples need gc; the rest are `npm run start:prod`'s. */
export const CHILD_EXEC_ARGV = ['--expose-gc', '--enable-source-maps', '--max-semi-space-size=4'];

let bundled: Promise<string> | undefined;

/** Bundles bench/bot.ts with the options of `npm run build` (once per bench run). */
function bundle(): Promise<string> {
  bundled ??= build({
    entryPoints: [PROCESS_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    outfile: PROCESS_BUNDLE,
    logLevel: 'warning',
  }).then(() => PROCESS_BUNDLE);
  return bundled;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class RemoteBot {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | undefined;

  private constructor(
    readonly where: 'worker' | 'process',
    private readonly post: (m: Request) => void,
    private readonly end: () => Promise<void>,
    private readonly signal?: (s: NodeJS.Signals) => void,
  ) {}

  /** The bot in a worker thread of this process. */
  static async inWorker(start: BotStart): Promise<RemoteBot> {
    const worker = new Worker(WORKER_ENTRY);
    const bot = new RemoteBot(
      'worker',
      (m) => worker.postMessage(m),
      async () => {
        await worker.terminate();
      },
    );
    worker.on('message', (m: Response) => bot.settle(m));
    worker.on('error', (err) => bot.fail(err));
    worker.on('exit', (code) => bot.fail(new Error(`the bot's worker exited (${code})`)));
    await bot.call('start', start, 60_000);
    return bot;
  }

  /** The bot in a child node process of its own. */
  static async inProcess(start: BotStart): Promise<RemoteBot> {
    const child = spawn(process.execPath, [...CHILD_EXEC_ARGV, await bundle()], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const bot = new RemoteBot(
      'process',
      (m) => child.send(m),
      async () => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(kill);
      },
      (s) => child.kill(s),
    );
    child.on('message', (m) => bot.settle(m as Response));
    child.on('error', (err) => bot.fail(err));
    child.on('exit', (code, signal) => bot.fail(new Error(`the bot's process exited (${signal ?? code})`)));
    await bot.call('start', start, 60_000);
    return bot;
  }

  call<K extends Op>(op: K, arg: BotOps[K]['arg'], timeoutMs = 60_000): Promise<BotOps[K]['value']> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the bot under test did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as BotOps[K]['value']);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.post({ id, op, arg });
    });
  }

  /**
   * Offset of the bot's clock against ours (both `now()`), from the round trip with the
   * shortest time of `rounds` pings; a sanity check of cross-thread stamps.
   */
  async clockCheck(rounds = 50): Promise<{ offsetMs: number; rttMs: number }> {
    let rttMs = Number.POSITIVE_INFINITY;
    let offsetMs = Number.NaN;
    for (let i = 0; i < rounds; i++) {
      const t0 = now();
      const theirs = await this.call('clock', null);
      const t1 = now();
      if (t1 - t0 < rttMs) {
        rttMs = t1 - t0;
        offsetMs = theirs - (t0 + t1) / 2;
      }
    }
    return { offsetMs, rttMs };
  }

  /** Sends `s` to the bot's process (a replica's death in bench/replicas.ts); child processes only. */
  kill(s: NodeJS.Signals): void {
    if (!this.signal) throw new Error('only a bot in a child process can be sent a signal');
    this.signal(s);
  }

  /** Stops the bot (graceful app.stop), then ends its thread or process. */
  async stop(): Promise<void> {
    await this.call('stop', null, 20_000).catch(() => {});
    await this.end();
  }

  private settle(m: Response): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`bot under test: ${m.error}`));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export interface RuntimeFloor {
  /** the bundled bot's process before it loads any bot code */
  tsx: { rss: number; peakRss: number };
  /** `node --expose-gc -e …`: no tsx either */
  node: { rss: number; peakRss: number };
}

/**
 * What the runtime costs before any of our code: the RSS of an idle child started exactly as
 * the bot's (kind `idle`), and of a bare node.
 */
export async function runtimeFloor(): Promise<RuntimeFloor> {
  const idle = await RemoteBot.inProcess({ kind: 'idle', env: {} });
  const m = await idle.call('memory', { settle: true });
  await idle.stop();
  const node = await new Promise<{ rss: number; peakRss: number }>((resolve, reject) => {
    // the same figures as bench/mem.ts, in plain JavaScript
    const code = [
      "const hwm=()=>{try{const m=/^VmHWM:\\s+(\\d+)\\s+kB/m.exec(require('fs').readFileSync('/proc/self/status','utf8'));",
      'if(m)return Number(m[1])*1024}catch{}return process.resourceUsage().maxRSS*1024};',
      "process.once('message',()=>{gc();gc();",
      'process.send({rss:process.memoryUsage().rss,peakRss:hwm()},()=>process.exit(0))})',
    ].join('');
    const child = spawn(process.execPath, ['--expose-gc', '-e', code], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (v) => resolve(v as { rss: number; peakRss: number }));
    child.once('error', reject);
    child.once('exit', (c) => reject(new Error(`bare node exited (${c}) before it answered`)));
    child.send('memory');
  });
  return { tsx: { rss: m.rss, peakRss: m.peakRss }, node };
}
