/**
 * The PostgreSQL {@link Store} (pg Pool, through Kysely's PostgresDialect), shared by every
 * replica of the bot. Claims, takes, leases and the rate budget are single statements, atomic
 * across replicas without locks; the audit append, which must read the chain head, runs in a
 * transaction under an advisory lock. What is PostgreSQL's own is here: the pool and its errors
 * (a lost server never crashes the process: calls reject with {@link StoreUnavailableError}),
 * the migration lock, advisory locks, the database clock and the shared rate budget.
 */
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { AuditKeys } from './audit-chain.ts';
import { databaseUrlPassword, describeDatabaseUrl, StoreUnavailableError } from './errors.ts';
import {
  type DB,
  MIGRATIONS,
  type Migration,
  pendingSteps,
  SCHEMA_VERSION,
  SchemaVersionError,
} from './schema.ts';
import { buildStore, DEFAULT_STALE_CLAIM_MS } from './store.ts';
import type { RateBudget, Store } from './types.ts';

/** How long opening a connection may take before the call fails. */
export const PG_DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Connections per replica. */
export const PG_DEFAULT_POOL_SIZE = 10;
/** Advisory lock key of the migration ("dgb" + "mig"). */
const MIGRATION_LOCK = 0x646762_6d6967;

export interface OpenPostgresOptions {
  /** `postgres://` or `postgresql://` URL (DATABASE_URL). */
  url: string;
  /** This replica's id; shown as the connections' application_name. */
  replica?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Age at which a 'running' claim is flagged stale (default 10 minutes). */
  staleClaimMs?: number;
  /** The keys that seal audit records (BOT_AUDIT_KEY); none: plain hashes. */
  auditKeys?: AuditKeys;
  /** Connect timeout in ms (default 5000). */
  connectTimeoutMs?: number;
  /**
   * For tools such as the audit verifier: no migration runs, the schema must match exactly, and
   * sessions are read-only (`default_transaction_read_only`), so writes fail.
   */
  readonly?: boolean;
  /** Told about errors of idle connections (server restart, network loss); they never throw. */
  onError?: (err: StoreUnavailableError) => void;
}

// pg returns int8 as a string (it may exceed 2^53); the bot's bigints are epoch ms, seqs and
// ids, all far below that, so they are read as numbers.
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/** Node socket errors that mean the server cannot be reached. */
const NETWORK_CODES = new Set(
  'ECONNREFUSED ECONNRESET ENOTFOUND EAI_AGAIN ETIMEDOUT EHOSTUNREACH ENETUNREACH EPIPE'.split(' '),
);

/** True when `err` says the server is unreachable, as opposed to a bad statement or row. */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // 08: connection exception; 57P0x: shutdown / cannot connect now; 53300: too many connections.
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  }
  return /Connection terminated|connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
    err.message,
  );
}

/**
 * The pg Pool as Kysely sees it, with driver errors typed: unavailability becomes
 * {@link StoreUnavailableError} (the password never shown), a connection that failed is dropped
 * rather than reused, and a checked-out connection never emits an unhandled 'error' (a server
 * that goes away between two statements of a transaction would otherwise end the process).
 */
class GuardedPool {
  ended = false;
  readonly #clients = new WeakMap<pg.PoolClient, { query: pg.PoolClient['query']; release(): void }>();

  constructor(
    readonly pool: pg.Pool,
    readonly where: string,
    readonly password: string | undefined,
  ) {}

  wrap(err: unknown): unknown {
    if (this.ended) return new StoreUnavailableError(`the store for ${this.where} is closed`, { cause: err });
    if (!isUnavailable(err)) return err;
    return new StoreUnavailableError(`PostgreSQL at ${this.where} is unavailable: ${this.scrub(err)}`, {
      cause: err,
    });
  }

  scrub(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return this.password === undefined ? text : text.split(this.password).join('[redacted]');
  }

  async connect() {
    if (this.ended) throw this.wrap(new Error('store closed'));
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err);
    }
    const known = this.#clients.get(client);
    if (known !== undefined) return known;
    let broken: Error | undefined;
    const ignore = (): void => undefined;
    client.on('error', ignore);
    const guarded = {
      query: (async (text: string, params: unknown[]) => {
        try {
          return await client.query(text, params);
        } catch (err) {
          if (isUnavailable(err)) broken = err as Error;
          throw this.wrap(err);
        }
      }) as pg.PoolClient['query'],
      release: (destroy?: boolean) => {
        if (broken === undefined && destroy !== true) return client.release();
        client.off('error', ignore);
        this.#clients.delete(client);
        client.release(broken ?? true);
      },
    };
    this.#clients.set(client, guarded);
    return guarded;
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}

/** The highest applied version; 0 for a database without a `schema_version` table. */
export async function pgSchemaVersion(db: pg.ClientBase): Promise<number> {
  const t = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_version') IS NOT NULL AS present",
  );
  if (t.rows[0]?.present !== true) return 0;
  return (
    (await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')).rows[0]?.v ?? 0
  );
}

/**
 * Applies every pending step in one transaction under an advisory lock, so two replicas starting
 * together migrate once and a failed step leaves the previous version (PostgreSQL DDL is
 * transactional). Throws {@link SchemaVersionError} when the database is newer. Returns the version reached.
 */
