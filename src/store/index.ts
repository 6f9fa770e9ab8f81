/** Persistence behind one interface (architecture.md §1): the contract, written once over SQLite and PostgreSQL. */

export {
  type AuditKeys,
  auditHash,
  auditKeyId,
  auditKeys,
  type ChainHead,
  type ChainVerdict,
  canonicalAuditJson,
  GENESIS_HASH,
  verifyAuditChain,
} from './audit-chain.ts';
export { databaseUrlPassword, describeDatabaseUrl, StoreUnavailableError } from './errors.ts';
export { migratePostgres, type OpenPostgresOptions, openPostgresStore, pgSchemaVersion } from './postgres.ts';
export { type Kind, MIGRATIONS, type Migration, SCHEMA_VERSION, SchemaVersionError } from './schema.ts';
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_DB_FILE,
  migrate,
  type OpenStoreOptions,
  openStore,
  type SqliteStore,
  type StoreTuning,
  schemaVersion,
  storePath,
} from './sqlite.ts';
export { AUDIT_HEAD_KEY, DEFAULT_STALE_CLAIM_MS } from './store.ts';
export type * from './types.ts';
