/**
 * Takeover: a replica (a real bot process on PostgreSQL) is SIGKILLed after acking a message;
 * a survivor on the same database finds the claim once the dead replica stopped beating and
 * answers the user: it runs a command no write had begun for, and reports a write that had
 * begun as unknown (never repeating it). Each message is answered once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp, TAKEOVER_DEAD_AFTER_MS } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Emulator } from '../../../src/emulator/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { openPostgresStore } from '../../../src/store/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';
import { type Child, READY, startBot } from '../runtime/child.ts';

const WRITES = new Set(['chat.update', 'im.group.update']);

describe('a survivor takes over the claims of a killed replica', () => {
  let emu: Emulator;
  let db: TestDatabase;
  let dead: Child | undefined;
  const survivors: App[] = [];
  const env = () => ({
    ...emu.env(),
    BOT_DATA_DIR: '/nonexistent-unused',
    BOT_LEADS: 'lead1,lead2',
    DATABASE_URL: db.url,
  });
  const survivor = async (replicaId: string) => {
    const config = loadConfig(env(), undefined);
    const app = createApp({
      config,
      logger: silentLogger(),
      store: await openPostgresStore({ url: db.url, replica: replicaId }),
      replicaId,
    });
    await app.start();
    survivors.push(app);
    return app;
  };
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
    db = await freshDatabase();
  });
  afterAll(async () => {
    dead?.proc.kill('SIGKILL');
    for (const a of survivors) await a.stop({ drainMs: 500 }).catch(() => {});
    await emu?.stop();
    await db?.drop();
  });

  it('answers both users once, within 60 s of the death: runs the read, reports the write as unknown', async () => {
    const c = emu.org.addChat({ name: 'Orphan', owner: 'lead1', members: ['lead1'], botInChat: true });
    const writesTo = () =>
      emu.requests.filter(
        (r) => WRITES.has(r.endpoint) && (r.body as { chatid?: string }).chatid === c.chatId,
      );
    dead = startBot(env());
    await dead.line(READY);
    // Both commands hang at DingTalk long enough for the kill to land in the middle.
    emu.faults.latencyByEndpoint = { 'im.group.update': 3_000, 'chat.update': 3_000, 'chat.get': 3_000 };
    const rename = emu.buildMessage('lead1', `/chat rename ${c.chatId} Renamed`);
    // Another lead's: one person's messages run one after another, and this one must be running.
    const info = emu.buildMessage('lead2', `/chat info ${c.chatId}`);
    emu.deliver(rename);
    // The ownership check reads the chat first (chat.get, slowed down too).
    await emu.waitFor(() => writesTo().find((r) => r.status === 0), 15_000);
    // A read, claimed and waiting for DingTalk when the process dies: no write had begun.
    const reads = emu.requests.filter((r) => r.endpoint === 'chat.get').length;
    emu.deliver(info);
    await emu.waitFor(() => emu.requests.filter((r) => r.endpoint === 'chat.get').length > reads, 10_000);
    dead.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await dead.exit()).signal).toBe('SIGKILL');
    emu.faults.latencyByEndpoint = {};
    await emu.waitFor(() => emu.org.chat(c.chatId)?.name === 'Renamed');
    expect(emu.replies.filter((r) => r.msgId === rename.msgId || r.msgId === info.msgId)).toEqual([]);

    await survivor('survivor-1');
    const report = await emu.waitFor(
      () => emu.replies.find((r) => r.msgId === rename.msgId && /do not know whether/.test(r.text)),
      60_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(TAKEOVER_DEAD_AFTER_MS - 1_000);
    expect(report.text).toContain(`/chat info ${c.chatId}`);
    const answer = await emu.waitFor(() => emu.replies.find((r) => r.msgId === info.msgId), 10_000);
    expect(answer.text).toContain(c.chatId);
    expect(answer.text).not.toMatch(/do not know whether/);
    // A second survivor arriving later finds nothing left: answered once, write never repeated.
    await survivor('survivor-2');
    await new Promise((r) => setTimeout(r, 6_000));
    expect(emu.replies.filter((r) => r.msgId === rename.msgId)).toHaveLength(1);
    expect(emu.replies.filter((r) => r.msgId === info.msgId)).toHaveLength(1);
    expect(emu.replies.filter((r) => r.via === 'oto' && r.text.includes('chat rename'))).toEqual([]);
    expect(writesTo()).toHaveLength(1);
  }, 120_000);

  it('a create on a replica of two: the survivor answers, DingTalk makes the chat once', async () => {
    const CREATES = new Set(['chat.create', 'im.group.create']);
    const createsNamed = (name: string) =>
      emu.requests.filter((r) => CREATES.has(r.endpoint) && (r.body as { name?: string }).name === name);
    const before = new Set(emu.liveConnectionIds());
    dead = startBot(env());
    await dead.line(READY);
    // The survivors of the test before are connected too: both messages go to the one that dies.
    const to = {
      connectionId: await emu.waitFor(() => emu.liveConnectionIds().find((id) => !before.has(id)), 10_000),
    };
    // One create hangs at DingTalk; the other is made and hangs on its join link.
    emu.faults.latencyByEndpoint = { 'im.group.create': 3_000, 'chat.create': 3_000 };
    const hung = emu.buildMessage('lead1', '/chat create Replica1 alice');
    emu.deliver(hung, to);
    await emu.waitFor(() => createsNamed('Replica1').find((r) => r.status === 0), 15_000);
    emu.faults.latencyByEndpoint = { 'qrcode.get': 4_000 };
    // Another lead's, so that it runs beside the first (one person's messages run in turn).
    const made = emu.buildMessage('lead2', '/chat create Replica2 bob');
    emu.deliver(made, to);
    await emu.waitFor(() => emu.requests.find((r) => r.endpoint === 'qrcode.get' && r.status === 0), 15_000);
    dead.kill('SIGKILL');
    expect((await dead.exit()).signal).toBe('SIGKILL');
    emu.faults.latencyByEndpoint = {};
    await emu.waitFor(() => emu.org.chats().find((c) => c.name === 'Replica1'), 10_000);

    // survivor-1 and survivor-2 of the test before are still running: one of them answers.
    const unknown = await emu.waitFor(() => emu.replies.find((r) => r.msgId === hung.msgId), 60_000);
    expect(unknown.text).toMatch(/do not know whether DingTalk did it/);
    const result = await emu.waitFor(() => emu.replies.find((r) => r.msgId === made.msgId), 30_000);
    const chat = emu.org.chats().find((c) => c.name === 'Replica2');
    expect(result.text).toContain(chat?.chatId);
    expect(result.text).not.toMatch(/do not know whether/);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(emu.replies.filter((r) => r.msgId === hung.msgId)).toHaveLength(1);
    expect(emu.replies.filter((r) => r.msgId === made.msgId)).toHaveLength(1);
    expect(createsNamed('Replica1')).toHaveLength(1);
    expect(createsNamed('Replica2')).toHaveLength(1);
  }, 120_000);
});
