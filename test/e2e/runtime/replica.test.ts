/**
 * What a running bot records for other replicas: its heartbeat (gone after a graceful stop), and
 * for each message it works on, its replica id and the message (dropped once answered).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

const REPLICA = 'replica-under-test';

describe('replica bookkeeping', () => {
  let h: Harness;
  let dataDir: string;
  // A second connection to the bot's file, as another replica (or a tool) would have.
  let other: Store;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dgb-replica-'));
    h = await startHarness({ dataDir, app: { replicaId: REPLICA } });
    other = openStore({ dataDir });
  });
  afterAll(async () => {
    await h?.stop();
    await other?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a message being worked on is claimed with this replica and the message; the answer drops the message', async () => {
    expect(h.app.replicaId).toBe(REPLICA);
    const chat = h.emu.org.addChat({ name: 'Slow', owner: 'lead1', members: ['lead1', 'alice'] });
    h.emu.faults.latencyByEndpoint['im.group.update'] = 800;
    const msg = h.emu.buildMessage('lead1', `/chat rename ${chat.chatId} Later`);
    const key = `${h.emu.robotCode}:${msg.msgId}`;
    const raw = new Database(join(dataDir, 'bot.sqlite'), { readonly: true });
    try {
      const row = raw.prepare<[string], { state: string; replicaId: string | null; message: string | null }>(
        'SELECT state, replicaId, message FROM processed_messages WHERE key = ?',
      );
      h.emu.deliver(msg);
      const running = await h.emu.waitFor(() => row.get(key));
      expect(running).toMatchObject({ state: 'running', replicaId: REPLICA });
      expect(JSON.parse(running.message ?? '{}')).toMatchObject({
        msgId: msg.msgId,
        senderUserId: 'lead1',
        text: `/chat rename ${chat.chatId} Later`,
      });
      expect(await other.dedupe.claim(key)).toMatchObject({ state: 'running', replicaId: REPLICA });
      await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === msg.msgId), 5_000);
      await h.app.pipeline.idle();
      expect(row.get(key)).toEqual({ state: 'done', replicaId: REPLICA, message: null });
    } finally {
      raw.close();
      delete h.emu.faults.latencyByEndpoint['im.group.update'];
    }
    expect(await other.journal.getRun(key)).toMatchObject({
      replicaId: REPLICA,
      command: 'chat rename',
      chatId: chat.chatId,
      finishedAt: expect.any(Number),
    });
    expect(await other.journal.writes(key)).toMatchObject([{ chatId: chat.chatId, outcome: 'ok' }]);
  });

  // Last: it stops the bot.
  it('beats while running, so its claims are not orphans; a graceful stop removes the heartbeat', async () => {
    await other.dedupe.claim('probe', Date.now(), { replicaId: REPLICA, message: '{"msgId":"probe"}' });
    expect(await other.dedupe.orphaned('a-survivor', 60_000)).toEqual([]);
    await h.app.stop({ drainMs: 1_000 });
    expect((await other.dedupe.orphaned('a-survivor', 60_000)).map((o) => [o.key, o.replicaId])).toEqual([
      ['probe', REPLICA],
    ]);
  });
});
