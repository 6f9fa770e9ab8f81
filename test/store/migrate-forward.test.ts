/**
 * A database written by the builds before the one schema (SQLite at user_version 3, camelCase;
 * PostgreSQL at schema_version 2, snake_case), with rows in every table, is opened by today's
 * code: the contract's reads give the same rows, and the store goes on working.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { nextAuditRecord } from '../../src/store/audit-chain.ts';
import {
  AUDIT_HEAD_KEY,
  type AuditRecord,
  migrate,
  migratePostgres,
  openPostgresStore,
  openStore,
  pgSchemaVersion,
  SCHEMA_VERSION,
  type Store,
  schemaVersion,
} from '../../src/store/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/pg.ts';
import { tempDir } from '../unit/store/tmp.ts';
import { LEGACY_POSTGRES, LEGACY_SQLITE } from './legacy-schema.ts';

const NOW = Date.now();

type Row = Record<string, string | number | boolean | null>;

/** Every table of the old schemas, as their stores wrote it (booleans as true/false). */
function legacyRows(): Record<string, Row[]> {
  const audit: AuditRecord[] = [];
  for (let i = 1; i <= 5; i++) {
    audit.push(
      nextAuditRecord(audit.at(-1), {
        at: 1000 + i,
        userId: i % 2 === 0 ? 'admin1' : 'lead1',
        command: 'chat add',
        chatId: i === 3 ? undefined : 'chatA',
        args: JSON.stringify({ i }),
        outcome: i === 4 ? 'refused' : 'allowed',
        reason: i === 4 ? 'not owner' : undefined,
        errcode: i === 5 ? '40035' : undefined,
        durationMs: i + 0.25,
      }),
    );
  }
  const intent = (msgKey: string, startedAt: number, over: Row = {}): Row => ({
    msgKey,
    userId: 'lead1',
    conversationId: 'cidA',
    command: 'chat add',
    chatId: 'chatA',
    summary: '/chat add chatA alice',
    startedAt,
    finishedAt: null,
    outcome: null,
    reported: false,
    replicaId: 'r1',
    ...over,
  });
  return {
    chats: [
      {
        chatId: 'chatA',
        openConversationId: 'cidA',
        name: 'Team Alpha',
        createdFor: 'lead1',
        createdByBot: true,
        createdAt: 1000,
        updatedAt: 1500,
      },
      {
        chatId: 'chatB',
        openConversationId: null,
        name: 'team alpha',
        createdFor: 'lead2',
        createdByBot: false,
        createdAt: 1000,
        updatedAt: 1000,
      },
      {
        chatId: 'chatC',
        openConversationId: 'cidC',
        name: 'Beta',
        createdFor: 'lead1',
        createdByBot: true,
        createdAt: 3000,
        updatedAt: 3000,
      },
    ],
    processed_messages: [
      {
        key: 'done1',
        state: 'done',
        reply: '{"text":"ok"}',
        delivered: true,
        claimedAt: NOW,
        finishedAt: NOW,
        replicaId: null,
        message: null,
      },
      {
        key: 'run1',
        state: 'running',
        reply: null,
        delivered: false,
        claimedAt: NOW,
        finishedAt: null,
        replicaId: 'ghost',
        message: '{"msgId":"run1"}',
      },
      {
        key: 'plain',
        state: 'running',
        reply: null,
        delivered: false,
        claimedAt: NOW - 1,
        finishedAt: null,
        replicaId: null,
        message: null,
      },
    ],
    confirmations: [
      {
        code: 'K7Q2AB',
        userId: 'lead1',
        conversationId: 'cidA',
        command: 'chat remove',
        payload: '{"chatId":"chatA"}',
        preview: 'remove bob',
        createdAt: 1000,
        expiresAt: NOW + 60_000,
      },
      {
        code: 'OLD111',
        userId: 'lead1',
        conversationId: 'cidA',
        command: 'chat owner',
        payload: '{}',
        preview: 'owner',
        createdAt: 900,
        expiresAt: 1000,
      },
    ],
    picks: [
      {
        userId: 'lead1',
        conversationId: 'cidA',
        command: 'chat add',
        payload: '{"words":[1]}',
        createdAt: 1100,
        expiresAt: NOW + 60_000,
      },
      {
        userId: 'lead2',
        conversationId: 'cidB',
        command: 'chat remove',
        payload: '{"words":[2]}',
        createdAt: 1200,
        expiresAt: 1300,
      },
    ],
    audit: audit.map((r) => ({
      ...r,
      chatId: r.chatId ?? null,
      reason: r.reason ?? null,
      errcode: r.errcode ?? null,
    })),
    intents: [
      intent('m-done', 1000, { finishedAt: 1100, outcome: 'ok' }),
      intent('m-open', 2000),
      intent('m-told', 3000, { reported: true, replicaId: 'r2' }),
      intent('m-two', 4000, { finishedAt: 4100, outcome: 'ok', chatId: 'chatB' }),
      intent('m-two', 4200, { chatId: null, replicaId: '' }),
    ],
    kv: [
      { key: 'groupApi', value: 'v1' },
      { key: AUDIT_HEAD_KEY, value: `5:${audit[4]?.hash}` },
    ],
    changes: [
      {
        chatId: 'chatA',
        userId: 'lead1',
        command: 'chat rename',
        at: 1000,
        undo: '[{"name":"A"}]',
        undoneAt: null,
      },
      { chatId: 'chatA', userId: 'lead1', command: 'chat add', at: 2000, undo: '[]', undoneAt: 2500 },
    ],
    chat_facts: [
      { chatId: 'chatA', kind: 'nick', userId: 'alice', value: 'Al', at: 10 },
      { chatId: 'chatA', kind: 'admin', userId: 'bob', value: '1', at: 11 },
    ],
  };
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Fills an old database; `pgNames` writes snake_case columns and real booleans. */
async function fill(
  exec: (sql: string, params: unknown[]) => Promise<void>,
  postgres: boolean,
): Promise<void> {
  for (const [table, rows] of Object.entries(legacyRows())) {
    for (const row of rows) {
      const cols = Object.keys(row).map((c) => (postgres ? snake(c) : c));
      const values = Object.values(row).map((v) => (typeof v === 'boolean' && !postgres ? Number(v) : v));
      const marks = values.map((_, i) => (postgres ? `$${i + 1}` : '?'));
      await exec(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${marks.join(', ')})`, values);
    }
  }
  if (postgres) {
    await exec("INSERT INTO replicas (replica_id, beat_at) VALUES ('alive', now())", []);
    await exec(
      "INSERT INTO leases (name, holder, expires_at) VALUES ('prune', 'alive', now() + interval '1 hour')",
      [],
    );
    await exec("INSERT INTO rate_budget (api, next_slot) VALUES ('chat.get', now())", []);
  } else {
    await exec('INSERT INTO replicas (id, beatAt) VALUES (?, ?)', ['alive', NOW]);
    await exec('INSERT INTO leases (name, holder, expiresAt) VALUES (?, ?, ?)', [
      'prune',
      'alive',
      NOW + 3_600_000,
    ]);
  }
}

/** The contract's reads of every table give the rows that were written. */
async function expectSameRows(s: Store): Promise<void> {
  const rows = legacyRows();
  expect((await s.registry.list()).map((c) => c.chatId)).toEqual(['chatC', 'chatB', 'chatA']);
  expect(await s.registry.get('chatA')).toEqual({ ...rows.chats?.[0], createdByBot: true });
  expect(await s.registry.get('chatB')).toEqual({
    ...rows.chats?.[1],
    openConversationId: undefined,
    createdByBot: false,
  });
  expect((await s.registry.byName('TEAM ALPHA')).map((c) => c.chatId)).toEqual(['chatB', 'chatA']);
  expect((await s.registry.byOpenConversationId('cidC'))?.chatId).toBe('chatC');

  expect(await s.dedupe.claim('done1', NOW)).toEqual({
    state: 'done',
    reply: '{"text":"ok"}',
    delivered: true,
  });
  expect(await s.dedupe.claim('plain', NOW)).toEqual({ state: 'running', claimedAt: NOW - 1, stale: false });
  expect(await s.dedupe.orphaned('self', 60_000)).toEqual([
    { key: 'run1', replicaId: 'ghost', claimedAt: NOW, message: '{"msgId":"run1"}' },
  ]);

  expect(await s.pending.get('K7Q2AB')).toEqual({
    code: 'K7Q2AB',
    kind: 'confirm',
    userId: 'lead1',
    conversationId: 'cidA',
    command: 'chat remove',
    plan: '{"chatId":"chatA"}',
    preview: 'remove bob',
    createdAt: 1000,
    expiresAt: NOW + 60_000,
  });
  expect((await s.pending.list('lead1')).map((p) => [p.kind, p.command, p.plan])).toEqual([
    ['confirm', 'chat owner', '{}'],
    ['confirm', 'chat remove', '{"chatId":"chatA"}'],
    ['pick', 'chat add', '{"words":[1]}'],
  ]);
  const [pick2] = await s.pending.list('lead2', { kind: 'pick' });
  expect(pick2).toMatchObject({
    conversationId: 'cidB',
    plan: '{"words":[2]}',
    createdAt: 1200,
    expiresAt: 1300,
  });
  expect(await s.pending.take(pick2?.code ?? '', NOW)).toMatchObject({ state: 'expired' });

  expect(await s.audit.verify()).toEqual({ ok: true, count: 5 });
  const audit = rows.audit as unknown as AuditRecord[];
  expect(await s.audit.latest(10)).toEqual(
    [...audit].reverse().map((r) => ({
      ...r,
      chatId: r.chatId ?? undefined,
      reason: r.reason ?? undefined,
      errcode: r.errcode ?? undefined,
    })),
  );

  // Each message's intents are one run; one without an outcome is an unanswered write.
  expect((await s.journal.unfinished()).map((r) => r.key)).toEqual(['m-open', 'm-two']);
  expect((await s.journal.unfinished(['r1'])).map((r) => r.key)).toEqual(['m-open', 'm-two']);
  expect(await s.journal.getRun('m-done')).toMatchObject({
    finishedAt: 1100,
    reportedAt: undefined,
    replicaId: 'r1',
  });
  expect(await s.journal.getRun('m-told')).toMatchObject({
    finishedAt: undefined,
    reportedAt: 3000,
    replicaId: 'r2',
  });
  expect(await s.journal.getRun('m-open')).toEqual({
    key: 'm-open',
    userId: 'lead1',
    conversationId: 'cidA',
    command: 'chat add',
    chatId: 'chatA',
    plan: '{}',
    replicaId: 'r1',
    startedAt: 2000,
    finishedAt: undefined,
    reportedAt: undefined,
  });
  expect(await s.journal.writes('m-done')).toEqual([]);
  expect(await s.journal.writes('m-two')).toMatchObject([
    { endpoint: 'unknown', chatId: undefined, request: '{}', startedAt: 4200, outcome: undefined },
  ]);
  expect(await s.journal.writes('m-open')).toMatchObject([
    { endpoint: 'unknown', chatId: 'chatA', outcome: undefined },
  ]);

  expect(await s.kv.get('groupApi')).toBe('v1');
  expect(await s.replicas.dead(60_000)).toEqual([]);
  expect(await s.replicas.leaseHolder('prune')).toBe('alive');
  expect(await s.replicas.lease('prune', 'other', 1000)).toBe(false);
  expect(await s.changes.latestUndoable('lead1', 0)).toMatchObject({
    command: 'chat rename',
    undoneAt: undefined,
  });
  const undone = await s.changes.get(2);
  expect(undone).toMatchObject({ command: 'chat add', undoneAt: 2500 });
  expect(await s.changes.facts('chatA')).toEqual([rows.chat_facts?.[1], rows.chat_facts?.[0]]);

  // And it goes on: new rows follow the old ones.
  await s.registry.upsert({
    chatId: 'chatD',
    openConversationId: undefined,
    name: 'D',
    createdFor: 'lead1',
    createdByBot: true,
    createdAt: 3000,
  });
  expect((await s.registry.list()).map((c) => c.chatId)).toEqual(['chatD', 'chatC', 'chatB', 'chatA']);
  expect((await s.audit.append({ ...audit[0], chatId: undefined } as AuditRecord)).seq).toBe(6);
  expect(await s.audit.verify()).toEqual({ ok: true, count: 6 });
  expect(
    await s.changes.record({ chatId: 'chatA', userId: 'lead1', command: 'x', at: 9000, undo: '[]' }),
  ).toBeGreaterThan(2);
}

describe('migrating forward from the schema of the builds before', () => {
  it('SQLite: a version 3 file with rows in every table', async () => {
    const dir = tempDir();
    const old = new Database(join(dir, 'bot.sqlite'));
    expect(migrate(old, LEGACY_SQLITE)).toBe(3);
    await fill(async (sql, params) => {
      old.prepare(sql).run(...params);
    }, false);
    old.close();
    const s = openStore({ dataDir: dir });
    try {
      await expectSameRows(s);
    } finally {
      await s.close();
    }
    const raw = new Database(join(dir, 'bot.sqlite'), { readonly: true });
    expect(schemaVersion(raw)).toBe(SCHEMA_VERSION);
    raw.close();
  });

  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('PostgreSQL: a version 2 database with rows in every table', async () => {
    const db = await freshDatabase();
    dbs.push(db);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      expect(await migratePostgres(c, LEGACY_POSTGRES)).toBe(2);
      await fill(async (sql, params) => {
        await c.query(sql, params);
      }, true);
    } finally {
      await c.end();
    }
    // Two replicas of the new build start together: one migrates, both read the same rows.
    const [a, b] = await Promise.all([
      openPostgresStore({ url: db.url, replica: 'a' }),
      openPostgresStore({ url: db.url, replica: 'b' }),
    ]);
    try {
      await expectSameRows(a);
      expect(await b.rateBudget?.reserve('chat.get', 50)).toBeGreaterThanOrEqual(0);
      expect(await b.pending.get('K7Q2AB')).toMatchObject({ kind: 'confirm' });
    } finally {
      await a.close();
      await b.close();
    }
    const v = new pg.Client({ connectionString: db.url });
    await v.connect();
    expect(await pgSchemaVersion(v)).toBe(SCHEMA_VERSION);
    await v.end();
  });
  it('PostgreSQL: a version 1 database (before the change history) gets its tables too', async () => {
    const db = await freshDatabase();
    dbs.push(db);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      expect(await migratePostgres(c, LEGACY_POSTGRES.slice(0, 1))).toBe(1);
      await c.query("INSERT INTO kv (key, value) VALUES ('groupApi', 'legacy')");
    } finally {
      await c.end();
    }
    const s = await openPostgresStore({ url: db.url });
    try {
      expect(await s.kv.get('groupApi')).toBe('legacy');
      const id = await s.changes.record({
        chatId: 'c1',
        userId: 'lead1',
        command: 'chat rename',
        at: 5,
        undo: '[]',
      });
      expect((await s.changes.latestUndoable('lead1', 0))?.id).toBe(id);
      await s.changes.setFact({ chatId: 'c1', kind: 'nick', userId: 'u1', value: 'N', at: 1 });
      expect(await s.changes.facts('c1')).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
