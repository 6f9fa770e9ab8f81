/**
 * Two (or more) real bot processes on one emulator and one throwaway PostgreSQL database, each
 * with its own Stream connection, for tests that steer each message to the replica they name.
 */
import { Emulator, type EmulatorOptions, type RobotPayload } from '../../src/emulator/index.ts';
import { type Child, READY, startBot } from '../e2e/runtime/child.ts';
import { TEST_USERS } from './harness.ts';
import { freshDatabase, type TestDatabase } from './pg.ts';

export interface Replicas {
  emu: Emulator;
  db: TestDatabase;
  /** the bot processes, in start order */
  bots: Child[];
  /** the emulator's connection id of each replica, in start order */
  conn: string[];
  /** Delivers `text` from `from` to replica `i` and returns its first reply's text. */
  sayTo(i: number, from: string, text: string, chat?: string): Promise<string>;
  /** The first reply to `p`. */
  replyTo(p: RobotPayload, timeoutMs?: number): ReturnType<Emulator['waitFor']>;
  stop(): Promise<void>;
}

/** Starts `count` replicas one after the other, so that each connection is known to be its replica's. */
export async function startReplicas(
  o: {
    count?: number;
    emulator?: EmulatorOptions;
    env?: Record<string, string>;
    replyTimeoutMs?: number;
  } = {},
): Promise<Replicas> {
  const emu = await Emulator.start({ users: TEST_USERS, qpsLimit: 20, ...o.emulator });
  const db = await freshDatabase();
  const bots: Child[] = [];
  const conn: string[] = [];
  const replyTo = (p: RobotPayload, timeoutMs = o.replyTimeoutMs ?? 10_000) =>
    emu.waitFor(() => emu.replies.find((r) => r.msgId === p.msgId), timeoutMs);
  const r: Replicas = {
    emu,
    db,
    bots,
    conn,
    replyTo,
    async sayTo(i, from, text, chat) {
      const p = emu.buildMessage(from, text, chat === undefined ? {} : { chat });
      emu.deliver(p, { connectionId: conn[i] ?? '' });
      return (await replyTo(p)).text;
    },
    async stop() {
      for (const b of bots) b.kill('SIGTERM');
      await Promise.all(bots.map((b) => b.exit(10_000).catch(() => b.kill('SIGKILL'))));
      await emu.stop();
      await db.drop();
    },
  };
  try {
    for (let i = 0; i < (o.count ?? 2); i++) {
      const before = new Set(emu.liveConnectionIds());
      const bot = startBot({
        ...emu.env(),
        BOT_DATA_DIR: '/nonexistent-unused',
        BOT_ADMINS: 'admin1',
        BOT_LEADS: 'lead1,lead2',
        DATABASE_URL: db.url,
        // Bursts from one lead: the per-user limit is tested elsewhere.
        BOT_USER_RATE: 'off',
        ...o.env,
      });
      bots.push(bot);
      await bot.line(READY, 30_000);
      conn.push(await emu.waitFor(() => emu.liveConnectionIds().find((id) => !before.has(id)), 10_000));
    }
  } catch (err) {
    await r.stop();
    throw err;
  }
  return r;
}
