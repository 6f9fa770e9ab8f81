import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  type Migration,
  migrate,
  openStore,
  SCHEMA_VERSION,
  SchemaVersionError,
  schemaVersion,
} from '../../../src/store/index.ts';
import { LEGACY_SQLITE } from '../../store/legacy-schema.ts';
import { tempDir } from './tmp.ts';

function rawTables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') ORDER BY name",
      )
      .all()
      .map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('migrations', () => {
  it('creates a fresh file in a missing folder, in WAL mode, at the latest user_version', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = openStore({ dataDir: dir });
    await store.close();
    const file = join(dir, 'bot.sqlite');
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(rawTables(file)).toEqual(
      expect.arrayContaining([
        'audit',
        'audit_no_delete',
        'audit_no_update',
        'chats',
        'journal_runs',
        'journal_writes',
        'kv',
        'leases',
        'pending',
        'processed_messages',
        'replicas',
      ]),
    );
  });

  it('honours fileName', async () => {
    const dir = tempDir();
    await openStore({ dataDir: dir, fileName: 'other.db' }).close();
    expect(existsSync(join(dir, 'other.db'))).toBe(true);
    expect(existsSync(join(dir, 'bot.sqlite'))).toBe(false);
  });

  it('keeps data across re-open and does not re-run steps', async () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    await a.kv.set('family', 'v1');
    await a.registry.upsert({
      chatId: 'chat1',
      openConversationId: 'cid1',
      name: 'Ops',
      createdFor: 'lead1',
      createdByBot: true,
    });
    await a.close();
    const b = openStore({ dataDir: dir });
    expect(await b.kv.get('family')).toBe('v1');
    expect((await b.registry.get('chat1'))?.name).toBe('Ops');
    await b.close();
    const raw = new Database(join(dir, 'bot.sqlite'));
    expect(schemaVersion(raw)).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a database written by a newer build, with a clear error', async () => {
    const dir = tempDir();
    await openStore({ dataDir: dir }).close();
    const raw = new Database(join(dir, 'bot.sqlite'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    expect(() => openStore({ dataDir: dir })).toThrow(SchemaVersionError);
    expect(() => openStore({ dataDir: dir })).toThrow(/newer than this build supports/);
  });

  it('applies steps in order and rolls a failing step back entirely', () => {
    const db = new Database(':memory:');
    const steps: Migration[] = [
      { version: 1, sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, sql: 'CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);' },
      { version: 3, sql: 'CREATE TABLE c (z INTEGER); SELECT * FROM no_such_table;' },
    ];
    expect(() => migrate(db, steps)).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(2);
    const names = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
    expect(names).toEqual(['a', 'b']);
    // Re-running the first two steps is a no-op: the row inserted by step 2 is not duplicated.
    expect(migrate(db, steps.slice(0, 2))).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 });
    db.close();
  });

  it('opens read-only without writing', async () => {
    const dir = tempDir();
    const w = openStore({ dataDir: dir });
    await w.kv.set('k', 'v');
    await w.close();
    const r = openStore({ dataDir: dir, readonly: true });
    expect(await r.kv.get('k')).toBe('v');
    await expect(r.kv.set('k', 'w')).rejects.toThrow(/readonly/i);
    await r.close();
    expect(() => openStore({ dataDir: join(dir, 'absent'), readonly: true })).toThrow();
  });

  it('works in memory; close twice is harmless, and a closed store rejects ping', async () => {
    const s = openStore({ memory: true });
    await s.kv.set('a', 'b');
    expect(await s.kv.get('a')).toBe('b');
    await s.ping();
    await s.close();
    await s.close();
    await expect(s.ping()).rejects.toThrow();
  });

  it('migrates an existing version 1 file to the latest version and keeps its data', async () => {
    const dir = tempDir();
    const file = join(dir, 'bot.sqlite');
    const v1 = new Database(file);
    expect(migrate(v1, LEGACY_SQLITE.slice(0, 1))).toBe(1);
    v1.prepare(
      `INSERT INTO chats (chatId, openConversationId, name, createdFor, createdByBot, createdAt, updatedAt)
       VALUES ('chat1', 'cid1', 'Ops', 'lead1', 1, 1000, 1000)`,
    ).run();
    v1.prepare(
      `INSERT INTO processed_messages (key, state, reply, delivered, claimedAt, finishedAt)
       VALUES ('done1', 'done', 'r', 1, 1000, 1100), ('run1', 'running', NULL, 0, 1200, NULL)`,
    ).run();
    v1.prepare(
      `INSERT INTO intents (msgKey, userId, conversationId, command, chatId, summary, startedAt)
       VALUES ('m1', 'lead1', 'cid1', 'chat add', 'chat1', 'add u1', 1000)`,
    ).run();
    v1.prepare("INSERT INTO kv (key, value) VALUES ('family', 'v1')").run();
    v1.close();

    const s = openStore({ dataDir: dir });
    expect((await s.registry.get('chat1'))?.name).toBe('Ops');
    expect(await s.dedupe.claim('done1', 2000)).toEqual({ state: 'done', reply: 'r', delivered: true });
    // A claim from before replicas has no owner: it is reported without one and is never an orphan.
    expect(await s.dedupe.claim('run1', 2000)).toEqual({ state: 'running', claimedAt: 1200, stale: false });
    expect(await s.dedupe.orphaned('self', 0)).toEqual([]);
    expect(await s.journal.unfinished()).toMatchObject([{ key: 'm1', replicaId: '' }]);
    expect(await s.journal.unfinished([''])).toHaveLength(1);
    expect(await s.kv.get('family')).toBe('v1');
    const pick = {
      code: 'p1',
      kind: 'pick',
      userId: 'lead1',
      conversationId: 'cid1',
      command: 'chat add',
    } as const;
    await s.pending.put({ ...pick, plan: '{}', preview: '', createdAt: 1000, expiresAt: 2000 });
    expect((await s.pending.get('p1'))?.command).toBe('chat add');
    expect(await s.replicas.lease('prune', 'r1', 60_000)).toBe(true);
    await s.close();
    const raw = new Database(file, { readonly: true });
    expect(schemaVersion(raw)).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('migrates a version 2 file: the change history starts empty and works', async () => {
    const dir = tempDir();
    const v2 = new Database(join(dir, 'bot.sqlite'));
    expect(migrate(v2, LEGACY_SQLITE.slice(0, 2))).toBe(2);
    v2.prepare("INSERT INTO kv (key, value) VALUES ('family', 'legacy')").run();
    v2.close();
    const s = openStore({ dataDir: dir });
    expect(await s.kv.get('family')).toBe('legacy');
    expect(await s.changes.latestUndoable('lead1', 0)).toBeUndefined();
    const id = await s.changes.record({
      chatId: 'c1',
      userId: 'lead1',
      command: 'chat rename',
      at: 5,
      undo: '[]',
    });
    expect((await s.changes.latestUndoable('lead1', 0))?.id).toBe(id);
    await s.close();
  });

  it('a read-only open of a version 1 file asks for one start with write access', () => {
    const dir = tempDir();
    const v1 = new Database(join(dir, 'bot.sqlite'));
    migrate(v1, LEGACY_SQLITE.slice(0, 1));
    v1.close();
    expect(() => openStore({ dataDir: dir, readonly: true })).toThrow(/start the bot once with write access/);
  });
});
