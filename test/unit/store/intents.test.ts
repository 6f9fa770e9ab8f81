/** SQLite-only intent behaviour (the file survives a restart); the contract is in test/store/contract.ts. */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const intent = (msgKey: string) => ({
  msgKey,
  userId: 'lead1',
  conversationId: 'cidX',
  command: 'chat add',
  chatId: 'chat1',
  summary: 'add u1, u2 to Ops',
  startedAt: 1000,
});

describe('intents (SQLite)', () => {
  it('unfinished intents survive a restart (crash safety), with their replica', async () => {
    const dir = tempDir();
    const s1 = openStore({ dataDir: dir });
    const id = await s1.intents.begin({ ...intent('m1'), replicaId: 'r1' });
    await s1.intents.finish(await s1.intents.begin(intent('m2')), 'failed');
    await s1.close();
    const s2 = openStore({ dataDir: dir });
    expect((await s2.intents.unfinished()).map((i) => [i.id, i.msgKey, i.replicaId])).toEqual([
      [id, 'm1', 'r1'],
    ]);
    await s2.close();
  });
});
