/**
 * The {@link Store} written once, over the one schema (schema.ts) with Kysely. What differs
 * between the databases sits behind {@link Dialect}: whose clock times heartbeats and leases,
 * how a write transaction is begun and serialised (SQLite's BEGIN IMMEDIATE, PostgreSQL's
 * advisory locks), the read snapshot, and PostgreSQL's shared rate budget.
 */
import {
  type Compilable,
  CompiledQuery,
  type Kysely,
  type QueryResult,
  type RawBuilder,
  type Selectable,
  sql,
} from 'kysely';
import {
  type AuditKeys,
  NO_AUDIT_KEYS,
  nextAuditRecord,
  parseAuditHead,
  verifyAuditChain,
} from './audit-chain.ts';
import { batchStore, tagStore } from './batches.ts';
import { jobStore } from './jobs.ts';
import { changed, record } from './rows.ts';
import type { DB, Kind } from './schema.ts';
import type {
  AuditRecord,
  ChangeRecord,
  ChatRecord,
  ClaimResult,
  JournalRun,
  JournalWrite,
  PendingAction,
  RateBudget,
  Store,
} from './types.ts';

/** kv key where `audit.append` records the chain head, so verify notices a cut-off tail. */
export const AUDIT_HEAD_KEY = 'audit.head';
/** A 'running' claim older than this is reported with `stale: true`. */
export const DEFAULT_STALE_CLAIM_MS = 10 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Advisory lock keys (PostgreSQL) of the audit chain ("dgb" + "aud") and the pending picks ("dgb" + "pck"). */
const AUDIT_LOCK = 0x646762_617564;
const PICK_LOCK = 0x646762_70636b;

/** What differs between the two databases. */
export interface Dialect {
  kind: Kind;
  /** The database's clock in epoch ms, as an SQL expression (one replica: SQLite's is the process's). */
  now(): RawBuilder<number>;
  /** Begins a write transaction on `c` that no other writer holding `lock` runs beside. */
  beginWrite(c: Kysely<DB>, lock: number): Promise<void>;
  /** Begins a read-only transaction that sees one snapshot. */
  beginSnapshot(c: Kysely<DB>): Promise<void>;
  rateBudget: RateBudget | undefined;
  close(): Promise<void>;
}

/**
 * A query built and compiled once (each message runs several, and building costs more than
 * SQLite takes to answer): each call runs it with `args` (undefined as NULL) where the build put
 * the marks of `names`.
 */
function prepare<A extends object, R>(names: string, build: (p: A) => Compilable<R>) {
  const marks = Object.fromEntries(names.split(' ').map((k) => [k, `\u0000${k}`])) as A;
  const q = build(marks).compile();
  const keys = q.parameters.map((v) =>
    typeof v === 'string' && v.startsWith('\u0000') ? v.slice(1) : undefined,
  );
  return (c: Kysely<DB>, args: A): Promise<QueryResult<R>> =>
    c.executeQuery<R>({
      ...q,
      parameters: keys.map((k, i) =>
        k === undefined ? q.parameters[i] : ((args as Record<string, unknown>)[k] ?? null),
      ),
    });
}
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** Runs `fn` in one transaction on one connection, begun by `begin`; rolled back on any error. */
function tx<T>(db: Kysely<DB>, begin: (c: Kysely<DB>) => Promise<void>, fn: (c: Kysely<DB>) => Promise<T>) {
  return db.connection().execute(async (c) => {
    await begin(c);
    try {
      const out = await fn(c);
      await c.executeQuery(COMMIT);
      return out;
    } catch (err) {
      await c.executeQuery(ROLLBACK).catch(() => undefined);
      throw err;
    }
  });
}

