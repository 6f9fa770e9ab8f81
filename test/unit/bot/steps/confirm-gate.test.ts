import { describe, expect, it } from 'vitest';
import { type Plan, readStored } from '../../../../src/bot/plan.ts';
import { dtmdSendLink, md } from '../../../../src/bot/render.ts';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { BIG_FIND, confirmGate } from '../../../../src/bot/steps/confirm-gate.ts';
import { resolve } from '../../../../src/bot/steps/resolve.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { HERE_ID, policy, type World, world } from './world.ts';

/** Routed, bound and resolved: the turn as the gate sees it. */
async function planned(w: World, text: string): Promise<Turn> {
  const turn = await w.routed(text);
  expect(await w.step(bind(w.deps), turn)).toBe(true);
  expect(await w.step(resolve(w.deps), turn)).toBe(true);
  expect(turn.plan).toBeDefined();
  return turn;
}

describe('confirmGate', () => {
  it('stores a risky plan and answers with its preview and a code', async () => {
    const w = await world();
    const turn = await planned(w, '/chat remove here bob');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(false);
    const waiting = await w.deps.confirmations.waiting('lead1');
    expect(waiting).toHaveLength(1);
    const code = waiting[0]?.code ?? '';
    expect(code).toMatch(/^[A-Z2-9]{6}$/);
    const preview = turn.t('chat.remove.preview', {
      count: 1,
      name: 'Team Here',
      chatId: HERE_ID,
      users: md('Bob (bob)'),
    });
    expect(waiting[0]?.preview).toBe(preview);
    expect(turn.outcome?.reply).toEqual({
      text: turn.t('confirm.ask', { preview: md(preview), code, minutes: 2 }),
      title: turn.t('confirm.title'),
      link: { title: `Confirm ${code}`, url: dtmdSendLink(`/confirm ${code}`) },
    });
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat remove',
      chatId: HERE_ID,
      outcome: 'pending',
      reason: { key: 'audit.reason.pending', params: { code } },
    });
    const stored = readStored<Plan>(waiting[0]?.plan ?? '');
    expect(stored?.args.users).toEqual(['bob']);
    expect(stored?.chat?.chatId).toBe(HERE_ID);
  });

  it('lets a plan that is not risky go on, storing nothing', async () => {
    const w = await world();
    const turn = await planned(w, '/chat rename here New');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(true);
    expect(turn.outcome).toBeUndefined();
    expect(await w.deps.confirmations.waiting('lead1')).toEqual([]);
  });

  it('is skipped for a plan that comes back confirmed: no preview is made', async () => {
    const w = await world();
    const turn = await planned(w, '/chat remove here bob');
    turn.confirmedWith = 'ABCDEF';
    expect(await w.step(confirmGate(w.deps), turn)).toBe(true);
    expect(w.groups.calls).toEqual([]);
    expect(await w.deps.confirmations.waiting('lead1')).toEqual([]);
  });

  it('asks for a command the policy calls risky, with the generic preview', async () => {
    const w = await world({ policy: policy({ commands: { 'chat rename': { risky: true } } }) });
    const turn = await planned(w, '/chat rename here New');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(false);
    const [action] = await w.deps.confirmations.waiting('lead1');
    expect(action?.preview).toBe('You are about to run /chat rename.');
    expect(turn.outcome?.audit?.outcome).toBe('pending');
  });

  it(`asks when more than ${BIG_FIND} people were found by name or department`, async () => {
    const w = await world();
    const members = Array.from({ length: BIG_FIND + 1 }, (_, i) => ({ userId: `u${i}`, name: `U${i}` }));
    w.directory.answers.set('Sales', {
      kind: 'members',
      dept: { deptId: 1, name: 'Sales' },
      members,
      truncated: false,
    });
    const turn = await planned(w, '/chat add here dept:Sales');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(false);
    const [action] = await w.deps.confirmations.waiting('lead1');
    expect(action?.preview).toContain(`${BIG_FIND + 1}`);
    expect(action?.preview).toContain('U0 (u0), U1 (u1)');
    expect(action?.preview).toContain(
      turn.t('people.resolved', { list: md(turn.plan?.notes.join('; ') ?? '') }),
    );
  });

  it('refuses when the preview finds nothing to do', async () => {
    const w = await world();
    w.directory.known.set('carol', 'Carol');
    const turn = await planned(w, '/chat remove here carol');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(
      turn.t('chat.remove.none', { users: 'Carol (carol)', name: 'Team Here' }),
    );
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat remove',
      outcome: 'refused',
      reason: { key: 'chat.remove.none' },
    });
    expect(await w.deps.confirmations.waiting('lead1')).toEqual([]);
  });

  it('pins the change an undo takes back, and a second undo of it returns the first code', async () => {
    const w = await world();
    const id = await w.store.changes.record({
      chatId: HERE_ID,
      userId: 'lead1',
      command: 'chat add',
      at: Date.now() - 60_000,
      undo: JSON.stringify([{ kind: 'remove', users: ['bob'] }]),
    });
    const first = await planned(w, '/chat undo here');
    expect(await w.step(confirmGate(w.deps), first)).toBe(false);
    expect(first.plan?.pinned).toBe(id);
    const waiting = await w.deps.confirmations.waiting('lead1');
    expect(waiting).toHaveLength(1);
    const code = waiting[0]?.code ?? '';
    expect(readStored<Plan>(waiting[0]?.plan ?? '')?.pinned).toBe(id);
    expect(first.outcome?.audit?.reason).toEqual({ key: 'audit.reason.pending', params: { code } });

    const second = await planned(w, '/chat undo here');
    expect(await w.step(confirmGate(w.deps), second)).toBe(false);
    expect(second.outcome).toEqual({ reply: { text: second.t('confirm.already-waiting', { code }) } });
    expect(await w.deps.confirmations.waiting('lead1')).toHaveLength(1);
  });

  it('lets an undo that only adds people back go on (confirmWhen says no)', async () => {
    const w = await world();
    await w.store.changes.record({
      chatId: HERE_ID,
      userId: 'lead1',
      command: 'chat remove',
      at: Date.now() - 60_000,
      undo: JSON.stringify([{ kind: 'add', users: ['carol'] }]),
    });
    const turn = await planned(w, '/chat undo here');
    expect(await w.step(confirmGate(w.deps), turn)).toBe(true);
    expect(await w.deps.confirmations.waiting('lead1')).toEqual([]);
  });

  it('needs a plan', async () => {
    const w = await world();
    const turn = await w.routed('/chat info here');
    await expect(w.step(confirmGate(w.deps), turn)).rejects.toThrow('the confirm gate needs a plan');
  });
});
