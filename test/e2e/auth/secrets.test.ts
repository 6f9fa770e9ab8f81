/**
 * Secrets never reach logs or replies. Every e2e file checks this when it stops its harness
 * (test/helpers/harness.ts `stop()` fails on any leak); this file checks that the check has
 * material to look for and that it does catch a leak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('secrets in logs and replies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a session with reads, writes, errors and a webhook fallback leaks nothing', async () => {
    const chat = h.emu.org.addChat({ name: 'Quiet', owner: 'lead1', members: ['lead1', 'alice'] });
    await h.say('lead1', `/chat info ${chat.chatId}`);
    await h.say('lead1', `/chat rename ${chat.chatId} Loud`);
    await h.say('lead1', '/chat info chat0000000000000000000000000000dead');
    h.emu.faults.revokeToken();
    await h.say('lead1', `/chat qr ${chat.chatId}`);
    h.emu.faults.expireSessions();
    await h.say('alice', '/whoami');

    const secrets = h.secrets();
    expect(secrets).toContain(h.emu.clientSecret);
    // Two access tokens (before and after the revocation) and the webhook session keys.
    expect(
      h.emu.requests
        .filter((r) => r.token)
        .map((r) => r.token)
        .filter((t, i, a) => a.indexOf(t) === i).length,
    ).toBe(2);
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    // The client's debug lines of its DingTalk calls were written, so the scan had them to read.
    expect(h.logs.some((l) => l.includes('chat.get'))).toBe(true);
    expect(h.logs.some((l) => l.includes('robot.sendBySession'))).toBe(true);
    expect(h.leaks()).toEqual([]);
  });

  it('the check does catch a secret in a log line', () => {
    const token = h.emu.requests.find((r) => r.token)?.token as string;
    h.logs.push(JSON.stringify({ msg: 'oops', token: `${token}` }));
    expect(h.leaks()).toHaveLength(1);
    h.logs.pop();
    expect(h.leaks()).toEqual([]);
  });
});
