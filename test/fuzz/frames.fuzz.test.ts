/**
 * Random Stream frames: the frame guard never throws, only robot CALLBACKs with string data reach
 * the pipeline (acked first), the pipeline drops or answers what it gets, and the real bot on a
 * real socket keeps answering whatever arrives before the next message.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { GuardedStreamClient, type RobotFrame } from '../../src/stream/index.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { DM_SAMPLE } from '../unit/bot/samples.ts';

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A robot payload: the real sample with fields dropped, damaged or added. */
const robotData = fc
  .tuple(
    fc.array(fc.constantFrom(...Object.keys(DM_SAMPLE)), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'msgId',
        'text',
        'msgtype',
        'senderStaffId',
        'conversationType',
        'sessionWebhook',
        'robotCode',
        'createAt',
        'atUsers',
      ),
      anyJson,
      { maxKeys: 3 },
    ),
    fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
  )
  .map(([drop, set, text]) => {
    const p: Record<string, unknown> = {
      ...DM_SAMPLE,
      msgId: `fuzz-${Math.random().toString(36).slice(2)}`,
      // Loopback, nothing listens: a reply must never leave the machine (port 9 refuses).
      sessionWebhook: 'http://127.0.0.1:9/robot/sendBySession?session=fuzz',
      sessionWebhookExpiredTime: Date.now() + 3_600_000,
    };
    for (const k of drop) delete p[k];
    Object.assign(p, set);
    if (text !== undefined) p.text = { content: text };
    return JSON.stringify(p);
  });

const headers = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 10 }),
  anyJson,
  fc.record(
    {
      topic: fc.oneof(
        fc.constantFrom(
          ROBOT_TOPIC,
          'ping',
          'disconnect',
          'KEEPALIVE',
          'CONNECTED',
          'REGISTERED',
          '*',
          '/v1.0/card/instances/callback',
        ),
        fc.string({ maxLength: 20 }),
        anyJson,
      ),
      messageId: fc.oneof(fc.string({ maxLength: 30 }), anyJson),
      contentType: fc.constant('application/json'),
      time: fc.oneof(fc.string({ maxLength: 13 }), fc.integer()),
    },
    { requiredKeys: [] },
  ),
);

/** A frame object: every field may be missing, of the wrong type, or plausible. */
const frameObject = fc.record(
  {
    specVersion: fc.oneof(fc.constant('1.0'), anyJson),
    type: fc.oneof(fc.constantFrom('SYSTEM', 'EVENT', 'CALLBACK', 'BOGUS', ''), anyJson),
    headers,
    data: fc.oneof(robotData, fc.string({ maxLength: 40 }), anyJson, fc.constant('{"opaque":"x"}')),
  },
  { requiredKeys: [] },
);

/** What may arrive on the socket: text (JSON or not) or binary. */
const wireFrame: fc.Arbitrary<string | Buffer> = fc.oneof(
  frameObject.map((f) => JSON.stringify(f)),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  anyJson.map((j) => JSON.stringify(j)),
  fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
);

/** "1 disconnect per run" would keep the bot reconnecting; rarer in the socket test. */
const isDisconnect = (f: string | Buffer) => typeof f === 'string' && f.includes('"disconnect"');

describe('fuzz: the frame guard (GuardedStreamClient.onDownStream)', () => {
  it('never throws; only robot CALLBACKs with string data and a messageId reach the pipeline', () => {
    const got: RobotFrame[] = [];
    const client = new GuardedStreamClient({
      clientId: 'fuzz',
      clientSecret: 'fuzz-secret-000000',
      apiBase: 'http://127.0.0.1:9',
      logger: silentLogger(),
      openTimeoutMs: 100,
      onRobotFrame: (f) => got.push(f),
      onDisconnectFrame: () => {},
      onClose: () => {},
      onActivity: () => {},
    });
    fc.assert(
      fc.property(
        fc.oneof(
          wireFrame.map((f) => (typeof f === 'string' ? f : '')),
          frameObject.map((f) => JSON.stringify(f)),
        ),
        (text) => {
          got.length = 0;
          expect(() => client.onDownStream(text)).not.toThrow();
          let parsed:
            | { type?: unknown; headers?: { topic?: unknown; messageId?: unknown }; data?: unknown }
            | undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const isRobot =
            typeof parsed === 'object' &&
            parsed !== null &&
            parsed.type === 'CALLBACK' &&
            typeof parsed.headers === 'object' &&
            parsed.headers !== null &&
            parsed.headers.topic === ROBOT_TOPIC &&
            typeof parsed.headers.messageId === 'string' &&
            typeof parsed.data === 'string';
          expect(got.length).toBe(isRobot ? 1 : 0);
          if (isRobot) expect(got[0]?.data).toBe(parsed?.data);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('fuzz: random frames on a live socket', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the bot never crashes and answers the next message after any run of frames', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(wireFrame, { minLength: 1, maxLength: 6 }), async (frames) => {
        await h.emu.waitForConnection(5_000);
        for (const f of frames) if (!isDisconnect(f) || ++n % 5 === 0) h.emu.sendRawFrame(f);
        const text = await h.say('alice', '/whoami', { timeoutMs: 5_000 });
        expect(text).toContain('alice');
      }),
      { numRuns: 40 },
    );
    await h.app.pipeline.idle();
    expect(h.app.pipeline.stats.errors).toBe(0);
    // Nothing the frames carried made the process log a crash-level line.
    expect(h.logs.filter((l) => l.includes('"level":60'))).toEqual([]);
  });

  it('the pipeline drops or answers any robot data without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          robotData,
          fc.string({ maxLength: 40 }),
          anyJson.map((j) => JSON.stringify(j)),
        ),
        async (data) => {
          const frame: RobotFrame = {
            messageId: 'fuzz',
            data,
            connectionId: 'fuzz',
            receivedAt: 0,
            ackedAt: 0,
          };
          expect(() => h.app.pipeline.handleFrame(frame)).not.toThrow();
        },
      ),
      { numRuns: 120 },
    );
    await h.app.pipeline.idle();
    expect(h.app.pipeline.stats.errors).toBe(0);
    expect(await h.say('bob', '/whoami')).toContain('bob');
  });
});
