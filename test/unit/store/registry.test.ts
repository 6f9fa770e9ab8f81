/** SQLite-only registry behaviour; the contract is in test/store/contract.ts. */
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

describe('registry (SQLite)', () => {
  it('persists to the file', async () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    await a.registry.upsert({
      chatId: 'chatA',
      name: 'Team Alpha',
      createdFor: 'lead1',
      createdAt: 1000,
      openConversationId: 'cidA',
      createdByBot: true,
    });
    await a.close();
    const b = openStore({ dataDir: dir });
    expect(await b.registry.byOpenConversationId('cidA')).toMatchObject({
      chatId: 'chatA',
      createdByBot: true,
    });
    await b.close();
  });

  it('names the UNIQUE constraint when one openConversationId would be on two chats', async () => {
    const s = openStore({ memory: true });
    const rec = { name: 'X', createdFor: 'lead1', createdByBot: true, openConversationId: 'cidA' };
    await s.registry.upsert({ ...rec, chatId: 'chatA' });
    await expect(s.registry.upsert({ ...rec, chatId: 'chatB' })).rejects.toThrow(/UNIQUE/);
    await s.close();
  });
});