const toChat = (r: Selectable<DB['chats']>): ChatRecord => ({
  chatId: r.chatId,
  openConversationId: r.openConversationId ?? undefined,
  name: r.name,
  createdFor: r.createdFor,
  createdByBot: r.createdByBot === 1,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const toAudit = (r: DB['audit']): AuditRecord => record(r);
const toRun = (r: DB['journal_runs']): JournalRun => record(r);
const toWrite = (r: Selectable<DB['journal_writes']>): JournalWrite => record(r);
const toChange = (r: Selectable<DB['changes']>): ChangeRecord => record(r);

/** The store over `db`; `d` supplies what differs between the databases. */
export function buildStore(
  db: Kysely<DB>,
  d: Dialect,
  staleClaimMs: number,
  /** the keys that seal audit records (audit-chain.ts); none: plain hashes */
  auditKeys: AuditKeys = NO_AUDIT_KEYS,
): Store {
  const chats = () => db.selectFrom('chats').selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc');
  const chatBy = prepare('chatId', (p: { chatId: string }) => chats().where('chatId', '=', p.chatId));
  const chatByCid = prepare('cid', (p: { cid: string }) => chats().where('openConversationId', '=', p.cid));
  const setKv = prepare('key value', (p: DB['kv']) =>
    db
      .insertInto('kv')
      .values(p)
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))),
  );
  const getKv = prepare('key', (p: { key: string }) =>
    db.selectFrom('kv').select('value').where('key', '=', p.key),
  );
  type Claim = Pick<DB['processed_messages'], 'key' | 'claimedAt' | 'replicaId' | 'message'>;
  const claim = prepare('key claimedAt replicaId message', (p: Claim) =>
    db
      .insertInto('processed_messages')
      .values({ ...p, state: 'running', delivered: 0 })
      .onConflict((oc) => oc.column('key').doNothing()),
  );
  const claimed = prepare('key', (p: { key: string }) =>
    db
      .selectFrom('processed_messages')
      .select(['state', 'reply', 'delivered', 'claimedAt', 'replicaId'])
      .where('key', '=', p.key),
  );
  type Finish = { key: string; reply: string; claimedAt: number; finishedAt: number };
  const finish = prepare('key reply claimedAt finishedAt', (p: Finish) =>
    db
      .insertInto('processed_messages')
      .values({ ...p, state: 'done', delivered: 0, sendingAt: p.finishedAt })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          state: 'done',
          reply: eb.ref('excluded.reply'),
          finishedAt: eb.ref('excluded.finishedAt'),
          sendingAt: eb.ref('excluded.sendingAt'),
          message: null,
        })),
      ),
  );
  const delivered = prepare('key', (p: { key: string }) =>
    db.updateTable('processed_messages').set({ delivered: 1 }).where('key', '=', p.key),
  );
  const lastAudit = prepare('', () =>
    db.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
  );
  const addAudit = prepare(
    'seq at userId command chatId args outcome reason errcode durationMs prevHash hash',
    (p: DB['audit']) => db.insertInto('audit').values(p),
  );
  const audits = db.selectFrom('audit').selectAll();
  const pending = db.selectFrom('pending').selectAll();
  const runs = db.selectFrom('journal_runs').selectAll();
  const listBy: Record<string, ReturnType<typeof prepare<PendingAction, PendingAction>>> = {};

  return {
    kind: d.kind,
    rateBudget: d.rateBudget,
    registry: {
      async upsert(rec) {
        const now = Date.now();
        const r = await db
          .insertInto('chats')
          .values({
            chatId: rec.chatId,
            openConversationId: rec.openConversationId ?? null,
            name: rec.name,
            createdFor: rec.createdFor,
            createdByBot: rec.createdByBot ? 1 : 0,
            createdAt: rec.createdAt ?? now,
            updatedAt: now,
          })
          .onConflict((oc) =>
            oc.column('chatId').doUpdateSet((eb) => ({
              openConversationId: eb.fn.coalesce('excluded.openConversationId', 'chats.openConversationId'),
              name: eb.ref('excluded.name'),
              createdFor: eb.ref('excluded.createdFor'),
              createdByBot: eb.ref('excluded.createdByBot'),
              updatedAt: eb.ref('excluded.updatedAt'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        return toChat(r);
      },
      get: async (chatId) => (await chatBy(db, { chatId })).rows.map(toChat)[0],
      byOpenConversationId: async (cid) => (await chatByCid(db, { cid })).rows.map(toChat)[0],
      byName: async (name) =>
        (await chats().where(sql`lower(name)`, '=', sql`lower(${name})`).execute()).map(toChat),
      list: async () => (await chats().execute()).map(toChat),
      listFor: async (userId) => (await chats().where('createdFor', '=', userId).execute()).map(toChat),
      async setOpenConversationId(chatId, cid) {
        await db
          .updateTable('chats')
          .set({ openConversationId: cid, updatedAt: Date.now() })
          .where('chatId', '=', chatId)
          .execute();
      },
      async rename(chatId, name) {
        await db
          .updateTable('chats')
          .set({ name, updatedAt: Date.now() })
          .where('chatId', '=', chatId)
          .execute();
      },
    },

    dedupe: {
      // The INSERT alone decides the race; only a loser reads the row (a separate statement: on
      // PostgreSQL the INSERT's snapshot cannot see a row committed while it waited).
      async claim(key, now = Date.now(), owner) {
        for (let attempt = 0; attempt < 3; attempt++) {
          const ins = await claim(db, {
            key,
            claimedAt: now,
            replicaId: owner?.replicaId ?? null,
            message: owner?.message ?? null,
          });
          if (Number(ins.numAffectedRows) === 1) return { state: 'claimed' };
          const [row] = (await claimed(db, { key })).rows;
          // Released or pruned between the two statements: claim again.
          if (row === undefined) continue;
          if (row.state === 'done')
            return { state: 'done', reply: row.reply ?? '', delivered: row.delivered === 1 };
          const running: ClaimResult = {
            state: 'running',
            claimedAt: row.claimedAt,
            stale: now - row.claimedAt >= staleClaimMs,
          };
          if (row.replicaId !== null) running.replicaId = row.replicaId;
          return running;
        }
        throw new Error(`dedupe claim of ${key}: the row kept vanishing`);
      },
      async finish(key, reply, now = Date.now()) {
        await finish(db, { key, reply, claimedAt: now, finishedAt: now });
      },
      async markDelivered(key) {
        await delivered(db, { key });
      },
      async unsend(key) {
        await db
          .updateTable('processed_messages')
          .set({ sendingAt: null })
          .where('key', '=', key)
          .where('delivered', '=', 0)
          .execute();
      },
      takeResend: async (key, now, leaseMs) =>
        (await changed(
          db
            .updateTable('processed_messages')
            .set({ sendingAt: now })
            .where('key', '=', key)
            .where('state', '=', 'done')
            .where('delivered', '=', 0)
            .where((eb) => eb.or([eb('sendingAt', 'is', null), eb('sendingAt', '<', now - leaseMs)])),
        )) === 1,
      async release(key) {
        await db
          .deleteFrom('processed_messages')
          .where('key', '=', key)
          .where('state', '=', 'running')
          .execute();
      },
      prune: async (now = Date.now(), olderThanMs = DAY_MS) =>
        await changed(
          db
            .deleteFrom('processed_messages')
            .where((eb) => eb.fn.coalesce('finishedAt', 'claimedAt'), '<', now - olderThanMs),
        ),
      // "Dead" is judged by the database's clock, the clock that stamped the heartbeats. A claim
      // without an owner has no message to answer, so it is never an orphan.
      orphaned: async (self, deadAfterMs, limit = 100) =>
        (await db
          .selectFrom('processed_messages as p')
          .leftJoin('replicas as r', 'r.id', 'p.replicaId')
          .select(['p.key', 'p.replicaId', 'p.claimedAt', 'p.message'])
          .where('p.state', '=', 'running')
          .where('p.replicaId', 'is not', null)
          .where('p.message', 'is not', null)
          .where('p.replicaId', '<>', self)
          .where((eb) =>
            eb.or([
              eb('r.id', 'is', null),
              eb('r.beatAt', '<', sql<number>`${d.now()} - ${Math.trunc(deadAfterMs)}`),
            ]),
          )
          .orderBy('p.claimedAt')
          .orderBy('p.key')
          .limit(Math.max(0, Math.trunc(limit)))
          .execute()) as { key: string; replicaId: string; claimedAt: number; message: string }[],
      adopt: async (key, from, to) =>
        (await changed(
          db
            .updateTable('processed_messages')
            .set({ replicaId: to })
            .where('key', '=', key)
            .where('state', '=', 'running')
            .where('replicaId', '=', from),
        )) === 1,
    },

    pending: {
      async put(p) {
        const row: DB['pending'] = { ...p };
        if (p.kind === 'confirm') {
          await db.insertInto('pending').values(row).execute();
          return;
        }
        await tx(
          db,
          (c) => d.beginWrite(c, PICK_LOCK),
          async (c) => {
            await c
              .deleteFrom('pending')
              .where('userId', '=', p.userId)
              .where('conversationId', '=', p.conversationId)
              .where('kind', '=', 'pick')
              .execute();
            await c.insertInto('pending').values(row).execute();
          },
        );
      },
      get: async (code): Promise<PendingAction | undefined> =>
        pending.where('code', '=', code).executeTakeFirst(),
      // One DELETE … RETURNING: of concurrent takes (on any replica) only one gets the row. An
      // expired one is consumed too, so it cannot linger until the next prune.
      async take(code, now) {
        const action = await db
          .deleteFrom('pending')
          .where('code', '=', code)
          .returningAll()
          .executeTakeFirst();
        if (action === undefined) return undefined;
        return { state: action.expiresAt > now ? 'taken' : 'expired', action };
      },
      // Prepared once per shape of filter: a pick's list runs with every message.
      async list(userId, filter = {}) {
        const shape = `${filter.conversationId !== undefined} ${filter.kind !== undefined}`;
        listBy[shape] ??= prepare('userId conversationId kind', (p: PendingAction) => {
          let q = pending.where('userId', '=', p.userId);
          if (filter.conversationId !== undefined) q = q.where('conversationId', '=', p.conversationId);
          if (filter.kind !== undefined) q = q.where('kind', '=', p.kind);
          return q.orderBy('createdAt').orderBy('code');
        });
        return (await listBy[shape](db, { userId, ...filter } as PendingAction)).rows;
      },
      prune: async (before) => await changed(db.deleteFrom('pending').where('expiresAt', '<', before)),
    },

    audit: {
      // Appends are serialised (BEGIN IMMEDIATE; an advisory lock across replicas), so two
      // appends never chain onto the same predecessor.
      append: (input) =>
        tx(
          db,
          (c) => d.beginWrite(c, AUDIT_LOCK),
          async (c) => {
            const [prev] = (await lastAudit(c, {})).rows;
            const rec = nextAuditRecord(prev, input, auditKeys);
            await addAudit(c, rec as DB['audit']);
            await setKv(c, { key: AUDIT_HEAD_KEY, value: `${rec.seq}:${rec.hash}` });
            return rec;
          },
        ),
      async latest(n, filter) {
        let q = audits.orderBy('seq', 'desc').limit(Math.max(0, Math.trunc(n)));
        if (filter?.chatId !== undefined) q = q.where('chatId', '=', filter.chatId);
        if (filter?.userId !== undefined) q = q.where('userId', '=', filter.userId);
        return (await q.execute()).map(toAudit);
      },
      get: async (seq) => {
        const r = await audits.where('seq', '=', seq).executeTakeFirst();
        return r && toAudit(r);
      },
      // One snapshot of the rows and the head, so appends running meanwhile do not look like tampering.
      verify: () =>
        tx(db, d.beginSnapshot, async (c) => {
          const rows = await c.selectFrom('audit').selectAll().orderBy('seq').execute();
          const head = await c
            .selectFrom('kv')
            .select('value')
            .where('key', '=', AUDIT_HEAD_KEY)
            .executeTakeFirst();
          return verifyAuditChain(rows.map(toAudit), parseAuditHead(head?.value), auditKeys);
        }),
    },

    journal: {
      startRun: async (r) =>
        (await changed(
          db
            .insertInto('journal_runs')
            .values({ ...r, chatId: r.chatId ?? null })
            .onConflict((oc) => oc.column('key').doNothing()),
        )) === 1,
      getRun: async (key) => {
        const r = await runs.where('key', '=', key).executeTakeFirst();
        return r && toRun(r);
      },
      async finishRun(key, now) {
        await db
          .updateTable('journal_runs')
          .set({ finishedAt: now })
          .where('key', '=', key)
          .where('finishedAt', 'is', null)
          .execute();
      },
      begin: async (w) =>
        (
          await db
            .insertInto('journal_writes')
            .values({ ...w, chatId: w.chatId ?? null })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      async finish(id, outcome, answer, now) {
        await db
          .updateTable('journal_writes')
          .set({ outcome, answer, finishedAt: now })
          .where('id', '=', id)
          .execute();
      },
      writes: async (runKey) =>
        (
          await db
            .selectFrom('journal_writes')
            .selectAll()
            .where('runKey', '=', runKey)
            .orderBy('id')
            .execute()
        ).map(toWrite),
      async unfinished(replicas) {
        if (replicas?.length === 0) return [];
        let q = runs.where('finishedAt', 'is', null).where('reportedAt', 'is', null);
        if (replicas !== undefined) q = q.where('replicaId', 'in', [...replicas]);
        return (await q.orderBy('startedAt').orderBy('key').execute()).map(toRun);
      },
      markReported: async (key, now) =>
        (await changed(
          db
            .updateTable('journal_runs')
            .set({ reportedAt: now })
            .where('key', '=', key)
            .where('reportedAt', 'is', null),
        )) === 1,
      // Writes go with their run (ON DELETE CASCADE).
      prune: async (before) =>
        await changed(
          db
            .deleteFrom('journal_runs')
            .where('startedAt', '<', before)
            .where((eb) => eb.or([eb('finishedAt', 'is not', null), eb('reportedAt', 'is not', null)])),
        ),
    },

    changes: {
      record: async (c) =>
        (
          await db
            .insertInto('changes')
            .values({ chatId: c.chatId, userId: c.userId, command: c.command, at: c.at, undo: c.undo })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      async latestUndoable(userId, since, chatId) {
        let q = db
          .selectFrom('changes')
          .selectAll()
          .where('userId', '=', userId)
          .where('at', '>=', since)
          .where('undoneAt', 'is', null);
        if (chatId !== undefined) q = q.where('chatId', '=', chatId);
        const r = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
        return r && toChange(r);
      },
      get: async (id) => {
        const r = await db.selectFrom('changes').selectAll().where('id', '=', id).executeTakeFirst();
        return r && toChange(r);
      },
      markUndone: async (id, now = Date.now()) =>
        (await changed(
          db.updateTable('changes').set({ undoneAt: now }).where('id', '=', id).where('undoneAt', 'is', null),
        )) === 1,
      async unmarkUndone(id) {
        await db.updateTable('changes').set({ undoneAt: null }).where('id', '=', id).execute();
      },
      async setFact(f) {
        if (f.value === undefined) {
          await db
            .deleteFrom('chat_facts')
            .where('chatId', '=', f.chatId)
            .where('kind', '=', f.kind)
            .where('userId', '=', f.userId)
            .execute();
          return;
        }
        const at = f.at ?? Date.now();
        await db
          .insertInto('chat_facts')
          .values({ chatId: f.chatId, kind: f.kind, userId: f.userId, value: f.value, at })
          .onConflict((oc) => oc.columns(['chatId', 'kind', 'userId']).doUpdateSet({ value: f.value, at }))
          .execute();
      },
      facts: (chatId) =>
        db
          .selectFrom('chat_facts')
          .selectAll()
          .where('chatId', '=', chatId)
          .orderBy('kind')
          .orderBy('userId')
          .execute(),
    },

    // Heartbeats and leases on the database's clock, so replicas need no synchronised clocks.
    replicas: {
      async beat(id) {
        await db
          .insertInto('replicas')
          .values({ id, beatAt: d.now() })
          .onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ beatAt: eb.ref('excluded.beatAt') })))
          .execute();
      },
      dead: async (deadAfterMs) =>
        (
          await db
            .selectFrom('replicas')
            .select('id')
            .where('beatAt', '<', sql<number>`${d.now()} - ${Math.trunc(deadAfterMs)}`)
            .orderBy('beatAt')
            .orderBy('id')
            .execute()
        ).map((r) => r.id),
      async forget(id) {
        await db.deleteFrom('replicas').where('id', '=', id).execute();
      },
      // One upsert: the row changes only when the lease is free, expired or already the holder's.
      lease: async (name, holder, ttlMs) =>
        (await changed(
          db
            .insertInto('leases')
            .values({ name, holder, expiresAt: sql<number>`${d.now()} + ${Math.ceil(ttlMs)}` })
            .onConflict((oc) =>
              oc
                .column('name')
                .doUpdateSet((eb) => ({
                  holder: eb.ref('excluded.holder'),
                  expiresAt: eb.ref('excluded.expiresAt'),
                }))
                .where((eb) =>
                  eb.or([
                    eb('leases.holder', '=', eb.ref('excluded.holder')),
                    eb('leases.expiresAt', '<=', d.now()),
                  ]),
                ),
            ),
        )) === 1,
      async release(name, holder) {
        await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
      },
      leaseHolder: async (name) =>
        (
          await db
            .selectFrom('leases')
            .select('holder')
            .where('name', '=', name)
            .where('expiresAt', '>', d.now())
            .executeTakeFirst()
        )?.holder,
    },

    jobs: jobStore(db, d),
    tags: tagStore(db),
    batches: batchStore(db),

    kv: {
      get: async (key) => (await getKv(db, { key })).rows[0]?.value,
      async set(key, value) {
        await setKv(db, { key, value });
      },
    },
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: () => d.close(),
  };
}
