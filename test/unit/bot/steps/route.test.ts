import { describe, expect, it } from 'vitest';
import { route } from '../../../../src/bot/steps/route.ts';
import { world } from './world.ts';

describe('route', () => {
  it('matches the command, keeps the words after it and learns the sender name', async () => {
    const w = await world();
    const turn = w.turn('/chat rename here "New Name"');
    expect(await w.step(route(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('chat rename');
    expect(turn.rest?.map((t) => t.text)).toEqual(['here', 'New Name']);
    expect(turn.outcome).toBeUndefined();
    expect(w.directory.learned).toEqual([['lead1', 'Lee Lead']]);
  });

  it('matches a Chinese alias to its command', async () => {
    const w = await world();
    const turn = w.turn('/群信息 here');
    expect(await w.step(route(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('chat info');
  });

  it('refuses a message without a sender userId, unaudited', async () => {
    const w = await world();
    const turn = w.turn('/help', { senderUserId: '' });
    expect(await w.step(route(w.deps), turn)).toBe(false);
    expect(turn.outcome).toEqual({ reply: { text: turn.t('pipeline.no-user-id') } });
    expect(w.directory.learned).toEqual([]);
  });

  it('answers a message that is not text with the text-only reply, unaudited', async () => {
    const w = await world();
    const turn = w.turn('/help', { msgtype: 'picture' });
    expect(await w.step(route(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toBe('I only read text commands. Send /help to see them.');
    expect(turn.outcome?.audit).toBeUndefined();
    expect(turn.spec).toBeUndefined();
  });

  it('reads a richText message like a text one', async () => {
    const w = await world();
    const turn = w.turn('/whoami', { msgtype: 'richText' });
    expect(await w.step(route(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('whoami');
  });

  it('refuses an unknown command and audits it under the word typed', async () => {
    const w = await world();
    const turn = w.turn('/frobnicate now');
    expect(await w.step(route(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toContain('Unknown command /frobnicate.');
    expect(turn.outcome?.audit).toMatchObject({
      command: 'frobnicate',
      outcome: 'refused',
      reason: { key: 'command.unknown' },
    });
  });

  it('suggests a close command name', async () => {
    const w = await world();
    const turn = w.turn('/chat renam here x');
    expect(await w.step(route(w.deps), turn)).toBe(false);
    expect(turn.outcome?.reply.text).toContain('Did you mean');
    expect(turn.outcome?.reply.text).toContain('chat rename');
    expect(turn.outcome?.audit?.outcome).toBe('refused');
  });

  it('audits a malformed line as the command it meant, with its example', async () => {
    const w = await world();
    const turn = w.turn('/chat rename here "Design');
    expect(await w.step(route(w.deps), turn)).toBe(false);
    const text = turn.outcome?.reply.text ?? '';
    expect(text).toContain('is not closed');
    expect(text).toContain(turn.t('chat.rename.example'));
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat rename',
      outcome: 'refused',
      reason: { key: 'parse.unclosed-quote' },
    });
  });

  it('answers chit-chat without an audit', async () => {
    const w = await world();
    const turn = w.turn('hello bot');
    expect(await w.step(route(w.deps), turn)).toBe(false);
    expect(turn.outcome).toEqual({ reply: { text: turn.t('parse.no-slash') } });
  });

  it('takes a command word without a slash in a 1:1 chat', async () => {
    const w = await world();
    const turn = w.turn('help', { conversationType: 'direct' });
    expect(await w.step(route(w.deps), turn)).toBe(true);
    expect(turn.spec?.name).toBe('help');
  });
});
