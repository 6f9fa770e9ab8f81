/**
 * Review findings: Confirmations over the real SQLite store, whose `get` hides expired rows
 * unless told otherwise. A late /confirm must hear "expired", and a new code must never clash
 * with an expired row that has not been pruned yet (the INSERT would throw).
 */
import { describe, expect, it } from 'vitest';
import { Confirmations } from '../../../src/bot/confirm.ts';
import { openStore } from '../../../src/store/index.ts';

const req = {
  userId: 'lead1',
  conversationId: 'cidA',
  command: 'chat remove',
  payload: { x: 1 },
  preview: 'remove',
};

describe('review: Confirmations with the SQLite store', () => {
  it('a /confirm shortly after the code expired hears "expired", not "unknown"', async () => {
    const store = openStore({ memory: true });
    let now = Date.now();
    const c = new Confirmations(store.pending, { now: () => now });
    const p = await c.create(req);
    // The store compares with its own clock: move both past the expiry.
    now = p.expiresAt + 1_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'expired' });
    } finally {
      Date.now = realNow;
      await store.close();
    }
  });

  it('a fresh code is never one that is expired but still stored', async () => {
    const store = openStore({ memory: true });
    let now = Date.now();
    const codes = ['AAAAAA', 'AAAAAA', 'BBBBBB'];
    const c = new Confirmations(store.pending, {
      now: () => now,
      random: () => codes.shift() ?? 'CCCCCC',
    });
    const first = await c.create(req);
    now = first.expiresAt + 1_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const second = await c.create(req);
      expect(second.code).toBe('BBBBBB');
    } finally {
      Date.now = realNow;
      await store.close();
    }
  });
});
