/**
 * A batch on a replica of two (PostgreSQL): the replica running it is SIGKILLed while one chat's
 * write is on its way; the survivor takes the claim over and carries the batch on from the
 * journal. Every chat is changed once, the one in flight is reported as unknown, the rest are
 * done, and the lead gets one ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Emulator } from '../../../src/emulator/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { openPostgresStore } from '../../../src/store/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';
import { type Child, READY, startBot } from '../runtime/child.ts';

const UPDATES = new Set(['chat.update', 'im.group.update']);

describe('a replica dies in the middle of a batch (PostgreSQL, two replicas)', () => {
  let emu: Emulator;
  let db: TestDatabase;
  let dead: Child | undefined;
  let survivor: App | undefined;
  const env = () => ({
    ...emu.env(),
    BOT_DATA_DIR: '/nonexistent-unused',
    BOT_LEADS: 'lead1,lead2',
    DATABASE_URL: db.url,
  });
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
    db = await freshDatabase();
  });
  afterAll(async () => {
    dead?.proc.kill('SIGKILL');
    await survivor?.stop({ drainMs: 500 }).catch(() => {});
    await emu?.stop();
    await db?.drop();
  });

  const addsTo = (chat: { chatId: string; openConversationId: string }, user: string) =>
    emu.requests.filter((r) => {
      if (!UPDATES.has(r.endpoint)) return false;
      const body = JSON.stringify(r.body ?? {});
      return (body.includes(chat.chatId) || body.includes(chat.openConversationId)) && body.includes(user);
    });

  it('the survivor carries the batch on: every chat changed once, one unknown, one ledger', async () => {
    const chats = Array.from({ length: 6 }, (_, i) =>
      emu.org.addChat({
        name: `Replica Batch ${i + 1}`,
        owner: 'lead1',
        members: ['lead1', 'alice'],
        createdByApi: true,
        botInChat: true,
      }),
    );
    const inFlight = chats[1]!;
    const config = loadConfig(env(), undefined);
    survivor = createApp({
      config,
      logger: silentLogger(),
      store: await openPostgresStore({ url: db.url, replica: 'survivor' }),
      replicaId: 'survivor',
    });
    await survivor.start();
    const before = new Set(emu.liveConnectionIds());
    dead = startBot(env());
    await dead.line(READY);
    const to = {
      connectionId: await emu.waitFor(() => emu.liveConnectionIds().find((id) => !before.has(id)), 10_000),
    };
    for (const endpoint of UPDATES)
      for (const id of [inFlight.chatId, inFlight.openConversationId])
        emu.faults.inject(endpoint, 'hang', 1, { chat: id });
    emu.faults.latencyByEndpoint = { 'chat.get': 400 };
    const msg = emu.buildMessage('lead1', `/chat add ${chats.map((c) => c.chatId).join(',')} dave`);
    emu.deliver(msg, to);
    await emu.waitFor(() => addsTo(inFlight, 'dave').find((r) => r.status === 0), 15_000);
    dead.kill('SIGKILL');
    expect((await dead.exit()).signal).toBe('SIGKILL');
    emu.faults.clearInjections();
    emu.faults.latencyByEndpoint = {};
    expect(emu.replies.filter((r) => r.msgId === msg.msgId)).toEqual([]);

    const ledger = await emu.waitFor(() => emu.replies.find((r) => r.msgId === msg.msgId), 60_000);
    expect(ledger.text).toContain('/chat add on');
    expect(ledger.text).toContain('Outcome unknown:');
    expect(ledger.text).toContain(`**Replica Batch 2** (\`${inFlight.chatId}\`)`);
    for (const c of chats) expect(addsTo(c, 'dave').length).toBeLessThanOrEqual(1);
    expect(addsTo(inFlight, 'dave')).toHaveLength(1);
    const unknownPart = ledger.text.split('Done:')[0] ?? '';
    for (const c of chats.filter((x) => !unknownPart.includes(`\`${x.chatId}\``)))
      expect(emu.org.chat(c.chatId)?.members).toContain('dave');
    expect(emu.org.chat(chats[5]!.chatId)?.members).toContain('dave');
    await new Promise((r) => setTimeout(r, 3_000));
    expect(emu.replies.filter((r) => r.msgId === msg.msgId)).toHaveLength(1);
  }, 120_000);
});
