/**
 * The audit log's chain: each record's seal covers its own fields and the previous record's
 * seal, so editing, removing or reordering a record breaks the chain from that point on.
 *
 * A seal is an HMAC-SHA256 under a key kept out of the database (`k1:<key id>:<hex>`), so
 * whoever holds the database alone (its file, or the bot's database role) cannot re-chain
 * altered records: they would need the key. The key id (the start of the key's SHA-256) lets a
 * verifier given old keys check records sealed before a rotation. Records written before keys
 * existed carry a plain SHA-256 (64 hex): they are only hash-chained, and said so.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/** sha256 hex of {@link canonicalAuditJson}: the seal of a record written without a key. */
export function auditHash(rec: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalAuditJson(rec), 'utf8').digest('hex');
}

/** The keys that seal (the current one) and verify (all given) audit records. */
export interface AuditKeys {
  /** the key new records are sealed with; none: plain SHA-256 (tests, tools without a key) */
  current: { id: string; key: Buffer } | undefined;
  /** every key given, by id (the current one and old ones kept for verifying) */
  byId: ReadonlyMap<string, Buffer>;
}

/** A key's id: the first 8 hex of its SHA-256 (it names the key without giving it away). */
export function auditKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Keys from their secrets: the first seals new records, all of them verify. */
export function auditKeys(current: string | undefined, old: readonly string[] = []): AuditKeys {
  const byId = new Map<string, Buffer>();
  const add = (secret: string) => {
    const key = Buffer.from(secret, 'utf8');
    byId.set(auditKeyId(key), key);
    return key;
  };
  const cur = current === undefined ? undefined : add(current);
  for (const o of old) add(o);
  return { current: cur === undefined ? undefined : { id: auditKeyId(cur), key: cur }, byId };
}

/** No key: records are sealed with a plain SHA-256 (what the contract tests and old tools use). */
export const NO_AUDIT_KEYS: AuditKeys = { current: undefined, byId: new Map() };

const KEYED = /^k1:([0-9a-f]{8}):([0-9a-f]{64})$/;

/** The seal of a record under `keys.current` (a plain SHA-256 without one). */
export function sealAudit(rec: Omit<AuditRecord, 'hash'>, keys: AuditKeys): string {
  if (keys.current === undefined) return auditHash(rec);
  const mac = createHmac('sha256', keys.current.key).update(canonicalAuditJson(rec), 'utf8').digest('hex');
  return `k1:${keys.current.id}:${mac}`;
}

/** Whether `rec.hash` is a valid seal of its fields: undefined when it is, else why not. */
function sealProblem(rec: AuditRecord, keys: AuditKeys): string | undefined {
  const m = KEYED.exec(rec.hash);
  if (m === null) {
    const computed = auditHash(rec);
    return computed === rec.hash
      ? undefined
      : `hash mismatch: stored ${rec.hash}, fields hash to ${computed}`;
  }
  const key = keys.byId.get(m[1] as string);
  if (key === undefined)
    return `sealed with key ${m[1]}, which was not given (BOT_AUDIT_KEY, BOT_AUDIT_OLD_KEYS)`;
  const mac = createHmac('sha256', key).update(canonicalAuditJson(rec), 'utf8').digest();
  const stored = Buffer.from(m[2] as string, 'hex');
  return timingSafeEqual(mac, stored) ? undefined : `seal mismatch under key ${m[1]}: the record was altered`;
}

/** Whether a seal is keyed (an HMAC) rather than a plain hash. */
export const isKeyedSeal = (hash: string): boolean => KEYED.test(hash);

export type ChainVerdict =
  | {
      ok: true;
      count: number;
      /** records at the start sealed with a plain hash (written before keys): only hash-chained */
      unkeyed?: number;
    }
  | { ok: false; seq: number; reason: string };

/** The last record the writer says it appended; lets verify notice a cut-off tail. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Walks `records` (ascending seq) and returns the first break: a missing seq, a prevHash that
 * does not match the previous record's seal, or a seal that does not match the record's fields
 * under the keys given. A record with a plain hash after a keyed one is a break (a key never goes
 * away); plain ones before the first keyed record are counted as `unkeyed` when keys are given. With `head`, a chain
 * that does not end exactly at the head (same seq, same seal) is broken too.
 */
export function verifyAuditChain(
  records: Iterable<AuditRecord>,
  head?: ChainHead,
  keys: AuditKeys = NO_AUDIT_KEYS,
): ChainVerdict {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  let unkeyed = 0;
  let keyedSeen = false;
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
    const problem = sealProblem(rec, keys);
    if (problem !== undefined) return { ok: false, seq: rec.seq, reason: problem };
    if (isKeyedSeal(rec.hash)) keyedSeen = true;
    else if (keyedSeen)
      return { ok: false, seq: rec.seq, reason: 'a record without a key seal after keyed ones: rewritten' };
    else unkeyed++;
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
  // Without keys (tests, tools given none) a plain hash chain is all there is to say.
  return unkeyed > 0 && keys.byId.size > 0 ? { ok: true, count, unkeyed } : { ok: true, count };
}

/**
 * The record that follows `prev` (the chain's last seq and hash; undefined for an empty chain),
 * hashed. Both stores append through this, so their chains are the same.
 */
export function nextAuditRecord(
  prev: { seq: number; hash: string } | undefined,
  input: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>,
  keys: AuditKeys = NO_AUDIT_KEYS,
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
  return { ...withoutHash, hash: sealAudit(withoutHash, keys) };
}

/** The chain head as kept in the kv table (`seq:seal`); an unreadable one is itself tampering. */
export function parseAuditHead(value: string | undefined): ChainHead {
  if (value === undefined) return { seq: 0, hash: GENESIS_HASH };
  const m = /^(\d+):((?:k1:[0-9a-f]{8}:)?[0-9a-f]{64})$/.exec(value);
  // seq -1 can never match a real chain end.
  return m ? { seq: Number(m[1]), hash: m[2] as string } : { seq: -1, hash: '' };
}
