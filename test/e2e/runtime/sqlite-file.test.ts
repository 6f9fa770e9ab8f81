/**
 * Two bot processes on one SQLite file: the second is refused at start with one line saying who
 * holds the file; a holder that was SIGKILLed does not keep a new process out; after a graceful
 * stop the file is free at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, startBot } from './child.ts';

describe('one SQLite file, one bot process', () => {
  let emu: Emulator;
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-file-'));
  const children: Child[] = [];
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
  });
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const bot = () => {
    const c = startBot({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_LEADS: 'lead1' });
    children.push(c);
    return c;
  };

  it('refuses a second process, survives a SIGKILLed holder, and frees the file at a graceful stop', async () => {
    const first = bot();
    await first.line(READY);

    const second = bot();
    expect((await second.exit()).code).toBe(1);
    const fatal = second.out.filter((l) => l.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(`pid ${first.proc.pid}`);
    expect(fatal[0]).toContain('two processes on one SQLite file are refused');
    expect(fatal[0]).toContain('DATABASE_URL');
    // The first one never noticed and still answers.
    expect(await emu.say('lead1', '/whoami')).toHaveLength(1);

    first.proc.kill('SIGKILL');
    await first.exit();
    const third = bot();
    await third.line(READY);
    expect(await emu.say('lead1', '/whoami')).toHaveLength(1);

    third.proc.kill('SIGTERM');
    expect((await third.exit()).code).toBe(0);
    const fourth = bot();
    await fourth.line(READY);
    fourth.proc.kill('SIGTERM');
    expect((await fourth.exit()).code).toBe(0);
  }, 60_000);
});
