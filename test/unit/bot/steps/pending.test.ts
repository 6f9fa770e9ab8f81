import { describe, expect, it } from 'vitest';
import { sanitizeArgs } from '../../../../src/bot/audit.ts';
import type { Plan } from '../../../../src/bot/plan.ts';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { pending } from '../../../../src/bot/steps/pending.ts';
import { resolve } from '../../../../src/bot/steps/resolve.ts';
import { plan as storedPlan } from '../../auth/fakes.ts';
import { DESIGN_ID, GROUP_CID, HERE_ID, type World, world } from './world.ts';

const OTHER_CID = 'cidSomewhereElse0001==';

/** A `chat remove` plan of lead1's waiting in the group, for #Design. */
function removePlan(conversationId = GROUP_CID): Plan {
  const p = storedPlan('lead1', conversationId, 'chat remove');
  p.chat = { chatId: DESIGN_ID, openConversationId: undefined, record: undefined, label: '#Design' };
  p.args = { chat: p.chat, users: ['alice'] };
  return p;
}

/** lead1 types `/chat add here Ann` and two people are called Ann: a pick waits in the group. */
async function waitingPick(w: World): Promise<void> {
  w.directory.answers.set('Ann', {
    kind: 'many',
    candidates: [
      { userId: 'ann1', name: 'Ann', title: 'Designer' },
      { userId: 'ann2', name: 'Ann', title: 'Engineer' },
    ],
    more: false,
  });
  const turn = await w.routed('/chat add here Ann');
  expect(await w.step(bind(w.deps), turn)).toBe(true);
  expect(await w.step(resolve(w.deps), turn)).toBe(false);
  expect(turn.outcome?.audit?.outcome).toBe('pending');
}

describe('pending: /confirm', () => {
  it('with one confirmation waiting here needs no code, and reads the plan back', async () => {
    const w = await world();
    const action = await w.deps.confirmations.ask(removePlan(), 'preview');
    const turn = await w.routed('/confirm');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('chat remove');
    expect(turn.stored).toBe(true);
    expect(turn.confirmedWith).toBe(action.code);
    expect(turn.plan?.args.users).toEqual(['alice']);
    // The chat's registry record is read again.
    expect(turn.plan?.chat?.record?.name).toBe('Design');
    expect(await w.store.pending.get(action.code)).toBeUndefined();
  });

  it('with several waiting lists their codes', async () => {
    const w = await world();
    const a = await w.deps.confirmations.ask(removePlan(), 'p1');
    const b = await w.deps.confirmations.ask(storedPlan('lead1', GROUP_CID, 'chat owner'), 'p2');
    const turn = await w.routed('/confirm');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    const text = turn.outcome?.reply.text ?? '';
    expect(text.split('\n')[0]).toBe(turn.t('confirm.need-code'));
    expect(text).toContain(`${a.code}: /chat remove`);
    expect(text).toContain(`${b.code}: /chat owner`);
    expect(turn.outcome?.audit).toEqual({
      command: 'confirm',
      outcome: 'refused',
      reason: { key: 'confirm.need-code', params: {} },
    });
    expect(await w.store.pending.get(a.code)).toBeDefined();
  });

  it('with nothing waiting here says so (one waiting elsewhere does not count)', async () => {
    const w = await world();
    await w.deps.confirmations.ask(removePlan(OTHER_CID), 'p');
    const turn = await w.routed('/confirm');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome).toEqual({
      reply: { text: turn.t('confirm.nothing-waits') },
      audit: { command: 'confirm', outcome: 'refused', reason: { key: 'confirm.nothing-waits', params: {} } },
    });
  });

  it('confirms by code a plan waiting in another conversation', async () => {
    const w = await world();
    const action = await w.deps.confirmations.ask(removePlan(OTHER_CID), 'p');
    const turn = await w.routed(`/confirm ${action.code.toLowerCase()}`);
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.confirmedWith).toBe(action.code);
    expect(turn.plan?.message.conversationId).toBe(OTHER_CID);
  });

  it('refuses an unknown code with an audit record', async () => {
    const w = await world();
    const turn = await w.routed('/confirm ABCDEF');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(turn.t('confirm.unknown', { code: 'ABCDEF' }));
    expect(turn.outcome?.audit).toEqual({
      command: 'confirm',
      outcome: 'refused',
      reason: { key: 'confirm.unknown', params: { code: 'ABCDEF' } },
    });
  });

  it("refuses someone else's code and leaves it waiting", async () => {
    const w = await world();
    const action = await w.deps.confirmations.ask(removePlan(), 'p');
    const turn = await w.routed(`/confirm ${action.code}`, { senderUserId: 'lead2' });
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(`The code ${action.code} belongs to someone else.`);
    expect(turn.outcome?.audit?.reason).toEqual({ key: 'confirm.wrong-user', params: { code: action.code } });
    expect(await w.store.pending.get(action.code)).toBeDefined();
  });

  it('refuses an expired code', async () => {
    let clock = 1_000_000;
    const w = await world({ now: () => clock });
    const action = await w.deps.confirmations.ask(removePlan(), 'p');
    clock += 121_000;
    const turn = await w.routed(`/confirm ${action.code}`);
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(turn.t('confirm.expired', { code: action.code }));
    expect(turn.outcome?.audit?.reason?.key).toBe('confirm.expired');
  });

  it('refuses a stored plan whose command no longer exists', async () => {
    const w = await world();
    const action = await w.deps.confirmations.ask(storedPlan('lead1', GROUP_CID, 'chat vanish'), 'p');
    const turn = await w.routed(`/confirm ${action.code}`);
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome).toEqual({ reply: { text: turn.t('confirm.unknown', { code: action.code }) } });
  });
});

