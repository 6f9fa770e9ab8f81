import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, SCHEMA_VERSION } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/store/verify-cli.ts', ...args],
      { env: { ...process.env, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function withRecords(n: number): Promise<string> {
  const dir = tempDir();
  const s = openStore({ dataDir: dir });
  for (let i = 1; i <= n; i++) {
    await s.audit.append({
      at: 1_700_000_000_000 + i,
      userId: 'lead1',
      command: 'chat add',
      chatId: 'chat1',
      args: JSON.stringify({ i }),
      outcome: 'allowed',
      reason: undefined,
      errcode: undefined,
      durationMs: 12,
    });
  }
  await s.close();
  return dir;
}

describe('audit:verify CLI', () => {
  it('prints OK and exits 0 for an intact chain', async () => {
    const dir = await withRecords(3);
    const r = await cli(['--data-dir', dir]);
    expect(r).toMatchObject({ code: 0, stdout: 'audit chain OK: 3 records\n' });
  });

  it('reads BOT_DATA_DIR through the config when no flag is given', async () => {
    const dir = await withRecords(2);
    const r = await cli([], { BOT_DATA_DIR: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'audit chain OK: 2 records\n' });
  });

  it('prints the first broken record and exits 1 after tampering', async () => {
    const dir = await withRecords(4);
    const raw = new Database(join(dir, 'bot.sqlite'));
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare("UPDATE audit SET userId = 'mallory' WHERE seq = 2").run();
    raw.close();
    const r = await cli([`--data-dir=${dir}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit chain BROKEN at seq 2: hash mismatch/);
    expect(r.stdout).toContain('"userId":"mallory"');
  });

  it('a missing database is a clear message and exit 2', async () => {
    const dir = join(tempDir(), 'nowhere');
    const r = await cli(['--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no bot database at ${join(dir, 'bot.sqlite')}`);
    expect(r.stdout).toBe('');
  });

  it('a database from a newer build exits 2 naming the version', async () => {
    const dir = await withRecords(1);
    const raw = new Database(join(dir, 'bot.sqlite'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const r = await cli(['--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/newer than this build supports/);
  });

  it('rejects unknown arguments with exit 2', async () => {
    const r = await cli(['--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown argument: --nope');
  });
});
