/** The store contract suite against a real PostgreSQL server, a fresh database per test. */
import { openPostgresStore } from '../../src/store/postgres.ts';
import type { Store } from '../../src/store/types.ts';
import { freshDatabase, type TestDatabase } from '../helpers/pg.ts';
import { storeContract } from './contract.ts';

const databases = new WeakMap<Store, TestDatabase>();

storeContract(
  'postgres',
  async () => {
    const db = await freshDatabase();
    const store = await openPostgresStore({ url: db.url, replica: 'contract' });
    databases.set(store, db);
    return store;
  },
  async (s) => {
    await s.close();
    await databases.get(s)?.drop();
  },
);
