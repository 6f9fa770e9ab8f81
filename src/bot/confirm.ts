/**
 * Pending confirmations for risky commands (architecture.md §3, `/confirm`, `/cancel`).
 *
 * A risky command is answered with a preview and a short code; only the same user, within the
 * time limit, can run it with `/confirm <code>`. Pending items live in the store, so a restart
 * neither loses them nor runs them twice: confirming takes the row atomically (`store.take`).
 */
import { randomInt } from 'node:crypto';
import type { PendingAction, PendingStore } from '../store/types.ts';

/** Code characters: upper-case letters and digits without the look-alikes 0/O, 1/I/L. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;
/** Two minutes, as the user contract says. */
export const DEFAULT_CONFIRM_TTL_MS = 120_000;

// 31^6 ≈ 887 million codes, so a clash is rare; a few retries make it practically impossible.
const MAX_CODE_ATTEMPTS = 20;
const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

export interface ConfirmationsOptions {
  /** How long a code stays valid. Default {@link DEFAULT_CONFIRM_TTL_MS}. */
  ttlMs?: number;
  now?: () => number;
  /** Returns a candidate code; tests inject it to force clashes. Default: crypto-random. */
  random?: () => string;
}

export type ConfirmResult =
  | { ok: true; pending: PendingAction; payload: unknown }
  | { ok: false; reason: 'unknown' | 'expired' | 'wrong-user' };

function randomCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Typed codes are case-insensitive and may carry stray spaces. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

/** Creates, confirms and cancels pending risky commands. */
export class Confirmations {
  readonly #store: PendingStore;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #random: () => string;

  constructor(store: PendingStore, opts: ConfirmationsOptions = {}) {
    this.#store = store;
    this.#ttlMs = opts.ttlMs ?? DEFAULT_CONFIRM_TTL_MS;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? randomCode;
  }

  /**
   * Stores a pending command under a fresh code. `payload` must survive JSON (it is stored as
   * JSON and handed back parsed by {@link confirm}).
   */
  async create(p: {
    userId: string;
    conversationId: string;
    command: string;
    payload: unknown;
    preview: string;
  }): Promise<PendingAction> {
    const now = this.#now();
    // Keep recently expired codes for one more TTL so a late /confirm hears "expired", not "unknown".
    await this.#store.prune(now - this.#ttlMs);
    const pending: PendingAction = {
      code: await this.#freshCode(),
      userId: p.userId,
      conversationId: p.conversationId,
      command: p.command,
      kind: 'confirm',
      plan: JSON.stringify(p.payload ?? null),
      preview: p.preview,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    await this.#store.put(pending);
    return pending;
  }

  /**
   * Runs-once check for `/confirm <code>`. Someone else's code is left in place (so a guess
   * cannot cancel another user's command); an expired one is dropped.
   */
  async confirm(code: string, userId: string): Promise<ConfirmResult> {
    const key = normalizeCode(code);
    if (!CODE_RE.test(key)) return { ok: false, reason: 'unknown' };
    // `get` finds expired rows too: an expired one must answer "expired" (see create).
    const found = await this.#store.get(key);
    if (found === undefined || found.kind !== 'confirm') return { ok: false, reason: 'unknown' };
    if (found.userId !== userId) return { ok: false, reason: 'wrong-user' };
    // Another /confirm (a redelivered message, a second instance) may have won the race.
    const taken = await this.#store.take(key, this.#now());
    if (taken === undefined) return { ok: false, reason: 'unknown' };
    if (taken.state === 'expired') return { ok: false, reason: 'expired' };
    return { ok: true, pending: taken.action, payload: JSON.parse(taken.action.plan) as unknown };
  }

  /**
   * Drops the caller's pending command: the one with `code`, or their latest when no code is
   * given. Returns what was dropped; undefined when there was nothing of theirs that was still
   * valid (another user's code is never touched).
   */
  async cancel(userId: string, code?: string): Promise<PendingAction | undefined> {
    const found =
      code === undefined
        ? (await this.#store.list(userId, { kind: 'confirm' })).reverse()
        : [await this.#store.get(normalizeCode(code))];
    // Newest first; expired ones met on the way are dropped.
    for (const p of found) {
      if (p === undefined || p.userId !== userId || p.kind !== 'confirm') return undefined;
      const taken = await this.#store.take(p.code, this.#now());
      if (taken?.state === 'taken') return taken.action;
    }
    return undefined;
  }

  async #freshCode(): Promise<string> {
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) {
      const code = normalizeCode(this.#random());
      // Expired rows still hold their code until pruned: a clash with one would fail the INSERT.
      if (CODE_RE.test(code) && (await this.#store.get(code)) === undefined) return code;
    }
    throw new Error(`could not find a free confirmation code in ${MAX_CODE_ATTEMPTS} attempts`);
  }
}
