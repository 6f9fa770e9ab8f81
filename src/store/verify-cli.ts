/**
 * `npm run audit:verify [-- --data-dir <dir>]`: recomputes the audit hash chain of the bot's
 * database: the PostgreSQL one when DATABASE_URL is set (and no --data-dir is given), else the
 * SQLite file. Exit 0 when intact, 1 with the first broken record, 2 when the database cannot be
 * read (missing, unreachable, newer schema, bad configuration or arguments).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { openPostgresStore } from './postgres.ts';
import { SchemaVersionError } from './schema.ts';
import { openStore, type SqliteStore, storePath } from './sqlite.ts';
import type { AuditRecord, AuditVerdict, Store } from './types.ts';

const USAGE =
  'usage: npm run audit:verify [-- --data-dir <dir>]\n' +
  '  verifies PostgreSQL when DATABASE_URL is set, else the SQLite file in BOT_DATA_DIR (default ./data)\n';

function out(text: string): void {
  process.stdout.write(text);
}

function err(text: string): void {
  process.stderr.write(text);
}

/** Parses argv; returns the data folder override, 'help', or an error message. */
function parseArgs(argv: readonly string[]): { dataDir: string | undefined } | 'help' | { error: string } {
  let dataDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--data-dir') {
      const v = argv[i + 1];
      if (v === undefined || v === '') return { error: '--data-dir needs a folder' };
      dataDir = v;
      i++;
    } else if (a.startsWith('--data-dir=')) {
      dataDir = a.slice('--data-dir='.length);
      if (dataDir === '') return { error: '--data-dir needs a folder' };
    } else {
      return { error: `unknown argument: ${a}` };
    }
  }
  return { dataDir };
}

/** Read-only when the file allows it; a read-write open is the fallback (e.g. WAL without -shm access). */
function open(dataDir: string): SqliteStore {
  try {
    return openStore({ dataDir, readonly: true });
  } catch (e) {
    if (e instanceof SchemaVersionError) throw e;
    return openStore({ dataDir });
  }
}

/** Prints the verdict of `audit` (and the record it names); returns the exit code. */
async function report(audit: {
  verify(): AuditVerdict | Promise<AuditVerdict>;
  get(seq: number): AuditRecord | undefined | Promise<AuditRecord | undefined>;
}): Promise<number> {
  const verdict = await audit.verify();
  if (verdict.ok) {
    out(`audit chain OK: ${verdict.count} records\n`);
    return 0;
  }
  const rec = await audit.get(verdict.seq);
  out(`audit chain BROKEN at seq ${verdict.seq}: ${verdict.reason}\n`);
  out(`record ${verdict.seq}: ${rec === undefined ? '(missing)' : JSON.stringify(rec)}\n`);
  return 1;
}

/** Verifies the shared PostgreSQL store, read-only (no migration, read-only sessions). */
async function verifyPostgres(url: string): Promise<number> {
  let store: Store;
  try {
    store = await openPostgresStore({ url, readonly: true, poolSize: 1 });
  } catch (e) {
    // The store's errors name the database without its password.
    err(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    return await report(store.audit);
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  } finally {
    await store.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args === 'help') {
    out(USAGE);
    return 0;
  }
  if ('error' in args) {
    err(`${args.error}\n${USAGE}`);
    return 2;
  }
  let dataDir = args.dataDir;
  if (dataDir === undefined) {
    let config: ReturnType<typeof loadConfig>;
    try {
      config = loadConfig();
    } catch (e) {
      err(`${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    if (config.databaseUrl !== undefined) return verifyPostgres(config.databaseUrl);
    dataDir = config.dataDir;
  }
  const file = resolve(storePath(dataDir));
  if (!existsSync(file)) {
    err(`no bot database at ${file}: check BOT_DATA_DIR or pass --data-dir <dir>\n`);
    return 2;
  }
  let store: SqliteStore;
  try {
    store = open(dataDir);
  } catch (e) {
    err(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    return await report(store.audit);
  } finally {
    await store.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
