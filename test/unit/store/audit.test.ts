import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  type AuditVerdict,
  auditHash,
  GENESIS_HASH,
  openStore,
  verifyAuditChain,
} from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

function entry(i: number): Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> {
  return {
    at: 1_700_000_000_000 + i * 1000,
    userId: i % 3 === 0 ? 'admin1' : 'lead1',
    command: i % 2 === 0 ? 'chat add' : 'chat rename',
    chatId: i % 5 === 0 ? undefined : `chat${i % 4}`,
    args: JSON.stringify({ i, users: ['u1', 'u2'] }),
    outcome: i % 7 === 0 ? 'refused' : 'allowed',
    reason: i % 7 === 0 ? 'not owner' : undefined,
    errcode: i % 11 === 0 ? '40035' : undefined,
    durationMs: i * 3 + 0.5,
  };
}

/** A file store holding 50 chained records, closed again. */
async function fiftyRecords(): Promise<string> {
  const dir = tempDir();
  const s = openStore({ dataDir: dir });
  for (let i = 1; i <= 50; i++) await s.audit.append(entry(i));
  await s.close();
  return dir;
}

function tamper(dir: string, sql: string, ...params: unknown[]): void {
  const raw = new Database(join(dir, 'bot.sqlite'));
  raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
  raw.prepare(sql).run(...params);
  raw.close();
}

async function verifyAt(dir: string): Promise<AuditVerdict> {
  const s = openStore({ dataDir: dir });
  try {
    return await s.audit.verify();
  } finally {
    await s.close();
  }
}

/** Tampering with the SQLite file; the contract (append, latest, verify) is in test/store/contract.ts. */
describe('audit (SQLite)', () => {
  it('a chain of 50 appends verifies after re-open', async () => {
    const dir = await fiftyRecords();
    expect(await verifyAt(dir)).toEqual({ ok: true, count: 50 });
  });

  it('UPDATE and DELETE are blocked by triggers', async () => {
    const dir = await fiftyRecords();
    const raw = new Database(join(dir, 'bot.sqlite'));
    expect(() => raw.prepare("UPDATE audit SET outcome = 'allowed' WHERE seq = 7").run()).toThrow(
      'audit is append-only',
    );
    expect(() => raw.prepare('DELETE FROM audit WHERE seq = 7').run()).toThrow('audit is append-only');
    raw.close();
    expect(await verifyAt(dir)).toEqual({ ok: true, count: 50 });
  });

  it('detects a changed field once the triggers are dropped', async () => {
    const dir = await fiftyRecords();
    tamper(dir, 'UPDATE audit SET args = ? WHERE seq = 17', '{"i":17,"users":["u1"]}');
    const v = await verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 17 });
    expect(v.ok === false && v.reason).toMatch(/hash mismatch/);
  });

  it('detects a changed field whose hash was recomputed, at the next record', async () => {
    const dir = await fiftyRecords();
    const s = openStore({ dataDir: dir });
    const orig = (await s.audit.get(17))!;
    await s.close();
    expect(orig.outcome).toBe('allowed');
    const forged = { ...orig, outcome: 'refused' as const, reason: 'forged' };
    tamper(
      dir,
      "UPDATE audit SET outcome = 'refused', reason = 'forged', hash = ? WHERE seq = 17",
      auditHash(forged),
    );
    const v = await verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 18 });
    expect(v.ok === false && v.reason).toMatch(/prevHash mismatch/);
  });

  it('detects a deleted middle record as a gap', async () => {
    const dir = await fiftyRecords();
    tamper(dir, 'DELETE FROM audit WHERE seq = 25');
    const v = await verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 25 });
    expect(v.ok === false && v.reason).toMatch(/gap in seq/);
  });

  it('detects a cut-off tail through the recorded head', async () => {
    const dir = await fiftyRecords();
    tamper(dir, 'DELETE FROM audit WHERE seq >= 48');
    const v = await verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 48 });
    expect(v.ok === false && v.reason).toMatch(/truncated/);
  });

  it('detects an edit of the first record', async () => {
    const dir = await fiftyRecords();
    tamper(dir, 'UPDATE audit SET at = at + 1 WHERE seq = 1');
    expect(await verifyAt(dir)).toMatchObject({ ok: false, seq: 1 });
  });

  it('a 1-record log with a forged genesis prevHash is caught', async () => {
    const dir = tempDir();
    const s = openStore({ dataDir: dir });
    const a = await s.audit.append(entry(1));
    await s.close();
    const forged = { ...a, prevHash: 'f'.repeat(64) };
    tamper(dir, 'UPDATE audit SET prevHash = ?, hash = ? WHERE seq = 1', forged.prevHash, auditHash(forged));
    const v = await verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 1 });
    expect(v.ok === false && v.reason).toMatch(/prevHash mismatch/);
  });
});

describe('verifyAuditChain', () => {
  function chain(n: number): AuditRecord[] {
    const out: AuditRecord[] = [];
    let prevHash = GENESIS_HASH;
    for (let i = 1; i <= n; i++) {
      const rec = { ...entry(i), seq: i, prevHash };
      const full = { ...rec, hash: auditHash(rec) };
      out.push(full);
      prevHash = full.hash;
    }
    return out;
  }

  it('accepts a valid chain with a matching head', () => {
    const c = chain(5);
    expect(verifyAuditChain(c, { seq: 5, hash: c[4]!.hash })).toEqual({ ok: true, count: 5 });
  });

  it('reports a missing first record', () => {
    expect(verifyAuditChain(chain(5).slice(1))).toMatchObject({ ok: false, seq: 1 });
  });

  it('reports records beyond the head (appended around the store)', () => {
    const c = chain(5);
    expect(verifyAuditChain(c, { seq: 4, hash: c[3]!.hash })).toMatchObject({ ok: false, seq: 5 });
  });

  it('the hash covers every field', () => {
    const base = { ...entry(1), seq: 1, prevHash: GENESIS_HASH };
    const h = auditHash(base);
    const variants: Omit<AuditRecord, 'hash'>[] = [
      { ...base, seq: 2 },
      { ...base, at: base.at + 1 },
      { ...base, userId: 'x' },
      { ...base, command: 'x' },
      { ...base, chatId: 'x' },
      { ...base, args: '{}' },
      { ...base, outcome: 'failed' },
      { ...base, reason: 'x' },
      { ...base, errcode: 'x' },
      { ...base, durationMs: 1 },
      { ...base, prevHash: 'a'.repeat(64) },
    ];
    for (const v of variants) expect(auditHash(v)).not.toBe(h);
  });
});
