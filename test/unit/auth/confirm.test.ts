/** Pending actions over an in-memory PendingStore with the contract's semantics. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, Confirmations } from '../../../src/bot/confirm.ts';
import type { Draft } from '../../../src/bot/plan.ts';
import { MemoryConfirmationStore, plan } from './fakes.ts';

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

function draft(userId = 'lead1', conversationId = 'cidA'): Draft {
  const p = plan(userId, conversationId, 'chat add');
  return {
    v: 1,
    command: p.command,
    caller: p.caller,
    locale: p.locale,
    message: p.message,
    pre: { values: {}, slots: [], refs: [] },
    usedOptions: [],
    people: [null],
    words: [{ index: 0, raw: 'Zhang', candidates: [{ userId: 'z1', line: 'Zhang 1' }] }],
  };
}

describe('Confirmations', () => {
  it('makes 6-character codes from the unambiguous alphabet', async () => {
    const { c } = setup();
    for (let i = 0; i < 200; i++) {
      const { code } = await c.ask(plan(), 'preview');
      expect(code).toMatch(/^[A-Z2-9]{6}$/);
      for (const ch of code) expect(CODE_ALPHABET).toContain(ch);
    }
  });

  it('stores the plan itself, not the typed text, with a two-minute expiry', async () => {
    const { c, store } = setup();
    const p = await c.ask(plan(), 'remove u1, u2');
    expect(p.expiresAt - p.createdAt).toBe(120_000);
    expect(p).toMatchObject({
      kind: 'confirm',
      userId: 'lead1',
      conversationId: 'cidA',
      command: 'chat remove',
    });
    expect(JSON.parse((await store.get(p.code))?.plan ?? '')).toEqual(JSON.parse(JSON.stringify(plan())));
  });

  it('runs for the same user and hands the plan back, once', async () => {
    const { c, store } = setup();
    const p = await c.ask(plan(), 'x');
    const r = await c.confirm(p.code, 'lead1');
    expect(r.ok && r.plan.chat?.chatId).toBe('chat1');
    expect(r.ok && r.action.code).toBe(p.code);
    expect(store.rows.size).toBe(0);
    expect(await c.confirm(p.code, 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('accepts the code in any case and with spaces', async () => {
    const { c } = setup({ random: () => 'ABC234' });
    await c.ask(plan(), 'x');
    expect((await c.confirm('  abc234 ', 'lead1')).ok).toBe(true);
  });

  it('refuses another user without consuming the code; an expired code says so', async () => {
    const { c, advance } = setup();
    const p = await c.ask(plan(), 'x');
    expect(await c.confirm(p.code, 'lead2')).toEqual({ ok: false, reason: 'wrong-user' });
    advance(120_001);
    expect(await c.confirm(p.code, 'lead1')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('a pick code is not a confirmation code', async () => {
    const { c, store } = setup();
    await c.askPick(draft(), 120_000);
    const [row] = [...store.rows.values()];
    expect(row?.kind).toBe('pick');
    expect(await c.confirm(row?.code ?? '', 'lead1')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('waits per conversation: /cancel here leaves the other conversation alone', async () => {
    const { c } = setup();
    const direct = await c.ask(plan('lead1', 'cidDirect'), 'x');
    await c.askPick(draft('lead1', 'cidGroup'), 120_000);
    const here = await c.cancelHere('lead1', 'cidGroup');
    expect(here.map((a) => a.kind)).toEqual(['pick']);
    expect((await c.waiting('lead1', 'cidDirect')).map((a) => a.code)).toEqual([direct.code]);
    expect((await c.waiting('lead1')).map((a) => a.code)).toEqual([direct.code]);
  });

  it('/cancel <code> works anywhere, only for its owner, and says when it expired', async () => {
    const { c, advance } = setup();
    const a = await c.ask(plan(), 'x');
    expect(await c.cancel('lead2', a.code)).toEqual({ state: 'none' });
    expect((await c.cancel('lead1', a.code.toLowerCase())).state).toBe('taken');
    const b = await c.ask(plan(), 'x');
    advance(120_001);
    expect((await c.cancel('lead1', b.code)).state).toBe('expired');
  });

  it('a new pick in a conversation replaces the earlier one there; picks are taken once', async () => {
    const { c, store } = setup();
    await c.askPick(draft(), 120_000);
    await c.askPick(draft(), 120_000);
    expect([...store.rows.values()].filter((r) => r.kind === 'pick')).toHaveLength(1);
    const found = await c.pick('lead1', 'cidA');
    expect(found?.draft.words[0]?.raw).toBe('Zhang');
    expect((await c.takePick(found?.action.code ?? '')).state).toBe('taken');
    expect((await c.takePick(found?.action.code ?? '')).state).toBe('none');
  });

  it('never hands out a code that is already stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('AAAAAA', 'BBBBBB', 'CCCCCC'), { minLength: 3, maxLength: 8 }),
        async (codes) => {
          const queue = [...codes, 'DDDDDD', 'EEEEEE', 'FFFFFF'];
          const { c } = setup({ random: () => queue.shift() ?? 'GGGGGG' });
          const seen = new Set<string>();
          for (let i = 0; i < 3; i++) {
            const { code } = await c.ask(plan(), 'x');
            expect(seen.has(code)).toBe(false);
            seen.add(code);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
