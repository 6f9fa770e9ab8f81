import { describe, expect, it } from 'vitest';
import { auditBase, clip, compose, end, type Step } from '../../../../src/bot/steps/turn.ts';
import { world } from './world.ts';

describe('compose', () => {
  it('runs the steps in order, then the last continuation', async () => {
    const w = await world();
    const seen: string[] = [];
    const mark =
      (name: string): Step =>
      async (_turn, next) => {
        seen.push(`${name}>`);
        await next();
        seen.push(`<${name}`);
      };
    await compose([mark('a'), mark('b'), mark('c')])(w.turn('/help'), async () => {
      seen.push('last');
    });
    expect(seen).toEqual(['a>', 'b>', 'c>', 'last', '<c', '<b', '<a']);
  });

  it('stops at a step that does not call next', async () => {
    const w = await world();
    const seen: string[] = [];
    const turn = w.turn('/help');
    const stop: Step = async (t) => {
      seen.push('stop');
      end(t, { text: 'stopped' });
    };
    const after: Step = async (_t, next) => {
      seen.push('after');
      await next();
    };
    let last = false;
    await compose([stop, after])(turn, async () => {
      last = true;
    });
    expect(seen).toEqual(['stop']);
    expect(last).toBe(false);
    expect(turn.outcome).toEqual({ reply: { text: 'stopped' } });
  });

  it('throws when a step calls next() twice', async () => {
    const w = await world();
    const twice: Step = async (_t, next) => {
      await next();
      await next();
    };
    const counted: string[] = [];
    const count: Step = async (_t, next) => {
      counted.push('x');
      await next();
    };
    await expect(compose([count, twice, count])(w.turn('/help'), async () => {})).rejects.toThrow(
      'a step called next() twice (step 1)',
    );
    expect(counted).toEqual(['x', 'x']);
  });

  it('with no steps calls the continuation', async () => {
    const w = await world();
    let last = 0;
    await compose([])(w.turn('/help'), async () => {
      last++;
    });
    expect(last).toBe(1);
  });
});

describe('end and auditBase', () => {
  it('ends without an audit when none is given', async () => {
    const w = await world();
    const turn = w.turn('/help');
    end(turn, { text: 'hi' });
    expect(turn.outcome).toEqual({ reply: { text: 'hi' } });
  });

  it('fills the audit from the plan: command, chat and arguments', async () => {
    const w = await world();
    const turn = await w.routed('/chat info #Design');
    turn.plan = {
      v: 1,
      command: 'chat info',
      caller: { userId: 'lead1', nick: 'Lee Lead' },
      locale: 'en',
      message: turn.msg,
      chat: { chatId: 'chatX1', openConversationId: undefined, record: undefined, label: '#X' },
      args: { chat: 'chatX1' },
      shown: {},
      usedOptions: [],
      notes: [],
      people: [],
    };
    end(turn, { text: 'no' }, { outcome: 'refused', reason: { key: 'k' } });
    expect(turn.outcome?.audit).toEqual({
      command: 'chat info',
      chatId: 'chatX1',
      args: { chat: 'chatX1' },
      outcome: 'refused',
      reason: { key: 'k' },
    });
  });

  it('falls back to the routed command and the chat the run concerned; a given command wins', async () => {
    const w = await world();
    const turn = await w.routed('/chat list');
    expect(auditBase(turn)).toEqual({ command: 'chat list' });
    turn.concerned = 'chatC1';
    expect(auditBase(turn)).toEqual({ command: 'chat list', chatId: 'chatC1' });
    end(turn, { text: 'x' }, { command: 'other', outcome: 'failed' });
    expect(turn.outcome?.audit).toEqual({ command: 'other', chatId: 'chatC1', outcome: 'failed' });
  });

  it('clip cuts long echoes by characters', () => {
    expect(clip('short')).toBe('short');
    expect(clip('a'.repeat(41))).toBe(`${'a'.repeat(40)}…`);
    expect(clip('群'.repeat(5), 3)).toBe('群群群…');
  });
});
