/**
 * The PostgreSQL store against a real server (the run's throwaway cluster or TEST_DATABASE_URL):
 * two stores on one database stand for two replicas, each with its own pool.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { migratePostgres, openPostgresStore } from '../../src/store/postgres.ts';
import { MIGRATIONS, SCHEMA_VERSION, SchemaVersionError } from '../../src/store/schema.ts';
import type { AuditRecord, PendingAction, Store } from '../../src/store/types.ts';
import {
  findPostgresBin,
  freshDatabase,
  pgAdminUrl,
  startCluster,
  type TestDatabase,
  withDatabase,
} from '../helpers/pg.ts';

/** One statement on its own connection, for setting up what the store API cannot (tampering, old beats). */
async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, params)).rows;
  } finally {
    await c.end();
  }
}

function auditInput(
  i: number,
  extra: Partial<AuditRecord> = {},
): Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> {
  return {
    at: 1_700_000_000_000 + i,
    userId: i % 2 === 0 ? 'lead1' : 'lead2',
    command: 'chat add',
    chatId: i % 3 === 0 ? 'chat3' : 'chat1',
    args: JSON.stringify({ i }),
    outcome: 'allowed',
    reason: undefined,
    errcode: undefined,
    durationMs: 1.25 + i,
    ...extra,
  };
}

function confirmation(code: string, over: Partial<PendingAction> = {}): PendingAction {
  return {
    code,
    kind: 'confirm',
    userId: 'lead1',
    conversationId: 'cid1',
    command: 'chat disband',
    plan: '{"chat":"c1"}',
    preview: 'disband Design Review',
    createdAt: 1_000,
    expiresAt: Number.MAX_SAFE_INTEGER,
    ...over,
  };
}

