/**
 * The orchestrators' endpoints of a running bot (BOT_HTTP_PORT): /healthz, /readyz following the
 * Stream connection and the store, and /metrics counting what the bot did.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One counter's value from a Prometheus text page (0 when absent). */
function counter(page: string, name: string, labels = ''): number {
  const line = page
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('health endpoints of a running bot', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({ env: { BOT_HTTP_PORT: String(port) } });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers /healthz and /readyz, and counts messages, replies and DingTalk calls in /metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const before = await (await fetch(`${base}/metrics`)).text();

    const chat = h.emu.org.addChat({ name: 'Metered', owner: 'lead1', members: ['lead1'], botInChat: true });
    expect(await h.say('lead1', `/chat info ${chat.chatId}`)).toContain('Metered');
    expect(await h.say('lead1', '/whoami')).toContain('lead1');

    const after = await (await fetch(`${base}/metrics`)).text();
    expect(counter(after, 'messages_total') - counter(before, 'messages_total')).toBe(2);
    expect(counter(after, 'replies_total') - counter(before, 'replies_total')).toBe(2);
    const calls = after.split('\n').filter((l) => l.startsWith('dingtalk_calls_total{'));
    expect(calls.some((l) => l.includes('outcome="ok"') && Number(l.slice(l.lastIndexOf(' ') + 1)) > 0)).toBe(
      true,
    );
  });

  it('/readyz is 503 while the Stream is down, and 200 again once it is back', async () => {
    const readyIs = async (status: number, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        if ((await fetch(`${base}/readyz`)).status === status) return;
        if (Date.now() > until) throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    h.emu.faults.gateway = 'down';
    h.emu.dropConnections();
    await readyIs(503, 10_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    h.emu.faults.gateway = 'ok';
    await readyIs(200, 30_000);
  }, 40_000);
});
