/** SQLite-only journal behaviour (the file survives a restart); the contract is in test/store/contract.ts. */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const run = (key: string, replicaId: string) => ({
  key,
  userId: 'lead1',
  conversationId: 'cidX',
  command: 'chat add',
  chatId: 'chat1',
  plan: '{}',
  replicaId,
  startedAt: 1000,
});

describe('journal (SQLite)', () => {
  it('unfinished runs and their writes survive a restart (crash safety), with their replica', async () => {
    const dir = tempDir();
    const s1 = openStore({ dataDir: dir });
    await s1.journal.startRun(run('m1', 'r1'));
    const w = await s1.journal.begin({
      runKey: 'm1',
      endpoint: 'chat/update',
      chatId: 'chat1',
      request: '{}',
      startedAt: 1100,
    });
    await s1.journal.startRun(run('m2', ''));
    await s1.journal.finishRun('m2', 1200);
    await s1.close();
    const s2 = openStore({ dataDir: dir });
    expect((await s2.journal.unfinished()).map((r) => [r.key, r.replicaId])).toEqual([['m1', 'r1']]);
    expect((await s2.journal.writes('m1')).map((x) => [x.id, x.outcome])).toEqual([[w, undefined]]);
    await s2.close();
  });
});
