/**
 * The README's PostgreSQL set-up for a protected audit table, on a real server: the schema is
 * made by an owner role, and the bot runs as a role that may only INSERT and SELECT the audit
 * table (full use of the others). The bot works (a command's record is appended and verifies);
 * the bot's role can neither change nor delete an audit record, nor drop the table's guard.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditKeys, openPostgresStore } from '../../src/store/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/pg.ts';

const RUNTIME_GRANTS = (role: string) => `
  GRANT CONNECT ON DATABASE current_database_placeholder TO ${role};
  GRANT USAGE ON SCHEMA public TO ${role};
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
  REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM ${role};
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
`;

describe('the audit table under a runtime role that may only INSERT and SELECT it', () => {
  let db: TestDatabase;
  let runtimeUrl: string;
  const role = `bot_rt_${Math.random().toString(16).slice(2, 8)}`;
  beforeAll(async () => {
    db = await freshDatabase();
    // The owner makes the schema (the bot's first start, run with the owner's URL).
    const owner = await openPostgresStore({ url: db.url });
    await owner.close();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'rt-secret'`);
      await c.query(RUNTIME_GRANTS(role).replace('current_database_placeholder', db.name));
    } finally {
      await c.end();
    }
    const u = new URL(db.url);
    u.username = role;
    u.password = 'rt-secret';
    runtimeUrl = u.toString();
  });
  afterAll(async () => {
    await db?.drop();
    const c = new pg.Client({ connectionString: db.url.replace(`/${db.name}`, '/postgres') });
    await c.connect().catch(() => {});
    await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await c.end().catch(() => {});
  });

  it('the bot works as that role, and the role cannot rewrite the audit table', async () => {
    const keys = auditKeys('runtime-role-test-key-0123456789');
    const store = await openPostgresStore({ url: runtimeUrl, auditKeys: keys });
    try {
      await store.registry.upsert({
        chatId: 'chat1',
        openConversationId: undefined,
        name: 'Role',
        createdFor: 'lead1',
        createdByBot: true,
      });
      for (const i of [1, 2])
        await store.audit.append({
          at: 1_700_000_000_000 + i,
          userId: 'lead1',
          command: 'chat rename',
          chatId: 'chat1',
          args: '{}',
          outcome: 'allowed',
          reason: undefined,
          errcode: undefined,
          durationMs: 3,
        });
      expect(await store.audit.verify()).toEqual({ ok: true, count: 2 });
    } finally {
      await store.close();
    }
    const c = new pg.Client({ connectionString: runtimeUrl });
    await c.connect();
    try {
      await expect(c.query(`UPDATE audit SET "userId" = 'mallory' WHERE seq = 1`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(c.query('DELETE FROM audit WHERE seq = 2')).rejects.toThrow(/permission denied/);
      await expect(c.query('TRUNCATE audit')).rejects.toThrow(/permission denied/);
      await expect(c.query('ALTER TABLE audit DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
    } finally {
      await c.end();
    }
  });
});
