/** Persistence behind one interface (architecture.md §1): the contract, its SQLite and PostgreSQL implementations. */

export {
  auditHash,
  type ChainHead,
  type ChainVerdict,
  canonicalAuditJson,
  GENESIS_HASH,
  verifyAuditChain,
} from './audit-chain.ts';
export { databaseUrlPassword, describeDatabaseUrl, StoreUnavailableError } from './errors.ts';
export {
  MIGRATIONS,
  type Migration,
  migrate,
  SCHEMA_VERSION,
  SchemaVersionError,
  schemaVersion,
} from './migrations.ts';
export {
  migratePostgres,
  PG_MIGRATIONS,
  PG_SCHEMA_VERSION,
  type PgMigration,
  PgSchemaVersionError,
  pgSchemaVersion,
} from './pg-migrations.ts';
export { type OpenPostgresOptions, openPostgresStore } from './postgres.ts';
export {
  AUDIT_HEAD_KEY,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_DB_FILE,
  DEFAULT_STALE_CLAIM_MS,
  type OpenStoreOptions,
  openStore,
  type SqliteStore,
  type StoreTuning,
  storePath,
} from './sqlite.ts';
export type * from './types.ts';
