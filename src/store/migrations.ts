/**
 * Schema migrations, tracked with `PRAGMA user_version`. Each step runs in its own IMMEDIATE
 * transaction together with the version bump, so a crash mid-step leaves the previous version
 * and two processes starting at once cannot both apply the same step.
 */
import type Database from 'better-sqlite3';

/** One schema step; `version` is the user_version after it has been applied. */
export interface Migration {
  version: number;
  sql: string;
}

/** Ordered steps. Append only: never edit a step that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE chats (
        chatId TEXT PRIMARY KEY,
        openConversationId TEXT UNIQUE,
        name TEXT NOT NULL,
        createdFor TEXT NOT NULL,
        createdByBot INTEGER NOT NULL CHECK (createdByBot IN (0, 1)),
        createdAt INTEGER NOT NULL,
        updatedAt INTEGER NOT NULL
      );
      CREATE INDEX chats_name_lower ON chats (lower(name));
      CREATE INDEX chats_created_for ON chats (createdFor);

      CREATE TABLE processed_messages (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('running', 'done')),
        reply TEXT,
        delivered INTEGER NOT NULL DEFAULT 0,
        claimedAt INTEGER NOT NULL,
        finishedAt INTEGER
      );
      CREATE INDEX processed_messages_claimed_at ON processed_messages (claimedAt);

      CREATE TABLE confirmations (
        code TEXT PRIMARY KEY,
        userId TEXT NOT NULL,
        conversationId TEXT NOT NULL,
        command TEXT NOT NULL,
        payload TEXT NOT NULL,
        preview TEXT NOT NULL,
        createdAt INTEGER NOT NULL,
        expiresAt INTEGER NOT NULL
      );
      CREATE INDEX confirmations_user ON confirmations (userId);

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        userId TEXT NOT NULL,
        command TEXT NOT NULL,
        chatId TEXT,
        args TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        errcode TEXT,
        durationMs REAL NOT NULL,
        prevHash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_chat ON audit (chatId);
      CREATE INDEX audit_user ON audit (userId);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

      CREATE TABLE intents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        msgKey TEXT NOT NULL,
        userId TEXT NOT NULL,
        conversationId TEXT NOT NULL,
        command TEXT NOT NULL,
        chatId TEXT,
        summary TEXT NOT NULL,
        startedAt INTEGER NOT NULL,
        finishedAt INTEGER,
        outcome TEXT,
        reported INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX intents_open ON intents (finishedAt, reported);

      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Replicas: who holds a claim and the message a survivor needs to answer it, who began an
    // intent, pending picks in the store (not in one process), heartbeats and leases.
    version: 2,
    sql: `
      ALTER TABLE processed_messages ADD COLUMN replicaId TEXT;
      ALTER TABLE processed_messages ADD COLUMN message TEXT;
      CREATE INDEX processed_messages_running ON processed_messages (state, replicaId);

      ALTER TABLE intents ADD COLUMN replicaId TEXT NOT NULL DEFAULT '';
      CREATE INDEX intents_msg_key ON intents (msgKey);

      CREATE TABLE picks (
        userId TEXT PRIMARY KEY,
        conversationId TEXT NOT NULL,
        command TEXT NOT NULL,
        payload TEXT NOT NULL,
        createdAt INTEGER NOT NULL,
        expiresAt INTEGER NOT NULL
      );

      CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        beatAt INTEGER NOT NULL
      );

      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expiresAt INTEGER NOT NULL
      );
    `,
  },
  {
    // /chat undo and /chat clone: the changes made through the bot with what undoes them, and
    // what the bot set that chat/get does not return (admins, nicknames, private chat).
    version: 3,
    sql: `
      CREATE TABLE changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chatId TEXT NOT NULL,
        userId TEXT NOT NULL,
        command TEXT NOT NULL,
        at INTEGER NOT NULL,
        undo TEXT NOT NULL,
        undoneAt INTEGER
      );
      CREATE INDEX changes_user_at ON changes (userId, at);

      CREATE TABLE chat_facts (
        chatId TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('admin', 'nick', 'private-chat')),
        userId TEXT NOT NULL,
        value TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (chatId, kind, userId)
      );
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/** The database was written by a newer build (or is not a bot database at all). */
export class SchemaVersionError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      found > supported
        ? `database schema version ${found} is newer than this build supports (${supported}); ` +
            'upgrade the bot or point BOT_DATA_DIR at another folder'
        : `database schema version ${found} is not usable here (this build expects ${supported}); ` +
            'start the bot once with write access so it can migrate the database',
    );
    this.name = 'SchemaVersionError';
  }
}

/** Reads `PRAGMA user_version`. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every pending step of `migrations` in order. Throws {@link SchemaVersionError} when the
 * file is newer than the list. Returns the version reached.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const before = schemaVersion(db);
  if (before > latest) throw new SchemaVersionError(before, latest);
  for (const step of migrations) {
    // Re-read the version inside the write lock: another process may have migrated meanwhile.
    db.transaction(() => {
      const current = schemaVersion(db);
      if (current > latest) throw new SchemaVersionError(current, latest);
      if (current >= step.version) return;
      db.exec(step.sql);
      db.pragma(`user_version = ${Math.trunc(step.version)}`);
    }).immediate();
  }
  return schemaVersion(db);
}
