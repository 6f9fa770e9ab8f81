/**
 * DATABASE_URL at start-up: an unreachable server or a database that does not exist is one
 * fatal line naming host, port and database, never the password, and exit 1.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { pgAdminUrl, withDatabase } from '../../helpers/pg.ts';
import { startBot } from '../runtime/child.ts';

const PASSWORD = 'hunter2-very-secret';

/** A port nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('DATABASE_URL that cannot be used at start', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  const fatalOf = async (url: string) => {
    const bot = startBot({ ...emu.env(), BOT_DATA_DIR: '/nonexistent-unused', DATABASE_URL: url });
    const exit = await bot.exit(30_000);
    const fatal = bot.out.filter((l) => l.includes('"level":60'));
    return { exit, fatal, all: `${bot.out.join('\n')}\n${bot.err()}` };
  };

  it('a closed port: one fatal line with host, port and database, no password, exit 1', async () => {
    const port = await closedPort();
    const r = await fatalOf(`postgres://bot:${PASSWORD}@127.0.0.1:${port}/botdb`);
    expect(r.exit.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0]).toContain(`127.0.0.1:${port}/botdb`);
    expect(r.fatal[0]).toContain('DATABASE_URL');
    expect(r.all).not.toContain(PASSWORD);
    // It never got as far as DingTalk.
    expect(r.all).not.toContain('bot is ready');
  });

  it('a database that does not exist on a running server: the same, naming that database', async () => {
    const url = new URL(withDatabase(pgAdminUrl(), 'no_such_db_here'));
    url.password = PASSWORD;
    const r = await fatalOf(url.toString());
    expect(r.exit.code).toBe(1);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0]).toContain(`${url.hostname}:${url.port}/no_such_db_here`);
    expect(r.all).not.toContain(PASSWORD);
  });
});
