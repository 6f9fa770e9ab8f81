import { describe, expect, it } from 'vitest';
import { openStore, type PendingConfirmation } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

function pending(code: string, userId: string, createdAt: number, ttl = 120_000): PendingConfirmation {
  return {
    code,
    userId,
    conversationId: 'cidX',
    command: 'chat remove',
    payload: JSON.stringify({ chat: 'chat1', users: ['u9'] }),
    preview: 'remove u9 from Ops',
    createdAt,
    expiresAt: createdAt + ttl,
  };
}

describe('confirmations', () => {
  it('get returns it; take returns it exactly once', () => {
    const s = openStore({ memory: true });
    const p = pending('K7Q2', 'lead1', 1000);
    s.confirmations.create(p);
    expect(s.confirmations.get('K7Q2', 2000)).toEqual(p);
    expect(s.confirmations.take('K7Q2', 2000)).toEqual(p);
    expect(s.confirmations.take('K7Q2', 2000)).toBeUndefined();
    expect(s.confirmations.get('K7Q2', 2000)).toBeUndefined();
  });

  it('defaults now to Date.now()', () => {
    const s = openStore({ memory: true });
    s.confirmations.create(pending('LIVE', 'lead1', Date.now()));
    s.confirmations.create(pending('DEAD', 'lead1', Date.now() - 10_000, 5_000));
    expect(s.confirmations.get('LIVE')?.code).toBe('LIVE');
    expect(s.confirmations.get('DEAD')).toBeUndefined();
  });

  it('two stores on one file racing to take: only one wins', () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    a.confirmations.create(pending('RACE', 'lead1', 1000));
    const got = [b.confirmations.take('RACE', 1500), a.confirmations.take('RACE', 1500)];
    expect(got.filter((x) => x !== undefined)).toHaveLength(1);
    a.close();
    b.close();
  });

  it('an expired confirmation is not returned by get, take or latestFor, and take consumes it', () => {
    const s = openStore({ memory: true });
    s.confirmations.create(pending('OLD1', 'lead1', 1000, 100));
    expect(s.confirmations.get('OLD1', 1100)).toBeUndefined();
    expect(s.confirmations.get('OLD1', 1099)?.code).toBe('OLD1');
    expect(s.confirmations.latestFor('lead1', 1100)).toBeUndefined();
    expect(s.confirmations.take('OLD1', 1100)).toBeUndefined();
    expect(s.confirmations.get('OLD1', 1050)).toBeUndefined();
  });

  it('latestFor picks the caller’s newest live one', () => {
    const s = openStore({ memory: true });
    s.confirmations.create(pending('A', 'lead1', 1000));
    s.confirmations.create(pending('B', 'lead1', 2000));
    s.confirmations.create(pending('C', 'lead2', 3000));
    s.confirmations.create(pending('D', 'lead1', 2500, 10));
    expect(s.confirmations.latestFor('lead1', 3000)?.code).toBe('B');
    expect(s.confirmations.latestFor('lead2', 3000)?.code).toBe('C');
    expect(s.confirmations.latestFor('lead3', 3000)).toBeUndefined();
    s.confirmations.delete('B');
    expect(s.confirmations.latestFor('lead1', 3000)?.code).toBe('A');
  });

  it('prune deletes expired ones and counts them', () => {
    const s = openStore({ memory: true });
    s.confirmations.create(pending('A', 'lead1', 1000, 100));
    s.confirmations.create(pending('B', 'lead1', 1000, 200));
    s.confirmations.create(pending('C', 'lead1', 1000, 10_000));
    expect(s.confirmations.prune(1200)).toBe(2);
    expect(s.confirmations.get('C', 1200)?.code).toBe('C');
    expect(s.confirmations.prune(1200)).toBe(0);
  });

  it('rejects a duplicate code', () => {
    const s = openStore({ memory: true });
    s.confirmations.create(pending('A', 'lead1', 1000));
    expect(() => s.confirmations.create(pending('A', 'lead2', 1000))).toThrow(/UNIQUE/);
  });
});