/** Rejection of `p`, or a failure when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error('expected a rejection, but the call resolved');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP relay to the server that can be cut (all connections reset) and restored on the same port. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  start(): Promise<void> {
    const server = createServer((down) => {
      const up = tcpConnect(this.target, '127.0.0.1');
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          down.destroy();
          up.destroy();
        });
      }
      down.pipe(up);
      up.pipe(down);
    });
    this.server = server;
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  cut(): Promise<void> {
    for (const s of this.sockets) s.resetAndDestroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

let db: TestDatabase;
let r1: Store;
let r2: Store;

beforeAll(async () => {
  db = await freshDatabase();
  r1 = await openPostgresStore({ url: db.url, replica: 'r1', poolSize: 8 });
  r2 = await openPostgresStore({ url: db.url, replica: 'r2', poolSize: 8 });
});

afterAll(async () => {
  await r1?.close();
  await r2?.close();
  await db?.drop();
});

describe('PostgreSQL store: basics', () => {
  it('is a postgres store with a shared rate budget, and pings', async () => {
    expect(r1.kind).toBe('postgres');
    expect(r1.rateBudget).toBeDefined();
    await expect(r1.ping()).resolves.toBeUndefined();
  });

  it('keeps key-value pairs, replacing on set, visible to the other replica', async () => {
    expect(await r1.kv.get('endpoint')).toBeUndefined();
    await r1.kv.set('endpoint', 'v1');
    await r2.kv.set('endpoint', 'legacy');
    expect(await r1.kv.get('endpoint')).toBe('legacy');
  });

  it('keeps the chat registry with case-insensitive names, newest first', async () => {
    const a = await r1.registry.upsert({
      chatId: 'c-a',
      openConversationId: 'cid-a',
      name: 'Design Review',
      createdFor: 'lead1',
      createdByBot: true,
      createdAt: 100,
    });
    expect(a).toMatchObject({
      chatId: 'c-a',
      openConversationId: 'cid-a',
      createdByBot: true,
      createdAt: 100,
    });
    await r2.registry.upsert({
      chatId: 'c-b',
      openConversationId: undefined,
      name: 'design review',
      createdFor: 'lead2',
      createdByBot: false,
      createdAt: 200,
    });
    expect((await r1.registry.byName('DESIGN REVIEW')).map((c) => c.chatId)).toEqual(['c-b', 'c-a']);
    expect((await r1.registry.list()).map((c) => c.chatId)).toEqual(['c-b', 'c-a']);
    expect((await r1.registry.listFor('lead1')).map((c) => c.chatId)).toEqual(['c-a']);
    expect((await r2.registry.byOpenConversationId('cid-a'))?.chatId).toBe('c-a');
    expect(await r2.registry.get('c-b')).toMatchObject({
      openConversationId: undefined,
      createdByBot: false,
    });

    // An upsert without a cid keeps the known one; createdAt stays the first one.
    const again = await r2.registry.upsert({
      chatId: 'c-a',
      openConversationId: undefined,
      name: 'Design Review 2',
      createdFor: 'lead1',
      createdByBot: true,
      createdAt: 999,
    });
    expect(again).toMatchObject({ openConversationId: 'cid-a', name: 'Design Review 2', createdAt: 100 });
    await r1.registry.setOpenConversationId('c-b', 'cid-b');
    await r1.registry.rename('c-b', 'Ops');
    expect(await r2.registry.get('c-b')).toMatchObject({ openConversationId: 'cid-b', name: 'Ops' });
    expect(await r2.registry.get('missing')).toBeUndefined();
  });

  it('journals runs and their writes per replica and per message', async () => {
    const base = { userId: 'lead1', conversationId: 'cid1', command: 'chat add', plan: '{}', startedAt: 5 };
    expect(await r1.journal.startRun({ ...base, key: 'm-run-1', chatId: 'c1', replicaId: 'r1' })).toBe(true);
    expect(
      await r2.journal.startRun({
        ...base,
        key: 'm-run-2',
        chatId: undefined,
        replicaId: 'r2',
        startedAt: 6,
      }),
    ).toBe(true);
    expect(await r2.journal.startRun({ ...base, key: 'm-run-1', chatId: undefined, replicaId: 'r2' })).toBe(
      false,
    );
    const write = { runKey: 'm-run-1', endpoint: 'chat/update', chatId: 'c1', request: '{}', startedAt: 7 };
    const w1 = await r1.journal.begin(write);
    const w2 = await r2.journal.begin({ ...write, startedAt: 8 });
    expect(w2).toBeGreaterThan(w1);
    expect((await r1.journal.unfinished()).map((r) => r.key)).toEqual(['m-run-1', 'm-run-2']);
    expect((await r1.journal.unfinished(['r2'])).map((r) => r.key)).toEqual(['m-run-2']);
    expect(await r1.journal.unfinished([])).toEqual([]);
    await r2.journal.finish(w1, 'ok', '{}', 50);
    await r2.journal.finishRun('m-run-1', 60);
    const reports = await Promise.all([r1, r2, r1, r2].map((r) => r.journal.markReported('m-run-2', 70)));
    expect(reports.filter(Boolean)).toHaveLength(1);
    expect(await r1.journal.unfinished()).toEqual([]);
    expect((await r1.journal.writes('m-run-1')).map((w) => [w.id, w.outcome, w.finishedAt])).toEqual([
      [w1, 'ok', 50],
      [w2, undefined, undefined],
    ]);
  });
});

describe('PostgreSQL store: message claims', () => {
  it('gives one claim of a key to exactly one of many concurrent claimers on two replicas', async () => {
    const claims = Array.from({ length: 40 }, (_, i) => {
      const s = i % 2 === 0 ? r1 : r2;
      const replicaId = i % 2 === 0 ? 'r1' : 'r2';
      return s.dedupe.claim('race-1', 1_000, { replicaId, message: `{"n":${i}}` });
    });
    const results = await Promise.all(claims);
    const claimed = results.filter((r) => r.state === 'claimed');
    expect(claimed).toHaveLength(1);
    const winner = results.findIndex((r) => r.state === 'claimed');
    const others = results.filter((r) => r.state !== 'claimed');
    expect(others).toHaveLength(39);
    for (const r of others) {
      expect(r).toEqual({
        state: 'running',
        claimedAt: 1_000,
        replicaId: winner % 2 === 0 ? 'r1' : 'r2',
        stale: false,
      });
    }
  });

  it('answers done with the reply once finished, drops the message and tracks delivery', async () => {
    expect(await r1.dedupe.claim('m-done', 10, { replicaId: 'r1', message: '{"text":"/help"}' })).toEqual({
      state: 'claimed',
    });
    await r1.dedupe.finish('m-done', '{"text":"hi"}', 20);
    expect(await r2.dedupe.claim('m-done', 30)).toEqual({
      state: 'done',
      reply: '{"text":"hi"}',
      delivered: false,
    });
    await r2.dedupe.markDelivered('m-done');
    expect(await r1.dedupe.claim('m-done', 40)).toEqual({
      state: 'done',
      reply: '{"text":"hi"}',
      delivered: true,
    });
    const rows = await sql<{ message: string | null }>(
      db.url,
      'SELECT message FROM processed_messages WHERE key = $1',
      ['m-done'],
    );
    expect(rows).toEqual([{ message: null }]);
  });

  it('flags an old running claim stale, releases running claims only, prunes old entries', async () => {
    await r1.dedupe.claim('m-stale', 1_000);
    expect(await r2.dedupe.claim('m-stale', 1_000 + 10 * 60_000)).toMatchObject({
      state: 'running',
      stale: true,
    });
    expect(await r2.dedupe.claim('m-stale', 1_000 + 60_000)).toMatchObject({
      state: 'running',
      stale: false,
    });
    // Without an owner the claim records no replica.
    expect(await r2.dedupe.claim('m-stale', 2_000)).not.toHaveProperty('replicaId');
    await r2.dedupe.release('m-stale');
    expect(await r2.dedupe.claim('m-stale', 3_000)).toEqual({ state: 'claimed' });
    await r1.dedupe.finish('m-stale', '"r"', 4_000);
    await r1.dedupe.release('m-stale');
    expect(await r1.dedupe.claim('m-stale', 5_000)).toMatchObject({ state: 'done' });

    const day = 24 * 60 * 60_000;
    await r1.dedupe.claim('m-prune-old', 10);
    await r1.dedupe.claim('m-prune-new', day);
    // m-prune-old and m-done (finished at 20) are older than a day at day + 1000.
    expect(await r2.dedupe.prune(day + 1_000, day)).toBe(2);
    expect(await r1.dedupe.claim('m-prune-old', day + 1)).toEqual({ state: 'claimed' });
    expect(await r1.dedupe.claim('m-prune-new', day + 1)).toMatchObject({ state: 'running' });
  });

  it('lists claims of replicas without a recent heartbeat as orphaned, never its own', async () => {
    await r1.dedupe.claim('m-orph-1', 100, { replicaId: 'dead-1', message: '{"a":1}' });
    await r1.dedupe.claim('m-orph-2', 200, { replicaId: 'alive-1', message: '{"a":2}' });
    await r1.dedupe.claim('m-orph-3', 50, { replicaId: 'r2', message: '{"a":3}' });
    await r1.dedupe.finish('m-orph-4', '"done"', 10);
    await r1.replicas.beat('alive-1');
    await r1.replicas.beat('dead-1');
    await r1.replicas.beat('r2');
    // dead-1's last beat was an hour ago by the database's clock.
    await sql(db.url, `UPDATE replicas SET "beatAt" = "beatAt" - 3600000 WHERE id = 'dead-1'`);

    const orphans = await r2.dedupe.orphaned('r2', 60_000);
    expect(orphans.filter((o) => o.key.startsWith('m-orph'))).toEqual([
      { key: 'm-orph-1', replicaId: 'dead-1', claimedAt: 100, message: '{"a":1}' },
    ]);
    // A replica without a heartbeat row counts as dead; r2's own claims are never offered to it.
    await r1.replicas.forget('alive-1');
    const keys = (await r2.dedupe.orphaned('r2', 60_000))
      .map((o) => o.key)
      .filter((k) => k.startsWith('m-orph'));
    expect(keys).toEqual(['m-orph-1', 'm-orph-2']);
    expect((await r2.dedupe.orphaned('r2', 60_000, 1)).length).toBe(1);
    // r2 beats, so its claim is no orphan for r1 either.
    const forR1 = (await r1.dedupe.orphaned('r1', 60_000)).map((o) => o.key);
    expect(forR1).toContain('m-orph-1');
    expect(forR1).not.toContain('m-orph-3');
    await r1.dedupe.release('m-orph-1');
    await r1.dedupe.release('m-orph-2');
    await r1.dedupe.release('m-orph-3');
  });

  it('lets exactly one of many concurrent survivors adopt an orphan (compare-and-set)', async () => {
    await r1.dedupe.claim('m-adopt', 100, { replicaId: 'gone', message: '{"x":1}' });
    const tries = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? r1 : r2).dedupe.adopt('m-adopt', 'gone', i % 2 === 0 ? 's1' : 's2'),
    );
    const won = (await Promise.all(tries)).filter((x) => x);
    expect(won).toHaveLength(1);
    const now = await r1.dedupe.claim('m-adopt', 200);
    expect(now.state).toBe('running');
    expect(now.state === 'running' && ['s1', 's2'].includes(now.replicaId ?? '')).toBe(true);
    // The old owner no longer holds it, and a finished claim cannot be adopted.
    expect(await r2.dedupe.adopt('m-adopt', 'gone', 's3')).toBe(false);
    await r1.dedupe.finish('m-adopt', '"ok"');
    expect(await r2.dedupe.adopt('m-adopt', now.state === 'running' ? (now.replicaId ?? '') : '', 's3')).toBe(
      false,
    );
    expect(await r2.dedupe.adopt('no-such-key', 'gone', 's3')).toBe(false);
  });
});

describe('PostgreSQL store: pending actions', () => {
  it('hands a confirmation to exactly one of many concurrent takes on two replicas', async () => {
    await r1.pending.put(confirmation('K7Q2AB'));
    expect((await r2.pending.get('K7Q2AB'))?.preview).toBe('disband Design Review');
    const takes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? r1 : r2).pending.take('K7Q2AB', 10)),
    );
    expect(takes.filter((t) => t !== undefined)).toEqual([
      { state: 'taken', action: confirmation('K7Q2AB') },
    ]);
    expect(await r1.pending.get('K7Q2AB')).toBeUndefined();
  });

  it('says expired on the take of an expired one, lists per user and prunes', async () => {
    await r1.pending.put(confirmation('OLD111', { createdAt: 10, expiresAt: 100 }));
    await r1.pending.put(confirmation('NEW111', { createdAt: 20, expiresAt: 1_000 }));
    await r1.pending.put(confirmation('NEW222', { createdAt: 20, expiresAt: 1_000, userId: 'lead2' }));
    expect((await r2.pending.get('OLD111'))?.code).toBe('OLD111');
    expect((await r2.pending.list('lead1')).map((p) => p.code)).toEqual(['OLD111', 'NEW111']);
    expect((await r2.pending.take('OLD111', 100))?.state).toBe('expired');
    expect(await r2.pending.get('OLD111')).toBeUndefined();
    expect(await r1.pending.prune(1_001)).toBe(2);
    expect(await r1.pending.get('NEW222')).toBeUndefined();
  });

  it('keeps one pick per user and conversation across replicas, taken by exactly one', async () => {
    const pick: PendingAction = { ...confirmation('p1'), kind: 'pick', preview: '', expiresAt: 1_000 };
    await Promise.all([r1.pending.put(pick), r2.pending.put({ ...pick, code: 'p2' })]);
    const [left] = await r1.pending.list('lead1', { kind: 'pick' });
    expect(await r1.pending.list('lead1', { kind: 'pick' })).toHaveLength(1);
    const takes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? r1 : r2).pending.take(left?.code ?? '', 10)),
    );
    expect(takes.filter((t) => t !== undefined)).toHaveLength(1);
  });
});

describe('PostgreSQL store: audit chain', () => {
  it('chains concurrent appends from two replicas into one unbroken chain', async () => {
    const n = 40;
    const recs = await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? r1 : r2).audit.append(auditInput(i + 1))),
    );
    const seqs = recs.map((r) => r.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const bySeq = new Map(recs.map((r) => [r.seq, r]));
    for (let s = 2; s <= n; s++) expect(bySeq.get(s)?.prevHash).toBe(bySeq.get(s - 1)?.hash);
    expect(await r1.audit.verify()).toEqual({ ok: true, count: n });
    expect(await r2.audit.verify()).toEqual({ ok: true, count: n });
    expect(await r2.audit.get(7)).toEqual(bySeq.get(7));
    expect(await r2.audit.get(n + 1)).toBeUndefined();
  });

  it('reads the latest records, filtered by chat and user', async () => {
    const latest = await r1.audit.latest(3);
    expect(latest.map((r) => r.seq)).toEqual([40, 39, 38]);
    const chat3 = await r1.audit.latest(100, { chatId: 'chat3' });
    expect(chat3.length).toBeGreaterThan(0);
    expect(chat3.every((r) => r.chatId === 'chat3')).toBe(true);
    const both = await r1.audit.latest(100, { chatId: 'chat1', userId: 'lead1' });
    expect(both.every((r) => r.chatId === 'chat1' && r.userId === 'lead1')).toBe(true);
    expect(both.length).toBeGreaterThan(0);
    expect(await r1.audit.latest(0)).toEqual([]);
  });

  it('refuses updates, deletes and truncation of the audit table', async () => {
    for (const stmt of [
      "UPDATE audit SET command = 'x' WHERE seq = 1",
      'DELETE FROM audit WHERE seq = 1',
      'TRUNCATE audit',
    ]) {
      const err = await rejection(sql(db.url, stmt));
      expect(err.message).toContain('append-only');
    }
    expect(await r1.audit.verify()).toEqual({ ok: true, count: 40 });
  });

  it('detects an edited record and a cut-off tail', async () => {
    const own = await freshDatabase();
    const s = await openPostgresStore({ url: own.url });
    try {
      for (let i = 1; i <= 5; i++)
        await s.audit.append(auditInput(i, { outcome: 'refused', reason: 'not owner' }));
      expect(await s.audit.verify()).toEqual({ ok: true, count: 5 });
      // Tampering needs a superuser who switches the guard off first; verify still notices.
      await sql(
        own.url,
        `ALTER TABLE audit DISABLE TRIGGER audit_no_update;
         UPDATE audit SET "userId" = 'mallory' WHERE seq = 3;
         ALTER TABLE audit ENABLE TRIGGER audit_no_update`,
      );
      const edited = await s.audit.verify();
      expect(edited).toMatchObject({ ok: false, seq: 3 });
      expect(edited.ok === false && edited.reason).toContain('hash mismatch');

      const tail = await freshDatabase();
      const t = await openPostgresStore({ url: tail.url });
      try {
        for (let i = 1; i <= 4; i++) await t.audit.append(auditInput(i));
        await sql(
          tail.url,
          `ALTER TABLE audit DISABLE TRIGGER audit_no_update;
           DELETE FROM audit WHERE seq = 4;
           ALTER TABLE audit ENABLE TRIGGER audit_no_update`,
        );
        const cut = await t.audit.verify();
        expect(cut).toMatchObject({ ok: false, seq: 4 });
        expect(cut.ok === false && cut.reason).toContain('truncated');
      } finally {
        await t.close();
        await tail.drop();
      }
    } finally {
      await s.close();
      await own.drop();
    }
  });
});

describe('PostgreSQL store: replicas and leases', () => {
  it('records heartbeats on the database clock, reports dead replicas and forgets them', async () => {
    await r1.replicas.beat('hb-a');
    await r2.replicas.beat('hb-b');
    await sql(db.url, `UPDATE replicas SET "beatAt" = "beatAt" - 300000 WHERE id = 'hb-a'`);
    const dead = await r2.replicas.dead(60_000);
    expect(dead).toContain('hb-a');
    expect(dead).not.toContain('hb-b');
    expect(await r2.replicas.dead(10 * 60_000)).not.toContain('hb-a');
    // A new beat brings it back.
    await r1.replicas.beat('hb-a');
    expect(await r2.replicas.dead(60_000)).not.toContain('hb-a');
    await r1.replicas.forget('hb-a');
    const rows = await sql(db.url, "SELECT 1 FROM replicas WHERE id = 'hb-a'");
    expect(rows).toEqual([]);
  });

  it('gives a free lease to exactly one of many concurrent takers', async () => {
    const tries = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? r1 : r2).replicas.lease('sweeper', `h${i}`, 60_000),
      ),
    );
    expect(tries.filter((x) => x)).toHaveLength(1);
    const holder = `h${tries.indexOf(true)}`;
    expect(await r1.replicas.leaseHolder('sweeper')).toBe(holder);
  });

  it('renews for the holder, refuses others until released or expired', async () => {
    expect(await r1.replicas.lease('l1', 'r1', 60_000)).toBe(true);
    expect(await r2.replicas.lease('l1', 'r2', 60_000)).toBe(false);
    expect(await r1.replicas.lease('l1', 'r1', 60_000)).toBe(true);
    expect(await r2.replicas.leaseHolder('l1')).toBe('r1');
    await r2.replicas.release('l1', 'r2'); // not the holder: no effect
    expect(await r2.replicas.leaseHolder('l1')).toBe('r1');
    await r1.replicas.release('l1', 'r1');
    expect(await r2.replicas.leaseHolder('l1')).toBeUndefined();
    expect(await r2.replicas.lease('l1', 'r2', 60_000)).toBe(true);
    // Expired by the database's clock: free for anyone, and no longer reported as held.
    await sql(
      db.url,
      `UPDATE leases SET "expiresAt" = (extract(epoch FROM now()) * 1000)::bigint - 1000 WHERE name = 'l1'`,
    );
    expect(await r1.replicas.leaseHolder('l1')).toBeUndefined();
    expect(await r1.replicas.lease('l1', 'r1', 60_000)).toBe(true);
    expect(await r1.replicas.leaseHolder('l1')).toBe('r1');
    const [row] = await sql<{ left_ms: number }>(
      db.url,
      `SELECT ("expiresAt" - extract(epoch FROM now()) * 1000)::float8 AS left_ms FROM leases WHERE name = 'l1'`,
    );
    expect(row?.left_ms).toBeGreaterThan(0);
    expect(row?.left_ms).toBeLessThanOrEqual(60_000);
  });
});

describe('PostgreSQL store: shared rate budget', () => {
  it('spaces concurrent reservations from two replicas one interval apart', async () => {
    const intervalMs = 60_000;
    const n = 20;
    const waits = await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? r1 : r2).rateBudget?.reserve('im.send', intervalMs)),
    );
    const sorted = waits.map((w) => w ?? Number.NaN).sort((a, b) => a - b);
    expect(new Set(sorted).size).toBe(n);
    // The first reservation of a new API is free; each next one is one interval later. A gap is
    // an interval minus the database time between the two reservations (and ±1 ms of rounding).
    expect(sorted[0]).toBe(0);
    for (let k = 1; k < n; k++) {
      const gap = (sorted[k] as number) - (sorted[k - 1] as number);
      expect(gap).toBeLessThanOrEqual(intervalMs + 1);
      expect(gap).toBeGreaterThan(intervalMs / 2);
    }
    // The next free slot is n intervals after the first one.
    const [row] = await sql<{ ahead_ms: number }>(
      db.url,
      "SELECT extract(epoch FROM next_slot - now())::float8 * 1000 AS ahead_ms FROM rate_budget WHERE api = 'im.send'",
    );
    expect(row?.ahead_ms).toBeGreaterThan((n - 1) * intervalMs);
    expect(row?.ahead_ms).toBeLessThanOrEqual(n * intervalMs);
  });

  it('keeps APIs apart and does not wait once the budget has caught up', async () => {
    expect(await r1.rateBudget?.reserve('chat.update', 60_000)).toBe(0);
    expect(await r2.rateBudget?.reserve('chat.update', 60_000)).toBeGreaterThan(30_000);
    await sql(
      db.url,
      "UPDATE rate_budget SET next_slot = now() - interval '1 second' WHERE api = 'chat.update'",
    );
    expect(await r2.rateBudget?.reserve('chat.update', 60_000)).toBe(0);
    expect(await r2.rateBudget?.reserve('other', 0)).toBe(0);
    expect(await r2.rateBudget?.reserve('other', 0)).toBe(0);
  });
});

describe('PostgreSQL migrations', () => {
  it('creates every table from an empty database, and a second start changes nothing', async () => {
    const fresh = await freshDatabase();
    try {
      const s = await openPostgresStore({ url: fresh.url });
      await s.kv.set('kept', 'yes');
      await s.close();
      const tables = await sql<{ table_name: string }>(
        fresh.url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      expect(tables.map((t) => t.table_name)).toEqual([
        'audit',
        'batch_items',
        'batches',
        'changes',
        'chat_facts',
        'chat_tags',
        'chats',
        'jobs',
        'journal_runs',
        'journal_writes',
        'kv',
        'leases',
        'pending',
        'processed_messages',
        'rate_budget',
        'replicas',
        'schema_version',
      ]);
      const again = await openPostgresStore({ url: fresh.url });
      expect(await again.kv.get('kept')).toBe('yes');
      await again.close();
      const versions = await sql<{ version: number }>(
        fresh.url,
        'SELECT version FROM schema_version ORDER BY version',
      );
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await fresh.drop();
    }
  });

  it('migrates once when several replicas start together', async () => {
    const fresh = await freshDatabase();
    try {
      const stores = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          openPostgresStore({ url: fresh.url, replica: `m${i}`, poolSize: 2 }),
        ),
      );
      await Promise.all(stores.map((s) => s.close()));
      const versions = await sql<{ version: number }>(
        fresh.url,
        'SELECT version FROM schema_version ORDER BY version',
      );
      expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await fresh.drop();
    }
  });

  it('refuses a database migrated by a newer build, naming DATABASE_URL', async () => {
    const fresh = await freshDatabase();
    try {
      await (await openPostgresStore({ url: fresh.url })).close();
      await sql(fresh.url, 'INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION + 1]);
      const err = await rejection(openPostgresStore({ url: fresh.url }));
      expect(err).toBeInstanceOf(SchemaVersionError);
      expect(err.message).toContain(`version ${SCHEMA_VERSION + 1} is newer`);
      expect(err.message).toContain('DATABASE_URL');
      expect((await rejection(openPostgresStore({ url: fresh.url, readonly: true }))).message).toContain(
        'newer',
      );
    } finally {
      await fresh.drop();
    }
  });

  it('rolls a failing step back whole, leaving the previous version', async () => {
    const fresh = await freshDatabase();
    const c = new pg.Client({ connectionString: fresh.url });
    await c.connect();
    try {
      expect(await migratePostgres(c)).toBe(SCHEMA_VERSION);
      const broken = [
        ...MIGRATIONS,
        { version: SCHEMA_VERSION + 1, sql: 'CREATE TABLE extra (x int); SELECT no_such_function()' },
      ];
      expect((await rejection(migratePostgres(c, broken))).message).toContain('no_such_function');
      const [v] = (await c.query<{ v: number }>('SELECT max(version) AS v FROM schema_version')).rows;
      expect(v?.v).toBe(SCHEMA_VERSION);
      expect((await c.query("SELECT to_regclass('extra') AS t")).rows).toEqual([{ t: null }]);
    } finally {
      await c.end();
      await fresh.drop();
    }
  });

  it('names the database when the user may not create the tables, without the password', async () => {
    const fresh = await freshDatabase();
    const role = `lowly_${fresh.name}`;
    await sql(fresh.url, `CREATE ROLE ${role} LOGIN PASSWORD 'hunter2-secret'`);
    await sql(fresh.url, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    try {
      const u = new URL(fresh.url);
      u.username = role;
      u.password = 'hunter2-secret';
      const err = await rejection(openPostgresStore({ url: u.toString() }));
      expect(err).not.toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toContain(
        `cannot migrate PostgreSQL at postgres://${role}@${u.hostname}:${u.port}/${fresh.name}`,
      );
      expect(err.message).toContain('permission denied');
      expect(err.message).not.toContain('hunter2-secret');
    } finally {
      await fresh.drop();
      await sql(pgAdminUrl(), `DROP ROLE ${role}`);
    }
  });

  it('opens read-only without migrating: an empty database is refused, writes fail', async () => {
    const fresh = await freshDatabase();
    try {
      const empty = await rejection(openPostgresStore({ url: fresh.url, readonly: true }));
      expect(empty).toBeInstanceOf(SchemaVersionError);
      expect(empty.message).toContain('not usable');
      expect(await sql(fresh.url, "SELECT to_regclass('audit') AS t")).toEqual([{ t: null }]);

      const rw = await openPostgresStore({ url: fresh.url });
      await rw.audit.append(auditInput(1));
      await rw.close();
      const ro = await openPostgresStore({ url: fresh.url, readonly: true });
      try {
        expect(await ro.audit.verify()).toEqual({ ok: true, count: 1 });
        expect((await rejection(ro.kv.set('x', 'y'))).message).toContain('read-only');
      } finally {
        await ro.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});

describe('PostgreSQL store: an unreachable server', () => {
  it('names host, port and database but never the password when nothing listens', async () => {
    const port = await freePort();
    const err = await rejection(
      openPostgresStore({
        url: `postgres://bot:hunter2-secret@127.0.0.1:${port}/botdb`,
        connectTimeoutMs: 2_000,
      }),
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain(`postgres://bot@127.0.0.1:${port}/botdb`);
    expect(err.message).not.toContain('hunter2-secret');
  });

  it('names a database that does not exist, without the password', async () => {
    const u = new URL(withDatabase(pgAdminUrl(), 'no_such_db_here'));
    u.password = 'hunter2-secret';
    const err = await rejection(openPostgresStore({ url: u.toString() }));
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain('/no_such_db_here');
    expect(err.message).toContain('does not exist');
    expect(err.message).not.toContain('hunter2-secret');
  });

  it('rejects calls with StoreUnavailableError while the network is gone, and recovers', async () => {
    const target = Number(new URL(db.url).port || '5432');
    const relay = new Relay(await freePort(), target);
    await relay.start();
    const u = new URL(db.url);
    u.host = `127.0.0.1:${relay.port}`;
    const seen: StoreUnavailableError[] = [];
    const s = await openPostgresStore({ url: u.toString(), poolSize: 3, onError: (e) => seen.push(e) });
    try {
      await s.ping();
      await relay.cut();
      for (const call of [
        () => s.ping(),
        () => s.dedupe.claim('m-net', 1),
        () => s.audit.append(auditInput(1)),
        () => s.rateBudget?.reserve('x', 1) ?? Promise.resolve(),
      ]) {
        const err = await rejection(call());
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err.message).toContain(`127.0.0.1:${relay.port}`);
      }
      await relay.start();
      await expect(s.ping()).resolves.toBeUndefined();
      expect(seen.every((e) => e instanceof StoreUnavailableError)).toBe(true);
    } finally {
      await relay.cut();
      await s.close();
    }
  });

  it('survives the server terminating its idle connections', async () => {
    const seen: StoreUnavailableError[] = [];
    const s = await openPostgresStore({
      url: db.url,
      replica: 'victim',
      poolSize: 2,
      onError: (e) => seen.push(e),
    });
    try {
      await Promise.all([s.ping(), s.ping()]);
      const killed = await sql<{ ok: boolean }>(
        db.url,
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'dingtalk-group-bot/victim'",
      );
      expect(killed.length).toBeGreaterThan(0);
      await expect.poll(() => seen.length).toBeGreaterThan(0);
      expect(seen[0]).toBeInstanceOf(StoreUnavailableError);
      await expect(s.ping()).resolves.toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('rejects every call after close with StoreUnavailableError', async () => {
    const s = await openPostgresStore({ url: db.url });
    await s.close();
    await s.close();
    expect(await rejection(s.ping())).toBeInstanceOf(StoreUnavailableError);
    expect(await rejection(s.audit.append(auditInput(1)))).toBeInstanceOf(StoreUnavailableError);
  });

  // Needs a server of our own to stop; with only TEST_DATABASE_URL and no binaries, the relay
  // and termination tests above cover the same paths.
  it.runIf(findPostgresBin() !== undefined || !process.env.TEST_DATABASE_URL)(
    'rejects with StoreUnavailableError once its server is stopped',
    async () => {
      const cluster = await startCluster();
      const seen: StoreUnavailableError[] = [];
      let s: Store | undefined;
      try {
        s = await openPostgresStore({ url: cluster.url, poolSize: 2, onError: (e) => seen.push(e) });
        await s.ping();
        await cluster.stop();
        const err = await rejection(s.ping());
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect(err.message).toContain(`127.0.0.1:${cluster.port}/postgres`);
        expect(await rejection(s.dedupe.claim('k', 1))).toBeInstanceOf(StoreUnavailableError);
      } finally {
        await s?.close();
        await cluster.stop();
      }
    },
  );
});
