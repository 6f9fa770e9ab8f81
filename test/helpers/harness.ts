/**
 * End-to-end harness: the emulator on 127.0.0.1 and the real bot (real `dingtalk-stream` SDK,
 * real undici client, real SQLite store) connected to it through the Stream path.
 * Reads like a transcript: `await h.say('lead1', '/chat create "Design Review" @alice', {mentions: ['alice']})`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type App, type AppOptions, createApp } from '../../src/app.ts';
import type { Policy } from '../../src/bot/policy.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { Emulator, type EmulatorOptions, type SeedUser, type SentReply } from '../../src/emulator/index.ts';
import { createLogger } from '../../src/log.ts';

/** The demo org every e2e test starts from. */
export const TEST_USERS: SeedUser[] = [
  { userId: 'admin1', nick: 'Ada Admin' },
  { userId: 'lead1', nick: 'Lee Lead' },
  { userId: 'lead2', nick: 'Li Lead' },
  { userId: 'alice', nick: 'Alice' },
  { userId: 'bob', nick: 'Bob' },
  { userId: 'carol', nick: 'Carol' },
  { userId: 'dave', nick: 'Dave' },
  { userId: 'erin', nick: 'Erin' },
  { userId: 'mallory', nick: 'Mallory' },
];

export interface HarnessOptions {
  users?: SeedUser[];
  admins?: string[];
  leads?: string[];
  env?: Record<string, string>;
  emulator?: EmulatorOptions;
  policy?: Policy;
  /** Keep the SQLite file here (restart tests); default a fresh temp dir. */
  dataDir?: string;
  app?: Partial<Omit<AppOptions, 'config' | 'logger'>>;
}

export interface Harness {
  emu: Emulator;
  app: App;
  config: Config;
  dataDir: string;
  /** Every log line the bot wrote (JSON strings). */
  logs: string[];
  /** Sends a message and returns the first reply's text. */
  say(
    from: string,
    text: string,
    opts?: { chat?: string; mentions?: string[]; timeoutMs?: number },
  ): Promise<string>;
  /** Sends a message and returns the replies (expect = how many to wait for). */
  sayAll(
    from: string,
    text: string,
    opts?: { chat?: string; mentions?: string[]; expect?: number; timeoutMs?: number },
  ): Promise<SentReply[]>;
  /** Stops the bot (not the emulator) and starts a new one on the same data dir. */
  restart(): Promise<void>;
  /** Every secret the run handled: client secret, access tokens, webhook session keys. */
  secrets(): string[];
  /** Where a secret appeared in a log line or a reply (empty when none did). */
  leaks(): string[];
  stop(): Promise<void>;
}

/** Fast timings for tests; production defaults are in the modules. */
const FAST = {
  stream: { backoff: { initialMs: 50, maxMs: 500 }, openTimeoutMs: 3_000, drainMs: 2_000 },
  dingtalk: { retry: { baseDelayMs: 20, maxDelayMs: 200 } },
} satisfies Partial<Omit<AppOptions, 'config' | 'logger'>>;

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const emu = await Emulator.start({ users: o.users ?? TEST_USERS, ...o.emulator });
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'dgb-e2e-'));
  const ownsDataDir = o.dataDir === undefined;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const config = loadConfig(
    {
      ...emu.env(),
      BOT_ADMINS: (o.admins ?? ['admin1']).join(','),
      BOT_LEADS: (o.leads ?? ['lead1', 'lead2']).join(','),
      BOT_DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
      // Tests send bursts from one person; the per-user limit has tests of its own.
      BOT_USER_RATE: 'off',
      ...o.env,
    },
    undefined,
  );
  const logger = createLogger({ level: 'debug', destination: sink });
  const build = () =>
    createApp({
      config,
      logger,
      ...(o.policy ? { policy: o.policy } : {}),
      ...FAST,
      ...o.app,
      stream: { ...FAST.stream, ...o.app?.stream },
      dingtalk: { ...FAST.dingtalk, ...o.app?.dingtalk },
    });
  let app = build();
  await app.start();

  const h: Harness = {
    emu,
    get app() {
      return app;
    },
    config,
    dataDir,
    logs,
    async say(from, text, opts = {}) {
      const replies = await emu.say(from, text, { ...opts, expect: 1 });
      return replies[0]?.text ?? '';
    },
    sayAll(from, text, opts = {}) {
      return emu.say(from, text, opts);
    },
    async restart() {
      await app.stop({ drainMs: 1_000 });
      app = build();
      await app.start();
    },
    secrets() {
      const out = new Set<string>([emu.clientSecret]);
      for (const r of emu.requests) {
        if (r.token) out.add(r.token);
        const session = (r.query as Record<string, unknown> | undefined)?.session;
        if (typeof session === 'string') out.add(session);
      }
      return [...out].filter((s) => s.length >= 8);
    },
    leaks() {
      const secrets = h.secrets();
      const found: string[] = [];
      const scan = (where: string, text: string) => {
        for (const s of secrets) if (text.includes(s)) found.push(`${where} contains ${s.slice(0, 4)}…`);
      };
      for (const line of logs) scan('log line', line);
      for (const r of emu.replies) scan('reply', JSON.stringify(r.body ?? r.text));
      return found;
    },
    async stop() {
      await app.stop({ drainMs: 1_000 }).catch(() => {});
      // Every e2e file checks on the way out that no secret reached a log line or a reply.
      const leaks = h.leaks();
      await emu.stop();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      if (leaks.length > 0) throw new Error(`secrets leaked:\n${leaks.slice(0, 10).join('\n')}`);
    },
  };
  return h;
}
