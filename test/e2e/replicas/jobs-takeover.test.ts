/**
 * A replica killed while it runs a job (two real processes on one PostgreSQL): the survivor
 * adopts the job once its heartbeat is old (compare-and-set), the write journal decides as for a
 * message, and the lead is told once; the write is never sent twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';
import { type Child, READY, startBot } from '../runtime/child.ts';

const RENAMES = new Set(['chat.update', 'im.group.update']);

describe('a replica dies while it runs a job', () => {
  let emu: Emulator;
  let db: TestDatabase;
  const bots: Child[] = [];

  const replica = async (): Promise<Child> => {
    const bot = startBot({
      ...emu.env(),
      BOT_DATA_DIR: '/nonexistent-unused',
      BOT_ADMINS: 'admin1',
      BOT_LEADS: 'lead1',
      DATABASE_URL: db.url,
      BOT_USER_RATE: 'off',
    });
    bots.push(bot);
    await bot.line(READY, 30_000);
    return bot;
  };

  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS, qpsLimit: null });
    db = await freshDatabase();
    await replica();
    await replica();
  }, 60_000);
  afterAll(async () => {
    for (const b of bots) b.kill('SIGKILL');
    await emu?.stop();
    await db?.drop();
  });

  it('the survivor adopts it and reports it once as unknown; one write, one notice', async () => {
    const c = emu.org.addChat({
      name: 'Dying Job',
      owner: 'lead1',
      members: ['lead1', 'alice'],
      createdByApi: true,
      botInChat: true,
    });
    // Whichever replica claims the job hangs in its rename.
    emu.faults.latencyByEndpoint = { 'chat.update': 60_000, 'im.group.update': 60_000 };
    const [reply] = await emu.say('lead1', `/chat rename ${c.chatId} "Half Way" at=1s`, {
      timeoutMs: 10_000,
    });
    const job = /\*\*J(\d+)\*\*/.exec(reply?.text ?? '')?.[1];
    if (job === undefined) throw new Error(`no job in ${reply?.text}`);
    const sent = () =>
      emu.requests.filter(
        (r) => RENAMES.has(r.endpoint) && JSON.stringify(r.body ?? '').includes('Half Way'),
      );
    await emu.waitFor(() => sent().length > 0, 10_000);
    // The holder, by the pid in its replica id (host-pid-random).
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const holder = (
      await client.query<{ replicaId: string }>('SELECT "replicaId" FROM jobs WHERE id = $1', [job])
    ).rows[0]?.replicaId;
    await client.end();
    const dying = bots.find((b) => holder?.includes(`-${b.proc.pid}-`));
    if (dying === undefined) throw new Error(`no bot holds job ${job} (${holder})`);
    dying.kill('SIGKILL');
    await dying.exit();
    emu.faults.latencyByEndpoint = {};
    const notices = () => emu.otoTo('lead1').filter((r) => r.text.includes(`**J${job}**`));
    const notice = await emu.waitFor(() => notices()[0], 45_000);
    expect(notice.text).toContain('failed');
    expect(notice.text).toMatch(/do not know whether DingTalk did it/);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(notices()).toHaveLength(1);
    expect(sent()).toHaveLength(1);
  }, 90_000);
});
