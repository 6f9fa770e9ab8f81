/**
 * The SQLite {@link Store} (better-sqlite3 12): one file in BOT_DATA_DIR, WAL mode so readers
 * (e.g. `npm run audit:verify`) never block the bot, statements prepared once, and every method
 * atomic — those with more than one statement run in an IMMEDIATE transaction, which also makes
 * them safe against a second process on the same file. better-sqlite3 is synchronous; the
 * methods are `async` only to meet the asynchronous {@link Store} contract (a failing statement
 * becomes a rejection). One process is one replica, so its clock is the database's clock.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { nextAuditRecord, parseAuditHead, verifyAuditChain } from './audit-chain.ts';
import { migrate, SCHEMA_VERSION, SchemaVersionError, schemaVersion } from './migrations.ts';
import type {
  AuditRecord,
  AuditStore,
  ChangeRecord,
  ChangeStore,
  ChatFact,
  ChatRecord,
  ClaimOwner,
  ClaimResult,
  ConfirmationStore,
  DedupeStore,
  IntentRecord,
  IntentStore,
  OrphanedClaim,
  PendingConfirmation,
  PendingPick,
  PickStore,
  RegistryStore,
  ReplicaStore,
  Store,
} from './types.ts';

/** File name of the database inside the data folder. */
export const DEFAULT_DB_FILE = 'bot.sqlite';
/** A 'running' claim older than this is reported with `stale: true`. */
export const DEFAULT_STALE_CLAIM_MS = 10 * 60_000;
/** How long a statement waits for another connection's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;
const DAY_MS = 24 * 60 * 60_000;
/** kv key where `audit.append` records the chain head, so verify notices a cut-off tail. */
export const AUDIT_HEAD_KEY = 'audit.head';

export interface StoreTuning {
  /** Age at which a 'running' dedupe claim is flagged stale (default 10 minutes). */
  staleClaimMs?: number;
  /** SQLite busy_timeout in ms (default 5000). */
  busyTimeoutMs?: number;
}

export type OpenStoreOptions =
  | ({
      dataDir: string;
      /** default `bot.sqlite` */
      fileName?: string;
      /**
       * Open an existing file read-only: no folder is created, no migration runs, writes throw.
       * For tools such as the audit verifier.
       */
      readonly?: boolean;
    } & StoreTuning)
  | ({ memory: true } & StoreTuning);

/** What {@link openStore} returns. */
export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  rateBudget: undefined;
}

/** Path of the database file for a data folder. */
export function storePath(dataDir: string, fileName: string = DEFAULT_DB_FILE): string {
  return join(dataDir, fileName);
}

interface ChatRow {
  chatId: string;
  openConversationId: string | null;
  name: string;
  createdFor: string;
  createdByBot: number;
  createdAt: number;
  updatedAt: number;
}

interface DedupeRow {
  state: 'running' | 'done';
  reply: string | null;
  delivered: number;
  claimedAt: number;
  replicaId: string | null;
}

type ConfirmationRow = PendingConfirmation;
type PickRow = PendingPick;

interface AuditRow {
  seq: number;
  at: number;
  userId: string;
  command: string;
  chatId: string | null;
  args: string;
  outcome: AuditRecord['outcome'];
  reason: string | null;
  errcode: string | null;
  durationMs: number;
  prevHash: string;
  hash: string;
}

interface IntentRow {
  id: number;
  msgKey: string;
  userId: string;
  conversationId: string;
  command: string;
  chatId: string | null;
  summary: string;
  startedAt: number;
  finishedAt: number | null;
  outcome: string | null;
  replicaId: string;
}

