/**
 * The PostgreSQL {@link Store} (pg Pool), shared by every replica of the bot. Each method is one
 * statement where it can be (claims, takes, leases, the rate budget), so it is atomic across
 * replicas without locks; the audit append, which must read the chain head, runs in a
 * transaction under an advisory lock. A lost server never crashes the process: calls reject with
 * {@link StoreUnavailableError}.
 */
import pg from 'pg';
import { nextAuditRecord, parseAuditHead, verifyAuditChain } from './audit-chain.ts';
import { databaseUrlPassword, describeDatabaseUrl, StoreUnavailableError } from './errors.ts';
import {
  migratePostgres,
  PG_SCHEMA_VERSION,
  PgSchemaVersionError,
  pgSchemaVersion,
} from './pg-migrations.ts';
import { AUDIT_HEAD_KEY } from './sqlite.ts';
import type {
  AuditRecord,
  AuditStore,
  ChangeRecord,
  ChangeStore,
  ChatFact,
  ChatRecord,
  ClaimResult,
  ConfirmationStore,
  DedupeStore,
  IntentRecord,
  IntentStore,
  OrphanedClaim,
  PendingConfirmation,
  PendingPick,
  PickStore,
  RateBudget,
  RegistryStore,
  ReplicaStore,
  Store,
} from './types.ts';

/** A 'running' claim older than this is reported with `stale: true` (as in SQLite). */
export const PG_DEFAULT_STALE_CLAIM_MS = 10 * 60_000;
/** How long opening a connection may take before the call fails. */
export const PG_DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Connections per replica. */
export const PG_DEFAULT_POOL_SIZE = 10;
/** Default `limit` of {@link DedupeStore.orphaned}. */
const ORPHAN_LIMIT = 100;
const DAY_MS = 24 * 60 * 60_000;
/** Advisory lock key that serialises audit appends ("dgb" + "aud"). */
const AUDIT_LOCK = 0x646762_617564;

export interface OpenPostgresOptions {
  /** `postgres://` or `postgresql://` URL (DATABASE_URL). */
  url: string;
  /** This replica's id; shown as the connections' application_name. */
  replica?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Age at which a 'running' claim is flagged stale (default 10 minutes). */
  staleClaimMs?: number;
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
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

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

/** Wraps driver errors so callers see one typed error for "the database is gone". */
class Db {
  private ended = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    private readonly password: string | undefined,
  ) {}

  /** A driver error as the store reports it: unavailability typed, the password never shown. */
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

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.ended) throw this.wrap(new Error('store closed'));
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  async rows<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  /** Runs `fn` in one transaction on one connection; rolls back on any error. */
  async tx<T>(begin: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.ended) throw this.wrap(new Error('store closed'));
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err);
    }
    // A checked-out client has no pool listener; without one, a server that goes away between
    // two statements would emit an unhandled 'error' and end the process.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let broken: unknown;
    try {
      await client.query(begin);
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.wrap(err);
    } finally {
      client.off('error', ignore);
      // A connection that failed mid-transaction is dropped rather than reused.
      client.release(broken !== undefined && isUnavailable(broken) ? (broken as Error) : undefined);
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}

/**
 * Opens the shared store: connects, migrates (or, `readonly`, checks the version) and returns
 * it. Throws {@link StoreUnavailableError} naming host, port and database (never the password)
 * when the server cannot be reached or refuses the login, {@link PgSchemaVersionError} when
 * the database was migrated by a newer build, and an Error naming the database when a
 * migration fails (e.g. the user may not create tables).
 */
export async function openPostgresStore(opts: OpenPostgresOptions): Promise<Store> {
  const where = describeDatabaseUrl(opts.url);
  const password = databaseUrlPassword(opts.url);
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
  const db = new Db(pool, where, password);
  pool.on('error', (err) => {
    const wrapped = db.wrap(err);
    opts.onError?.(
      wrapped instanceof StoreUnavailableError
        ? wrapped
        : new StoreUnavailableError(`PostgreSQL at ${where}: ${db.scrub(err)}`, { cause: err }),
    );
  });

  try {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StoreUnavailableError(`cannot connect to PostgreSQL at ${where}: ${db.scrub(err)}`, {
        cause: err,
      });
    }
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      if (opts.readonly === true) {
        const found = await pgSchemaVersion(client);
        if (found !== PG_SCHEMA_VERSION) throw new PgSchemaVersionError(found, PG_SCHEMA_VERSION);
      } else {
        await migratePostgres(client);
      }
    } finally {
      client.off('error', ignore);
      client.release();
    }
  } catch (err) {
    await db.end().catch(() => undefined);
    if (err instanceof StoreUnavailableError || err instanceof PgSchemaVersionError) throw err;
    const message = `cannot ${opts.readonly === true ? 'read' : 'migrate'} PostgreSQL at ${where}: ${db.scrub(err)}`;
    // A lost connection is unavailability; anything else (e.g. no CREATE right) is the setup's.
    throw isUnavailable(err)
      ? new StoreUnavailableError(message, { cause: err })
      : new Error(message, { cause: err });
  }
  return build(db, opts.staleClaimMs ?? PG_DEFAULT_STALE_CLAIM_MS);
}

