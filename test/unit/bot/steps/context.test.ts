import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../src/bot/plan.ts';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { handlerContext, UNDO_WINDOW_MS } from '../../../../src/bot/steps/context.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { UserError } from '../../../../src/bot/types.ts';
import { DESIGN_ID, HERE_ID, type World, world } from './world.ts';

async function planned(w: World, text: string, from = 'lead1'): Promise<{ turn: Turn; plan: Plan }> {
  const turn = await w.routed(text, { senderUserId: from });
  await w.step(bind(w.deps), turn);
  if (turn.plan === undefined) throw new Error(`no plan: ${turn.outcome?.reply.text}`);
  return { turn, plan: turn.plan };
}

const signal = new AbortController().signal;

describe('handlerContext', () => {
  it("is made from the plan, with the running message's webhook", async () => {
    const w = await world();
    const { plan } = await planned(w, '/chat info here');
    // The plan was made from an earlier message; this one confirms it.
    const confirming = w.turn('/confirm', {
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=new',
      sessionWebhookExpiresAt: 42,
    });
    const ctx = handlerContext(w.deps, confirming, plan, signal);
    expect(ctx.message.text).toBe('/chat info here');
    expect(ctx.message.sessionWebhook).toBe('https://oapi.dingtalk.com/robot/sendBySession?session=new');
    expect(ctx.message.sessionWebhookExpiresAt).toBe(42);
    expect(ctx.args).toBe(plan.args);
    expect(ctx.caller).toEqual({ userId: 'lead1', nick: 'Lee Lead', role: 'lead' });
    expect(ctx.api).toBe(w.groups);
    expect(ctx.timeZone).toBe('Asia/Shanghai');
    expect(ctx.signal).toBe(signal);
    expect(ctx.visibleCommands().map((s) => s.name)).toContain('chat create');
    expect(ctx.visibleCommands().map((s) => s.name)).not.toContain('audit');
  });

  it('concerns() tells the turn which chat the command concerned', async () => {
    const w = await world();
    const { turn, plan } = await planned(w, '/chat list');
    handlerContext(w.deps, turn, plan, signal).concerns('chatMade1');
    expect(turn.concerned).toBe('chatMade1');
  });

  it('mayRun checks the role, then ownership of the chat', async () => {
    const w = await world();
    const { turn, plan } = await planned(w, '/chat info here');
    const ctx = handlerContext(w.deps, turn, plan, signal);
    const here = { chatId: HERE_ID, openConversationId: undefined, record: undefined, label: 'here' };
    const design = { chatId: DESIGN_ID, openConversationId: undefined, record: undefined, label: '#Design' };
    expect(await ctx.mayRun('chat rename', here)).toBe(true);
    expect(await ctx.mayRun('chat rename', design)).toBe(false);
    expect(await ctx.mayRun('audit')).toBe(false);
    expect(await ctx.mayRun('no such command')).toBe(false);
    w.groups.fail = new Error('down');
    expect(await ctx.mayRun('chat rename', here)).toBe(false);
  });

  it('findPerson looks a typed person up through the directory', async () => {
    const w = await world();
    w.directory.answers.set('Ann', { kind: 'one', person: { userId: 'ann1', name: 'Ann' }, verified: true });
    const { turn, plan } = await planned(w, '/chat info here');
    const ctx = handlerContext(w.deps, turn, plan, signal);
    expect(await ctx.findPerson('Ann')).toBe('ann1');
    expect(await ctx.findPerson('me')).toBe('lead1');
  });
});

describe('the change log of a run', () => {
  it("records a change under the plan's caller and command; an empty undo is not recorded", async () => {
    const w = await world({ now: () => 5_000_000 });
    const { turn, plan } = await planned(w, '/chat rename here New');
    const { changes } = handlerContext(w.deps, turn, plan, signal);
    await changes.record(HERE_ID, []);
    expect(await changes.latest(HERE_ID)).toBeUndefined();
    await changes.record(HERE_ID, [{ kind: 'rename', name: 'Old' }]);
    expect(await changes.latest(HERE_ID)).toMatchObject({
      chatId: HERE_ID,
      command: 'chat rename',
      at: 5_000_000,
      undo: [{ kind: 'rename', name: 'Old' }],
    });
  });

  it('latest() reaches back 24 hours only', async () => {
    let clock = 10 * UNDO_WINDOW_MS;
    const w = await world({ now: () => clock });
    const { turn, plan } = await planned(w, '/chat rename here New');
    const { changes } = handlerContext(w.deps, turn, plan, signal);
    await changes.record(HERE_ID, [{ kind: 'rename', name: 'Old' }]);
    clock += UNDO_WINDOW_MS + 1;
    expect(await changes.latest(HERE_ID)).toBeUndefined();
  });

  it('a pinned change is the one latest() reads; once undone, a second run says so', async () => {
    const w = await world();
    const { turn, plan } = await planned(w, '/chat rename here New');
    const { changes } = handlerContext(w.deps, turn, plan, signal);
    await changes.record(HERE_ID, [{ kind: 'rename', name: 'First' }]);
    const first = await changes.latest(HERE_ID);
    await changes.record(HERE_ID, [{ kind: 'rename', name: 'Second' }]);
    changes.pin(first?.id ?? -1);
    expect(plan.pinned).toBe(first?.id);
    expect((await changes.latest(HERE_ID))?.undo).toEqual([{ kind: 'rename', name: 'First' }]);
    expect(await changes.markUndone(first?.id ?? -1)).toBe(true);
    expect(await changes.markUndone(first?.id ?? -1)).toBe(false);
    await expect(changes.latest(HERE_ID)).rejects.toThrow(UserError);
    await expect(changes.latest(HERE_ID)).rejects.toMatchObject({ code: 'chat.undo.already' });
  });

  it("a pinned change of someone else's is not read", async () => {
    const w = await world();
    const id = await w.store.changes.record({
      chatId: HERE_ID,
      userId: 'lead2',
      command: 'chat rename',
      at: Date.now(),
      undo: '[]',
    });
    const { turn, plan } = await planned(w, '/chat rename here New');
    plan.pinned = id;
    expect(await handlerContext(w.deps, turn, plan, signal).changes.latest(HERE_ID)).toBeUndefined();
  });

  it('known() tells the admins, nicknames and private-chat switch the bot set', async () => {
    const w = await world();
    await w.store.changes.setFact({ chatId: HERE_ID, kind: 'admin', userId: 'alice', value: '1' });
    await w.store.changes.setFact({ chatId: HERE_ID, kind: 'nick', userId: 'bob', value: 'Bobby' });
    await w.store.changes.setFact({ chatId: HERE_ID, kind: 'private-chat', userId: '', value: 'off' });
    const { turn, plan } = await planned(w, '/chat info here');
    expect(await handlerContext(w.deps, turn, plan, signal).changes.known(HERE_ID)).toEqual({
      admins: ['alice'],
      nicks: { bob: 'Bobby' },
      privateChat: false,
    });
  });
});
