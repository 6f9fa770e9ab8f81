/** Any JSON, and real payloads with random damage: normalize never throws and keeps its promises. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRobotPayload } from '../../src/bot/normalize.ts';
import { DM_SAMPLE, GROUP_SAMPLE } from '../unit/bot/samples.ts';

const BOT = GROUP_SAMPLE.chatbotUserId;

function check(data: unknown): void {
  // The bot's entry can only be recognised when the payload names the bot.
  const botId = (data as { chatbotUserId?: unknown } | null)?.chatbotUserId;
  const r = normalizeRobotPayload(data, 'frame');
  if (!r.ok) {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
    return;
  }
  const m = r.message;
  expect(['direct', 'group']).toContain(m.conversationType);
  expect(m.text).toBe(m.text.trim());
  expect(m.msgId.length).toBeGreaterThan(0);
  expect(Number.isFinite(m.createdAt)).toBe(true);
  expect(Number.isFinite(m.sessionWebhookExpiresAt)).toBe(true);
  for (const mention of m.mentions) {
    if (typeof botId === 'string') expect(mention.dingtalkId).not.toBe(botId);
    expect(mention.userId === undefined || typeof mention.userId === 'string').toBe(true);
  }
}

/** A sample with keys dropped, replaced by random JSON, and added. */
const damaged = fc
  .tuple(
    fc.constantFrom<Record<string, unknown>>(DM_SAMPLE, {
      ...GROUP_SAMPLE,
      atUsers: [{ dingtalkId: BOT }, { dingtalkId: 'x', staffId: 'alice' }],
    }),
    fc.array(fc.constantFrom(...Object.keys(GROUP_SAMPLE), 'text', 'content', 'atUsers'), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'msgId',
        'createAt',
        'conversationType',
        'text',
        'content',
        'atUsers',
        'msgtype',
        'isAdmin',
        'zzz',
      ),
      fc.jsonValue(),
      { maxKeys: 3 },
    ),
  )
  .map(([sample, drop, replace]) => {
    const copy: Record<string, unknown> = { ...sample, ...replace };
    for (const k of drop) delete copy[k];
    return copy;
  });

describe('normalize fuzz', () => {
  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 5_000 });
  });

  it('anything at all', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withMap: true, withBigInt: true }), check), {
      numRuns: 3_000,
    });
  });

  it('damaged real payloads', () => {
    fc.assert(fc.property(damaged, check), { numRuns: 5_000 });
  });

  it('richText bodies of any shape', () => {
    const body = fc.record({
      ...Object.fromEntries(Object.entries(GROUP_SAMPLE).map(([k, v]) => [k, fc.constant(v)])),
      msgtype: fc.constant('richText'),
      content: fc.oneof(
        fc.jsonValue(),
        fc.record({
          richText: fc.array(
            fc.oneof(
              fc.record({ text: fc.string() }),
              fc.record({
                type: fc.constantFrom('at', 'text', 'picture'),
                atName: fc.string(),
                atUserId: fc.oneof(fc.string(), fc.constant(BOT)),
              }),
              fc.jsonValue(),
            ),
          ),
        }),
      ),
    });
    fc.assert(fc.property(body, check), { numRuns: 3_000 });
  });
});
