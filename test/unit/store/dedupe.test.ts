import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const HOUR = 60 * 60_000;

describe('dedupe', () => {
  it('claim twice → running with claimedAt; finish → done with the reply; markDelivered', () => {
    const s = openStore({ memory: true });
    expect(s.dedupe.claim('m1', 1000)).toEqual({ state: 'claimed' });
    expect(s.dedupe.claim('m1', 2000)).toEqual({ state: 'running', claimedAt: 1000, stale: false });
    s.dedupe.finish('m1', '{"text":"ok"}', 3000);
    expect(s.dedupe.claim('m1', 4000)).toEqual({ state: 'done', reply: '{"text":"ok"}', delivered: false });
    s.dedupe.markDelivered('m1');
    expect(s.dedupe.claim('m1', 5000)).toEqual({ state: 'done', reply: '{"text":"ok"}', delivered: true });
    expect(s.dedupe.claim('m2', 5000)).toEqual({ state: 'claimed' });
  });

  it('release drops a running claim so a redelivery can retry, but never a finished one', () => {
    const s = openStore({ memory: true });
    s.dedupe.claim('m1', 1000);
    s.dedupe.release('m1');
    expect(s.dedupe.claim('m1', 2000)).toEqual({ state: 'claimed' });
    s.dedupe.finish('m1', 'r');
    s.dedupe.release('m1');
    expect(s.dedupe.claim('m1', 3000)).toMatchObject({ state: 'done', reply: 'r' });
  });

  it('flags an old running claim as stale but does not steal it', () => {
    const s = openStore({ memory: true, staleClaimMs: 1000 });
    s.dedupe.claim('m1', 0);
    expect(s.dedupe.claim('m1', 999)).toEqual({ state: 'running', claimedAt: 0, stale: false });
    expect(s.dedupe.claim('m1', 1500)).toEqual({ state: 'running', claimedAt: 0, stale: true });
    expect(s.dedupe.claim('m1', 5000)).toMatchObject({ state: 'running', claimedAt: 0 });
  });

  it('defaults the stale threshold to 10 minutes', () => {
    const s = openStore({ memory: true });
    s.dedupe.claim('m1', 0);
    expect(s.dedupe.claim('m1', 10 * 60_000 - 1)).toMatchObject({ stale: false });
    expect(s.dedupe.claim('m1', 10 * 60_000)).toMatchObject({ stale: true });
  });

  it('prune deletes rows older than the window (default 24 h) and counts them', () => {
    const s = openStore({ memory: true });
    const t0 = 1_000_000_000;
    s.dedupe.claim('old-running', t0);
    s.dedupe.claim('old-done', t0);
    s.dedupe.finish('old-done', 'r', t0 + 1000);
    s.dedupe.claim('recent', t0 + 20 * HOUR);
    expect(s.dedupe.prune(t0 + 25 * HOUR)).toBe(2);
    expect(s.dedupe.claim('old-running', t0 + 25 * HOUR)).toEqual({ state: 'claimed' });
    expect(s.dedupe.claim('recent', t0 + 25 * HOUR)).toMatchObject({ state: 'running' });
    expect(s.dedupe.prune(t0 + 25 * HOUR, HOUR)).toBe(1);
    expect(s.dedupe.claim('recent', t0 + 25 * HOUR)).toEqual({ state: 'claimed' });
  });

  it('two Store instances on one file: exactly one claims each key', () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const [first, second] = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const s1 = first === 'a' ? a : b;
      const s2 = second === 'a' ? a : b;
      const r1 = s1.dedupe.claim(`k${i}`);
      const r2 = s2.dedupe.claim(`k${i}`);
      expect(r1.state).toBe('claimed');
      expect(r2.state).toBe('running');
      wins[first] += 1;
    }
    expect(wins).toEqual({ a: 100, b: 100 });
    a.dedupe.finish('k0', 'reply-from-a');
    expect(b.dedupe.claim('k0')).toEqual({ state: 'done', reply: 'reply-from-a', delivered: false });
    a.close();
    b.close();
  });

  it('three processes claiming the same keys at once: every key is won exactly once', async () => {
    const dir = tempDir();
    openStore({ dataDir: dir }).close();
    const n = 300;
    const startAt = Date.now() + 2500;
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'test/unit/store/fixtures/claim-worker.ts',
            dir,
            String(n),
            String(startAt),
            'k',
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
        });
        child.on('error', reject);
        child.on('close', (code) => {
          if (code === 0) resolve(JSON.parse(out) as string[]);
          else reject(new Error(`worker exited ${code}: ${err}`));
        });
      });
    const results = await Promise.all([run(), run(), run()]);
    const all = results.flat();
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
  }, 30_000);
});
