import { describe, expect, it } from 'vitest';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { BIG_DEPT, PICK_TTL_MS, resolve, resolvePeople } from '../../../../src/bot/steps/resolve.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { GROUP_CID, HERE_ID, log, type World, world } from './world.ts';

/** Routed and bound: a draft with typed people. */
async function drafted(w: World, text: string): Promise<Turn> {
  const turn = await w.routed(text);
  expect(await w.step(bind(w.deps), turn)).toBe(true);
  expect(turn.draft).toBeDefined();
  return turn;
}

describe('resolve', () => {
  it('completes the plan when each typed person is one', async () => {
    const w = await world();
    w.directory.answers.set('Ann', { kind: 'one', person: { userId: 'ann1', name: 'Ann' }, verified: true });
    const turn = await drafted(w, '/chat add here alice Ann');
    expect(await w.step(resolve(w.deps), turn)).toBe(true);
    expect(turn.plan?.args.users).toEqual(['alice', 'ann1']);
    // A userId typed as itself needs no note; a name does.
    expect(turn.plan?.notes).toEqual(['Ann → Ann (ann1)']);
    expect(turn.plan?.people.map((p) => p.found)).toEqual([false, true]);
    expect(w.directory.lookups.map((r) => r.text)).toEqual(['alice', 'Ann']);
  });

  it("takes a department's members, and marks a big one", async () => {
    const w = await world();
    const members = Array.from({ length: BIG_DEPT + 1 }, (_, i) => ({ userId: `u${i}`, name: `U ${i}` }));
    w.directory.answers.set('Sales', {
      kind: 'members',
      dept: { deptId: 7, name: 'Sales' },
      members,
      truncated: false,
    });
    const turn = await drafted(w, '/chat add here dept:Sales');
    expect(await w.step(resolve(w.deps), turn)).toBe(true);
    expect(turn.plan?.args.users).toHaveLength(BIG_DEPT + 1);
    expect(turn.plan?.people[0]).toMatchObject({ found: true, bigDept: true });
    expect(turn.plan?.notes).toEqual([
      turn.t('people.dept-note', { word: 'dept:Sales', dept: 'Sales', count: 51 }),
    ]);
  });

  it('asks a pick for an ambiguous name and stores the draft', async () => {
    const w = await world();
    w.directory.answers.set('Ann', {
      kind: 'many',
      candidates: [
        { userId: 'ann1', name: 'Ann', deptNames: ['Design'] },
        { userId: 'ann2', name: 'Ann', title: 'Engineer' },
      ],
      more: false,
    });
    const turn = await drafted(w, '/chat add here alice Ann');
    const before = Date.now();
    expect(await w.step(resolve(w.deps), turn)).toBe(false);
    const reply = turn.outcome?.reply;
    expect(reply?.title).toBe(turn.t('pick.title'));
    expect(reply?.text).toContain('1. Ann · Design · ann1');
    expect(reply?.text).toContain('2. Ann · Engineer · ann2');
    expect(reply?.text).toContain('/pick 1');
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat add',
      chatId: HERE_ID,
      outcome: 'pending',
      reason: { key: 'audit.reason.pick', params: { words: 'Ann' } },
    });
    const stored = await w.deps.confirmations.pick('lead1', GROUP_CID);
    expect(stored?.action.kind).toBe('pick');
    expect(stored?.action.expiresAt).toBeGreaterThanOrEqual(before + PICK_TTL_MS);
    expect(stored?.draft.words).toEqual([
      {
        index: 1,
        raw: 'Ann',
        candidates: [
          { userId: 'ann1', name: 'Ann', line: 'Ann · Design · ann1' },
          { userId: 'ann2', name: 'Ann', line: 'Ann · Engineer · ann2' },
        ],
      },
    ]);
    // The one already found is kept, the open slot is null.
    expect(stored?.draft.people.map((p) => p?.ids ?? null)).toEqual([['alice'], null]);
    expect(turn.plan).toBeUndefined();
  });

  it('names back the people it could not find, every one of them', async () => {
    const w = await world();
    w.directory.answers.set('Zed', { kind: 'none', close: [{ userId: 'zoe', name: 'Zoe' }] });
    const turn = await drafted(w, '/chat add here Nobody Zed');
    expect(await w.step(resolve(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(
      [
        turn.t('people.none', { word: 'Nobody' }),
        turn.t('people.none-close', { word: 'Zed', close: 'Zoe (zoe)' }),
      ].join('\n'),
    );
    expect(turn.outcome?.audit).toMatchObject({
      outcome: 'refused',
      reason: { key: 'people.none', params: { word: 'Nobody' } },
    });
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeUndefined();
  });

  it('turns a failed lookup into the failed reply', async () => {
    const w = await world();
    w.directory.answers.set('Ann', { kind: 'error', error: new Error('boom') });
    const turn = await drafted(w, '/chat add here Ann');
    expect(await w.step(resolve(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toMatch(
      /^Something went wrong on my side\. Incident id: [0-9a-f]{8}\.$/,
    );
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat add',
      outcome: 'failed',
      reason: { key: 'audit.reason.internal' },
    });
  });

  it('is skipped when the plan exists, and looks nobody up', async () => {
    const w = await world();
    const turn = await drafted(w, '/chat add here Ann');
    const done = await w.routed('/chat info here');
    await w.step(bind(w.deps), done);
    if (done.plan === undefined) throw new Error('no plan');
    turn.plan = done.plan;
    expect(await w.step(resolve(w.deps), turn)).toBe(true);
    expect(w.directory.lookups).toEqual([]);
    expect(turn.outcome).toBeUndefined();
  });

  it('needs a draft', async () => {
    const w = await world();
    const turn = await w.routed('/chat add here Ann');
    await expect(w.step(resolve(w.deps), turn)).rejects.toThrow('resolve needs a draft');
  });
});

describe('resolvePeople', () => {
  it('takes a known person as they are, without a lookup', async () => {
    const w = await world();
    const known = { raw: 'Ann', ids: ['ann2'], labels: ['Ann (ann2)'], found: true };
    const r = await resolvePeople(
      w.deps.directory,
      { values: {}, slots: [], refs: [{ kind: 'name', text: 'Ann', raw: 'Ann' }] },
      [known],
      w.turn('/x').t,
      log,
    );
    expect(r).toEqual({ kind: 'ok', people: [known] });
    expect(w.directory.lookups).toEqual([]);
  });

  it('says a refused permission and an out-of-range person', async () => {
    const w = await world();
    w.directory.answers.set('Ann', { kind: 'denied', permission: 'qyapi_get_member' });
    w.directory.answers.set('Bo', { kind: 'denied', permission: 'contact-range' });
    const r = await resolvePeople(
      w.deps.directory,
      {
        values: {},
        slots: [],
        refs: [
          { kind: 'name', text: 'Ann', raw: 'Ann' },
          { kind: 'name', text: 'Bo', raw: 'Bo' },
        ],
      },
      [],
      w.turn('/x').t,
      log,
    );
    expect(r.kind).toBe('fail');
    if (r.kind !== 'fail') return;
    expect(r.errors.map((e) => [e.code, e.params])).toEqual([
      ['people.denied', { word: 'Ann', permission: 'qyapi_get_member' }],
      ['people.out-of-range', { word: 'Bo' }],
    ]);
  });
});
