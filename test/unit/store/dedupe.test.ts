import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

/** SQLite-only dedupe behaviour (tuning, files, processes); the contract is in test/store/contract.ts. */
describe('dedupe (SQLite)', () => {
  it('flags an old running claim as stale but does not steal it', async () => {
    const s = openStore({ memory: true, staleClaimMs: 1000 });
    await s.dedupe.claim('m1', 0);
    expect(await s.dedupe.claim('m1', 999)).toEqual({ state: 'running', claimedAt: 0, stale: false });
    expect(await s.dedupe.claim('m1', 1500)).toEqual({ state: 'running', claimedAt: 0, stale: true });
    expect(await s.dedupe.claim('m1', 5000)).toMatchObject({ state: 'running', claimedAt: 0 });
  });

  it('defaults the stale threshold to 10 minutes', async () => {
    const s = openStore({ memory: true });
    await s.dedupe.claim('m1', 0);
    expect(await s.dedupe.claim('m1', 10 * 60_000 - 1)).toMatchObject({ stale: false });
    expect(await s.dedupe.claim('m1', 10 * 60_000)).toMatchObject({ stale: true });
  });

  it('stores the owner with the claim and drops the message when the claim is finished', async () => {
    const dir = tempDir();
    const s = openStore({ dataDir: dir });
    await s.dedupe.claim('m1', 1000, { replicaId: 'r1', message: '{"msgId":"m1"}' });
    const raw = new Database(join(dir, 'bot.sqlite'), { readonly: true });
    const row = raw.prepare<[string], { replicaId: string | null; message: string | null }>(
      'SELECT replicaId, message FROM processed_messages WHERE key = ?',
    );
    expect(row.get('m1')).toEqual({ replicaId: 'r1', message: '{"msgId":"m1"}' });
    await s.dedupe.finish('m1', 'r', 2000);
    expect(row.get('m1')).toEqual({ replicaId: 'r1', message: null });
    raw.close();
    await s.close();
  });

  it('two Store instances on one file: exactly one claims each key', async () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    const b = openStore({ dataDir: dir });
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < 200; i++) {
      const [first, second] = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const s1 = first === 'a' ? a : b;
      const s2 = second === 'a' ? a : b;
      const r1 = await s1.dedupe.claim(`k${i}`);
      const r2 = await s2.dedupe.claim(`k${i}`);
      expect(r1.state).toBe('claimed');
      expect(r2.state).toBe('running');
      wins[first] += 1;
    }
    expect(wins).toEqual({ a: 100, b: 100 });
    await a.dedupe.finish('k0', 'reply-from-a');
    expect(await b.dedupe.claim('k0')).toEqual({ state: 'done', reply: 'reply-from-a', delivered: false });
    await a.close();
    await b.close();
  });

  it('three processes claiming the same keys at once: every key is won exactly once', async () => {
    const dir = tempDir();
    await openStore({ dataDir: dir }).close();
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
