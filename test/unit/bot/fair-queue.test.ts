import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FairQueue, FairQueueFullError, UserRateLimit } from '../../../src/bot/fair-queue.ts';
import { Replier } from '../../../src/bot/replier.ts';
import { ConfigError, loadConfig, parseUserRate } from '../../../src/config.ts';
import type { RobotApi } from '../../../src/dingtalk/robot.ts';

/** A job that finishes when told; records when it started. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { p, open };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FairQueue', () => {
  it("one sender's flood waits behind that sender: another sender's job runs next", async () => {
    const q = new FairQueue({ concurrency: 1 });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await tick();
    };
    const all: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) all.push(q.run('flooder', job(`f${i}`)));
    all.push(q.run('lead', job('lead')));
    await Promise.all(all);
    // f0 was running; the lead's job is next, not 51st.
    expect(order.indexOf('lead')).toBe(1);
    expect(order.filter((o) => o.startsWith('f'))).toEqual(Array.from({ length: 50 }, (_, i) => `f${i}`));
  });

  it("round-robin between senders, in each sender's order", async () => {
    const q = new FairQueue({ concurrency: 1 });
    const order: string[] = [];
    const all: Promise<void>[] = [];
    for (const k of ['a', 'b', 'c'])
      for (let i = 0; i < 3; i++)
        all.push(
          q.run(k, async () => {
            order.push(`${k}${i}`);
          }),
        );
    await Promise.all(all);
    expect(order).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
  });

  it('holds the concurrency limit and one job per sender at a time (perKey 1)', async () => {
    const q = new FairQueue({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const perKey = new Map<string, number>();
    const gates = Array.from({ length: 20 }, gate);
    const all = gates.map((g, i) => {
      const key = `u${i % 5}`;
      return q.run(key, async () => {
        running++;
        peak = Math.max(peak, running);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        expect(perKey.get(key)).toBe(1);
        await g.p;
        perKey.set(key, (perKey.get(key) ?? 0) - 1);
        running--;
      });
    });
    await tick();
    expect(q.active).toBe(3);
    expect(q.waiting()).toBe(17);
    for (const g of gates) {
      g.open();
      await tick();
    }
    await Promise.all(all);
    await q.idle();
    expect(peak).toBe(3);
    expect(q.active).toBe(0);
  });

  it('a failing or throwing job rejects its own caller and the queue goes on', async () => {
    const q = new FairQueue({ concurrency: 1 });
    const bad = q.run('a', async () => {
      throw new Error('boom');
    });
    const sync = q.run('a', () => {
      throw new Error('sync');
    });
    const good = q.run('a', async () => 7);
    await expect(bad).rejects.toThrow('boom');
    await expect(sync).rejects.toThrow('sync');
    await expect(good).resolves.toBe(7);
  });

  it('refuses past maxQueuedPerKey for that sender only', async () => {
    const q = new FairQueue({ concurrency: 1, maxQueuedPerKey: 2 });
    const g = gate();
    const first = q.run('a', () => g.p); // running, not waiting
    const w1 = q.run('a', async () => 1);
    const w2 = q.run('a', async () => 2);
    await expect(q.run('a', async () => 3)).rejects.toBeInstanceOf(FairQueueFullError);
    const other = q.run('b', async () => 'b');
    g.open();
    await expect(Promise.all([first, w1, w2, other])).resolves.toEqual([undefined, 1, 2, 'b']);
  });

  it('property: every job runs once; a sender never waits for more than one job of each other sender ahead of it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        async (keys, concurrency) => {
          const q = new FairQueue({ concurrency });
          const started: string[] = [];
          await Promise.all(
            keys.map((k, i) =>
              q.run(k, async () => {
                started.push(`${k}:${i}`);
                await tick();
              }),
            ),
          );
          expect(started).toHaveLength(keys.length);
          // Before the n-th job of sender k starts, no other sender has started more than n + concurrency jobs.
          const seen = new Map<string, number>();
          for (const s of started) {
            const k = s.split(':')[0] as string;
            seen.set(k, (seen.get(k) ?? 0) + 1);
            const mine = seen.get(k) as number;
            for (const [other, n] of seen) {
              const total = keys.filter((x) => x === k).length;
              if (other !== k && mine < total) expect(n).toBeLessThanOrEqual(mine + concurrency + 1);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('UserRateLimit', () => {
  it('lets `limit` through, tells at most once a window, drops the rest, and refills evenly', () => {
    let now = 0;
    const r = new UserRateLimit({ limit: 20, windowMs: 10_000, now: () => now });
    const kinds = Array.from({ length: 600 }, () => r.take('flooder').kind);
    expect(kinds.filter((k) => k === 'ok')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'tell')).toHaveLength(1);
    expect(kinds[20]).toBe('tell');
    expect(kinds.filter((k) => k === 'drop')).toHaveLength(579);
    // Others are not affected.
    expect(r.take('lead').kind).toBe('ok');
    // One message's worth refills in 500 ms; the flood goes on, and is not told again this window.
    now += 500;
    expect(r.take('flooder').kind).toBe('ok');
    expect(r.take('flooder').kind).toBe('drop');
    // A window later a new burst is told again, once.
    now += 10_000;
    expect(Array.from({ length: 20 }, () => r.take('flooder').kind).every((k) => k === 'ok')).toBe(true);
    expect(r.take('flooder')).toEqual({ kind: 'tell', seconds: 1 });
    expect(r.take('flooder').kind).toBe('drop');
    expect(r.stats.told).toBe(2);
  });

  it('the wait it states is when the next message is allowed', () => {
    let now = 0;
    const r = new UserRateLimit({ limit: 2, windowMs: 60_000, now: () => now });
    r.take('a');
    r.take('a');
    const d = r.take('a');
    expect(d).toEqual({ kind: 'tell', seconds: 30 });
    now += 29_000;
    expect(r.take('a').kind).toBe('drop');
    now += 1_000;
    expect(r.take('a').kind).toBe('ok');
  });

  it('forgets the idlest senders past maxSenders (bounded memory)', () => {
    const r = new UserRateLimit({ limit: 1, windowMs: 60_000, now: () => 0, maxSenders: 3 });
    r.take('a');
    for (const k of ['b', 'c', 'd']) r.take(k);
    // `a` was forgotten: a full bucket again.
    expect(r.take('a').kind).toBe('ok');
    expect(r.take('d').kind).toBe('tell');
  });
});

describe('BOT_USER_RATE', () => {
  it('defaults to 20 per 10 s, reads N/duration and off, refuses nonsense', () => {
    expect(loadConfig({}, undefined).userRate).toEqual({ limit: 20, windowMs: 10_000 });
    expect(loadConfig({ BOT_USER_RATE: '60/1m' }, undefined).userRate).toEqual({
      limit: 60,
      windowMs: 60_000,
    });
    expect(loadConfig({ BOT_USER_RATE: ' OFF ' }, undefined).userRate).toBeUndefined();
    expect(parseUserRate('5 / 2s')).toEqual({ limit: 5, windowMs: 2_000 });
    for (const bad of ['20', '0/10s', '20/10', '20/0s', '20/10h', 'lots', '20/500ms'])
      expect(() => loadConfig({ BOT_USER_RATE: bad }, undefined), bad).toThrow(ConfigError);
    expect(() => loadConfig({ BOT_USER_RATE: 'x' }, undefined)).toThrow(/BOT_USER_RATE/);
  });
});

describe('Replier fairness', () => {
  it("a flood of one sender's replies does not stand in front of another sender's reply", async () => {
    const sent: string[] = [];
    const gates: (() => void)[] = [];
    const robot = {
      sendBySession: (_url: string, body: { markdown: { text: string } }) =>
        new Promise<void>((r) => {
          sent.push(body.markdown.text);
          gates.push(r);
        }),
    } as unknown as RobotApi;
    const { FairQueue: Q } = await import('../../../src/bot/fair-queue.ts');
    const replier = new Replier(
      robot,
      'robot',
      pino({ level: 'silent' }),
      'https://oapi.dingtalk.com',
      () => 0,
      new Q({ concurrency: 2 }),
    );
    const msg = (user: string) => ({
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=x',
      sessionWebhookExpiresAt: 10 ** 12,
      conversationType: 'direct' as const,
      conversationId: 'cid1',
      senderUserId: user,
    });
    const reply = (text: string) => ({
      webhookBody: {
        msgtype: 'markdown',
        markdown: { title: 't', text },
        at: { atUserIds: [], isAtAll: false },
      },
      openApi: { msgKey: 'sampleMarkdown', msgParam: '{}' },
    });
    const all = [];
    for (let i = 0; i < 30; i++) all.push(replier.send(msg('flooder'), reply(`f${i}`) as never));
    all.push(replier.send(msg('lead'), reply('lead') as never));
    await tick();
    // One flood reply and the lead's reply are on their way; the other 29 wait.
    expect(sent).toEqual(['f0', 'lead']);
    while (sent.length < 31) {
      for (const g of gates.splice(0)) g();
      await tick();
      await tick();
    }
    for (const g of gates.splice(0)) g();
    await Promise.all(all);
    expect(replier.stats.webhook).toBe(31);
  });
});
