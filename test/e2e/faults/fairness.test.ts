/**
 * One person cannot slow everyone: a member with no role floods the bot; the per-user limit
 * (BOT_USER_RATE) answers the burst once and drops the rest, and a lead's command is not queued
 * behind the flood (messages run fairly per sender).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('fairness between senders', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { BOT_USER_RATE: '20/10s' }, app: { pipeline: { concurrency: 2 } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a flood of 200 /whoami: 20 answered, one "too fast", the rest dropped; the lead is answered meanwhile', async () => {
    const chat = h.emu.org.addChat({ name: 'Fair', owner: 'lead1', members: ['lead1'], createdByApi: true });
    // Every command waits a little at DingTalk or the directory, so the flood keeps the bot busy.
    h.emu.faults.latencyByEndpoint = { 'chat.get': 50 };
    const flood = Array.from({ length: 200 }, () => h.emu.buildMessage('mallory', '/whoami'));
    for (const m of flood) h.emu.deliver(m);
    const lead = h.emu.buildMessage('lead1', `/chat info ${chat.chatId}`);
    h.emu.deliver(lead);
    const leadReply = await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === lead.msgId), 10_000);
    expect(leadReply.text).toContain('Fair');
    await h.app.pipeline.idle();
    h.emu.faults.latencyByEndpoint = {};
    const floodIds = new Set(flood.map((m) => m.msgId));
    const floodReplies = h.emu.replies.filter((r) => r.msgId !== undefined && floodIds.has(r.msgId));
    expect(floodReplies.filter((r) => r.text.includes('too fast'))).toHaveLength(1);
    // 20 at once, and the few the bucket refilled (2 a second) while the flood came in.
    const answered = floodReplies.filter((r) => r.text.includes('Who you are')).length;
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThanOrEqual(26);
    expect(floodReplies).toHaveLength(answered + 1);
    // The lead did not wait for the flood: answered before the flood's last answer.
    const at = (id: string) => h.emu.replies.findIndex((r) => r.msgId === id);
    const lastFlood = Math.max(...floodReplies.map((r) => at(r.msgId ?? '')));
    expect(at(lead.msgId)).toBeLessThan(lastFlood);
    expect(h.app.pipeline.stats.limited).toBe(200 - answered);
  });
});
