/** SQLite-only confirmation behaviour; the contract is in test/store/contract.ts. */
import { describe, expect, it } from 'vitest';
import { openStore, type PendingConfirmation } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

function pending(code: string, createdAt: number): PendingConfirmation {
  return {
    code,
    userId: 'lead1',
    conversationId: 'cidX',
    command: 'chat remove',
    payload: JSON.stringify({ chat: 'chat1', users: ['u9'] }),
    preview: 'remove u9 from Ops',
    createdAt,
    expiresAt: createdAt + 120_000,
  };
}

describe('confirmations (SQLite)', () => {
  it('two stores on one file racing to take: only one wins', async () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    await a.confirmations.create(pending('RACE', 1000));
    const got = await Promise.all([b.confirmations.take('RACE', 1500), a.confirmations.take('RACE', 1500)]);
    expect(got.filter((x) => x !== undefined)).toHaveLength(1);
    await a.close();
    await b.close();
  });
});
