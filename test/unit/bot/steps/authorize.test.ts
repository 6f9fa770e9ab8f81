import { describe, expect, it } from 'vitest';
import { md } from '../../../../src/bot/render.ts';
import { authorizeChat, authorizeRole } from '../../../../src/bot/steps/authorize.ts';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { pending } from '../../../../src/bot/steps/pending.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { DingTalkApiError } from '../../../../src/dingtalk/errors.ts';
import { plan as storedPlan } from '../../auth/fakes.ts';
import { chatInfo, DESIGN_ID, GROUP_CID, HERE_ID, policy, type World, world } from './world.ts';

/** Routed and bound, as authorizeChat sees it in the chain. */
async function bound(w: World, text: string, from = 'lead1'): Promise<Turn> {
  const turn = await w.routed(text, { senderUserId: from });
  expect(await w.step(bind(w.deps), turn)).toBe(true);
  return turn;
}

describe('authorizeRole', () => {
  it('lets a lead run a lead command', async () => {
    const w = await world();
    const turn = await w.routed('/chat info here');
    expect(await w.step(authorizeRole(w.deps), turn)).toBe(true);
    expect(turn.outcome).toBeUndefined();
  });

  it('refuses someone without the role, naming the role needed and theirs', async () => {
    const w = await world();
    const turn = await w.routed('/chat info here', { senderUserId: 'alice', senderNick: 'Alice' });
    expect(await w.step(authorizeRole(w.deps), turn)).toBe(false);
    const text = turn.outcome?.reply.text ?? '';
    expect(text).toBe(
      turn.t('auth.role-needed', {
        command: 'chat info',
        needed: 'lead',
        role: 'everyone',
        userId: 'alice',
        user: 'Alice (alice)',
      }),
    );
    expect(text).toContain('lead');
    expect(text).toContain('Alice (alice)');
    expect(turn.outcome?.audit).toEqual({
      command: 'chat info',
      outcome: 'refused',
      reason: { key: 'audit.reason.role-needed', params: { needed: 'lead', role: 'everyone' } },
    });
  });

  it("follows the policy's role for a command", async () => {
    const w = await world({ policy: policy({ commands: { 'chat info': { role: 'admin' } } }) });
    const turn = await w.routed('/chat info here');
    expect(await w.step(authorizeRole(w.deps), turn)).toBe(false);
    expect(turn.outcome?.audit?.reason).toEqual({
      key: 'audit.reason.role-needed',
      params: { needed: 'admin', role: 'lead' },
    });
  });

  it('checks a confirmed plan again, as the command it runs', async () => {
    const w = await world();
    // A plan stored for someone who may not run it (say, no longer a lead).
    const stored = storedPlan('alice', GROUP_CID, 'chat remove');
    const action = await w.deps.confirmations.ask(stored, 'preview');
    const turn = await w.routed(`/confirm ${action.code}`, { senderUserId: 'alice' });
    expect(await w.step(pending(w.deps), turn)).toBe(true);
    expect(await w.step(authorizeRole(w.deps), turn)).toBe(false);
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat remove',
      outcome: 'refused',
      reason: { key: 'audit.reason.role-needed', params: { needed: 'lead', role: 'everyone' } },
    });
  });

  it('needs a routed command', async () => {
    const w = await world();
    await expect(w.step(authorizeRole(w.deps), w.turn('/help'))).rejects.toThrow('needs a routed command');
  });
});

describe('authorizeChat', () => {
  it('lets the owner change their chat, asking DingTalk who owns it', async () => {
    const w = await world();
    w.groups.add(chatInfo({ chatId: DESIGN_ID, name: 'Design', owner: 'lead1' }));
    const turn = await bound(w, '/chat rename #Design New');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(true);
    expect(turn.outcome).toBeUndefined();
    expect(w.groups.calls).toEqual([{ method: 'get', args: [DESIGN_ID] }]);
  });

  it('lets the lead the bot made the chat for change it without asking DingTalk', async () => {
    const w = await world();
    const turn = await bound(w, '/chat rename here New');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(true);
    expect(w.groups.calls).toEqual([]);
  });

  it('refuses a lead who does not own the chat, naming the owner and the chat', async () => {
    const w = await world();
    const turn = await bound(w, '/chat rename #Design New');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(false);
    const text = turn.outcome?.reply.text ?? '';
    expect(text).toBe(
      turn.t('auth.not-owner', {
        chat: '#Design',
        owner: 'lead2',
        userId: 'lead1',
        user: 'Lee Lead (lead1)',
        ownerName: 'Li Lead (lead2)',
        chatName: md(`**Design** (\`${DESIGN_ID}\`)`),
      }),
    );
    expect(text).toContain('Li Lead (lead2)');
    expect(text).toContain(DESIGN_ID);
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat rename',
      chatId: DESIGN_ID,
      outcome: 'refused',
      reason: { key: 'audit.reason.not-owner', params: { owner: 'lead2' } },
    });
  });

  it('does not check ownership for a read-only command', async () => {
    const w = await world();
    const turn = await bound(w, '/chat info #Design');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(true);
    expect(w.groups.calls).toEqual([]);
  });

  it('refuses the options the policy forbids the caller', async () => {
    const w = await world({
      policy: policy({ commands: { 'chat create': { forbiddenOptions: { lead: ['owner', 'mute'] } } } }),
    });
    const turn = await bound(w, '/chat create Foo searchable=on owner=bob');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(
      turn.t('auth.option-forbidden', {
        options: 'owner',
        role: 'lead',
        userId: 'lead1',
        user: 'Lee Lead (lead1)',
      }),
    );
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat create',
      outcome: 'refused',
      reason: { key: 'audit.reason.options-forbidden', params: { options: 'owner' } },
    });
    // An admin is not bound by the leads' list.
    const admin = await bound(w, '/chat create Foo owner=bob', 'admin1');
    expect(await w.step(authorizeChat(w.deps), admin)).toBe(true);
  });

  it('refuses a stored plan whose chat has been dissolved', async () => {
    const w = await world();
    w.groups.add(chatInfo({ chatId: HERE_ID, owner: 'lead1', status: 2 }));
    const turn = await bound(w, '/chat rename here New');
    turn.stored = true;
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe(
      `The chat \`${HERE_ID}\` has been dissolved since; nothing was done.`,
    );
    expect(turn.outcome?.audit).toMatchObject({
      chatId: HERE_ID,
      outcome: 'refused',
      reason: { key: 'chat.gone', params: { chat: HERE_ID } },
    });
  });

  it('does not ask DingTalk about the chat of a plan that was not stored', async () => {
    const w = await world();
    w.groups.add(chatInfo({ chatId: HERE_ID, owner: 'lead1', status: 2 }));
    const turn = await bound(w, '/chat rename here New');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(true);
    expect(w.groups.calls).toEqual([]);
  });

  it('turns a DingTalk failure into the failed reply', async () => {
    const w = await world();
    w.groups.fail = new DingTalkApiError({
      endpoint: 'chat.get',
      status: 200,
      errcode: 60011,
      message: 'no',
    });
    const turn = await bound(w, '/chat rename #Design New');
    expect(await w.step(authorizeChat(w.deps), turn)).toBe(false);
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat rename',
      outcome: 'failed',
      errcode: '60011',
      reason: { key: 'audit.reason.dingtalk' },
    });
  });

  it('needs a bound command', async () => {
    const w = await world();
    const turn = await w.routed('/chat info here');
    await expect(w.step(authorizeChat(w.deps), turn)).rejects.toThrow('needs a bound command');
  });
});
