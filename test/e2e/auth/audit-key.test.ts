/**
 * The keyed audit: records are sealed with an HMAC under a key kept out of the database (here
 * the one derived from the client secret), and the chain's head is published outside it (a log
 * line and a metric) at start and periodically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedAuditKey } from '../../../src/config.ts';
import { auditKeyId } from '../../../src/store/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('the keyed audit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('seals every record with the key derived from the client secret; the head is published', async () => {
    await h.say('lead1', '/chat create "Sealed" alice');
    await h.say('mallory', '/chat create Nope');
    const records = await h.app.store.audit.latest(10);
    expect(records.length).toBeGreaterThanOrEqual(2);
    const secret = h.config.credentials?.clientSecret ?? '';
    const id = auditKeyId(Buffer.from(derivedAuditKey(secret), 'utf8'));
    for (const r of records) expect(r.hash).toMatch(new RegExp(`^k1:${id}:[0-9a-f]{64}$`));
    expect(await h.app.store.audit.verify()).toEqual({ ok: true, count: records.length });
    // The key itself is in no log line.
    expect(h.logs.some((l) => l.includes(derivedAuditKey(secret)))).toBe(false);

    await h.restart();
    const head = (await h.app.store.audit.latest(1))[0];
    const metric = await h.app.metrics.registry.getSingleMetricAsString('audit_head_seq');
    expect(metric).toContain(`audit_head_seq{seal="${head?.hash.slice(0, 16)}"} ${head?.seq}`);
    expect(h.logs.some((l) => l.includes('"audit chain head"') && l.includes(`"seq":${head?.seq}`))).toBe(
      true,
    );
  });
});
