/**
 * Review findings on redelivery (stream-protocol.md §6.1): copies of one message that arrive
 * while it is still running must, together, send its reply at most once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('review: redelivered copies while the first is running', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
    h.emu.faults.latencyByEndpoint = {};
  });

  it('two copies that wait for a first delivery whose reply was lost resend it once, not twice', async () => {
    const c = h.emu.org.addChat({ name: 'rv 1', owner: 'lead1', members: ['lead1'], botInChat: true });
    const payload = h.emu.buildMessage('lead1', `/chat rename ${c.chatId} "rv 1 new"`);
    const repliesTo = () => h.emu.replies.filter((r) => r.msgId === payload.msgId);
    h.emu.faults.latencyByEndpoint = { 'chat.get': 600 };
    // The first reply's webhook post answers 500: not repeated then, stored as not delivered.
    h.emu.faults.inject('robot.sendBySession', 'http500', 1);
    h.emu.deliver(payload);
    await h.emu.waitFor(() => h.emu.requests.find((r) => r.endpoint === 'chat.get' && r.status === 0));
    h.emu.deliver(payload);
    h.emu.deliver(payload);
    await h.emu.waitFor(() => repliesTo().length > 0, 10_000);
    await h.app.pipeline.idle();
    await new Promise((r) => setTimeout(r, 200));
    await h.app.pipeline.idle();
    expect(repliesTo()).toHaveLength(1);
    expect(h.emu.org.chat(c.chatId)?.name).toBe('rv 1 new');
  });
});
