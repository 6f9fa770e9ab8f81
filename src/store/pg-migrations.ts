/**
 * PostgreSQL schema migrations, tracked in a `schema_version` table (one row per applied step).
 * All pending steps run in one transaction under an advisory lock, so two replicas starting
 * together migrate once, and a failed step leaves the previous version (PostgreSQL DDL is
 * transactional).
 */
import type { ClientBase } from 'pg';
import { SchemaVersionError } from './migrations.ts';

/** One schema step; `version` is the schema version after it has been applied. */
export interface PgMigration {
  version: number;
  sql: string;
}

/**
 * Ordered steps. Append only: never edit a step that has shipped. Timestamps the bot passes in
 * (`now`, `createdAt`, …) are bigint epoch ms; heartbeats, leases and the rate budget are
 * `timestamptz` set by the database's clock.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
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

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION: number = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/** Advisory lock key of the migration (an arbitrary constant: "dgb" + "mig"). */
const MIGRATION_LOCK = 0x646762_6d6967;

/** The PostgreSQL database was migrated by a newer build, or is not (yet) a bot database. */
export class PgSchemaVersionError extends SchemaVersionError {
  constructor(found: number, supported: number) {
    super(found, supported);
    this.message =
      found > supported
        ? `database schema version ${found} is newer than this build supports (${supported}); ` +
          'upgrade the bot (every replica) or point DATABASE_URL at another database'
        : `database schema version ${found} is not usable here (this build expects ${supported}); ` +
          'start the bot once with write access so it can migrate the database';
    this.name = 'PgSchemaVersionError';
  }
}

/** The highest applied version; 0 for a database without a `schema_version` table. */
export async function pgSchemaVersion(db: ClientBase): Promise<number> {
  const t = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_version') IS NOT NULL AS present",
  );
  if (t.rows[0]?.present !== true) return 0;
  const r = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return r.rows[0]?.v ?? 0;
}

/**
 * Applies every pending step of `migrations` in one transaction. Throws
 * {@link PgSchemaVersionError} when the database is newer than the list. Returns the version reached.
 */
export async function migratePostgres(
  db: ClientBase,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<number> {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  await db.query('BEGIN');
  try {
    // The lock serialises replicas; the version is read after it, so a replica that waited sees
    // the steps the other one applied.
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await db.query(
      `CREATE TABLE IF NOT EXISTS schema_version (
         version integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const current = await pgSchemaVersion(db);
    if (current > latest) throw new PgSchemaVersionError(current, latest);
    for (const step of migrations) {
      if (step.version <= current) continue;
      await db.query(step.sql);
      await db.query('INSERT INTO schema_version (version) VALUES ($1)', [step.version]);
    }
    await db.query('COMMIT');
    return Math.max(current, latest);
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
