/**
 * PostgreSQL for tests: the run's server (see pg-global-setup.ts) and a fresh database per test
 * file, so files never see each other's rows. Tests fail, never skip, when there is no server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export { type Cluster, findPostgresBin, startCluster } from './pg-cluster.ts';

/** A database of its own; `drop` removes it (connections still open are cut). */
export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** The run's server URL (a database tests may CREATE DATABASE from). Throws when there is none. */
export function pgAdminUrl(): string {
  const url = inject('pgAdminUrl');
  if (url === '') {
    throw new Error(`PostgreSQL tests cannot run: ${inject('pgUnavailable') || 'no server was started'}`);
  }
  return url;
}

/** `url` with its database replaced by `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgAdminUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `t_<random>` on the run's server. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(pgAdminUrl(), name),
    name,
    drop: async () => {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
