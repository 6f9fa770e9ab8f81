/**
 * The per-API limiter: unit behaviour on a manual clock, and a burst through the real client
 * counted by the server's receive timestamps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DingTalk } from '../../src/dingtalk/index.ts';
import { RateLimiter } from '../../src/dingtalk/limiter.ts';
import { makeClient } from './helpers.ts';
import { type Stub, startStub } from './stub-server.ts';

describe('RateLimiter', () => {
  it('lets qps calls through per key, queues the rest in FIFO order, keys are independent', async () => {
    const lim = new RateLimiter({ qps: 2, windowMs: 50 });
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const ps = [0, 1, 2, 3, 4].map((i) =>
      lim.acquire('a').then((release) => {
        order.push(i);
        releases.push(release);
      }),
    );
    const releaseB = await lim.acquire('b'); // another API is not held up by 'a'
    releaseB();
    await new Promise((r) => setTimeout(r, 120));
    // both slots are held until their calls finish, however long that takes
    expect(order).toEqual([0, 1]);
    expect(lim.stats().a).toMatchObject({ acquired: 2, queued: 3, waiting: 3 });
    for (const r of releases.splice(0)) r();
    await new Promise((r) => setTimeout(r, 120));
    expect(order).toEqual([0, 1, 2, 3]);
    for (const r of releases.splice(0)) r();
    await Promise.all(ps);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(lim.stats().a).toMatchObject({ acquired: 5, waiting: 0 });
    expect(lim.stats().b).toMatchObject({ acquired: 1, queued: 0 });
    lim.close();
  });

  it('an aborted waiter leaves the queue with the abort reason', async () => {
    const lim = new RateLimiter({ qps: 1, windowMs: 60_000 });
    await lim.acquire('a');
    const ac = new AbortController();
    const p = lim.acquire('a', ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(lim.stats().a?.waiting).toBe(0);
    lim.close();
  });
});

describe('limiter through the client', () => {
  let stub: Stub | undefined;
  let dt: DingTalk | undefined;
  afterEach(async () => {
    await dt?.close();
    await stub?.close();
  });

  it('a burst of 17 reads at qps 5 never puts more than 5 into one second at the server', async () => {
    stub = await startStub({
      '/chat/get': () => ({ body: { errcode: 0, chat_info: { name: 'n', owner: 'o', useridlist: [] } } }),
      '/topapi/chat/qrcode/get': () => ({ body: { errcode: 0, result: 'https://qr/x' } }),
    });
    dt = makeClient(stub.baseUrl, { qps: 5 });
    const c = dt.chat;
    await Promise.all([
      ...Array.from({ length: 17 }, () => c.chatGet('chat1')),
      // a different API has its own budget
      ...Array.from({ length: 5 }, () => c.qrcodeGet({ chatid: 'c', userid: 'u' })),
    ]);
    const gets = stub.hits('/chat/get');
    expect(gets).toHaveLength(17);
    // count per 1-s window of the server's receive times, for every possible window start
    const at = gets.map((r) => r.at).sort((a, b) => a - b);
    for (const start of at) {
      expect(at.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    }
    const s = dt.stats().limiter['chat.get'];
    expect(s).toMatchObject({ acquired: 17, waiting: 0 });
    expect(s?.queued).toBeGreaterThanOrEqual(12);
    expect(dt.stats().limiter['qrcode.get']?.queued).toBe(0);
  });
});
