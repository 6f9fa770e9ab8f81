/** A command that outlives commandTimeoutMs: the user hears that the outcome is unknown, once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('a command that takes too long', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { pipeline: { commandTimeoutMs: 300 } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is answered with "outcome unknown, check with /chat info", and not reported again after a restart', async () => {
    const chat = h.emu.org.addChat({ name: 'Slow', owner: 'lead1', members: ['lead1', 'alice'] });
    h.emu.faults.latencyByEndpoint['im.group.update'] = 1_000;
    const reply = await h.say('lead1', `/chat rename ${chat.chatId} Later`, { timeoutMs: 5_000 });
    expect(reply).toContain('longer than 0.3 s');
    expect(reply).toContain(`/chat info ${chat.chatId}`);
    // The write DingTalk was already working on still lands: that is why the reply says "check".
    await h.emu.waitFor(() => h.emu.org.chat(chat.chatId)?.name === 'Later', 5_000);
    expect(await h.app.store.journal.unfinished()).toEqual([]);
    const audit = (await h.app.store.audit.latest(1))[0];
    expect(audit?.outcome).toBe('failed');
    expect(audit?.reason).toBe('audit.reason.timeout {"seconds":0.3}');
    delete h.emu.faults.latencyByEndpoint['im.group.update'];
    const before = h.emu.replies.length;
    await h.restart();
    await h.say('lead1', '/whoami');
    expect(h.emu.replies.slice(before).filter((r) => r.text.includes('do not know whether'))).toEqual([]);
  });

  it('lookups count inside the command time: past it no further lookup is made, and the user is told', async () => {
    const chat = h.emu.org.addChat({ name: 'Lookups', owner: 'lead1', members: ['lead1'] });
    h.emu.faults.latencyByEndpoint['contact.users.search'] = 200;
    const names = Array.from({ length: 10 }, (_, i) => `Nobody${i}`).join(' ');
    const mark = h.emu.requests.length;
    try {
      const reply = await h.say('lead1', `/chat add ${chat.chatId} ${names}`, { timeoutMs: 5_000 });
      expect(reply).toContain('longer than 0.3 s');
      await new Promise((r) => setTimeout(r, 1_500));
      const searches = h.emu.requests.slice(mark).filter((r) => r.endpoint === 'contact.users.search');
      expect(searches.length).toBeGreaterThan(0);
      expect(searches.length).toBeLessThanOrEqual(3);
    } finally {
      delete h.emu.faults.latencyByEndpoint['contact.users.search'];
    }
  });
});
