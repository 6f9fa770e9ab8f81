/**
 * Persistence behind one asynchronous contract (architecture.md §1), written once over one
 * schema (Kysely) on two drivers: SQLite (better-sqlite3 12, the embedded default, one replica)
 * and PostgreSQL (pg, when DATABASE_URL is set; shared by replicas). Every method is atomic on its own; "atomic" below
 * means atomic across replicas too when the store is PostgreSQL.
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
  upsert(rec: Omit<ChatRecord, 'createdAt' | 'updatedAt'> & { createdAt?: number }): Promise<ChatRecord>;
  get(chatId: string): Promise<ChatRecord | undefined>;
  byOpenConversationId(cid: string): Promise<ChatRecord | undefined>;
  /** Case-insensitive exact name match; may return several. */
  byName(name: string): Promise<ChatRecord[]>;
  /** All records, newest first. */
  list(): Promise<ChatRecord[]>;
  listFor(userId: string): Promise<ChatRecord[]>;
  setOpenConversationId(chatId: string, cid: string): Promise<void>;
  rename(chatId: string, name: string): Promise<void>;
}

/** The outcome of an atomic claim on a message key. */
export type ClaimResult =
  | { state: 'claimed' }
  | {
      state: 'running';
      claimedAt: number;
      /** the replica holding the claim, when it recorded one */
      replicaId?: string | undefined;
      /** true when the claim is older than the store's stale threshold (likely left by a crash) */
      stale?: boolean;
    }
  | { state: 'done'; reply: string; delivered: boolean };

/** Who holds a claim, and what a survivor needs to answer the message if the holder dies. */
export interface ClaimOwner {
  replicaId: string;
  /** JSON of the normalized message (IncomingMessage), kept until the claim is finished */
  message: string;
}

/** A running claim whose replica stopped beating (see {@link ReplicaStore}). */
export interface OrphanedClaim {
  key: string;
  replicaId: string;
  claimedAt: number;
  /** JSON of the normalized message, as given to claim() */
  message: string;
}

export interface DedupeStore {
  /**
   * Atomically claims `key` (one statement); a second claim sees 'running' or 'done'. `owner`
   * records the replica and the message so that a survivor can take the claim over.
   */
  claim(key: string, now?: number, owner?: ClaimOwner): Promise<ClaimResult>;
  /**
   * Records the rendered reply (JSON) of a claimed key; the stored message is dropped. The
   * caller is taken to be sending the reply from `now` on (see {@link DedupeStore.takeResend}).
   */
  finish(key: string, reply: string, now?: number): Promise<void>;
  markDelivered(key: string): Promise<void>;
  /** The reply could not be sent: a copy of the message may send it at once. */
  unsend(key: string): Promise<void>;
  /**
   * A copy of a finished message whose reply is not recorded as delivered: atomically becomes
   * its sender unless another began sending it less than `leaseMs` before `now`. True: send it.
   */
  takeResend(key: string, now: number, leaseMs: number): Promise<boolean>;
  /** Drops a claim whose processing failed before a reply was stored, so a redelivery may retry. */
  release(key: string): Promise<void>;
  /** Deletes entries older than `olderThanMs` (default 24 h). Returns how many. */
  prune(now?: number, olderThanMs?: number): Promise<number>;
  /**
   * Running claims held by a replica other than `self` whose heartbeat is older than
   * `deadAfterMs` (or that has no heartbeat row), oldest first, at most `limit`.
   */
  orphaned(self: string, deadAfterMs: number, limit?: number): Promise<OrphanedClaim[]>;
  /**
   * Atomically moves a running claim from `from` to `to` (compare-and-set). Only one survivor
   * gets true, so an orphan is answered once.
   */
  adopt(key: string, from: string, to: string): Promise<boolean>;
}

/** A plan waiting for the user: a confirmation (`/confirm <code>`) or a pick (`/pick <n>`). */
export interface PendingAction {
  /** unique code: the 6-character confirmation code for 'confirm'; any unique code for 'pick' */
  code: string;
  kind: 'confirm' | 'pick';
  userId: string;
  conversationId: string;
  command: string;
  /** JSON of the plan it holds */
  plan: string;
  preview: string;
  createdAt: number;
  expiresAt: number;
}

export type PendingTake =
  | { state: 'taken'; action: PendingAction }
  | { state: 'expired'; action: PendingAction };

