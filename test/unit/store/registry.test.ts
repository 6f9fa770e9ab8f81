import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

function chat(
  chatId: string,
  name: string,
  createdFor: string,
  createdAt: number,
  openConversationId: string | undefined = undefined,
) {
  return { chatId, name, createdFor, createdAt, openConversationId, createdByBot: true };
}

function seeded(): Store {
  const s = openStore({ memory: true });
  s.registry.upsert(chat('chatA', 'Team Alpha', 'lead1', 1000, 'cidA'));
  s.registry.upsert(chat('chatB', 'team alpha', 'lead2', 2000));
  s.registry.upsert(chat('chatC', 'Beta', 'lead1', 3000, 'cidC'));
  return s;
}

describe('registry', () => {
  it('upsert inserts with timestamps and returns the stored record', () => {
    const s = openStore({ memory: true });
    const before = Date.now();
    const rec = s.registry.upsert({
      chatId: 'chat1',
      openConversationId: undefined,
      name: 'Ops',
      createdFor: 'lead1',
      createdByBot: false,
    });
    expect(rec).toMatchObject({ chatId: 'chat1', openConversationId: undefined, createdByBot: false });
    expect(rec.createdAt).toBeGreaterThanOrEqual(before);
    expect(rec.updatedAt).toBe(rec.createdAt);
    expect(s.registry.get('chat1')).toEqual(rec);
    expect(s.registry.get('nope')).toBeUndefined();
  });

  it('upsert updates in place, keeps createdAt, and keeps a known cid when given none', () => {
    const s = seeded();
    const updated = s.registry.upsert({
      chatId: 'chatA',
      openConversationId: undefined,
      name: 'Alpha 2',
      createdFor: 'lead3',
      createdByBot: false,
    });
    expect(updated).toMatchObject({
      chatId: 'chatA',
      openConversationId: 'cidA',
      name: 'Alpha 2',
      createdFor: 'lead3',
      createdByBot: false,
      createdAt: 1000,
    });
    expect(updated.updatedAt).toBeGreaterThan(1000);
    expect(s.registry.list()).toHaveLength(3);
  });

  it('byName is case-insensitive, exact, and returns every match newest first', () => {
    const s = seeded();
    expect(s.registry.byName('TEAM ALPHA').map((c) => c.chatId)).toEqual(['chatB', 'chatA']);
    expect(s.registry.byName('beta').map((c) => c.chatId)).toEqual(['chatC']);
    expect(s.registry.byName('Team')).toEqual([]);
  });

  it('finds by openConversationId and sets it later', () => {
    const s = seeded();
    expect(s.registry.byOpenConversationId('cidC')?.chatId).toBe('chatC');
    expect(s.registry.byOpenConversationId('cidB')).toBeUndefined();
    s.registry.setOpenConversationId('chatB', 'cidB');
    expect(s.registry.byOpenConversationId('cidB')?.chatId).toBe('chatB');
    expect(s.registry.get('chatB')?.openConversationId).toBe('cidB');
  });

  it('rejects one openConversationId on two chats', () => {
    const s = seeded();
    expect(() => s.registry.setOpenConversationId('chatB', 'cidA')).toThrow(/UNIQUE/);
    expect(() => s.registry.upsert(chat('chatD', 'D', 'lead1', 4000, 'cidC'))).toThrow(/UNIQUE/);
  });

  it('list is newest first and listFor filters by createdFor', () => {
    const s = seeded();
    expect(s.registry.list().map((c) => c.chatId)).toEqual(['chatC', 'chatB', 'chatA']);
    expect(s.registry.listFor('lead1').map((c) => c.chatId)).toEqual(['chatC', 'chatA']);
    expect(s.registry.listFor('nobody')).toEqual([]);
  });

  it('rename changes what byName finds', () => {
    const s = seeded();
    s.registry.rename('chatC', 'Gamma');
    expect(s.registry.byName('beta')).toEqual([]);
    expect(s.registry.byName('gamma').map((c) => c.chatId)).toEqual(['chatC']);
  });

  it('persists to the file', () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    a.registry.upsert(chat('chatA', 'Team Alpha', 'lead1', 1000, 'cidA'));
    a.close();
    const b = openStore({ dataDir: dir });
    expect(b.registry.byOpenConversationId('cidA')).toMatchObject({ chatId: 'chatA', createdByBot: true });
    b.close();
  });
});
