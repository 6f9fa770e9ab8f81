/**
 * Pending actions (architecture.md §3, `/confirm`, `/pick`, `/cancel`): a plan that waits for a
 * confirmation, or a draft that waits for a pick, kept per person and conversation in the store.
 *
 * A confirmation is answered with a short code; only the same user, within the time limit, runs
 * it. Taking a row is atomic (`store.take`), so a restart or a second replica neither loses one
 * nor runs it twice. Expired rows are kept for one more time limit, so that a late answer hears
 * "expired" rather than "unknown".
 */
import { randomInt } from 'node:crypto';
import type { PendingAction, PendingStore } from '../store/types.ts';
import { type Draft, type Plan, readStored } from './plan.ts';

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
  | { ok: true; action: PendingAction; plan: Plan }
  | { ok: false; reason: 'unknown' | 'expired' | 'wrong-user'; action?: PendingAction };

/** What taking a pending action found. */
export type Taken<T> =
  | { state: 'taken'; action: PendingAction; value: T }
  | { state: 'expired'; action: PendingAction }
  | { state: 'none' };

function randomCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** Typed codes are case-insensitive and may carry stray spaces. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

/** Creates, confirms, picks and cancels pending actions. */
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

  /** Stores `plan` under a fresh code, to run on `/confirm <code>`. */
  async ask(plan: Plan, preview: string): Promise<PendingAction> {
    const now = this.#now();
    const action: PendingAction = {
      code: await this.#freshCode(),
      kind: 'confirm',
      userId: plan.caller.userId,
      conversationId: plan.message.conversationId,
      command: plan.command,
      plan: JSON.stringify(plan),
      preview,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    await this.#store.put(action);
    return action;
  }

  /** Stores `draft` as the caller's pick in its conversation (replacing an earlier one there). */
  async askPick(draft: Draft, ttlMs: number): Promise<void> {
    const now = this.#now();
    await this.#store.put({
      code: `P${await this.#freshCode()}`,
      kind: 'pick',
      userId: draft.caller.userId,
      conversationId: draft.message.conversationId,
      command: draft.command,
      plan: JSON.stringify(draft),
      preview: '',
      createdAt: now,
      expiresAt: now + ttlMs,
    });
  }

  /**
   * `/confirm <code>`, run once. Someone else's code is left in place (a guess cannot cancel
   * another user's command).
   */
  async confirm(code: string, userId: string): Promise<ConfirmResult> {
    const key = normalizeCode(code);
    if (!CODE_RE.test(key)) return { ok: false, reason: 'unknown' };
    const found = await this.#store.get(key);
    if (found === undefined || found.kind !== 'confirm') return { ok: false, reason: 'unknown' };
    if (found.userId !== userId) return { ok: false, reason: 'wrong-user' };
    const taken = await this.#store.take(key, this.#now());
    // Another /confirm (a redelivered message, a second replica) may have won the race.
    if (taken === undefined) return { ok: false, reason: 'unknown' };
    if (taken.state === 'expired') return { ok: false, reason: 'expired', action: taken.action };
    const plan = readStored<Plan>(taken.action.plan);
    if (plan === undefined) return { ok: false, reason: 'unknown' };
    return { ok: true, action: taken.action, plan };
  }

  /** The caller's confirmations still valid, oldest first; in one conversation when given. */
  async waiting(userId: string, conversationId?: string): Promise<PendingAction[]> {
    const now = this.#now();
    const rows = await this.#store.list(userId, {
      kind: 'confirm',
      ...(conversationId !== undefined ? { conversationId } : {}),
    });
    return rows.filter((r) => r.expiresAt > now);
  }

  /** Cancels the caller's action with `code` (anywhere). */
  async cancel(userId: string, code: string): Promise<Taken<undefined>> {
    const found = await this.#store.get(normalizeCode(code));
    if (found === undefined || found.userId !== userId) return { state: 'none' };
    return this.#take(found.code, () => undefined);
  }

  /** Cancels everything of the caller's that waits in this conversation; returns what it cancelled. */
  async cancelHere(userId: string, conversationId: string): Promise<PendingAction[]> {
    const out: PendingAction[] = [];
    for (const row of await this.#store.list(userId, { conversationId })) {
      const r = await this.#take(row.code, () => undefined);
      if (r.state === 'taken') out.push(r.action);
    }
    return out;
  }

  /** The caller's newest pick in this conversation, expired ones too (to say "expired"). */
  async pick(
    userId: string,
    conversationId: string,
  ): Promise<{ action: PendingAction; draft: Draft } | undefined> {
    const rows = await this.#store.list(userId, { conversationId, kind: 'pick' });
    const action = rows.at(-1);
    if (action === undefined) return undefined;
    const draft = readStored<Draft>(action.plan);
    if (draft === undefined) {
      await this.#store.take(action.code, this.#now());
      return undefined;
    }
    return { action, draft };
  }

  /** Takes a pick (once across replicas). */
  takePick(code: string): Promise<Taken<undefined>> {
    return this.#take(code, () => undefined);
  }

  /** Drops the caller's picks in this conversation; returns those that were still valid. */
  async dropPicks(userId: string, conversationId: string): Promise<PendingAction[]> {
    const out: PendingAction[] = [];
    for (const row of await this.#store.list(userId, { conversationId, kind: 'pick' })) {
      const r = await this.#take(row.code, () => undefined);
      if (r.state === 'taken') out.push(r.action);
    }
    return out;
  }

  /** Drops rows that expired more than one time limit ago. */
  prune(): Promise<number> {
    return this.#store.prune(this.#now() - this.#ttlMs);
  }

  async #take<T>(code: string, value: (a: PendingAction) => T): Promise<Taken<T>> {
    const r = await this.#store.take(code, this.#now());
    if (r === undefined) return { state: 'none' };
    if (r.state === 'expired') return { state: 'expired', action: r.action };
    return { state: 'taken', action: r.action, value: value(r.action) };
  }

  async #freshCode(): Promise<string> {
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) {
      const code = normalizeCode(this.#random());
      // Expired rows still hold their code until pruned: a clash with one would fail the insert.
      if (CODE_RE.test(code) && (await this.#store.get(code)) === undefined) return code;
    }
    throw new Error(`could not find a free confirmation code in ${MAX_CODE_ATTEMPTS} attempts`);
  }
}