export interface PendingStore {
  /** Inserts. A 'pick' first removes the same user's other picks in the same conversation. A code clash rejects. */
  put(p: PendingAction): Promise<void>;
  /** By code, expired rows too (callers say "expired"). */
  get(code: string): Promise<PendingAction | undefined>;
  /** Atomically removes the row and says whether it was still valid at `now` (runs once across replicas): undefined when there was no such row. */
  take(code: string, now: number): Promise<PendingTake | undefined>;
  /** The user's pending actions, expired ones too, oldest first; only those of one conversation and/or kind when given. */
  list(
    userId: string,
    filter?: { conversationId?: string; kind?: 'confirm' | 'pick' },
  ): Promise<PendingAction[]>;
  /** Deletes rows whose expiresAt is before `before`; returns how many. */
  prune(before: number): Promise<number>;
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

export type AuditVerdict =
  | {
      ok: true;
      count: number;
      /** records at the start sealed with a plain hash (written before audit keys): only hash-chained */
      unkeyed?: number;
    }
  | { ok: false; seq: number; reason: string };

export interface AuditStore {
  /** Appends one record; appends are serialised (across replicas), so the chain never forks. */
  append(rec: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>): Promise<AuditRecord>;
  latest(n: number, filter?: { chatId?: string; userId?: string }): Promise<AuditRecord[]>;
  /** One record by seq (e.g. to show the record verify() reported). */
  get(seq: number): Promise<AuditRecord | undefined>;
  /** Recomputes the hash chain; returns the first broken seq, or ok. */
  verify(): Promise<AuditVerdict>;
}

/** One plan being carried out for a message (or a later job): the key is the message key. */
export interface JournalRun {
  key: string;
  userId: string;
  conversationId: string;
  command: string;
  chatId: string | undefined;
  /** JSON of the plan being carried out */
  plan: string;
  replicaId: string;
  startedAt: number;
  finishedAt: number | undefined;
  reportedAt: number | undefined;
}

/** One DingTalk write call of a run, journaled before it leaves and finished with its answer. */
export interface JournalWrite {
  id: number;
  runKey: string;
  endpoint: string;
  chatId: string | undefined;
  /** JSON of the request body */
  request: string;
  startedAt: number;
  finishedAt: number | undefined;
  /** undefined while unanswered */
  outcome: 'ok' | 'failed' | undefined;
  /** JSON: the answer's value when ok, the error's description when failed */
  answer: string | undefined;
}

export interface JournalStore {
  /** Records a run; a run already recorded under `key` is kept as it is (returns false). */
  startRun(r: Omit<JournalRun, 'finishedAt' | 'reportedAt'>): Promise<boolean>;
  getRun(key: string): Promise<JournalRun | undefined>;
  finishRun(key: string, now: number): Promise<void>;
  /** Before a write leaves; returns its id. */
  begin(w: Omit<JournalWrite, 'id' | 'finishedAt' | 'outcome' | 'answer'>): Promise<number>;
  finish(id: number, outcome: 'ok' | 'failed', answer: string, now: number): Promise<void>;
  /** The writes of a run, in the order they began. */
  writes(runKey: string): Promise<JournalWrite[]>;
  /** Runs neither finished nor reported, oldest first; only those begun by one of `replicas` when given. */
  unfinished(replicas?: readonly string[]): Promise<JournalRun[]>;
  /** Compare-and-set: true only for the one caller that marked it reported. */
  markReported(key: string, now: number): Promise<boolean>;
  /** Deletes finished or reported runs (and their writes) started before `before`; returns how many runs. */
  prune(before: number): Promise<number>;
}

/**
 * One change a user made to a chat through the bot, with what takes it back (architecture.md §3,
 * `/chat undo`). Kept so that an undo survives a restart and works from any replica.
 */
export interface ChangeRecord {
  id: number;
  chatId: string;
  userId: string;
  command: string;
  at: number;
  /** JSON of what takes the change back (the bot's undo steps) */
  undo: string;
  /** When an undo took it back; undefined while it stands. */
  undoneAt: number | undefined;
}

/**
 * What the bot knows it set in a chat and DingTalk does not tell (chat/get returns no admins,
 * nicknames or private-chat switch): `admin` (userId, value '1'), `nick` (userId, the
 * nickname), `private-chat` (userId '', 'on' or 'off').
 */
export interface ChatFact {
  chatId: string;
  kind: 'admin' | 'nick' | 'private-chat';
  userId: string;
  value: string;
  at: number;
}

export interface ChangeStore {
  /** Appends a change; returns its id (ids grow with time). */
  record(c: Omit<ChangeRecord, 'id' | 'undoneAt'>): Promise<number>;
  /**
   * The user's newest change not yet undone, made at or after `since`; only changes to `chatId`
   * when it is given.
   */
  latestUndoable(userId: string, since: number, chatId?: string): Promise<ChangeRecord | undefined>;
  get(id: number): Promise<ChangeRecord | undefined>;
  /** Marks a change undone. Compare-and-set: true only for the one caller that did, so an undo runs once. */
  markUndone(id: number, now?: number): Promise<boolean>;
  /** Clears the mark again (an undo whose first write failed took nothing back). */
  unmarkUndone(id: number): Promise<void>;
  /** Sets a fact (`value` undefined forgets it). */
  setFact(f: Omit<ChatFact, 'at' | 'value'> & { value: string | undefined; at?: number }): Promise<void>;
  /** The facts of one chat, by kind then userId. */
  facts(chatId: string): Promise<ChatFact[]>;
}

/**
 * A change that happens later (issue 22): `at` carries out a stored plan at its time; `until`
 * takes back a change made now (the plan of the undo that pins it). Ids are short: `J<id>`.
 */
export interface JobRecord {
  id: number;
  kind: 'at' | 'until';
  /** who scheduled it (the plan's caller) */
  userId: string;
  chatId: string | undefined;
  /** the command of the plan it carries out */
  command: string;
  /** JSON of the plan */
  plan: string;
  /** what it does, as the user typed it (shown by `/chat jobs`) */
  what: string;
  dueAt: number;
  state: 'pending' | 'running' | 'done' | 'cancelled';
  /** the replica running it (state running or done) */
  replicaId: string | undefined;
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** JSON of what the run answered (the notice to its lead), once done */
  result: string | undefined;
  /** when its lead was told */
  notifiedAt: number | undefined;
}

export interface JobStore {
  /** Stores a pending job; returns its id. */
  add(
    j: Pick<JobRecord, 'kind' | 'userId' | 'chatId' | 'command' | 'plan' | 'what' | 'dueAt' | 'createdAt'>,
  ): Promise<number>;
  get(id: number): Promise<JobRecord | undefined>;
  /** Pending jobs by due time (then id); only `userId`'s when given. */
  pending(userId?: string): Promise<JobRecord[]>;
  /** Pending jobs due at `now` or before, earliest first, at most `limit`. */
  due(now: number, limit: number): Promise<JobRecord[]>;
  /** Compare-and-set pending → running for `replicaId`: true for exactly one caller. */
  claim(id: number, replicaId: string, now: number): Promise<boolean>;
  /** Compare-and-set pending → cancelled: false when it is running, done or cancelled already. */
  cancel(id: number, now: number): Promise<boolean>;
  /** running → done with what the run answered (only the replica holding it). */
  finish(id: number, replicaId: string, result: string, now: number): Promise<boolean>;
  markNotified(id: number, now: number): Promise<void>;
  /**
   * Jobs held by a replica other than `self` whose heartbeat is older than `deadAfterMs` (or
   * that has none): running ones, and done ones whose lead was not told yet. Oldest first.
   */
  orphaned(self: string, deadAfterMs: number, limit?: number): Promise<JobRecord[]>;
  /** Compare-and-set of the holder `from` → `to` of a running or done job: one survivor gets true. */
  adopt(id: number, from: string, to: string): Promise<boolean>;
  /** Deletes done or cancelled jobs finished before `before`; returns how many. */
  prune(before: number): Promise<number>;
}

/** Tags on registered chats (`/chat tag`), shared by every replica; tags are stored lower-case. */
export interface TagStore {
  /** Tags a chat; false when it had the tag already. */
  add(chatId: string, tag: string, addedBy: string, at?: number): Promise<boolean>;
  /** Takes a tag off; false when the chat did not have it. */
  remove(chatId: string, tag: string): Promise<boolean>;
  /** The chatIds with the tag, in the order they were tagged. */
  chats(tag: string): Promise<string[]>;
  /** The tags of each of `chatIds` (chats without tags are left out), each list sorted. */
  of(chatIds: readonly string[]): Promise<Map<string, string[]>>;
}

/** One command run over a set of chats (a tag, `mine`, a list): its key is the message's key. */
export interface BatchRecord {
  key: string;
  userId: string;
  command: string;
  /** the set as typed: `tag:proj`, `mine`, `chat1,chat2` */
  setLabel: string;
  /** how many chats the set had */
  chats: number;
  startedAt: number;
  finishedAt: number | undefined;
  /** when an undo took this batch back */
  undoneAt: number | undefined;
}

/** What happened in one chat of a batch. */
export interface BatchItem {
  batchKey: string;
  chatId: string;
  /** the chat's place in the set */
  seq: number;
  state: 'done' | 'skipped' | 'failed' | 'unknown';
  /** JSON: what the ledger says of it (its line, cause, retry command) */
  detail: string | undefined;
  /** the change (ChangeStore) that undoes what was done there */
  changeId: number | undefined;
  at: number;
}

export interface BatchStore {
  /** Records a batch; one already recorded under `key` is kept as it is (returns false). */
  start(b: Omit<BatchRecord, 'finishedAt' | 'undoneAt'>): Promise<boolean>;
  get(key: string): Promise<BatchRecord | undefined>;
  finish(key: string, now: number): Promise<void>;
  /** Sets (or replaces) what happened in one chat. */
  setItem(item: BatchItem): Promise<void>;
  /** The chats of a batch, in set order. */
  items(key: string): Promise<BatchItem[]>;
  /** The batch a change was made by, if any. */
  byChange(changeId: number): Promise<BatchRecord | undefined>;
  /** Marks a batch undone. Compare-and-set: true only for the one caller that did. */
  markUndone(key: string, now: number): Promise<boolean>;
  /** Clears the mark again (an undo that took nothing back). */
  unmarkUndone(key: string): Promise<void>;
  /** Deletes finished batches (and their chats) started before `before`; returns how many. */
  prune(before: number): Promise<number>;
}

/** Replica heartbeats and leases, timed by the database's clock. */
export interface ReplicaStore {
  /** Records that `replicaId` is alive now. */
  beat(replicaId: string): Promise<void>;
  /** Replicas whose last beat is older than `deadAfterMs` (they hold nothing any more). */
  dead(deadAfterMs: number): Promise<string[]>;
  /** Removes a replica's row (graceful stop). */
  forget(replicaId: string): Promise<void>;
  /**
   * Takes or renews the lease `name` for `holder` when it is free, expired or already the
   * holder's; true when `holder` holds it for the next `ttlMs`.
   */
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up if `holder` holds it. */
  release(name: string, holder: string): Promise<void>;
  /** The current holder of a lease that has not expired. */
  leaseHolder(name: string): Promise<string | undefined>;
}

/**
 * DingTalk's per-app, per-API rate budget shared by every replica: `reserve` takes the next free
 * slot of `api` (slots `intervalMs` apart, on the database's clock) and says how long to wait for it.
 */
export interface RateBudget {
  reserve(api: string, intervalMs: number): Promise<number>;
}

export interface Store {
  /** 'sqlite' or 'postgres', for logs, health and metrics */
  readonly kind: 'sqlite' | 'postgres';
  registry: RegistryStore;
  dedupe: DedupeStore;
  /** Confirmations and picks waiting for the user. */
  pending: PendingStore;
  audit: AuditStore;
  /** The write journal: runs of plans and the DingTalk writes of each. */
  journal: JournalStore;
  /** The changes made through the bot and what undoes them; the facts clone needs. */
  changes: ChangeStore;
  replicas: ReplicaStore;
  /** Scheduled changes (`at=`, `until=`), each run once across restarts and replicas. */
  jobs: JobStore;
  /** Tags on registered chats. */
  tags: TagStore;
  /** Commands run over sets of chats, chat by chat. */
  batches: BatchStore;
  /** A small key-value table, e.g. the remembered endpoint family. */
  kv: { get(key: string): Promise<string | undefined>; set(key: string, value: string): Promise<void> };
  /** The shared rate budget; undefined for SQLite (one replica: the in-process limiter is enough). */
  rateBudget: RateBudget | undefined;
  /** A cheap round trip, for /readyz. Rejects when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
