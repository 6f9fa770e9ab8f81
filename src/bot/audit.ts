/**
 * The audit trail: every command attempt, allowed or refused, goes to the store (hash-chained,
 * for `/audit` and `npm run audit:verify`) and to the log as an `{audit: true}` event.
 *
 * Arguments are recorded by shape, never as message text: secret-looking keys are redacted,
 * free text (long or multi-line strings, `text`/`content`/`message` fields) is replaced by its
 * length, long lists are cut, and a resolved `<chat>` is reduced to its chatId.
 */
import type { Logger } from 'pino';
import { scrubSecrets } from '../log.ts';
import type { AuditRecord, AuditStore } from '../store/types.ts';

/** Strings longer than this are treated as free text. */
export const DEFAULT_MAX_VALUE_LENGTH = 64;
const MAX_ITEMS = 50;
const MAX_DEPTH = 4;

const SECRET_KEY = /secret|token|password|passwd|webhook|session|ticket|authorization|cookie|credential/i;
const TEXT_KEY = /^(text|content|message|msg|body|markdown|preview)$/i;

/** What the pipeline knows about one command attempt. */
export interface AuditEvent {
  userId: string;
  command: string;
  chatId?: string;
  /** The bound arguments; sanitised by {@link sanitizeArgs} before they are stored. */
  args: unknown;
  outcome: AuditRecord['outcome'];
  /** Why it was refused, failed or waits: a message key and its params (see {@link encodeReason}). */
  reason?: AuditReason;
  /** DingTalk errcode (or v1 `code`) when a call failed. */
  errcode?: string;
  durationMs: number;
}

export interface AuditTrailOptions {
  now?: () => number;
  /** Strings longer than this are recorded as `[text: N chars]`. Default {@link DEFAULT_MAX_VALUE_LENGTH}. */
  maxValueLength?: number;
  /**
   * Is this a command's name? A record of a line that named no command holds the typed word as
   * its command: the info line shows `?` for it instead. Default: every name is shown.
   */
  knownCommand?: (name: string) => boolean;
}

const textMark = (s: string): string => `[text: ${s.length} chars]`;

function isChatRef(v: Record<string, unknown>): boolean {
  return typeof v.chatId === 'string' && 'label' in v && 'record' in v;
}

/**
 * Reduces arguments to what an auditor needs: keys and short values. Returns a JSON-safe value.
 */
export function sanitizeArgs(args: unknown, maxValueLength: number = DEFAULT_MAX_VALUE_LENGTH): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') {
      return v.length > maxValueLength || /[\r\n]/.test(v) ? textMark(v) : scrubSecrets(v);
    }
    if (typeof v !== 'object') return undefined; // functions, symbols, undefined
    if (depth >= MAX_DEPTH) return '[…]';
    if (Array.isArray(v)) {
      const items = v.slice(0, MAX_ITEMS).map((x) => walk(x, depth + 1) ?? null);
      if (v.length > MAX_ITEMS) items.push(`[+${v.length - MAX_ITEMS} more]`);
      return items;
    }
    const obj = v as Record<string, unknown>;
    if (isChatRef(obj)) return obj.chatId;
    // Entries, not assignments: a `__proto__` key must stay a plain key.
    const out: [string, unknown][] = [];
    for (const [k, x] of Object.entries(obj)) {
      if (SECRET_KEY.test(k)) out.push([k, '[redacted]']);
      else if (TEXT_KEY.test(k) && typeof x === 'string') out.push([k, textMark(x)]);
      else {
        const w = walk(x, depth + 1);
        if (w !== undefined) out.push([k, w]);
      }
    }
    return Object.fromEntries(out);
  };
  return walk(args, 0) ?? null;
}

/**
 * Why an attempt was refused, failed or waits, as a message key and its params, so that
 * `/audit` words it in the reader's language. A param named `name@<locale>` is that locale's
 * text of `name` (DingTalk's explanations come in both languages).
 */
export interface AuditReason {
  key: string;
  params?: Record<string, string | number>;
}

/**
 * The stored form: the key, then a space and the params as JSON when there are any. Params are
 * sanitised like arguments; the limit is higher because most are the bot's own words (DingTalk's
 * explanation), and what a user typed is already cut short in a reply's params.
 */
export function encodeReason(r: AuditReason): string {
  const params = r.params === undefined ? {} : (sanitizeArgs(r.params, REASON_VALUE_LENGTH) as object);
  return Object.keys(params).length === 0 ? r.key : `${r.key} ${JSON.stringify(params)}`;
}

const REASON_VALUE_LENGTH = 200;
const STORED_KEY = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+$/;

/**
 * Reads a stored reason back. Records written before reasons were keys hold free text: that
 * comes back as `{ text }`.
 */
export function decodeReason(stored: string): AuditReason | { text: string } {
  const space = stored.indexOf(' ');
  const key = space < 0 ? stored : stored.slice(0, space);
  if (!STORED_KEY.test(key)) return { text: stored };
  if (space < 0) return { key };
  try {
    const parsed: unknown = JSON.parse(stored.slice(space + 1));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { text: stored };
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v === 'string' || typeof v === 'number') params[k] = v;
    }
    return { key, params };
  } catch {
    return { text: stored };
  }
}

/** Writes audit records to the store and the log. */
export class AuditTrail {
  readonly #store: AuditStore;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #maxValueLength: number;
  readonly #knownCommand: (name: string) => boolean;

  constructor(store: AuditStore, log: Logger, opts: AuditTrailOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#now = opts.now ?? Date.now;
    this.#maxValueLength = opts.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH;
    this.#knownCommand = opts.knownCommand ?? (() => true);
  }

  /**
   * Records one attempt; `at` is when the attempt started (now minus its duration). Logs
   * `{audit: true, ...}` at info. When the store write fails the event is still logged (at
   * error) and the promise rejects with the error.
   */
  async record(e: AuditEvent): Promise<AuditRecord> {
    const args = sanitizeArgs(e.args, this.#maxValueLength);
    const durationMs = Math.max(0, Math.round(e.durationMs));
    const entry: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> = {
      at: this.#now() - durationMs,
      userId: e.userId,
      command: e.command,
      chatId: e.chatId,
      args: JSON.stringify(args),
      outcome: e.outcome,
      reason: e.reason === undefined ? undefined : encodeReason(e.reason),
      errcode: e.errcode,
      durationMs,
    };
    let rec: AuditRecord;
    try {
      rec = await this.#store.append(entry);
    } catch (err) {
      // The log is then the record's only copy: all of it, at error.
      this.#log.error({ audit: true, ...entry, args, err }, 'audit record could not be stored');
      throw err;
    }
    // Info lines carry ids, not names or typed text (the arguments and the reason's params stay in
    // the store, which /audit reads): who, what, which chat, how it ended.
    this.#log.info(
      {
        audit: true,
        seq: rec.seq,
        at: entry.at,
        userId: entry.userId,
        command: this.#knownCommand(entry.command) ? entry.command : '?',
        chatId: entry.chatId,
        outcome: entry.outcome,
        reason: e.reason?.key,
        errcode: entry.errcode,
        durationMs,
      },
      'audit',
    );
    return rec;
  }
}
