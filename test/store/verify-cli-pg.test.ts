/** `npm run audit:verify` against PostgreSQL (DATABASE_URL), on the run's real server. */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { freshDatabase, type TestDatabase } from '../helpers/pg.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(databaseUrl: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'src/audit-verify.ts'],
      { env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function exec(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase();
  const s = await openPostgresStore({ url: db.url });
  for (let i = 1; i <= 3; i++) {
    await s.audit.append({
      at: 1_700_000_000_000 + i,
      userId: 'lead1',
      command: 'chat add',
      chatId: 'chat1',
      args: JSON.stringify({ i }),
      outcome: 'allowed',
      reason: undefined,
      errcode: undefined,
      durationMs: 3,
    });
  }
  await s.close();
});

afterAll(async () => {
  await db?.drop();
});

describe('audit:verify with DATABASE_URL', () => {
  it('reports an intact chain (exit 0)', async () => {
    const r = await cli(db.url);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('audit chain OK: 3 records\n');
    expect(r.code).toBe(0);
  });

  it('reports the first broken record (exit 1)', async () => {
    await exec(
      db.url,
      `ALTER TABLE audit DISABLE TRIGGER audit_no_update;
       UPDATE audit SET args = '{"i":99}' WHERE seq = 2;
       ALTER TABLE audit ENABLE TRIGGER audit_no_update`,
    );
    const r = await cli(db.url);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('audit chain BROKEN at seq 2: hash mismatch');
    expect(r.stdout).toContain('record 2: {"seq":2');
  });

  it('does not migrate an empty database (exit 2)', async () => {
    const empty = await freshDatabase();
    try {
      const r = await cli(empty.url);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('schema version 0 is not usable');
    } finally {
      await empty.drop();
    }
  });

  it('names an unreachable server without its password (exit 2)', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const r = await cli(`postgres://bot:hunter2-secret@127.0.0.1:${port}/botdb`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`postgres://bot@127.0.0.1:${port}/botdb`);
    expect(r.stderr + r.stdout).not.toContain('hunter2-secret');
  });
});
