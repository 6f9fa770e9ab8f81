import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  MIGRATIONS,
  type Migration,
  migrate,
  openStore,
  SCHEMA_VERSION,
  SchemaVersionError,
  schemaVersion,
} from '../../../src/store/index.ts';
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
  it('creates a fresh file in a missing folder, in WAL mode, at the latest user_version', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = openStore({ dataDir: dir });
    store.close();
    const file = join(dir, 'bot.sqlite');
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(rawTables(file)).toEqual(
      expect.arrayContaining([
        'audit',
        'audit_no_delete',
        'audit_no_update',
        'chats',
        'confirmations',
        'intents',
        'kv',
        'processed_messages',
      ]),
    );
  });

  it('honours fileName', () => {
    const dir = tempDir();
    openStore({ dataDir: dir, fileName: 'other.db' }).close();
    expect(existsSync(join(dir, 'other.db'))).toBe(true);
    expect(existsSync(join(dir, 'bot.sqlite'))).toBe(false);
  });

  it('keeps data across re-open and does not re-run steps', () => {
    const dir = tempDir();
    const a = openStore({ dataDir: dir });
    a.kv.set('family', 'v1');
    a.registry.upsert({
      chatId: 'chat1',
      openConversationId: 'cid1',
      name: 'Ops',
      createdFor: 'lead1',
      createdByBot: true,
    });
    a.close();
    const b = openStore({ dataDir: dir });
    expect(b.kv.get('family')).toBe('v1');
    expect(b.registry.get('chat1')?.name).toBe('Ops');
    b.close();
    const raw = new Database(join(dir, 'bot.sqlite'));
    expect(schemaVersion(raw)).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('refuses a database written by a newer build, with a clear error', () => {
    const dir = tempDir();
    openStore({ dataDir: dir }).close();
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

  it('opens read-only without writing', () => {
    const dir = tempDir();
    const w = openStore({ dataDir: dir });
    w.kv.set('k', 'v');
    w.close();
    const r = openStore({ dataDir: dir, readonly: true });
    expect(r.kv.get('k')).toBe('v');
    expect(() => r.kv.set('k', 'w')).toThrow(/readonly/i);
    r.close();
    expect(() => openStore({ dataDir: join(dir, 'absent'), readonly: true })).toThrow();
  });

  it('works in memory', () => {
    const s = openStore({ memory: true });
    s.kv.set('a', 'b');
    expect(s.kv.get('a')).toBe('b');
    s.close();
    s.close();
  });
});
