/** The store contract suite against SQLite (in memory: file behaviour is tested in test/unit/store). */
import { openStore } from '../../src/store/index.ts';
import { storeContract } from './contract.ts';

storeContract(
  'sqlite',
  async () => openStore({ memory: true }),
  (s) => s.close(),
);
