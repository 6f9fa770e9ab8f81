import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, Confirmations } from '../../../src/bot/confirm.ts';
import { MemoryConfirmationStore } from './fakes.ts';

function setup(opts: { random?: () => string } = {}) {
  const store = new MemoryConfirmationStore();
  let now = 1_000_000;
  const c = new Confirmations(store, { now: () => now, ...opts });
  return {
    store,
    c,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const req = (userId = 'lead1', payload: unknown = { chatId: 'chat1', users: ['u1', 'u2'] }) => ({
  userId,
  conversationId: 'cidA',
  command: 'chat remove',
  payload,
  preview: 'remove u1, u2 from Design',
});

describe('Confirmations', () => {
  it('makes 6-character codes from the unambiguous alphabet', async () => {
    const { c } = setup();
    for (let i = 0; i < 200; i++) {
      const { code } = await c.create(req());
      expect(code).toMatch(/^[A-Z2-9]{6}$/);
      expect(code).not.toMatch(/[01OIL]/);
      for (const ch of code) expect(CODE_ALPHABET).toContain(ch);
    }
  });

  it('stores the pending command with a two-minute expiry', async () => {
    const { c, store } = setup();
    const p = await c.create(req());
    expect(p.expiresAt - p.createdAt).toBe(120_000);
    expect(await store.get(p.code)).toEqual({ ...p, plan: JSON.stringify(req().payload) });
  });

  it('runs for the same user and hands the payload back, once', async () => {
    const { c, store } = setup();
    const p = await c.create(req());
    const r = await c.confirm(p.code, 'lead1');
    expect(r).toEqual({ ok: true, pending: p, payload: { chatId: 'chat1', users: ['u1', 'u2'] } });
    expect(store.rows.size).toBe(0);
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('accepts the code in any case and with spaces', async () => {
    const { c } = setup({ random: () => 'ABC234' });
    await c.create(req());
    expect((await c.confirm('  abc234 ', 'lead1')).ok).toBe(true);
  });

  it('refuses another user without consuming the code', async () => {
    const { c } = setup();
    const p = await c.create(req());
    expect(await c.confirm(p.code, 'intruder')).toEqual({ ok: false, reason: 'wrong-user' });
    expect(await c.confirm(p.code.toLowerCase(), 'intruder')).toEqual({ ok: false, reason: 'wrong-user' });
    expect((await c.confirm(p.code, 'lead1')).ok).toBe(true);
  });

  it('is valid until the last millisecond of the two minutes', async () => {
    const { c, advance } = setup();
    const p = await c.create(req());
    advance(119_999);
    expect((await c.confirm(p.code, 'lead1')).ok).toBe(true);
  });

  it('refuses an expired code and drops it', async () => {
    const { c, store, advance } = setup();
    const p = await c.create(req());
    advance(120_000);
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'expired' });
    expect(store.rows.has(p.code)).toBe(false);
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('keeps recently expired codes so a late confirm hears "expired", prunes older ones', async () => {
    const { c, store, advance } = setup();
    const old = await c.create(req());
    advance(150_000);
    const late = await c.create(req('lead2'));
    advance(150_000);
    await c.create(req('lead3'));
    // `old` expired more than a TTL ago; `late` only 30 s ago.
    expect(store.rows.has(old.code)).toBe(false);
    expect(await c.confirm(late.code, 'lead2')).toEqual({ ok: false, reason: 'expired' });
  });

  it('does not cancel an expired confirmation as if it were pending', async () => {
    const { c, store, advance } = setup();
    const p = await c.create(req());
    advance(200_000);
    expect(await c.cancel('lead1')).toBeUndefined();
    expect(store.rows.has(p.code)).toBe(false);
  });

  it('survives a restart: a new instance on the same store confirms the code', async () => {
    const { c, store } = setup();
    const p = await c.create(req());
    const again = new Confirmations(store, { now: () => p.createdAt + 1000 });
    expect(await again.confirm(p.code, 'lead1')).toMatchObject({ ok: true, pending: { code: p.code } });
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('knows nothing of codes never issued or malformed', async () => {
    const { c } = setup();
    expect(await c.confirm('ZZZZZZ', 'lead1')).toEqual({ ok: false, reason: 'unknown' });
    expect(await c.confirm('', 'lead1')).toEqual({ ok: false, reason: 'unknown' });
    expect(await c.confirm('ABC', 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('cancels the caller latest when no code is given', async () => {
    const { c, advance } = setup();
    const first = await c.create(req());
    advance(1000);
    const second = await c.create(req());
    const other = await c.create(req('lead2'));
    expect(await c.cancel('lead1')).toEqual(second);
    expect(await c.cancel('lead1')).toEqual(first);
    expect(await c.cancel('lead1')).toBeUndefined();
    expect((await c.confirm(other.code, 'lead2')).ok).toBe(true);
  });

  it('cancels by code only the caller own confirmation', async () => {
    const { c } = setup();
    const p = await c.create(req());
    expect(await c.cancel('intruder', p.code)).toBeUndefined();
    expect(await c.cancel('lead1', p.code.toLowerCase())).toEqual(p);
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('gives unique codes even when the random source repeats', async () => {
    const seq = ['AAAAAA', 'AAAAAA', 'aaaaaa', 'BBBBBB', 'AAAAAA', 'CCCCCC'];
    const { c } = setup({ random: () => seq.shift() ?? 'DDDDDD' });
    expect((await c.create(req())).code).toBe('AAAAAA');
    expect((await c.create(req())).code).toBe('BBBBBB');
    expect((await c.create(req())).code).toBe('CCCCCC');
  });

  it('skips candidates outside the alphabet and gives up on a stuck random source', async () => {
    const seq = ['0OIL1A', 'ABCDEF'];
    const { c } = setup({ random: () => seq.shift() ?? 'ABCDEF' });
    expect((await c.create(req())).code).toBe('ABCDEF');
    await expect(c.create(req())).rejects.toThrow(/free confirmation code/);
  });

  it('keeps codes unique over many creations (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD'), { minLength: 80 }),
        async (cands) => {
          const { c } = setup({ random: () => cands.shift() ?? 'ZZZZZZ' });
          const seen = new Set<string>();
          for (let i = 0; i < 5; i++) {
            try {
              const { code } = await c.create(req());
              expect(seen.has(code)).toBe(false);
              seen.add(code);
            } catch {
              // ran out of distinct candidates: fine, never a duplicate
            }
          }
        },
      ),
    );
  });
});

describe('Confirmations racing', () => {
  it('runs only once when another confirm takes the row first', async () => {
    const store = new MemoryConfirmationStore();
    const c = new Confirmations(store, { now: () => 0 });
    const p = await c.create(req());
    // A second instance (or a redelivered /confirm) takes it between our get and take.
    const get = store.get.bind(store);
    store.get = async (code: string) => {
      const found = await get(code);
      await store.take(code, 0);
      return found;
    };
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });
});
