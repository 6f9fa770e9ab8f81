/**
 * Persistence behind one interface (architecture.md §1). The default implementation is SQLite
 * (better-sqlite3 12) in BOT_DATA_DIR; every method is synchronous because better-sqlite3 is,
 * and atomic on its own.
 */

/** A chat the bot knows: created by it, or linked with /chat link. */
export interface ChatRecord {
  chatId: string;
  openConversationId: string | undefined;
  name: string;
  /** userId of the lead the bot created it for (or who linked it) */
  createdFor: string;
  /** true when the bot created it (ownership by registry), false when linked */
  createdByBot: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface RegistryStore {
  upsert(rec: Omit<ChatRecord, 'createdAt' | 'updatedAt'> & { createdAt?: number }): ChatRecord;
  get(chatId: string): ChatRecord | undefined;
  byOpenConversationId(cid: string): ChatRecord | undefined;
  /** Case-insensitive exact name match; may return several. */
  byName(name: string): ChatRecord[];
  /** All records, newest first. */
  list(): ChatRecord[];
  listFor(userId: string): ChatRecord[];
  setOpenConversationId(chatId: string, cid: string): void;
  rename(chatId: string, name: string): void;
}

/** The outcome of an atomic claim on a message key. */
export type ClaimResult =
  | { state: 'claimed' }
  | {
      state: 'running';
      claimedAt: number;
      /** true when the claim is older than the store's stale threshold (likely left by a crash) */
      stale?: boolean;
    }
  | { state: 'done'; reply: string; delivered: boolean };

export interface DedupeStore {
  /** Atomically claims `key`; a second claim sees 'running' or 'done'. */
  claim(key: string, now?: number): ClaimResult;
  /** Records the rendered reply (JSON) of a claimed key. */
  finish(key: string, reply: string, now?: number): void;
  markDelivered(key: string): void;
  /** Drops a claim whose processing failed before a reply was stored, so a redelivery may retry. */
  release(key: string): void;
  /** Deletes entries older than `olderThanMs` (default 24 h). Returns how many. */
  prune(now?: number, olderThanMs?: number): number;
}

export interface PendingConfirmation {
  code: string;
  userId: string;
  conversationId: string;
  command: string;
  /** JSON of the bound, validated args plus what the handler needs to run later */
  payload: string;
  preview: string;
  createdAt: number;
  expiresAt: number;
}

export interface ConfirmationStore {
  create(p: PendingConfirmation): void;
  /** Expired confirmations (expiresAt <= now, default Date.now()) are never returned. */
  get(code: string, now?: number): PendingConfirmation | undefined;
  /** Atomically removes and returns it (so a confirm runs once); an expired one is removed, not returned. */
  take(code: string, now?: number): PendingConfirmation | undefined;
  /** The caller's latest pending confirmation, for /cancel. */
  latestFor(userId: string, now?: number): PendingConfirmation | undefined;
  delete(code: string): void;
  prune(now?: number): number;
}

export interface AuditRecord {
  seq: number;
  at: number;
  userId: string;
  command: string;
  chatId: string | undefined;
  /** JSON of the arguments, never the message text */
  args: string;
  outcome: 'allowed' | 'refused' | 'failed' | 'confirmed' | 'pending';
  reason: string | undefined;
  errcode: string | undefined;
  durationMs: number;
  prevHash: string;
  hash: string;
}

export interface AuditStore {
  append(rec: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>): AuditRecord;
  latest(n: number, filter?: { chatId?: string; userId?: string }): AuditRecord[];
  /** Recomputes the hash chain; returns the first broken seq, or ok. */
  verify(): { ok: true; count: number } | { ok: false; seq: number; reason: string };
}

/** Write intents: recorded before a DingTalk write, finished after (crash safety). */
export interface IntentRecord {
  id: number;
  msgKey: string;
  userId: string;
  conversationId: string;
  command: string;
  chatId: string | undefined;
  summary: string;
  startedAt: number;
  finishedAt: number | undefined;
  outcome: string | undefined;
}

export interface IntentStore {
  begin(i: Omit<IntentRecord, 'id' | 'finishedAt' | 'outcome'>): number;
  finish(id: number, outcome: string, now?: number): void;
  /** Intents without an outcome (left by a crash). */
  unfinished(): IntentRecord[];
  /** Marks an unfinished intent as reported to the user. */
  markReported(id: number): void;
}

export interface Store {
  registry: RegistryStore;
  dedupe: DedupeStore;
  confirmations: ConfirmationStore;
  audit: AuditStore;
  intents: IntentStore;
  /** A small key-value table, e.g. the remembered endpoint family. */
  kv: { get(key: string): string | undefined; set(key: string, value: string): void };
  close(): void;
}
