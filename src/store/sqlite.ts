/**
 * The SQLite {@link Store} (better-sqlite3 12): one file in BOT_DATA_DIR, WAL mode so readers
 * (e.g. `npm run audit:verify`) never block the bot, statements prepared once per SQL text, and
 * every write transaction begun IMMEDIATE, which also makes it safe against a second process on
 * the same file. One process is one replica, so its clock is the database's clock.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import type { AuditKeys } from './audit-chain.ts';
import {
  type DB,
  MIGRATIONS,
  type Migration,
  pendingSteps,
  SCHEMA_VERSION,
  SchemaVersionError,
} from './schema.ts';
import { buildStore, DEFAULT_STALE_CLAIM_MS } from './store.ts';
import type { Store } from './types.ts';

/** File name of the database inside the data folder. */
export const DEFAULT_DB_FILE = 'bot.sqlite';
/** How long a statement waits for another connection's write lock. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export interface StoreTuning {
  /** Age at which a 'running' dedupe claim is flagged stale (default 10 minutes). */
  staleClaimMs?: number;
  /** SQLite busy_timeout in ms (default 5000). */
  busyTimeoutMs?: number;
  /** The keys that seal audit records (BOT_AUDIT_KEY); none: plain hashes. */
  auditKeys?: AuditKeys;
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

/** Reads `PRAGMA user_version`, the schema version of a SQLite file. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every pending step, each in its own IMMEDIATE transaction with its version bump, so a
 * crash mid-step leaves the previous version and two processes starting at once cannot both
 * apply a step. Throws {@link SchemaVersionError} when the file is newer. Returns the version reached.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  // The version is read inside the write lock: another process may have migrated meanwhile.
  const next = db.transaction(() => {
    const [step] = pendingSteps('sqlite', schemaVersion(db), migrations);
    if (step === undefined) return false;
    db.exec(step.sql);
    db.pragma(`user_version = ${Math.trunc(step.version)}`);
    return true;
  });
  while (next.immediate());
  return schemaVersion(db);
}

/** Statements prepared once per SQL text (Kysely asks for one per query). */
function cachedPrepare(db: Database.Database) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt === undefined) {
        // A bound on the (small, fixed) set of texts: `IN (…)` lists vary with their length.
        if (cache.size >= 500) cache.clear();
        stmt = db.prepare(text);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * Opens (creating and migrating when needed) the bot's database. Throws
 * {@link SchemaVersionError} when the file was written by a newer build.
 */
export function openStore(opts: OpenStoreOptions): SqliteStore {
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
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    db.pragma('foreign_keys = ON');
    if (db.readonly) {
      const found = schemaVersion(db);
      if (found !== SCHEMA_VERSION) throw new SchemaVersionError('sqlite', found, SCHEMA_VERSION);
    } else {
      if (!db.memory) db.pragma('journal_mode = WAL');
      // NORMAL is durable across application crashes in WAL mode, and much faster than FULL.
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: cachedPrepare(db) }) });
  const store = buildStore(
    kysely,
    {
      kind: 'sqlite',
      now: () => sql<number>`${Date.now()}`,
      // IMMEDIATE takes the write lock at once: one writer per file, also across processes.
      beginWrite: async (c) => {
        await c.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
      },
      beginSnapshot: async (c) => {
        await c.executeQuery(CompiledQuery.raw('BEGIN'));
      },
      rateBudget: undefined,
      close: async () => {
        if (db.open) db.close();
      },
    },
    opts.staleClaimMs ?? DEFAULT_STALE_CLAIM_MS,
    opts.auditKeys,
  );
  return store as SqliteStore;
}
