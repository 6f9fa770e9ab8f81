/** A bare @-mention of the bot in a group (no text), and a non-command line in a 1:1 chat. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('messages that are not commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a bare @bot in a group gets a pointer to /help', async () => {
    const chat = h.emu.org.addChat({ name: 'Hello', owner: 'lead1', members: ['lead1', 'alice'] });
    const reply = await h.say('alice', '', { chat: chat.chatId });
    expect(reply).toContain('/help');
  });

  it('chit-chat in a 1:1 chat gets a pointer to /help', async () => {
    const reply = await h.say('alice', 'hello there');
    expect(reply).toContain('/help');
  });
});
