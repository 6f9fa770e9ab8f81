import { execFile } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { auditHash, auditKeys, openStore, SCHEMA_VERSION } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The audit key the bot sealed with (BOT_AUDIT_KEY), and one it never used. */
const KEY = 'test-audit-key-0123456789abcdef';
const OTHER_KEY = 'another-audit-key-0123456789abc';

function cli(args: string[], env: Record<string, string> = { BOT_AUDIT_KEY: KEY }): Promise<Run> {
  const clean: Record<string, string | undefined> = { ...process.env };
  for (const k of ['BOT_AUDIT_KEY', 'BOT_AUDIT_OLD_KEYS', 'DINGTALK_CLIENT_ID', 'DINGTALK_CLIENT_SECRET'])
    delete clean[k];
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/audit-verify.ts', ...args],
      { env: { ...clean, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `key` null: written before audit keys (plain hashes). */
async function withRecords(n: number, key: string | null = KEY): Promise<string> {
  const dir = tempDir();
  const s = openStore({ dataDir: dir, ...(key !== null ? { auditKeys: auditKeys(key) } : {}) });
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
    const r = await cli([], { BOT_DATA_DIR: dir, BOT_AUDIT_KEY: KEY });
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
    expect(r.stdout).toMatch(/^audit chain BROKEN at seq 2: seal mismatch under key [0-9a-f]{8}/);
    expect(r.stdout).toContain('"userId":"mallory"');
  });

  it('fails on a wrong key, and verifies records of a rotated key when the old one is given', async () => {
    const dir = await withRecords(2);
    const wrong = await cli(['--data-dir', dir], { BOT_AUDIT_KEY: OTHER_KEY });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/BROKEN at seq 1: sealed with key [0-9a-f]{8}, which was not given/);
    const rotated = await cli(['--data-dir', dir], { BOT_AUDIT_KEY: OTHER_KEY, BOT_AUDIT_OLD_KEYS: KEY });
    expect(rotated).toMatchObject({ code: 0, stdout: 'audit chain OK: 2 records\n' });
  });

  it('records altered and re-chained without the key are caught (hashes instead of seals)', async () => {
    const dir = await withRecords(3);
    const raw = new Database(join(dir, 'bot.sqlite'));
    raw.exec('DROP TRIGGER audit_no_update');
    // What an attacker with the file but not the key can do: alter a record, re-chain with plain hashes.
    const rows = raw.prepare('SELECT * FROM audit ORDER BY seq').all() as Record<string, unknown>[];
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const rec = {
        seq: row.seq as number,
        at: row.at as number,
        userId: row.seq === 2 ? 'mallory' : (row.userId as string),
        command: row.command as string,
        chatId: (row.chatId as string | null) ?? undefined,
        args: row.args as string,
        outcome: row.outcome as 'allowed',
        reason: (row.reason as string | null) ?? undefined,
        errcode: (row.errcode as string | null) ?? undefined,
        durationMs: row.durationMs as number,
        prevHash: prev,
      };
      const hash = auditHash(rec);
      raw
        .prepare('UPDATE audit SET userId = ?, prevHash = ?, hash = ? WHERE seq = ?')
        .run(rec.userId, prev, hash, rec.seq);
      prev = hash;
    }
    raw.prepare("UPDATE kv SET value = ? WHERE key = 'audit.head'").run(`3:${prev}`);
    raw.close();
    const r = await cli(['--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit chain NOT VERIFIED: the first 3 of 3 records carry no key seal/);
  });

  it('records written before audit keys are accepted with --accept-unkeyed, and said to be hash-chained only', async () => {
    const dir = await withRecords(2, null);
    expect((await cli(['--data-dir', dir])).code).toBe(1);
    const r = await cli(['--data-dir', dir, '--accept-unkeyed']);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'audit chain OK: 2 records (2 at the start only hash-chained, written before audit keys)\n',
    });
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