describe('pending: /cancel', () => {
  it('without a code drops everything waiting here, and audits it', async () => {
    // A clock that moves: the two codes are made in a known order.
    let tick = 0;
    const w = await world({ now: () => Date.now() + tick++ });
    const a = await w.deps.confirmations.ask(removePlan(), 'p1');
    const b = await w.deps.confirmations.ask(storedPlan('lead1', GROUP_CID, 'chat owner'), 'p2');
    const elsewhere = await w.deps.confirmations.ask(removePlan(OTHER_CID), 'p3');
    const turn = await w.routed('/cancel');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(
      [
        turn.t('confirm.cancelled', { command: 'chat remove', code: a.code }),
        turn.t('confirm.cancelled', { command: 'chat owner', code: b.code }),
      ].join('\n'),
    );
    expect(turn.outcome?.audit).toEqual({
      command: 'chat remove',
      chatId: DESIGN_ID,
      outcome: 'refused',
      reason: { key: 'audit.reason.cancelled', params: { code: `${a.code}, ${b.code}` } },
    });
    expect(await w.store.pending.get(a.code)).toBeUndefined();
    expect(await w.store.pending.get(elsewhere.code)).toBeDefined();
  });

  it('by code drops the one with that code, wherever it waits', async () => {
    const w = await world();
    const here = await w.deps.confirmations.ask(removePlan(), 'p1');
    const elsewhere = await w.deps.confirmations.ask(removePlan(OTHER_CID), 'p2');
    const turn = await w.routed(`/cancel ${elsewhere.code}`);
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(`Cancelled /chat remove (${elsewhere.code}).`);
    expect(turn.outcome?.audit?.reason).toEqual({
      key: 'audit.reason.cancelled',
      params: { code: elsewhere.code },
    });
    expect(await w.store.pending.get(elsewhere.code)).toBeUndefined();
    expect(await w.store.pending.get(here.code)).toBeDefined();
  });

  it('by an unknown code, or with nothing waiting, says so and audits the refusal', async () => {
    const w = await world();
    const byCode = await w.routed('/cancel ZZZZZZ');
    expect(await w.step(pending(w.deps), byCode)).toBe(false);
    expect(byCode.outcome).toEqual({
      reply: { text: byCode.t('confirm.unknown', { code: 'ZZZZZZ' }) },
      audit: {
        command: 'cancel',
        outcome: 'refused',
        reason: { key: 'confirm.unknown', params: { code: 'ZZZZZZ' } },
      },
    });
    const here = await w.routed('/cancel');
    expect(await w.step(pending(w.deps), here)).toBe(false);
    expect(here.outcome).toEqual({
      reply: { text: here.t('confirm.nothing-to-cancel') },
      audit: {
        command: 'cancel',
        outcome: 'refused',
        reason: { key: 'confirm.nothing-to-cancel', params: {} },
      },
    });
  });

  it("does not cancel someone else's code", async () => {
    const w = await world();
    const action = await w.deps.confirmations.ask(removePlan(), 'p');
    const turn = await w.routed(`/cancel ${action.code}`, { senderUserId: 'lead2' });
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(turn.t('confirm.unknown', { code: action.code }));
    expect(await w.store.pending.get(action.code)).toBeDefined();
  });

  it('drops a pending pick here', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed('/cancel');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe('Dropped your pending pick for /chat add.');
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeUndefined();
  });
});

