/**
 * The audit log's hash chain, independent of SQLite: each record's hash covers its own fields
 * and the previous record's hash, so editing, removing or reordering a record breaks the chain
 * from that point on.
 */
import { createHash } from 'node:crypto';
import type { AuditRecord } from './types.ts';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON of the hashed fields: keys in alphabetical order, absent optional fields as
 * `null`. Changing this breaks every existing chain.
 */
export function canonicalAuditJson(rec: Omit<AuditRecord, 'hash'>): string {
  return JSON.stringify({
    args: rec.args,
    at: rec.at,
    chatId: rec.chatId ?? null,
    command: rec.command,
    durationMs: rec.durationMs,
    errcode: rec.errcode ?? null,
    outcome: rec.outcome,
    prevHash: rec.prevHash,
    reason: rec.reason ?? null,
    seq: rec.seq,
    userId: rec.userId,
  });
}

/** sha256 hex of {@link canonicalAuditJson}. */
export function auditHash(rec: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalAuditJson(rec), 'utf8').digest('hex');
}

export type ChainVerdict = { ok: true; count: number } | { ok: false; seq: number; reason: string };

/** The last record the writer says it appended; lets verify notice a cut-off tail. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Walks `records` (ascending seq) and returns the first break: a missing seq, a prevHash that
 * does not match the previous record's hash, or a hash that does not match the record's fields.
 * With `head`, a chain that does not end exactly at the head (same seq, same hash) is broken too.
 */
export function verifyAuditChain(records: Iterable<AuditRecord>, head?: ChainHead): ChainVerdict {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (const rec of records) {
    if (rec.seq !== expectedSeq) {
      if (rec.seq > expectedSeq) {
        const missing =
          rec.seq === expectedSeq + 1
            ? `record ${expectedSeq} is`
            : `records ${expectedSeq}-${rec.seq - 1} are`;
        return { ok: false, seq: expectedSeq, reason: `gap in seq: ${missing} missing (next is ${rec.seq})` };
      }
      return { ok: false, seq: rec.seq, reason: `seq out of order: expected ${expectedSeq}` };
    }
    if (rec.prevHash !== prevHash) {
      return {
        ok: false,
        seq: rec.seq,
        reason: `prevHash mismatch: record says ${rec.prevHash}, previous record hashes to ${prevHash}`,
      };
    }
    const computed = auditHash(rec);
    if (computed !== rec.hash) {
      return {
        ok: false,
        seq: rec.seq,
        reason: `hash mismatch: stored ${rec.hash}, fields hash to ${computed}`,
      };
    }
    prevHash = rec.hash;
    expectedSeq += 1;
    count += 1;
  }
  if (head !== undefined) {
    const lastSeq = expectedSeq - 1;
    if (head.seq > lastSeq) {
      return {
        ok: false,
        seq: lastSeq + 1,
        reason: `log truncated: records ${lastSeq + 1}-${head.seq} are missing (the recorded head is ${head.seq})`,
      };
    }
    if (head.seq < lastSeq) {
      return {
        ok: false,
        seq: head.seq + 1,
        reason: `record ${head.seq + 1} was not written by the store (the recorded head is ${head.seq})`,
      };
    }
    if (lastSeq > 0 && head.hash !== prevHash) {
      return { ok: false, seq: lastSeq, reason: 'hash does not match the recorded head' };
    }
  }
  return { ok: true, count };
}

/**
 * The record that follows `prev` (the chain's last seq and hash; undefined for an empty chain),
 * hashed. Both stores append through this, so their chains are the same.
 */
export function nextAuditRecord(
  prev: { seq: number; hash: string } | undefined,
  input: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>,
): AuditRecord {
  const withoutHash: Omit<AuditRecord, 'hash'> = {
    seq: (prev?.seq ?? 0) + 1,
    at: input.at,
    userId: input.userId,
    command: input.command,
    chatId: input.chatId,
    args: input.args,
    outcome: input.outcome,
    reason: input.reason,
    errcode: input.errcode,
    durationMs: input.durationMs,
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  return { ...withoutHash, hash: auditHash(withoutHash) };
}

/** The chain head as kept in the kv table (`seq:hash`); an unreadable one is itself tampering. */
export function parseAuditHead(value: string | undefined): ChainHead {
  if (value === undefined) return { seq: 0, hash: GENESIS_HASH };
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value);
  // seq -1 can never match a real chain end.
  return m ? { seq: Number(m[1]), hash: m[2] as string } : { seq: -1, hash: '' };
}
