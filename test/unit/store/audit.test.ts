import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditHash,
  GENESIS_HASH,
  openStore,
  type Store,
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
function fiftyRecords(): string {
  const dir = tempDir();
  const s = openStore({ dataDir: dir });
  for (let i = 1; i <= 50; i++) s.audit.append(entry(i));
  s.close();
  return dir;
}

function tamper(dir: string, sql: string, ...params: unknown[]): void {
  const raw = new Database(join(dir, 'bot.sqlite'));
  raw.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
  raw.prepare(sql).run(...params);
  raw.close();
}

function verifyAt(dir: string): ReturnType<Store['audit']['verify']> {
  const s = openStore({ dataDir: dir });
  try {
    return s.audit.verify();
  } finally {
    s.close();
  }
}

describe('audit', () => {
  it('an empty log verifies', () => {
    expect(openStore({ memory: true }).audit.verify()).toEqual({ ok: true, count: 0 });
  });

  it('append numbers and chains records; the first prevHash is 64 zeros', () => {
    const s = openStore({ memory: true });
    const a = s.audit.append(entry(1));
    const b = s.audit.append(entry(2));
    expect(a.seq).toBe(1);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(a.prevHash).toMatch(/^0{64}$/);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(auditHash(a));
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
    expect(s.audit.get(1)).toEqual(a);
    expect(s.audit.get(3)).toBeUndefined();
  });

  it('a chain of 50 appends verifies, also after re-open', () => {
    const dir = fiftyRecords();
    expect(verifyAt(dir)).toEqual({ ok: true, count: 50 });
  });

  it('latest is newest first and filters by chat or user', () => {
    const s = openStore({ memory: true });
    for (let i = 1; i <= 20; i++) s.audit.append(entry(i));
    expect(s.audit.latest(3).map((r) => r.seq)).toEqual([20, 19, 18]);
    expect(s.audit.latest(100)).toHaveLength(20);
    expect(s.audit.latest(0)).toEqual([]);
    const forChat = s.audit.latest(100, { chatId: 'chat1' });
    expect(forChat.length).toBeGreaterThan(0);
    expect(forChat.every((r) => r.chatId === 'chat1')).toBe(true);
    expect(forChat.map((r) => r.seq)).toEqual([...forChat.map((r) => r.seq)].sort((x, y) => y - x));
    const both = s.audit.latest(100, { chatId: 'chat1', userId: 'admin1' });
    expect(both.map((r) => r.seq)).toEqual([9]);
    const rec = s.audit.latest(1, { userId: 'lead1' })[0];
    expect(rec).toMatchObject({ seq: 20, chatId: undefined, reason: undefined, errcode: undefined });
  });

  it('UPDATE and DELETE are blocked by triggers', () => {
    const dir = fiftyRecords();
    const raw = new Database(join(dir, 'bot.sqlite'));
    expect(() => raw.prepare("UPDATE audit SET outcome = 'allowed' WHERE seq = 7").run()).toThrow(
      'audit is append-only',
    );
    expect(() => raw.prepare('DELETE FROM audit WHERE seq = 7').run()).toThrow('audit is append-only');
    raw.close();
    expect(verifyAt(dir)).toEqual({ ok: true, count: 50 });
  });

  it('detects a changed field once the triggers are dropped', () => {
    const dir = fiftyRecords();
    tamper(dir, 'UPDATE audit SET args = ? WHERE seq = 17', '{"i":17,"users":["u1"]}');
    const v = verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 17 });
    expect(v.ok === false && v.reason).toMatch(/hash mismatch/);
  });

  it('detects a changed field whose hash was recomputed, at the next record', () => {
    const dir = fiftyRecords();
    const s = openStore({ dataDir: dir });
    const orig = s.audit.get(17)!;
    s.close();
    expect(orig.outcome).toBe('allowed');
    const forged = { ...orig, outcome: 'refused' as const, reason: 'forged' };
    tamper(
      dir,
      "UPDATE audit SET outcome = 'refused', reason = 'forged', hash = ? WHERE seq = 17",
      auditHash(forged),
    );
    const v = verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 18 });
    expect(v.ok === false && v.reason).toMatch(/prevHash mismatch/);
  });

  it('detects a deleted middle record as a gap', () => {
    const dir = fiftyRecords();
    tamper(dir, 'DELETE FROM audit WHERE seq = 25');
    const v = verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 25 });
    expect(v.ok === false && v.reason).toMatch(/gap in seq/);
  });

  it('detects a cut-off tail through the recorded head', () => {
    const dir = fiftyRecords();
    tamper(dir, 'DELETE FROM audit WHERE seq >= 48');
    const v = verifyAt(dir);
    expect(v).toMatchObject({ ok: false, seq: 48 });
    expect(v.ok === false && v.reason).toMatch(/truncated/);
  });

  it('detects an edit of the first record', () => {
    const dir = fiftyRecords();
    tamper(dir, 'UPDATE audit SET at = at + 1 WHERE seq = 1');
    expect(verifyAt(dir)).toMatchObject({ ok: false, seq: 1 });
  });

  it('a 1-record log with a forged genesis prevHash is caught', () => {
    const dir = tempDir();
    const s = openStore({ dataDir: dir });
    const a = s.audit.append(entry(1));
    s.close();
    const forged = { ...a, prevHash: 'f'.repeat(64) };
    tamper(dir, 'UPDATE audit SET prevHash = ?, hash = ? WHERE seq = 1', forged.prevHash, auditHash(forged));
    const v = verifyAt(dir);
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
