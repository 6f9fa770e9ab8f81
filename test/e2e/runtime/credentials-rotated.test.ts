/**
 * Review finding: credentials refused after the bot was up (a rotated secret). The supervisor
 * gives up after MAX_AUTH_FAILURES; the process must then say so and exit 1, like at start-up,
 * instead of idling without a connection or exiting 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, startBot } from './child.ts';

describe('review: credentials refused after start-up', () => {
  let emu: Emulator;
  let bot: Child | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-review-'));
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
  });
  afterAll(async () => {
    bot?.proc.kill('SIGKILL');
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 1 with a fatal line once the gateway keeps refusing the secret', async () => {
    bot = startBot({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_ADMINS: 'admin1', BOT_LEADS: 'lead1' });
    await bot.line(READY, 20_000);
    emu.faults.gateway = '401';
    emu.dropConnections();
    // Backoff 1 s, 2 s, 4 s (at most) before the third refusal.
    const exit = await bot.exit(25_000);
    expect(exit.code).toBe(1);
    expect(bot.out.some((l) => l.includes('"level":60'))).toBe(true);
  }, 40_000);
});
