import { describe, expect, it } from 'vitest';
import { bind, complete } from '../../../../src/bot/steps/bind.ts';
import { DESIGN_ID, GROUP_CID, HERE_ID, policy, world } from './world.ts';

describe('bind', () => {
  it('pins a `#name` chat by its chatId and, with nobody to look up, makes the plan at once', async () => {
    const w = await world();
    const turn = await w.routed('/chat info #Design');
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.draft?.chat).toMatchObject({ chatId: DESIGN_ID, label: '#Design' });
    expect(turn.draft?.caller).toEqual({ userId: 'lead1', nick: 'Lee Lead' });
    expect(turn.plan?.command).toBe('chat info');
    expect(turn.plan?.chat?.chatId).toBe(DESIGN_ID);
    expect(turn.plan?.args.chat).toMatchObject({ chatId: DESIGN_ID });
    expect(turn.plan?.message.conversationId).toBe(GROUP_CID);
    // The plan never holds the message's credential.
    expect(turn.plan?.message).not.toHaveProperty('sessionWebhook');
  });

  it('pins `here` to the chat the message came from', async () => {
    const w = await world();
    const turn = await w.routed('/chat rename here "New Name"');
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.plan?.chat).toMatchObject({ chatId: HERE_ID, label: 'here' });
    expect(turn.plan?.args).toMatchObject({ name: 'New Name' });
  });

  it('leaves typed people for resolve: a draft, no plan yet', async () => {
    const w = await world();
    const turn = await w.routed('/chat add here alice "Ann Lee"');
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.plan).toBeUndefined();
    expect(turn.draft?.chat?.chatId).toBe(HERE_ID);
    expect(turn.draft?.pre.refs.map((r) => [r.kind, r.text])).toEqual([
      ['userId', 'alice'],
      ['name', 'Ann Lee'],
    ]);
    expect(turn.draft?.people).toEqual([]);
    expect(turn.draft?.words).toEqual([]);
  });

  it('keeps the options typed, for the policy', async () => {
    const w = await world();
    const turn = await w.routed('/chat set here mute=on searchable=off');
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.plan?.usedOptions).toEqual(['mute', 'searchable']);
    expect(turn.plan?.args).toMatchObject({ mute: true, searchable: false });
  });

  it('is skipped for a plan read back from the store', async () => {
    const w = await world();
    const turn = await w.routed('/chat info #Nowhere');
    const earlier = await w.routed('/chat info #Design');
    await w.step(bind(w.deps), earlier);
    if (earlier.plan === undefined) throw new Error('no plan');
    turn.plan = earlier.plan;
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.draft).toBeUndefined();
    expect(turn.outcome).toBeUndefined();
    expect(turn.plan?.chat?.chatId).toBe(DESIGN_ID);
  });

  it('refuses a chat name it does not know, with an audit record', async () => {
    const w = await world();
    const turn = await w.routed('/chat info #Nowhere');
    expect(await w.step(bind(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toContain('Nowhere');
    expect(turn.outcome?.audit).toEqual({
      command: 'chat info',
      outcome: 'refused',
      reason: { key: 'chat.name-not-found', params: { name: 'Nowhere' } },
    });
    expect(turn.draft).toBeUndefined();
  });

  it('refuses a line with a missing parameter, with the usage and example', async () => {
    const w = await world();
    const turn = await w.routed('/chat remove here');
    expect(await w.step(bind(w.deps), turn)).toBe(false);
    const text = turn.outcome?.reply.text ?? '';
    expect(text).toContain('/chat remove <chat> <users…>');
    expect(text).toContain(turn.t('chat.remove.example'));
    expect(turn.outcome?.audit).toMatchObject({ outcome: 'refused', reason: { key: 'args.missing' } });
  });

  it("adds a template's people to the draft (expand)", async () => {
    const w = await world({
      policy: policy({ templates: { squad: { members: ['alice', 'bob'], admins: ['bob'] } } }),
    });
    const turn = await w.routed('/chat create Squad template=squad');
    expect(await w.step(bind(w.deps), turn)).toBe(true);
    expect(turn.draft?.pre.refs.map((r) => r.text)).toEqual(['alice', 'bob', 'bob']);
    expect(turn.draft?.pre.values).toMatchObject({ template: 'squad', tpl: { name: 'squad' } });
  });

  it('refuses an unknown template with the arguments as typed', async () => {
    const w = await world();
    const turn = await w.routed('/chat create Squad template=nope');
    expect(await w.step(bind(w.deps), turn)).toBe(false);
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat create',
      args: { name: 'Squad', template: 'nope' },
      outcome: 'refused',
      reason: { key: 'chat.create.template-none', params: { template: 'nope' } },
    });
  });
});

describe('complete', () => {
  it('puts the resolved people in and makes the plan, each note told once', async () => {
    const w = await world();
    const turn = await w.routed('/chat add here alice Ann');
    await w.step(bind(w.deps), turn);
    const draft = turn.draft;
    if (draft === undefined) throw new Error('no draft');
    const alice = { raw: 'alice', ids: ['alice'], labels: ['Alice (alice)'], found: false };
    const ann = { raw: 'Ann', ids: ['ann1'], labels: ['Ann (ann1)'], note: 'Ann → Ann (ann1)', found: true };
    expect(complete(turn, draft, [alice, ann])).toBe(true);
    expect(turn.plan?.args.users).toEqual(['alice', 'ann1']);
    expect(turn.plan?.notes).toEqual(['Ann → Ann (ann1)']);
    expect(turn.plan?.people).toEqual([alice, ann]);
    expect(turn.plan?.shown).toMatchObject({ users: ['alice', 'Ann'] });
  });

  it('refuses when a person came to nobody', async () => {
    const w = await world();
    const turn = await w.routed('/chat owner here Ann');
    await w.step(bind(w.deps), turn);
    const draft = turn.draft;
    if (draft === undefined) throw new Error('no draft');
    const dept = { raw: 'Ann', ids: ['a', 'b'], labels: ['a', 'b'], found: true };
    expect(complete(turn, draft, [dept])).toBe(false);
    expect(turn.plan).toBeUndefined();
    expect(turn.outcome?.reply.text).toBe('"Ann" stands for 2 people here, but this takes exactly one.');
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat owner',
      chatId: HERE_ID,
      outcome: 'refused',
      reason: { key: 'people.one-expected', params: { word: 'Ann', count: 2 } },
    });
  });
});
