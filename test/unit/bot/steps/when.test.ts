/** The at= / until= steps (steps/when.ts) on their own: what they take from the words, what they refuse. */
import { describe, expect, it } from 'vitest';
import { Jobs } from '../../../../src/bot/jobs.ts';
import { readWhen } from '../../../../src/bot/steps/when.ts';
import { HERE_ID, world } from './world.ts';

// 2026-12-03 10:00 UTC = 18:00 in Asia/Shanghai.
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);

async function withJobs() {
  const w = await world({ now: () => NOW });
  return { ...w, deps: { ...w.deps, jobs: new Jobs(w.store, () => NOW) } };
}

describe('readWhen', () => {
  it('takes at= out of a changing command and keeps the rest of its words', async () => {
    const w = await withJobs();
    const t = await w.routed(`/chat rename ${HERE_ID} "Q4 Plans" at=2h`);
    expect(await w.step(readWhen(w.deps), t)).toBe(true);
    expect(t.when).toEqual({ at: NOW + 2 * 3_600_000, what: `/chat rename ${HERE_ID} "Q4 Plans"` });
    expect(t.rest?.map((x) => x.text)).toEqual([HERE_ID, 'Q4 Plans']);
  });

  it('joins an unquoted time to its date; reads until= beside at=', async () => {
    const w = await withJobs();
    const t = await w.routed(`/chat add ${HERE_ID} carol at=2026-12-24 18:00 until=2026-12-25`);
    expect(await w.step(readWhen(w.deps), t)).toBe(true);
    expect(t.when?.at).toBe(Date.UTC(2026, 11, 24, 10, 0));
    expect(t.when?.until).toBe(Date.UTC(2026, 11, 24, 16, 0));
    expect(t.rest?.map((x) => x.text)).toEqual([HERE_ID, 'carol']);
  });

  it('refuses a bad time with a reply and an audited refusal, before anything is bound', async () => {
    const w = await withJobs();
    for (const [text, want] of [
      ['at=yesterday', /needs a time/],
      ['at=2026-01-01', /not in the future \(it is 2026-12-03 18:00 in Asia\/Shanghai now\)/],
      ['at=2y', /needs a time/],
      ['until=500d', /more than a year ahead \(the latest is 2027-12-03 18:00 in Asia\/Shanghai\)/],
    ] as const) {
      const t = await w.routed(`/chat rename ${HERE_ID} X ${text}`);
      expect(await w.step(readWhen(w.deps), t)).toBe(false);
      expect(t.outcome?.reply.text).toMatch(want);
      expect(t.outcome?.audit).toMatchObject({ outcome: 'refused', reason: { key: 'audit.reason.when' } });
      expect(t.draft).toBeUndefined();
    }
  });

  it('leaves read-only commands and bots without a scheduler alone', async () => {
    const w = await withJobs();
    const info = await w.routed(`/chat info ${HERE_ID} at=2h`);
    expect(await w.step(readWhen(w.deps), info)).toBe(true);
    expect(info.when).toBeUndefined();
    expect(info.rest?.some((x) => x.key === 'at')).toBe(true);
    const plain = await world({ now: () => NOW });
    const rename = await plain.routed(`/chat rename ${HERE_ID} X at=2h`);
    expect(await plain.step(readWhen(plain.deps), rename)).toBe(true);
    expect(rename.when).toBeUndefined();
  });
});
