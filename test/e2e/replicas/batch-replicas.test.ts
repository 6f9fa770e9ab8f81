/**
 * Sets of chats on two real bot processes sharing one PostgreSQL: tags made on one replica are
 * the other's too, a batch asked on one is confirmed on the other, and the batch is undone from
 * either: the two are one bot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator, type RobotPayload } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';
import { confirmCode } from '../commands/helpers.ts';
import { type Child, READY, startBot } from '../runtime/child.ts';

describe('sets of chats across two replicas (PostgreSQL)', () => {
  let emu: Emulator;
  let db: TestDatabase;
  const bots: Child[] = [];
  const conn: string[] = [];

  const replica = async (): Promise<string> => {
    const before = new Set(emu.liveConnectionIds());
    const bot = startBot({
      ...emu.env(),
      BOT_DATA_DIR: '/nonexistent-unused',
      BOT_ADMINS: 'admin1',
      BOT_LEADS: 'lead1,lead2',
      DATABASE_URL: db.url,
      BOT_USER_RATE: 'off',
    });
    bots.push(bot);
    await bot.line(READY, 30_000);
    return emu.waitFor(() => emu.liveConnectionIds().find((id) => !before.has(id)), 10_000);
  };
  const replyTo = (p: RobotPayload, timeoutMs = 15_000) =>
    emu.waitFor(() => emu.replies.find((r) => r.msgId === p.msgId), timeoutMs);
  const sayTo = async (i: number, from: string, text: string): Promise<string> => {
    const p = emu.buildMessage(from, text);
    emu.deliver(p, { connectionId: conn[i] ?? '' });
    return (await replyTo(p)).text;
  };
  const members = (chatId: string) => [...(emu.org.chat(chatId)?.members ?? [])].sort();

  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS, qpsLimit: 20 });
    db = await freshDatabase();
    conn.push(await replica());
    conn.push(await replica());
  }, 60_000);
  afterAll(async () => {
    for (const b of bots) b.kill('SIGTERM');
    await Promise.all(bots.map((b) => b.exit(10_000).catch(() => b.kill('SIGKILL'))));
    await emu?.stop();
    await db?.drop();
  });

  it('tags on one, the batch asked on it and confirmed on the other, undone from the first', async () => {
    const ids: string[] = [];
    for (const name of ['Shared Set 1', 'Shared Set 2']) {
      await sayTo(0, 'lead1', `/chat create "${name}" alice bob`);
      const c = emu.org.chats().find((x) => x.name === name);
      if (!c) throw new Error(`${name} was not created`);
      ids.push(c.chatId);
      expect(await sayTo(0, 'lead1', `/chat tag ${c.chatId} shared`)).toContain('Tagged');
    }
    const list = await sayTo(1, 'lead1', '/chat list tag:shared');
    expect(list).toContain('Your chats with the tag shared (2)');

    const ask = await sayTo(1, 'lead1', '/chat remove tag:shared bob');
    expect(ask).toContain('remove Bob (bob)');
    const ledger = await sayTo(0, 'lead1', `/confirm ${confirmCode(ask)}`);
    expect(ledger).toContain('2 chats: 2 done, 0 skipped, 0 failed');
    for (const id of ids) expect(members(id)).toEqual(['alice', 'lead1']);

    const undo = await sayTo(1, 'lead1', '/chat undo');
    expect(undo).toContain('2 chats: 2 done, 0 skipped, 0 failed');
    for (const id of ids) expect(members(id)).toEqual(['alice', 'bob', 'lead1']);
  }, 60_000);
});