function build(db: Db, staleClaimMs: number): Store {
  const kv: Store['kv'] = {
    get: async (key) =>
      (await db.rows<{ value: string }>('SELECT value FROM kv WHERE key = $1', [key]))[0]?.value,
    set: async (key, value) => {
      await db.query(
        'INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, value],
      );
    },
  };
  return {
    kind: 'postgres',
    registry: registryStore(db),
    dedupe: dedupeStore(db, staleClaimMs),
    confirmations: confirmationStore(db),
    picks: pickStore(db),
    audit: auditStore(db),
    intents: intentStore(db),
    changes: changeStore(db),
    replicas: replicaStore(db),
    kv,
    rateBudget: rateBudget(db),
    ping: async () => {
      await db.query('SELECT 1');
    },
    close: () => db.end(),
  };
}

const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** `$n` milliseconds as an interval (n is a parameter number). */
const ms = (n: number): string => `($${n}::double precision * interval '1 millisecond')`;

interface ChatRow {
  chat_id: string;
  open_conversation_id: string | null;
  name: string;
  created_for: string;
  created_by_bot: boolean;
  created_at: number;
  updated_at: number;
}

const toChat = (r: ChatRow): ChatRecord => ({
  chatId: r.chat_id,
  openConversationId: undef(r.open_conversation_id),
  name: r.name,
  createdFor: r.created_for,
  createdByBot: r.created_by_bot,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function registryStore(db: Db): RegistryStore {
  const one = async (sql: string, params: unknown[]): Promise<ChatRecord | undefined> => {
    const r = (await db.rows<ChatRow>(sql, params))[0];
    return r && toChat(r);
  };
  const many = async (sql: string, params: unknown[]): Promise<ChatRecord[]> =>
    (await db.rows<ChatRow>(sql, params)).map(toChat);
  return {
    async upsert(rec) {
      const now = Date.now();
      const r = (
        await db.rows<ChatRow>(
          `INSERT INTO chats (chat_id, open_conversation_id, name, created_for, created_by_bot, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (chat_id) DO UPDATE SET
             open_conversation_id = coalesce(excluded.open_conversation_id, chats.open_conversation_id),
             name = excluded.name,
             created_for = excluded.created_for,
             created_by_bot = excluded.created_by_bot,
             updated_at = excluded.updated_at
           RETURNING *`,
          [
            rec.chatId,
            rec.openConversationId ?? null,
            rec.name,
            rec.createdFor,
            rec.createdByBot,
            rec.createdAt ?? now,
            now,
          ],
        )
      )[0];
      if (r === undefined) throw new Error(`registry upsert of ${rec.chatId} returned no row`);
      return toChat(r);
    },
    get: (chatId) => one('SELECT * FROM chats WHERE chat_id = $1', [chatId]),
    byOpenConversationId: (cid) => one('SELECT * FROM chats WHERE open_conversation_id = $1', [cid]),
    byName: (name) =>
      many('SELECT * FROM chats WHERE lower(name) = lower($1) ORDER BY created_at DESC, id DESC', [name]),
    list: () => many('SELECT * FROM chats ORDER BY created_at DESC, id DESC', []),
    listFor: (userId) =>
      many('SELECT * FROM chats WHERE created_for = $1 ORDER BY created_at DESC, id DESC', [userId]),
    async setOpenConversationId(chatId, cid) {
      await db.query('UPDATE chats SET open_conversation_id = $1, updated_at = $2 WHERE chat_id = $3', [
        cid,
        Date.now(),
        chatId,
      ]);
    },
    async rename(chatId, name) {
      await db.query('UPDATE chats SET name = $1, updated_at = $2 WHERE chat_id = $3', [
        name,
        Date.now(),
        chatId,
      ]);
    },
  };
}

interface DedupeRow {
  state: 'running' | 'done';
  reply: string | null;
  delivered: boolean;
  claimed_at: number;
  replica_id: string | null;
}

function dedupeStore(db: Db, staleClaimMs: number): DedupeStore {
  return {
    async claim(key, now = Date.now(), owner) {
      // The INSERT alone decides the race; only a loser reads the row (a separate statement:
      // the INSERT's snapshot cannot see a row committed while it waited on the conflict).
      for (let attempt = 0; attempt < 3; attempt++) {
        const ins = await db.query(
          `INSERT INTO processed_messages (key, state, delivered, claimed_at, replica_id, message)
           VALUES ($1, 'running', false, $2, $3, $4)
           ON CONFLICT (key) DO NOTHING
           RETURNING key`,
          [key, now, owner?.replicaId ?? null, owner?.message ?? null],
        );
        if (ins.rowCount === 1) return { state: 'claimed' };
        const row = (
          await db.rows<DedupeRow>(
            'SELECT state, reply, delivered, claimed_at, replica_id FROM processed_messages WHERE key = $1',
            [key],
          )
        )[0];
        // Released or pruned between the two statements: claim again.
        if (row === undefined) continue;
        if (row.state === 'done') return { state: 'done', reply: row.reply ?? '', delivered: row.delivered };
        const running: ClaimResult = {
          state: 'running',
          claimedAt: row.claimed_at,
          stale: now - row.claimed_at >= staleClaimMs,
        };
        if (row.replica_id !== null) running.replicaId = row.replica_id;
        return running;
      }
      throw new Error(`dedupe claim of ${key}: the row kept vanishing`);
    },
    async finish(key, reply, now = Date.now()) {
      await db.query(
        `INSERT INTO processed_messages (key, state, reply, delivered, claimed_at, finished_at)
         VALUES ($1, 'done', $2, false, $3, $3)
         ON CONFLICT (key) DO UPDATE SET
           state = 'done', reply = excluded.reply, finished_at = excluded.finished_at, message = NULL`,
        [key, reply, now],
      );
    },
    async markDelivered(key) {
      await db.query('UPDATE processed_messages SET delivered = true WHERE key = $1', [key]);
    },
    async release(key) {
      await db.query("DELETE FROM processed_messages WHERE key = $1 AND state = 'running'", [key]);
    },
    async prune(now = Date.now(), olderThanMs = DAY_MS) {
      const r = await db.query(
        'DELETE FROM processed_messages WHERE coalesce(finished_at, claimed_at) < $1',
        [now - olderThanMs],
      );
      return r.rowCount ?? 0;
    },
    async orphaned(self, deadAfterMs, limit = ORPHAN_LIMIT) {
      // "Dead" is judged by the database's clock, the same clock that stamped the heartbeats.
      const rows = await db.rows<{ key: string; replica_id: string; claimed_at: number; message: string }>(
        `SELECT p.key, p.replica_id, p.claimed_at, p.message
         FROM processed_messages p
         LEFT JOIN replicas r ON r.replica_id = p.replica_id
         WHERE p.state = 'running' AND p.replica_id IS NOT NULL AND p.message IS NOT NULL
           AND p.replica_id <> $1
           AND (r.replica_id IS NULL OR r.beat_at < now() - ${ms(2)})
         ORDER BY p.claimed_at ASC, p.key ASC
         LIMIT $3`,
        [self, deadAfterMs, Math.max(0, Math.trunc(limit))],
      );
      return rows.map(
        (r): OrphanedClaim => ({
          key: r.key,
          replicaId: r.replica_id,
          claimedAt: r.claimed_at,
          message: r.message,
        }),
      );
    },
    async adopt(key, from, to) {
      const r = await db.query(
        `UPDATE processed_messages SET replica_id = $3
         WHERE key = $1 AND replica_id = $2 AND state = 'running'`,
        [key, from, to],
      );
      return r.rowCount === 1;
    },
  };
}

interface ConfirmationRow {
  code: string;
  user_id: string;
  conversation_id: string;
  command: string;
  payload: string;
  preview: string;
  created_at: number;
  expires_at: number;
}

const toConfirmation = (r: ConfirmationRow): PendingConfirmation => ({
  code: r.code,
  userId: r.user_id,
  conversationId: r.conversation_id,
  command: r.command,
  payload: r.payload,
  preview: r.preview,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

function confirmationStore(db: Db): ConfirmationStore {
  const one = async (sql: string, params: unknown[]): Promise<PendingConfirmation | undefined> => {
    const r = (await db.rows<ConfirmationRow>(sql, params))[0];
    return r && toConfirmation(r);
  };
  return {
    async create(p) {
      await db.query(
        `INSERT INTO confirmations (code, user_id, conversation_id, command, payload, preview, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [p.code, p.userId, p.conversationId, p.command, p.payload, p.preview, p.createdAt, p.expiresAt],
      );
    },
    get: (code, now = Date.now()) =>
      one('SELECT * FROM confirmations WHERE code = $1 AND expires_at > $2', [code, now]),
    async take(code, now = Date.now()) {
      // One DELETE … RETURNING: of concurrent takes (on any replica) only one gets the row. An
      // expired code is consumed too, so it cannot linger until the next prune.
      const r = await one('DELETE FROM confirmations WHERE code = $1 RETURNING *', [code]);
      return r !== undefined && r.expiresAt > now ? r : undefined;
    },
    latestFor: (userId, now = Date.now()) =>
      one(
        `SELECT * FROM confirmations WHERE user_id = $1 AND expires_at > $2
         ORDER BY created_at DESC, id DESC LIMIT 1`,
        [userId, now],
      ),
    async delete(code) {
      await db.query('DELETE FROM confirmations WHERE code = $1', [code]);
    },
    async prune(now = Date.now()) {
      return (await db.query('DELETE FROM confirmations WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}

interface PickRow {
  user_id: string;
  conversation_id: string;
  command: string;
  payload: string;
  created_at: number;
  expires_at: number;
}

const toPick = (r: PickRow): PendingPick => ({
  userId: r.user_id,
  conversationId: r.conversation_id,
  command: r.command,
  payload: r.payload,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

function pickStore(db: Db): PickStore {
  return {
    async put(p) {
      await db.query(
        `INSERT INTO picks (user_id, conversation_id, command, payload, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET
           conversation_id = excluded.conversation_id, command = excluded.command,
           payload = excluded.payload, created_at = excluded.created_at, expires_at = excluded.expires_at`,
        [p.userId, p.conversationId, p.command, p.payload, p.createdAt, p.expiresAt],
      );
    },
    async take(userId, now = Date.now()) {
      const r = (await db.rows<PickRow>('DELETE FROM picks WHERE user_id = $1 RETURNING *', [userId]))[0];
      return r !== undefined && r.expires_at > now ? toPick(r) : undefined;
    },
    async get(userId, now = Date.now()) {
      const r = (
        await db.rows<PickRow>('SELECT * FROM picks WHERE user_id = $1 AND expires_at > $2', [userId, now])
      )[0];
      return r && toPick(r);
    },
    async drop(userId, now = Date.now()) {
      const r = await db.rows<{ expires_at: number }>(
        'DELETE FROM picks WHERE user_id = $1 RETURNING expires_at',
        [userId],
      );
      return r[0] !== undefined && r[0].expires_at > now;
    },
    async prune(now = Date.now()) {
      return (await db.query('DELETE FROM picks WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}

interface AuditRow {
  seq: number;
  at: number;
  user_id: string;
  command: string;
  chat_id: string | null;
  args: string;
  outcome: AuditRecord['outcome'];
  reason: string | null;
  errcode: string | null;
  duration_ms: number;
  prev_hash: string;
  hash: string;
}

const toAudit = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  at: r.at,
  userId: r.user_id,
  command: r.command,
  chatId: undef(r.chat_id),
  args: r.args,
  outcome: r.outcome,
  reason: undef(r.reason),
  errcode: undef(r.errcode),
  durationMs: r.duration_ms,
  prevHash: r.prev_hash,
  hash: r.hash,
});

function auditStore(db: Db): AuditStore {
  return {
    append: (input) =>
      db.tx('BEGIN', async (c) => {
        // Every replica takes the same lock before reading the last record, so two appends can
        // never chain onto the same predecessor.
        await c.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
        const prev = (
          await c.query<{ seq: number; hash: string }>(
            'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
          )
        ).rows[0];
        const rec = nextAuditRecord(prev, input);
        await c.query(
          `INSERT INTO audit (seq, at, user_id, command, chat_id, args, outcome, reason, errcode, duration_ms, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            rec.seq,
            rec.at,
            rec.userId,
            rec.command,
            rec.chatId ?? null,
            rec.args,
            rec.outcome,
            rec.reason ?? null,
            rec.errcode ?? null,
            rec.durationMs,
            rec.prevHash,
            rec.hash,
          ],
        );
        await c.query(
          'INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
          [AUDIT_HEAD_KEY, `${rec.seq}:${rec.hash}`],
        );
        return rec;
      }),
    latest: async (n, filter) =>
      (
        await db.rows<AuditRow>(
          `SELECT * FROM audit
           WHERE ($1::text IS NULL OR chat_id = $1) AND ($2::text IS NULL OR user_id = $2)
           ORDER BY seq DESC LIMIT $3`,
          [filter?.chatId ?? null, filter?.userId ?? null, Math.max(0, Math.trunc(n))],
        )
      ).map(toAudit),
    get: async (seq) => {
      const r = (await db.rows<AuditRow>('SELECT * FROM audit WHERE seq = $1', [seq]))[0];
      return r && toAudit(r);
    },
    // One snapshot of the rows and the head, so appends running meanwhile do not look like tampering.
    verify: () =>
      db.tx('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (c) => {
        const rows = (await c.query<AuditRow>('SELECT * FROM audit ORDER BY seq ASC')).rows;
        const head = (
          await c.query<{ value: string }>('SELECT value FROM kv WHERE key = $1', [AUDIT_HEAD_KEY])
        ).rows[0]?.value;
        return verifyAuditChain(rows.map(toAudit), parseAuditHead(head));
      }),
  };
}

interface IntentRow {
  id: number;
  msg_key: string;
  user_id: string;
  conversation_id: string;
  command: string;
  chat_id: string | null;
  summary: string;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
  replica_id: string;
}

const toIntent = (r: IntentRow): IntentRecord => ({
  id: r.id,
  msgKey: r.msg_key,
  userId: r.user_id,
  conversationId: r.conversation_id,
  command: r.command,
  chatId: undef(r.chat_id),
  summary: r.summary,
  startedAt: r.started_at,
  finishedAt: undef(r.finished_at),
  outcome: undef(r.outcome),
  replicaId: r.replica_id,
});

function intentStore(db: Db): IntentStore {
  return {
    async begin(i) {
      const r = (
        await db.rows<{ id: number }>(
          `INSERT INTO intents (msg_key, user_id, conversation_id, command, chat_id, summary, started_at, replica_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
          [
            i.msgKey,
            i.userId,
            i.conversationId,
            i.command,
            i.chatId ?? null,
            i.summary,
            i.startedAt,
            i.replicaId ?? '',
          ],
        )
      )[0];
      if (r === undefined) throw new Error('intent insert returned no id');
      return r.id;
    },
    async finish(id, outcome, now = Date.now()) {
      await db.query('UPDATE intents SET outcome = $1, finished_at = $2 WHERE id = $3', [outcome, now, id]);
    },
    unfinished: async (replicas) =>
      (
        await db.rows<IntentRow>(
          `SELECT * FROM intents
           WHERE finished_at IS NULL AND NOT reported AND ($1::text[] IS NULL OR replica_id = ANY($1))
           ORDER BY id ASC`,
          [replicas === undefined ? null : [...replicas]],
        )
      ).map(toIntent),
    forMessage: async (msgKey) =>
      (await db.rows<IntentRow>('SELECT * FROM intents WHERE msg_key = $1 ORDER BY id ASC', [msgKey])).map(
        toIntent,
      ),
    markReported: async (id) =>
      (await db.query('UPDATE intents SET reported = true WHERE id = $1 AND NOT reported', [id])).rowCount ===
      1,
  };
}

interface ChangeRow {
  id: number;
  chat_id: string;
  user_id: string;
  command: string;
  at: number;
  undo: string;
  undone_at: number | null;
}

const toChange = (r: ChangeRow): ChangeRecord => ({
  id: r.id,
  chatId: r.chat_id,
  userId: r.user_id,
  command: r.command,
  at: r.at,
  undo: r.undo,
  undoneAt: undef(r.undone_at),
});

function changeStore(db: Db): ChangeStore {
  return {
    async record(c) {
      const r = (
        await db.rows<{ id: number }>(
          `INSERT INTO changes (chat_id, user_id, command, at, undo) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [c.chatId, c.userId, c.command, c.at, c.undo],
        )
      )[0];
      if (r === undefined) throw new Error('change insert returned no id');
      return r.id;
    },
    latestUndoable: async (userId, since, chatId) => {
      const r = (
        await db.rows<ChangeRow>(
          `SELECT * FROM changes
           WHERE user_id = $1 AND at >= $2 AND undone_at IS NULL AND ($3::text IS NULL OR chat_id = $3)
           ORDER BY at DESC, id DESC LIMIT 1`,
          [userId, since, chatId ?? null],
        )
      )[0];
      return r && toChange(r);
    },
    get: async (id) => {
      const r = (await db.rows<ChangeRow>('SELECT * FROM changes WHERE id = $1', [id]))[0];
      return r && toChange(r);
    },
    markUndone: async (id, now = Date.now()) =>
      (await db.query('UPDATE changes SET undone_at = $1 WHERE id = $2 AND undone_at IS NULL', [now, id]))
        .rowCount === 1,
    async unmarkUndone(id) {
      await db.query('UPDATE changes SET undone_at = NULL WHERE id = $1', [id]);
    },
    async setFact(f) {
      if (f.value === undefined) {
        await db.query('DELETE FROM chat_facts WHERE chat_id = $1 AND kind = $2 AND user_id = $3', [
          f.chatId,
          f.kind,
          f.userId,
        ]);
        return;
      }
      await db.query(
        `INSERT INTO chat_facts (chat_id, kind, user_id, value, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (chat_id, kind, user_id) DO UPDATE SET value = excluded.value, at = excluded.at`,
        [f.chatId, f.kind, f.userId, f.value, f.at ?? Date.now()],
      );
    },
    facts: async (chatId) =>
      (
        await db.rows<{
          chat_id: string;
          kind: ChatFact['kind'];
          user_id: string;
          value: string;
          at: number;
        }>('SELECT * FROM chat_facts WHERE chat_id = $1 ORDER BY kind, user_id', [chatId])
      ).map((r) => ({ chatId: r.chat_id, kind: r.kind, userId: r.user_id, value: r.value, at: r.at })),
  };
}

function replicaStore(db: Db): ReplicaStore {
  return {
    async beat(replicaId) {
      await db.query(
        `INSERT INTO replicas (replica_id, beat_at) VALUES ($1, now())
         ON CONFLICT (replica_id) DO UPDATE SET beat_at = excluded.beat_at`,
        [replicaId],
      );
    },
    dead: async (deadAfterMs) =>
      (
        await db.rows<{ replica_id: string }>(
          `SELECT replica_id FROM replicas WHERE beat_at < now() - ${ms(1)} ORDER BY beat_at ASC, replica_id ASC`,
          [deadAfterMs],
        )
      ).map((r) => r.replica_id),
    async forget(replicaId) {
      await db.query('DELETE FROM replicas WHERE replica_id = $1', [replicaId]);
    },
    async lease(name, holder, ttlMs) {
      // One statement: the row lock taken by ON CONFLICT makes the check and the take atomic.
      const r = await db.query(
        `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, now() + ${ms(3)})
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= now()
         RETURNING holder`,
        [name, holder, ttlMs],
      );
      return r.rowCount === 1;
    },
    async release(name, holder) {
      await db.query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]);
    },
    leaseHolder: async (name) =>
      (
        await db.rows<{ holder: string }>(
          'SELECT holder FROM leases WHERE name = $1 AND expires_at > now()',
          [name],
        )
      )[0]?.holder,
  };
}

function rateBudget(db: Db): RateBudget {
  return {
    async reserve(api, intervalMs) {
      // The reserved slot is greatest(next free slot, now); the row keeps slot + interval. Both
      // the slot and the wait come from the database's clock, so replicas need neither
      // synchronised clocks nor to know how many of them there are.
      const r = (
        await db.rows<{ wait_ms: number }>(
          `INSERT INTO rate_budget AS b (api, next_slot) VALUES ($1, clock_timestamp() + ${ms(2)})
           ON CONFLICT (api) DO UPDATE SET next_slot = greatest(b.next_slot, clock_timestamp()) + ${ms(2)}
           RETURNING greatest(0, extract(epoch FROM (b.next_slot - ${ms(2)} - clock_timestamp())) * 1000)::double precision AS wait_ms`,
          [api, Math.max(0, intervalMs)],
        )
      )[0];
      if (r === undefined) throw new Error(`rate budget of ${api} returned no row`);
      // Rounded up so a caller that sleeps this long never wakes before its slot.
      return Math.ceil(r.wait_ms);
    },
  };
}
