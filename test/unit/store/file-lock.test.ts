/**
 * The SQLite file's lease: a holder whose process is gone is taken over at once, and so is one
 * that was killed but lingers as a zombie (state Z) because its parent has not reaped it yet.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { holdSqliteFile, SQLITE_FILE_LEASE, StoreInUseError } from '../../../src/store/file-lock.ts';
import { openStore } from '../../../src/store/index.ts';

/** Starts `sh` whose child `sleep` is killed and never reaped (sh has become `sleep 30`): a zombie. */
async function zombie(): Promise<{ pid: number; stop: () => void }> {
  const sh = spawn('sh', ['-c', 'sleep 30 & echo $!; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = await new Promise<number>((resolve) =>
    sh.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { pid, stop: () => sh.kill('SIGKILL') };
}

describe('the SQLite file lease', () => {
  it('is refused while its holder runs, and taken from a holder that is a zombie', async () => {
    const store = openStore({ memory: true });
    const z = await zombie();
    const alive = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      // A live holder keeps the file.
      await store.replicas.lease(SQLITE_FILE_LEASE, `${hostname()}:${alive.pid}:r1`, 60_000);
      await expect(
        holdSqliteFile(store.replicas, `${hostname()}:${process.pid}:me`, 'bot.sqlite'),
      ).rejects.toBeInstanceOf(StoreInUseError);
      // A killed holder not reaped yet (kill(pid, 0) still succeeds) does not.
      expect(() => process.kill(z.pid, 0)).not.toThrow();
      await store.replicas.release(SQLITE_FILE_LEASE, `${hostname()}:${alive.pid}:r1`);
      await store.replicas.lease(SQLITE_FILE_LEASE, `${hostname()}:${z.pid}:r2`, 60_000);
      await holdSqliteFile(store.replicas, `${hostname()}:${process.pid}:me`, 'bot.sqlite');
      expect(await store.replicas.leaseHolder(SQLITE_FILE_LEASE)).toBe(`${hostname()}:${process.pid}:me`);
    } finally {
      alive.kill('SIGKILL');
      z.stop();
      await store.close();
    }
  });
});
