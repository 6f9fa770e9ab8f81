/**
 * `npm run audit:verify [-- --data-dir <dir>]`: recomputes the audit hash chain of the bot's
 * database: the PostgreSQL one when DATABASE_URL is set (and no --data-dir is given), else the
 * SQLite file. Exit 0 when intact, 1 with the first broken record, 2 when the database cannot be
 * read (missing, unreachable, newer schema, bad configuration or arguments).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from './config.ts';
import { readSandboxAuditKey } from './sandbox/audit-key.ts';
import { type AuditKeys, auditKeys } from './store/audit-chain.ts';
import { openPostgresStore } from './store/postgres.ts';
import { SchemaVersionError } from './store/schema.ts';
import { openStore, type SqliteStore, storePath } from './store/sqlite.ts';
import type { AuditRecord, AuditVerdict, Store } from './store/types.ts';

const USAGE =
  'usage: npm run audit:verify [-- --data-dir <dir>] [--accept-unkeyed]\n' +
  '  verifies PostgreSQL when DATABASE_URL is set, else the SQLite file in BOT_DATA_DIR (default ./data)\n' +
  '  with the audit key of BOT_AUDIT_KEY (else the one derived from DINGTALK_CLIENT_SECRET; the sandbox\n' +
  '  keeps its own in <dir>/audit.key) and the old keys of BOT_AUDIT_OLD_KEYS\n' +
  '  --accept-unkeyed: records at the start written before audit keys (hash-chained only) are accepted\n';

function out(text: string): void {
  process.stdout.write(text);
}

function err(text: string): void {
  process.stderr.write(text);
}

interface Args {
  dataDir: string | undefined;
  acceptUnkeyed: boolean;
}

/** Parses argv; returns the data folder override, 'help', or an error message. */
function parseArgs(argv: readonly string[]): Args | 'help' | { error: string } {
  let dataDir: string | undefined;
  let acceptUnkeyed = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--accept-unkeyed') {
      acceptUnkeyed = true;
      continue;
    }
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
  return { dataDir, acceptUnkeyed };
}

/** Read-only when the file allows it; a read-write open is the fallback (e.g. WAL without -shm access). */
function open(dataDir: string, keys: AuditKeys): SqliteStore {
  try {
    return openStore({ dataDir, readonly: true, auditKeys: keys });
  } catch (e) {
    if (e instanceof SchemaVersionError) throw e;
    return openStore({ dataDir, auditKeys: keys });
  }
}

/** Prints the verdict of `audit` (and the record it names); returns the exit code. */
async function report(
  audit: {
    verify(): AuditVerdict | Promise<AuditVerdict>;
    get(seq: number): AuditRecord | undefined | Promise<AuditRecord | undefined>;
  },
  acceptUnkeyed: boolean,
): Promise<number> {
  const verdict = await audit.verify();
  if (verdict.ok) {
    const unkeyed = verdict.unkeyed ?? 0;
    if (unkeyed > 0 && !acceptUnkeyed) {
      out(
        `audit chain NOT VERIFIED: the first ${unkeyed} of ${verdict.count} records carry no key seal. ` +
          'Records written before audit keys existed are only hash-chained; if that is what these are, ' +
          'run again with --accept-unkeyed. If keys were in use then, the records were rewritten.\n',
      );
      return 1;
    }
    out(
      `audit chain OK: ${verdict.count} records` +
        (unkeyed > 0 ? ` (${unkeyed} at the start only hash-chained, written before audit keys)` : '') +
        '\n',
    );
    return 0;
  }
  const rec = await audit.get(verdict.seq);
  out(`audit chain BROKEN at seq ${verdict.seq}: ${verdict.reason}\n`);
  out(`record ${verdict.seq}: ${rec === undefined ? '(missing)' : JSON.stringify(rec)}\n`);
  return 1;
}

/** Verifies the shared PostgreSQL store, read-only (no migration, read-only sessions). */
async function verifyPostgres(url: string, keys: AuditKeys, acceptUnkeyed: boolean): Promise<number> {
  let store: Store;
  try {
    store = await openPostgresStore({ url, readonly: true, poolSize: 1, auditKeys: keys });
  } catch (e) {
    // The store's errors name the database without its password.
    err(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    return await report(store.audit, acceptUnkeyed);
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
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (args.dataDir === undefined && config.databaseUrl !== undefined)
    return verifyPostgres(
      config.databaseUrl,
      auditKeys(config.auditKey, config.auditOldKeys),
      args.acceptUnkeyed,
    );
  const dataDir = args.dataDir ?? config.dataDir;
  // The sandbox keeps its key beside its database (it is a sandbox); a live bot never does.
  const sandboxKey = readSandboxAuditKey(dataDir);
  const keys = auditKeys(config.auditKey ?? sandboxKey, [
    ...config.auditOldKeys,
    ...(sandboxKey !== undefined && config.auditKey !== undefined ? [sandboxKey] : []),
  ]);
  const file = resolve(storePath(dataDir));
  if (!existsSync(file)) {
    err(`no bot database at ${file}: check BOT_DATA_DIR or pass --data-dir <dir>\n`);
    return 2;
  }
  let store: SqliteStore;
  try {
    store = open(dataDir, keys);
  } catch (e) {
    err(`cannot open ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  try {
    return await report(store.audit, args.acceptUnkeyed);
  } finally {
    await store.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