const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toChat(r: ChatRow): ChatRecord {
  return {
    chatId: r.chatId,
    openConversationId: undef(r.openConversationId),
    name: r.name,
    createdFor: r.createdFor,
    createdByBot: r.createdByBot === 1,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

function toAudit(r: AuditRow): AuditRecord {
  return {
    seq: r.seq,
    at: r.at,
    userId: r.userId,
    command: r.command,
    chatId: undef(r.chatId),
    args: r.args,
    outcome: r.outcome,
    reason: undef(r.reason),
    errcode: undef(r.errcode),
    durationMs: r.durationMs,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

function toIntent(r: IntentRow): IntentRecord {
  return {
    id: r.id,
    msgKey: r.msgKey,
    userId: r.userId,
    conversationId: r.conversationId,
    command: r.command,
    chatId: undef(r.chatId),
    summary: r.summary,
    startedAt: r.startedAt,
    finishedAt: undef(r.finishedAt),
    outcome: undef(r.outcome),
    replicaId: r.replicaId,
  };
}

/**
 * Opens (creating and migrating when needed) the bot's database. Throws
 * {@link SchemaVersionError} when the file was written by a newer build.
 */
export function openStore(opts: OpenStoreOptions): SqliteStore {
  const staleClaimMs = opts.staleClaimMs ?? DEFAULT_STALE_CLAIM_MS;
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Database.Database;
  if ('memory' in opts) {
    db = new Database(':memory:');
  } else if (opts.readonly === true) {
    db = new Database(storePath(opts.dataDir, opts.fileName), { readonly: true, fileMustExist: true });
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    db = new Database(storePath(opts.dataDir, opts.fileName));
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    if (db.readonly) {
      const found = schemaVersion(db);
      if (found !== SCHEMA_VERSION) throw new SchemaVersionError(found, SCHEMA_VERSION);
    } else {
      if (!db.memory) db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode, and much faster than FULL.
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    return build(db, staleClaimMs);
  } catch (err) {
    db.close();
    throw err;
  }
}

function build(db: Database.Database, staleClaimMs: number): SqliteStore {
  const kvGet = db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?');
  const kvSet = db.prepare<[string, string]>(
    'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  const ping = db.prepare('SELECT 1');
  const syncKv: SyncKv = {
    get: (key) => kvGet.get(key)?.value,
    set: (key, value) => {
      kvSet.run(key, value);
    },
  };

  return {
    kind: 'sqlite',
    registry: registryStore(db),
    dedupe: dedupeStore(db, staleClaimMs),
    confirmations: confirmationStore(db),
    picks: pickStore(db),
    audit: auditStore(db, syncKv),
    intents: intentStore(db),
    changes: changeStore(db),
    replicas: replicaStore(db),
    kv: {
      get: async (key) => syncKv.get(key),
      set: async (key, value) => syncKv.set(key, value),
    },
    rateBudget: undefined,
    ping: async () => {
      ping.get();
    },
    close: async () => {
      if (db.open) db.close();
    },
  };
}

/** The kv table used inside transactions, where an await would leave the transaction. */
interface SyncKv {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

function registryStore(db: Database.Database): RegistryStore {
  const upsert = db.prepare<
    [
      {
        chatId: string;
        openConversationId: string | null;
        name: string;
        createdFor: string;
        createdByBot: number;
        createdAt: number;
        now: number;
      },
    ],
    ChatRow
  >(
    `INSERT INTO chats (chatId, openConversationId, name, createdFor, createdByBot, createdAt, updatedAt)
     VALUES (@chatId, @openConversationId, @name, @createdFor, @createdByBot, @createdAt, @now)
     ON CONFLICT(chatId) DO UPDATE SET
       openConversationId = coalesce(excluded.openConversationId, chats.openConversationId),
       name = excluded.name,
       createdFor = excluded.createdFor,
       createdByBot = excluded.createdByBot,
       updatedAt = excluded.updatedAt
     RETURNING *`,
  );
  const get = db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE chatId = ?');
  const byCid = db.prepare<[string], ChatRow>('SELECT * FROM chats WHERE openConversationId = ?');
  const byName = db.prepare<[string], ChatRow>(
    'SELECT * FROM chats WHERE lower(name) = lower(?) ORDER BY createdAt DESC, rowid DESC',
  );
  const list = db.prepare<[], ChatRow>('SELECT * FROM chats ORDER BY createdAt DESC, rowid DESC');
  const listFor = db.prepare<[string], ChatRow>(
    'SELECT * FROM chats WHERE createdFor = ? ORDER BY createdAt DESC, rowid DESC',
  );
  const setCid = db.prepare<[string, number, string]>(
    'UPDATE chats SET openConversationId = ?, updatedAt = ? WHERE chatId = ?',
  );
  const rename = db.prepare<[string, number, string]>(
    'UPDATE chats SET name = ?, updatedAt = ? WHERE chatId = ?',
  );

  return {
    async upsert(rec) {
      const now = Date.now();
      const row = upsert.get({
        chatId: rec.chatId,
        openConversationId: rec.openConversationId ?? null,
        name: rec.name,
        createdFor: rec.createdFor,
        createdByBot: rec.createdByBot ? 1 : 0,
        createdAt: rec.createdAt ?? now,
        now,
      });
      if (row === undefined) throw new Error(`registry upsert of ${rec.chatId} returned no row`);
      return toChat(row);
    },
    get: async (chatId) => {
      const r = get.get(chatId);
      return r && toChat(r);
    },
    byOpenConversationId: async (cid) => {
      const r = byCid.get(cid);
      return r && toChat(r);
    },
    byName: async (name) => byName.all(name).map(toChat),
    list: async () => list.all().map(toChat),
    listFor: async (userId) => listFor.all(userId).map(toChat),
    async setOpenConversationId(chatId, cid) {
      setCid.run(cid, Date.now(), chatId);
    },
    async rename(chatId, name) {
      rename.run(name, Date.now(), chatId);
    },
  };
}

function dedupeStore(db: Database.Database, staleClaimMs: number): DedupeStore {
  const insert = db.prepare<[string, number, string | null, string | null]>(
    `INSERT INTO processed_messages (key, state, delivered, claimedAt, replicaId, message)
     VALUES (?, 'running', 0, ?, ?, ?)
     ON CONFLICT(key) DO NOTHING`,
  );
  const read = db.prepare<[string], DedupeRow>(
    'SELECT state, reply, delivered, claimedAt, replicaId FROM processed_messages WHERE key = ?',
  );
  const finish = db.prepare<[{ key: string; reply: string; now: number }]>(
    `INSERT INTO processed_messages (key, state, reply, delivered, claimedAt, finishedAt)
     VALUES (@key, 'done', @reply, 0, @now, @now)
     ON CONFLICT(key) DO UPDATE SET
       state = 'done', reply = excluded.reply, finishedAt = excluded.finishedAt, message = NULL`,
  );
  const delivered = db.prepare<[string]>('UPDATE processed_messages SET delivered = 1 WHERE key = ?');
  const release = db.prepare<[string]>("DELETE FROM processed_messages WHERE key = ? AND state = 'running'");
  const prune = db.prepare<[number]>(
    'DELETE FROM processed_messages WHERE coalesce(finishedAt, claimedAt) < ?',
  );
  // A claim without an owner has no message to answer, so it is never an orphan.
  const orphaned = db.prepare<[{ self: string; before: number; limit: number }], OrphanedClaim>(
    `SELECT p.key, p.replicaId, p.claimedAt, p.message FROM processed_messages p
     LEFT JOIN replicas r ON r.id = p.replicaId
     WHERE p.state = 'running' AND p.replicaId IS NOT NULL AND p.message IS NOT NULL
       AND p.replicaId <> @self AND (r.id IS NULL OR r.beatAt < @before)
     ORDER BY p.claimedAt ASC, p.rowid ASC LIMIT @limit`,
  );
  const adopt = db.prepare<[string, string, string]>(
    `UPDATE processed_messages SET replicaId = ?
     WHERE key = ? AND state = 'running' AND replicaId = ?`,
  );

  // One INSERT is atomic on its own: the first claim wins without an explicit transaction, which
  // keeps the common path (a new message) to a single write. Only a lost race reads the row.
  const claim = (key: string, now: number, owner: ClaimOwner | undefined): ClaimResult => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (insert.run(key, now, owner?.replicaId ?? null, owner?.message ?? null).changes === 1)
        return { state: 'claimed' };
      const row = read.get(key);
      // Released or pruned between the two statements: claim again.
      if (row === undefined) continue;
      if (row.state === 'done')
        return { state: 'done', reply: row.reply ?? '', delivered: row.delivered === 1 };
      return {
        state: 'running',
        claimedAt: row.claimedAt,
        ...(row.replicaId !== null && { replicaId: row.replicaId }),
        stale: now - row.claimedAt >= staleClaimMs,
      };
    }
    throw new Error(`dedupe claim of ${key}: the row kept vanishing`);
  };

  return {
    claim: async (key, now = Date.now(), owner) => claim(key, now, owner),
    async finish(key, reply, now = Date.now()) {
      finish.run({ key, reply, now });
    },
    async markDelivered(key) {
      delivered.run(key);
    },
    async release(key) {
      release.run(key);
    },
    prune: async (now = Date.now(), olderThanMs = DAY_MS) => prune.run(now - olderThanMs).changes,
    orphaned: async (self, deadAfterMs, limit = 100) =>
      orphaned.all({ self, before: Date.now() - deadAfterMs, limit: Math.max(0, Math.trunc(limit)) }),
    adopt: async (key, from, to) => adopt.run(to, key, from).changes === 1,
  };
}

function confirmationStore(db: Database.Database): ConfirmationStore {
  const create = db.prepare<[PendingConfirmation]>(
    `INSERT INTO confirmations (code, userId, conversationId, command, payload, preview, createdAt, expiresAt)
     VALUES (@code, @userId, @conversationId, @command, @payload, @preview, @createdAt, @expiresAt)`,
  );
  const get = db.prepare<[string, number], ConfirmationRow>(
    'SELECT * FROM confirmations WHERE code = ? AND expiresAt > ?',
  );
  const take = db.prepare<[string], ConfirmationRow>('DELETE FROM confirmations WHERE code = ? RETURNING *');
  const latestFor = db.prepare<[string, number], ConfirmationRow>(
    `SELECT * FROM confirmations WHERE userId = ? AND expiresAt > ?
     ORDER BY createdAt DESC, rowid DESC LIMIT 1`,
  );
  const del = db.prepare<[string]>('DELETE FROM confirmations WHERE code = ?');
  const prune = db.prepare<[number]>('DELETE FROM confirmations WHERE expiresAt <= ?');
  const pick = (r: ConfirmationRow): PendingConfirmation => ({
    code: r.code,
    userId: r.userId,
    conversationId: r.conversationId,
    command: r.command,
    payload: r.payload,
    preview: r.preview,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  });

  return {
    async create(p) {
      create.run(pick(p));
    },
    get: async (code, now = Date.now()) => {
      const r = get.get(code, now);
      return r && pick(r);
    },
    take: async (code, now = Date.now()) => {
      // One DELETE … RETURNING: of two concurrent takes only one gets the row. An expired code
      // is consumed too, so it cannot linger until the next prune.
      const r = take.get(code);
      return r !== undefined && r.expiresAt > now ? pick(r) : undefined;
    },
    latestFor: async (userId, now = Date.now()) => {
      const r = latestFor.get(userId, now);
      return r && pick(r);
    },
    async delete(code) {
      del.run(code);
    },
    prune: async (now = Date.now()) => prune.run(now).changes,
  };
}

function pickStore(db: Database.Database): PickStore {
  const put = db.prepare<[PendingPick]>(
    `INSERT INTO picks (userId, conversationId, command, payload, createdAt, expiresAt)
     VALUES (@userId, @conversationId, @command, @payload, @createdAt, @expiresAt)
     ON CONFLICT(userId) DO UPDATE SET
       conversationId = excluded.conversationId, command = excluded.command,
       payload = excluded.payload, createdAt = excluded.createdAt, expiresAt = excluded.expiresAt`,
  );
  const get = db.prepare<[string, number], PickRow>('SELECT * FROM picks WHERE userId = ? AND expiresAt > ?');
  const take = db.prepare<[string], PickRow>('DELETE FROM picks WHERE userId = ? RETURNING *');
  const prune = db.prepare<[number]>('DELETE FROM picks WHERE expiresAt <= ?');
  const row = (r: PickRow): PendingPick => ({
    userId: r.userId,
    conversationId: r.conversationId,
    command: r.command,
    payload: r.payload,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  });

  return {
    async put(p) {
      put.run(row(p));
    },
    get: async (userId, now = Date.now()) => {
      const r = get.get(userId, now);
      return r && row(r);
    },
    // One DELETE … RETURNING, as for confirmations: a pick runs once, an expired one is dropped.
    take: async (userId, now = Date.now()) => {
      const r = take.get(userId);
      return r !== undefined && r.expiresAt > now ? row(r) : undefined;
    },
    drop: async (userId, now = Date.now()) => {
      const r = take.get(userId);
      return r !== undefined && r.expiresAt > now;
    },
    prune: async (now = Date.now()) => prune.run(now).changes,
  };
}

function auditStore(db: Database.Database, kv: SyncKv): AuditStore {
  const last = db.prepare<[], { seq: number; hash: string }>(
    'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
  );
  const insert = db.prepare<[AuditRow]>(
    `INSERT INTO audit (seq, at, userId, command, chatId, args, outcome, reason, errcode, durationMs, prevHash, hash)
     VALUES (@seq, @at, @userId, @command, @chatId, @args, @outcome, @reason, @errcode, @durationMs, @prevHash, @hash)`,
  );
  const latest = db.prepare<[{ chatId: string | null; userId: string | null; n: number }], AuditRow>(
    `SELECT * FROM audit
     WHERE (@chatId IS NULL OR chatId = @chatId) AND (@userId IS NULL OR userId = @userId)
     ORDER BY seq DESC LIMIT @n`,
  );
  const all = db.prepare<[], AuditRow>('SELECT * FROM audit ORDER BY seq ASC');
  const getOne = db.prepare<[number], AuditRow>('SELECT * FROM audit WHERE seq = ?');

  const append = db.transaction((input: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>): AuditRecord => {
    const prev = last.get();
    const rec = nextAuditRecord(prev, input);
    insert.run({
      ...rec,
      chatId: rec.chatId ?? null,
      reason: rec.reason ?? null,
      errcode: rec.errcode ?? null,
    });
    kv.set(AUDIT_HEAD_KEY, `${rec.seq}:${rec.hash}`);
    return rec;
  });

  return {
    append: async (rec) => append.immediate(rec),
    latest: async (n, filter) =>
      latest
        .all({
          chatId: filter?.chatId ?? null,
          userId: filter?.userId ?? null,
          n: Math.max(0, Math.trunc(n)),
        })
        .map(toAudit),
    get: async (seq) => {
      const r = getOne.get(seq);
      return r && toAudit(r);
    },
    verify: async () => {
      // A read transaction gives one consistent snapshot of the rows and the head.
      const run = db.transaction(() => {
        function* rows(): Generator<AuditRecord> {
          for (const r of all.iterate()) yield toAudit(r);
        }
        return verifyAuditChain(rows(), parseAuditHead(kv.get(AUDIT_HEAD_KEY)));
      });
      return run.deferred();
    },
  };
}

function intentStore(db: Database.Database): IntentStore {
  const begin = db.prepare<
    [
      {
        msgKey: string;
        userId: string;
        conversationId: string;
        command: string;
        chatId: string | null;
        summary: string;
        startedAt: number;
        replicaId: string;
      },
    ]
  >(
    `INSERT INTO intents (msgKey, userId, conversationId, command, chatId, summary, startedAt, replicaId)
     VALUES (@msgKey, @userId, @conversationId, @command, @chatId, @summary, @startedAt, @replicaId)`,
  );
  const finish = db.prepare<[string, number, number]>(
    'UPDATE intents SET outcome = ?, finishedAt = ? WHERE id = ?',
  );
  const columns =
    'id, msgKey, userId, conversationId, command, chatId, summary, startedAt, finishedAt, outcome, replicaId';
  const unfinished = db.prepare<[], IntentRow>(
    `SELECT ${columns} FROM intents WHERE finishedAt IS NULL AND reported = 0 ORDER BY id ASC`,
  );
  const unfinishedOf = db.prepare<[string], IntentRow>(
    `SELECT ${columns} FROM intents
     WHERE finishedAt IS NULL AND reported = 0 AND replicaId IN (SELECT value FROM json_each(?))
     ORDER BY id ASC`,
  );
  const forMessage = db.prepare<[string], IntentRow>(
    `SELECT ${columns} FROM intents WHERE msgKey = ? ORDER BY id ASC`,
  );
  const reported = db.prepare<[number]>('UPDATE intents SET reported = 1 WHERE id = ? AND reported = 0');

  return {
    begin: async (i) =>
      Number(
        begin.run({
          msgKey: i.msgKey,
          userId: i.userId,
          conversationId: i.conversationId,
          command: i.command,
          chatId: i.chatId ?? null,
          summary: i.summary,
          startedAt: i.startedAt,
          replicaId: i.replicaId ?? '',
        }).lastInsertRowid,
      ),
    async finish(id, outcome, now = Date.now()) {
      finish.run(outcome, now, id);
    },
    unfinished: async (replicas) =>
      (replicas === undefined ? unfinished.all() : unfinishedOf.all(JSON.stringify(replicas))).map(toIntent),
    forMessage: async (msgKey) => forMessage.all(msgKey).map(toIntent),
    markReported: async (id) => reported.run(id).changes === 1,
  };
}

interface ChangeRow {
  id: number;
  chatId: string;
  userId: string;
  command: string;
  at: number;
  undo: string;
  undoneAt: number | null;
}

const toChange = (r: ChangeRow): ChangeRecord => ({ ...r, undoneAt: undef(r.undoneAt) });

function changeStore(db: Database.Database): ChangeStore {
  const record = db.prepare<[{ chatId: string; userId: string; command: string; at: number; undo: string }]>(
    `INSERT INTO changes (chatId, userId, command, at, undo)
     VALUES (@chatId, @userId, @command, @at, @undo)`,
  );
  const latest = db.prepare<[{ userId: string; since: number; chatId: string | null }], ChangeRow>(
    `SELECT * FROM changes
     WHERE userId = @userId AND at >= @since AND undoneAt IS NULL
       AND (@chatId IS NULL OR chatId = @chatId)
     ORDER BY at DESC, id DESC LIMIT 1`,
  );
  const get = db.prepare<[number], ChangeRow>('SELECT * FROM changes WHERE id = ?');
  const undone = db.prepare<[number, number]>(
    'UPDATE changes SET undoneAt = ? WHERE id = ? AND undoneAt IS NULL',
  );
  const notUndone = db.prepare<[number]>('UPDATE changes SET undoneAt = NULL WHERE id = ?');
  const setFact = db.prepare<[ChatFact]>(
    `INSERT INTO chat_facts (chatId, kind, userId, value, at) VALUES (@chatId, @kind, @userId, @value, @at)
     ON CONFLICT(chatId, kind, userId) DO UPDATE SET value = excluded.value, at = excluded.at`,
  );
  const dropFact = db.prepare<[string, string, string]>(
    'DELETE FROM chat_facts WHERE chatId = ? AND kind = ? AND userId = ?',
  );
  const facts = db.prepare<[string], ChatFact>(
    'SELECT chatId, kind, userId, value, at FROM chat_facts WHERE chatId = ? ORDER BY kind, userId',
  );

  return {
    record: async (c) =>
      Number(
        record.run({ chatId: c.chatId, userId: c.userId, command: c.command, at: c.at, undo: c.undo })
          .lastInsertRowid,
      ),
    latestUndoable: async (userId, since, chatId) => {
      const r = latest.get({ userId, since, chatId: chatId ?? null });
      return r && toChange(r);
    },
    get: async (id) => {
      const r = get.get(id);
      return r && toChange(r);
    },
    markUndone: async (id, now = Date.now()) => undone.run(now, id).changes === 1,
    async unmarkUndone(id) {
      notUndone.run(id);
    },
    async setFact(f) {
      if (f.value === undefined) dropFact.run(f.chatId, f.kind, f.userId);
      else
        setFact.run({
          chatId: f.chatId,
          kind: f.kind,
          userId: f.userId,
          value: f.value,
          at: f.at ?? Date.now(),
        });
    },
    facts: async (chatId) => facts.all(chatId),
  };
}

function replicaStore(db: Database.Database): ReplicaStore {
  const beat = db.prepare<[string, number]>(
    'INSERT INTO replicas (id, beatAt) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET beatAt = excluded.beatAt',
  );
  const dead = db.prepare<[number], { id: string }>('SELECT id FROM replicas WHERE beatAt < ? ORDER BY id');
  const forget = db.prepare<[string]>('DELETE FROM replicas WHERE id = ?');
  // One upsert: the row changes only when the lease is free, expired or already the holder's.
  const lease = db.prepare<[{ name: string; holder: string; now: number; expiresAt: number }]>(
    `INSERT INTO leases (name, holder, expiresAt) VALUES (@name, @holder, @expiresAt)
     ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expiresAt = excluded.expiresAt
     WHERE leases.holder = excluded.holder OR leases.expiresAt <= @now`,
  );
  const release = db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?');
  const holder = db.prepare<[string, number], { holder: string }>(
    'SELECT holder FROM leases WHERE name = ? AND expiresAt > ?',
  );

  return {
    async beat(replicaId) {
      beat.run(replicaId, Date.now());
    },
    dead: async (deadAfterMs) => dead.all(Date.now() - deadAfterMs).map((r) => r.id),
    async forget(replicaId) {
      forget.run(replicaId);
    },
    lease: async (name, holder, ttlMs) => {
      const now = Date.now();
      return lease.run({ name, holder, now, expiresAt: now + ttlMs }).changes === 1;
    },
    async release(name, holderId) {
      release.run(name, holderId);
    },
    leaseHolder: async (name) => holder.get(name, Date.now())?.holder,
  };
}
