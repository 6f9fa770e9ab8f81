/**
 * One person cannot slow everyone: messages run in their sender's turn (a flood waits behind
 * its sender), and the per-user limit (BOT_USER_RATE) answers a burst once and drops the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('the per-user limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { BOT_USER_RATE: '20/10s' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a flood of 200 /whoami: 20 answered (and the few the bucket refills), one "too fast", the rest dropped', async () => {
    const flood = Array.from({ length: 200 }, () => h.emu.buildMessage('mallory', '/whoami'));
    for (const m of flood) h.emu.deliver(m);
    await h.emu.waitFor(() => h.app.pipeline.stats.frames >= 200, 10_000);
    await h.app.pipeline.idle();
    const ids = new Set(flood.map((m) => m.msgId));
    const replies = h.emu.replies.filter((r) => r.msgId !== undefined && ids.has(r.msgId));
    expect(replies.filter((r) => r.text.includes('too fast'))).toHaveLength(1);
    const answered = replies.filter((r) => r.text.includes('Who you are')).length;
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThanOrEqual(26);
    expect(replies).toHaveLength(answered + 1);
    expect(h.app.pipeline.stats.limited).toBe(200 - answered);
    // Someone else is not limited by it.
    expect(await h.say('alice', '/whoami')).toContain('alice');
  });
});

describe('fair turns between senders', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ leads: ['lead1', 'mallory'], app: { pipeline: { concurrency: 2 } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("a lead's command does not wait behind another person's 30 slow commands", async () => {
    const chat = h.emu.org.addChat({ name: 'Fair', owner: 'lead1', members: ['lead1'], createdByApi: true });
    h.emu.faults.latencyByEndpoint = { 'chat.get': 100 };
    try {
      const flood = Array.from({ length: 30 }, () =>
        h.emu.buildMessage('mallory', `/chat info ${chat.chatId}`),
      );
      for (const m of flood) h.emu.deliver(m);
      const lead = h.emu.buildMessage('lead1', `/chat info ${chat.chatId}`);
      h.emu.deliver(lead);
      await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === lead.msgId), 20_000);
      // The flood's commands run one after another in mallory's turn; the lead's took the other
      // slot at once: answered before most of the flood (first come, first served would put it last).
      const floodIds = new Set(flood.map((m) => m.msgId));
      const floodAnsweredBefore = h.emu.replies.filter(
        (r) => r.msgId !== undefined && floodIds.has(r.msgId),
      ).length;
      expect(floodAnsweredBefore).toBeLessThan(5);
      await h.app.pipeline.idle();
      expect(h.emu.replies.filter((r) => r.msgId !== undefined && floodIds.has(r.msgId))).toHaveLength(30);
    } finally {
      h.emu.faults.latencyByEndpoint = {};
    }
  });
});
