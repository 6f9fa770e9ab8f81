/**
 * Scheduled changes across restarts, against a real bot process on SQLite: a job that fell due
 * while no bot ran runs once when one starts and says how late; a job whose process was killed
 * in the middle of its write is recovered like a message (reported once as unknown, never
 * written twice).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, startBot } from './child.ts';

const RENAMES = new Set(['chat.update', 'im.group.update']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('jobs across restarts (SQLite, one replica, a real process)', () => {
  let emu: Emulator;
  let dataDir: string;
  let bot: Child | undefined;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS, qpsLimit: null });
    dataDir = mkdtempSync(join(tmpdir(), 'dgb-jobs-'));
  });
  afterAll(async () => {
    bot?.proc.kill('SIGKILL');
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_ADMINS: 'admin1', BOT_LEADS: 'lead1' });
  const start = async () => {
    bot = startBot(env());
    await bot.line(READY);
  };
  const stop = async (signal: NodeJS.Signals) => {
    bot?.kill(signal);
    await bot?.exit();
  };
  const renamesTo = (name: string) =>
    emu.requests.filter((r) => RENAMES.has(r.endpoint) && JSON.stringify(r.body ?? '').includes(name));
  const say = async (text: string) => (await emu.say('lead1', text, { timeoutMs: 10_000 }))[0]?.text ?? '';
  const jobOf = (reply: string) => {
    const m = /\*\*(J\d+)\*\*/.exec(reply);
    if (!m?.[1]) throw new Error(`no job in ${reply}`);
    return m[1];
  };
  const notices = (job: string) => emu.otoTo('lead1').filter((r) => r.text.includes(`**${job}**`));

  it('a job due while the bot was stopped runs once after it starts, and says how late', async () => {
    await start();
    await say('/chat create "Sleepy Chat" alice');
    const chat = emu.org.chats().find((c) => c.name === 'Sleepy Chat');
    if (!chat) throw new Error('not created');
    const job = jobOf(await say(`/chat rename ${chat.chatId} "Woke Up" at=2s`));
    await stop('SIGTERM');
    // Due after 2 s; no bot runs for about 8 s.
    await sleep(8_000);
    expect(emu.org.chat(chat.chatId)?.name).toBe('Sleepy Chat');
    await start();
    const notice = await emu.waitFor(() => notices(job)[0], 15_000);
    expect(notice.text).toContain('is done');
    expect(notice.text).toMatch(/It ran \d+s late: no bot was running at/);
    expect(emu.org.chat(chat.chatId)?.name).toBe('Woke Up');
    // Once: another restart neither renames nor tells again. (The note that the lead was told is
    // one store write after the send: a kill inside that window would tell once more.)
    await sleep(500);
    await stop('SIGKILL');
    await start();
    await say('/whoami');
    await sleep(1_500);
    expect(renamesTo('Woke Up')).toHaveLength(1);
    expect(notices(job)).toHaveLength(1);
    await stop('SIGTERM');
  }, 60_000);

  afterEach(async () => {
    if (bot !== undefined && bot.proc.exitCode === null && bot.proc.signalCode === null)
      await stop('SIGKILL');
  });

  it('killed while its write is on the way: recovered like a message, reported once, never sent twice', async () => {
    await start();
    await say('/chat create "Crash Job" alice');
    const chat = emu.org.chats().find((c) => c.name === 'Crash Job');
    if (!chat) throw new Error('not created');
    emu.faults.latencyByEndpoint = { 'chat.update': 4_000, 'im.group.update': 4_000 };
    const job = jobOf(await say(`/chat rename ${chat.chatId} "Half Done" at=1s`));
    await emu.waitFor(() => renamesTo('Half Done').find((r) => r.status === 0), 10_000);
    await stop('SIGKILL');
    emu.faults.latencyByEndpoint = {};
    await start();
    const notice = await emu.waitFor(() => notices(job)[0], 15_000);
    expect(notice.text).toContain('failed');
    expect(notice.text).toMatch(/do not know whether DingTalk did it/);
    await sleep(1_500);
    expect(renamesTo('Half Done')).toHaveLength(1);
    expect(notices(job)).toHaveLength(1);
    await stop('SIGTERM');
  }, 60_000);
});