export async function migratePostgres(
  db: pg.ClientBase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number> {
  await db.query('BEGIN');
  try {
    // The version is read after the lock, so a replica that waited sees the steps the other applied.
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Asked first: a runtime role without CREATE on the schema (the README's protected audit
    // set-up) may start on a database its owner migrated.
    const made = await db.query<{ e: boolean }>("SELECT to_regclass('schema_version') IS NOT NULL AS e");
    if (made.rows[0]?.e !== true)
      await db.query(
        'CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
    let version = await pgSchemaVersion(db);
    for (const step of pendingSteps('postgres', version, migrations)) {
      await db.query(step.sql);
      await db.query('INSERT INTO schema_version (version) VALUES ($1)', [step.version]);
      version = step.version;
    }
    await db.query('COMMIT');
    return version;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Opens the shared store: connects, migrates (or, `readonly`, checks the version) and returns
 * it. Throws {@link StoreUnavailableError} naming host, port and database (never the password)
 * when the server cannot be reached or refuses the login, {@link SchemaVersionError} when
 * the database was migrated by a newer build, and an Error naming the database when a
 * migration fails (e.g. the user may not create tables).
 */
export async function openPostgresStore(opts: OpenPostgresOptions): Promise<Store> {
  const where = describeDatabaseUrl(opts.url);
  const config: pg.PoolConfig = {
    connectionString: opts.url,
    max: Math.max(1, Math.trunc(opts.poolSize ?? PG_DEFAULT_POOL_SIZE)),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? PG_DEFAULT_CONNECT_TIMEOUT_MS,
    // Notices a peer that vanished without closing the connection (a dead host, a cut network).
    keepAlive: true,
    application_name: `dingtalk-group-bot${opts.replica === undefined ? '' : `/${opts.replica}`}`.slice(
      0,
      63,
    ),
    types,
  };
  if (opts.readonly === true) config.options = '-c default_transaction_read_only=on';
  const pool = new pg.Pool(config);
  const guard = new GuardedPool(pool, where, databaseUrlPassword(opts.url));
  pool.on('error', (err) => {
    const wrapped = guard.wrap(err);
    opts.onError?.(
      wrapped instanceof StoreUnavailableError
        ? wrapped
        : new StoreUnavailableError(`PostgreSQL at ${where}: ${guard.scrub(err)}`, { cause: err }),
    );
  });

  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${where}: ${guard.scrub(err)}`, {
        cause: err,
      });
    }
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      if (opts.readonly === true) {
        const found = await pgSchemaVersion(client);
        if (found !== SCHEMA_VERSION) throw new SchemaVersionError('postgres', found, SCHEMA_VERSION);
      } else {
        await migratePostgres(client);
      }
    } finally {
      client.off('error', ignore);
      client.release();
    }
  } catch (err) {
    await guard.end().catch(() => undefined);
    if (err instanceof StoreUnavailableError || err instanceof SchemaVersionError) throw err;
    const message = `cannot ${opts.readonly === true ? 'read' : 'migrate'} PostgreSQL at ${where}: ${guard.scrub(err)}`;
    // A lost connection is unavailability; anything else (e.g. no CREATE right) is the setup's.
    throw isUnavailable(err)
      ? new StoreUnavailableError(message, { cause: err })
      : new Error(message, { cause: err });
  }

  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: guard }) });
  return buildStore(
    db,
    {
      kind: 'postgres',
      now: () => sql<number>`(extract(epoch FROM clock_timestamp()) * 1000)::bigint`,
      // Every replica takes the same lock, so e.g. two appends never chain onto one predecessor.
      beginWrite: async (c, lock) => {
        await c.executeQuery(CompiledQuery.raw('BEGIN'));
        await c.executeQuery(CompiledQuery.raw('SELECT pg_advisory_xact_lock($1)', [lock]));
      },
      beginSnapshot: async (c) => {
        await c.executeQuery(CompiledQuery.raw('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
      },
      rateBudget: rateBudget(db),
      close: () => guard.end(),
    },
    opts.staleClaimMs ?? DEFAULT_STALE_CLAIM_MS,
    opts.auditKeys,
  );
}

/** `n` milliseconds as an interval. */
const ms = (n: number) => sql`(${n}::double precision * interval '1 millisecond')`;

function rateBudget(db: Kysely<DB>): RateBudget {
  return {
    async reserve(api, intervalMs) {
      // The reserved slot is greatest(next free slot, now); the row keeps slot + interval. Both
      // the slot and the wait come from the database's clock, so replicas need neither
      // synchronised clocks nor to know how many of them there are.
      const step = ms(Math.max(0, intervalMs));
      const r = await sql<{ wait_ms: number }>`
        INSERT INTO rate_budget AS b (api, next_slot) VALUES (${api}, clock_timestamp() + ${step})
        ON CONFLICT (api) DO UPDATE SET next_slot = greatest(b.next_slot, clock_timestamp()) + ${step}
        RETURNING greatest(0, extract(epoch FROM (b.next_slot - ${step} - clock_timestamp())) * 1000)::double precision AS wait_ms`.execute(
        db,
      );
      const row = r.rows[0];
      if (row === undefined) throw new Error(`rate budget of ${api} returned no row`);
      // Rounded up so a caller that sleeps this long never wakes before its slot.
      return Math.ceil(row.wait_ms);
    },
  };
}