describe('pending: /pick', () => {
  it('fills the open slot with the chosen candidate and completes the plan', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed('/pick 2');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('chat add');
    expect(turn.stored).toBe(true);
    expect(turn.confirmedWith).toBeUndefined();
    expect(turn.draft?.words).toEqual([]);
    expect(turn.plan?.args.users).toEqual(['ann2']);
    expect(turn.plan?.chat?.chatId).toBe(HERE_ID);
    expect(turn.plan?.notes).toEqual(['Ann → Ann (ann2)']);
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeUndefined();
  });

  it('reads the chat of the picked plan from the registry again (the plan the handler gets, too)', async () => {
    const w = await world();
    await waitingPick(w);
    await w.store.registry.rename(HERE_ID, 'Renamed Meanwhile');
    const turn = await w.routed('/pick 2');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    const chat = turn.plan?.args.chat as { chatId: string; record?: { name: string } };
    expect(chat.chatId).toBe(HERE_ID);
    expect(chat.record?.name).toBe('Renamed Meanwhile');
    expect(turn.plan?.chat?.record?.name).toBe('Renamed Meanwhile');
    // A chat the registry does not know still reads as a chat for the audit: its `record` key is there.
    expect(sanitizeArgs(turn.plan?.args)).toMatchObject({ chat: HERE_ID });
  });

  it('reads one number per open slot, in order, full-width digits and commas too', async () => {
    const w = await world();
    const two = (id: string) => ({
      kind: 'many' as const,
      candidates: [
        { userId: `${id}1`, name: id },
        { userId: `${id}2`, name: id },
      ],
      more: false,
    });
    w.directory.answers.set('Ann', two('ann'));
    w.directory.answers.set('Bo', two('bo'));
    const asked = await w.routed('/chat add here Ann alice Bo');
    await w.step(bind(w.deps), asked);
    expect(await w.step(resolve(w.deps), asked)).toBe(false);
    const turn = await w.routed('/pick ２，１');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.plan?.args.users).toEqual(['ann2', 'alice', 'bo1']);
  });

  it('asks again for a number out of range and keeps the pick', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed('/pick 3');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(turn.t('pick.bad', { count: 1, ranges: '1–2', typed: '3' }));
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeDefined();
  });

  it('with nothing waiting says so', async () => {
    const w = await world();
    const turn = await w.routed('/pick 1');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome).toEqual({
      reply: { text: turn.t('pick.nothing') },
      audit: { command: 'pick', outcome: 'refused', reason: { key: 'pick.nothing', params: {} } },
    });
  });

  it('says an expired pick has expired', async () => {
    const w = await world();
    await waitingPick(w);
    const found = await w.deps.confirmations.pick('lead1', GROUP_CID);
    if (found === undefined) throw new Error('no pick');
    // The same draft again, already out of time.
    await w.deps.confirmations.askPick(found.draft, -1);
    const turn = await w.routed('/pick 1');
    expect(await w.step(pending(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe('Your pick for /chat add has expired. Send the command again.');
  });
});

describe('pending: other commands', () => {
  it('a changing command drops a pick in the same conversation and says so', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed('/chat rename here Other');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.notices).toEqual([turn.t('pick.replaced', { command: 'chat add' })]);
    expect(turn.spec?.name).toBe('chat rename');
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeUndefined();
  });

  it('a read-only command leaves the pick alone', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed('/chat info here');
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.notices).toEqual([]);
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeDefined();
  });

  it('a changing command in another conversation leaves the pick alone', async () => {
    const w = await world();
    await waitingPick(w);
    const turn = await w.routed(`/chat rename ${DESIGN_ID} Other`, {
      conversationType: 'direct',
      conversationId: OTHER_CID,
    });
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(turn.notices).toEqual([]);
    expect(await w.deps.confirmations.pick('lead1', GROUP_CID)).toBeDefined();
  });

  it('needs a routed command', async () => {
    const w = await world();
    await expect(w.step(pending(w.deps), w.turn('/help'))).rejects.toThrow('pending needs a routed command');
  });
});
