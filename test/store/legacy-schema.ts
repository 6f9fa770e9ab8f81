/**
 * The schemas of the builds before the one schema, verbatim from their src/store/migrations.ts
 * (SQLite, versions 1-3, camelCase) and src/store/pg-migrations.ts (PostgreSQL, versions 1-2,
 * snake_case): the migration tests create databases as those builds did, then open them with
 * today's code.
 */
import type { Migration } from '../../src/store/index.ts';

/** SQLite, `PRAGMA user_version` 1-3. */
export const LEGACY_SQLITE: readonly Migration[] = [
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

/** PostgreSQL, `schema_version` 1-2. */
export const LEGACY_POSTGRES: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE chats (
        id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        chat_id text PRIMARY KEY,
        open_conversation_id text UNIQUE,
        name text NOT NULL,
        created_for text NOT NULL,
        created_by_bot boolean NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE INDEX chats_name_lower ON chats (lower(name));
      CREATE INDEX chats_created_for ON chats (created_for);

      CREATE TABLE processed_messages (
        key text PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('running', 'done')),
        reply text,
        delivered boolean NOT NULL DEFAULT false,
        claimed_at bigint NOT NULL,
        finished_at bigint,
        replica_id text,
        message text
      );
      CREATE INDEX processed_messages_claimed_at ON processed_messages (claimed_at);
      CREATE INDEX processed_messages_running ON processed_messages (replica_id) WHERE state = 'running';

      CREATE TABLE confirmations (
        id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        code text PRIMARY KEY,
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        command text NOT NULL,
        payload text NOT NULL,
        preview text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX confirmations_user ON confirmations (user_id);

      CREATE TABLE picks (
        user_id text PRIMARY KEY,
        conversation_id text NOT NULL,
        command text NOT NULL,
        payload text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );

      CREATE TABLE audit (
        seq bigint PRIMARY KEY,
        at bigint NOT NULL,
        user_id text NOT NULL,
        command text NOT NULL,
        chat_id text,
        args text NOT NULL,
        outcome text NOT NULL,
        reason text,
        errcode text,
        duration_ms double precision NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_chat ON audit (chat_id);
      CREATE INDEX audit_user ON audit (user_id);
      CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit is append-only'; END;
      $$;
      CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();
      CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

      CREATE TABLE intents (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        msg_key text NOT NULL,
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        command text NOT NULL,
        chat_id text,
        summary text NOT NULL,
        started_at bigint NOT NULL,
        finished_at bigint,
        outcome text,
        reported boolean NOT NULL DEFAULT false,
        replica_id text NOT NULL DEFAULT ''
      );
      CREATE INDEX intents_open ON intents (id) WHERE finished_at IS NULL AND NOT reported;
      CREATE INDEX intents_msg_key ON intents (msg_key);

      CREATE TABLE kv (
        key text PRIMARY KEY,
        value text NOT NULL
      );

      CREATE TABLE replicas (
        replica_id text PRIMARY KEY,
        beat_at timestamptz NOT NULL
      );

      CREATE TABLE leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at timestamptz NOT NULL
      );

      CREATE TABLE rate_budget (
        api text PRIMARY KEY,
        -- the first free slot: a reservation takes greatest(next_slot, clock) and moves it on
        next_slot timestamptz NOT NULL
      );
    `,
  },
  {
    // /chat undo and /chat clone (as SQLite step 3).
    version: 2,
    sql: `
      CREATE TABLE changes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        chat_id text NOT NULL,
        user_id text NOT NULL,
        command text NOT NULL,
        at bigint NOT NULL,
        undo text NOT NULL,
        undone_at bigint
      );
      CREATE INDEX changes_user_at ON changes (user_id, at);

      CREATE TABLE chat_facts (
        chat_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('admin', 'nick', 'private-chat')),
        user_id text NOT NULL,
        value text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (chat_id, kind, user_id)
      );
    `,
  },
];
