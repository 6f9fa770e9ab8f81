/** SQLite-only pending behaviour; the contract is in test/store/contract.ts. */
import { describe, expect, it } from 'vitest';
import { openStore, type PendingAction } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

function pending(code: string, createdAt: number): PendingAction {
  return {
    code,
    kind: 'confirm',
    userId: 'lead1',
    conversationId: 'cidX',
    command: 'chat remove',
    plan: JSON.stringify({ chat: 'chat1', users: ['u9'] }),
    preview: 'remove u9 from Ops',
    createdAt,
    expiresAt: createdAt + 120_000,
  };
}

describe('pending (SQLite)', () => {
  it('two stores on one file racing to take: only one wins', async () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    await a.pending.put(pending('RACE11', 1000));
    const got = await Promise.all([b.pending.take('RACE11', 1500), a.pending.take('RACE11', 1500)]);
    expect(got.filter((x) => x !== undefined)).toHaveLength(1);
    await a.close();
    await b.close();
  });
});
