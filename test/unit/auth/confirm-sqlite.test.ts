/**
 * Pending actions over the real SQLite store: a late /confirm hears "expired" (expired rows are
 * kept until pruned), and a new code never clashes with an expired row still stored.
 */
import { describe, expect, it } from 'vitest';
import { Confirmations } from '../../../src/bot/confirm.ts';
import { openStore } from '../../../src/store/index.ts';
import { plan } from './fakes.ts';

describe('Confirmations with the SQLite store', () => {
  it('a /confirm shortly after the code expired hears "expired", not "unknown"', async () => {
    const store = openStore({ memory: true });
    let now = Date.now();
    const c = new Confirmations(store.pending, { now: () => now });
    try {
      const p = await c.ask(plan(), 'remove');
      now = p.expiresAt + 1_000;
      expect(await c.confirm(p.code, 'lead1')).toMatchObject({ ok: false, reason: 'expired' });
    } finally {
      await store.close();
    }
  });

  it('a fresh code is never one that is expired but still stored', async () => {
    const store = openStore({ memory: true });
    let now = Date.now();
    const codes = ['AAAAAA', 'AAAAAA', 'BBBBBB'];
    const c = new Confirmations(store.pending, { now: () => now, random: () => codes.shift() ?? 'CCCCCC' });
    try {
      const first = await c.ask(plan(), 'x');
      now = first.expiresAt + 1_000;
      expect((await c.ask(plan(), 'x')).code).toBe('BBBBBB');
    } finally {
      await store.close();
    }
  });
});
