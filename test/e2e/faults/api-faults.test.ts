/**
 * Reliability under DingTalk API faults (dingtalk-api.md §5): a revoked token, rate-limit storms,
 * busy and 5xx answers, an expired sessionWebhook. Each case checks the invariants of burst.ts:
 * one reply per message, no rename carried out twice, org state = what the replies claim.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { buildBurst, checkInvariants, deliver, settle } from './burst.ts';

describe('fault injection: DingTalk answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
    h.emu.faults.qpsLimit = 20;
    h.emu.faults.qpsWindowMs = 1_000;
  });

  it('token revoked mid-run: calls are repeated once with a new token, every message answered once', async () => {
    const b = await buildBurst(h, { renames: 8, infos: 3 });
    await h.say('lead1', '/whoami');
    const fetches = h.emu.tokenFetches;
    deliver(h, b, 0, 6);
    h.emu.faults.revokeToken();
    deliver(h, b, 6);
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(8);
    expect(h.emu.tokenFetches).toBeGreaterThan(fetches);
  });

  it('a storm of 90018 and 403 QpsLimit answers: throttled calls wait and retry, nothing runs twice', async () => {
    // Legacy reads and the webhook answer 90018; v1 writes and sends answer 403 QpsLimit.
    h.emu.faults.inject('chat.get', 'qps', 12);
    h.emu.faults.inject('im.group.update', 'qps', 12);
    h.emu.faults.inject('robot.sendBySession', 'qps', 12);
    // And DingTalk's own per-API limit, low: a real sliding window on top of the injected answers.
    h.emu.faults.qpsLimit = 4;
    h.emu.faults.qpsWindowMs = 200;
    const waits = h.app.dingtalk.stats().rateLimitWaits;
    const b = await buildBurst(h, { renames: 10, infos: 3 });
    deliver(h, b);
    await settle(h, b);
    await checkInvariants(h, b);
    const throttled = h.emu.requests
      .slice(b.requestMark)
      .filter((r) => (r.response as { errcode?: number })?.errcode === 90018 || r.status === 403);
    // At least the 12 + 12 injected into chat/get and the webhook, which every message reaches.
    expect(throttled.length).toBeGreaterThanOrEqual(24);
    expect(h.app.dingtalk.stats().rateLimitWaits - waits).toBeGreaterThanOrEqual(12);
  });

  it('-1 busy and 5xx answers: reads and busy writes are retried, a 5xx write is reported and not repeated', async () => {
    h.emu.faults.inject('chat.get', 'busy', 6);
    h.emu.faults.inject('robot.sendBySession', 'busy', 6);
    h.emu.faults.inject('chat.get', 'http502', 2);
    h.emu.faults.inject('im.group.update', 'http500', 3);
    const b = await buildBurst(h, { renames: 8, infos: 3 });
    deliver(h, b);
    await settle(h, b);
    const { renamed, refused } = await checkInvariants(h, b);
    // The three renames that met a 5xx were not repeated: DingTalk may have done them. A rename
    // whose ownership check (chat/get) met more faults in a row than the retries allow is refused
    // before any write (one sender's messages run one after another, so the injected faults may
    // land on one message's reads); checkInvariants made sure nothing was written for it.
    const replies = h.emu.replies.slice(b.replyMark).map((r) => r.text);
    expect(replies.filter((t) => t.includes('endpoint im.group.update'))).toHaveLength(3);
    // Any other refusal is a read that failed past its retries (no write: checked above).
    expect(replies.filter((t) => t.includes('DingTalk refused')).length - 3).toBe(
      replies.filter((t) => t.includes('endpoint chat.get')).length,
    );
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(renamed + refused).toBe(8);
    const failed = h.emu.requests
      .slice(b.requestMark)
      .filter((r) => r.endpoint === 'im.group.update' && r.status === 500);
    expect(failed).toHaveLength(3);
  });

  it('webhook expired mid-burst: the rest of the replies go through the OpenAPI sends, once each', async () => {
    const b = await buildBurst(h, { renames: 6, infos: 3 });
    deliver(h, b, 0, 5);
    h.emu.faults.expireSessions();
    deliver(h, b, 5);
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(6);
    const viaOpenApi = h.emu.replies.slice(b.replyMark).filter((r) => r.via !== 'webhook');
    expect(viaOpenApi.length).toBeGreaterThan(0);
  });

  it('webhook throttled past every retry: the reply falls back to the OpenAPI send instead of being lost', async () => {
    h.emu.faults.inject('robot.sendBySession', 'qps', 100);
    const b = await buildBurst(h, { renames: 2, infos: 1 });
    deliver(h, b);
    await settle(h, b);
    const burstReplies = h.emu.replies.slice(b.replyMark);
    expect(burstReplies.map((r) => r.via).sort()).toEqual([
      'group',
      'group',
      'group',
      ...Array(5).fill('oto'),
    ]);
    h.emu.faults.clearInjections();
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(2);
  });
});
