/**
 * The sandbox's audit key (src/store/audit-chain.ts): a sandbox has no client secret of its own to
 * derive one from, so it keeps a random key beside its database. A live bot never does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The sandbox's own audit key, in its data folder (a sandbox has no secret of its own to derive one from). */
export const SANDBOX_AUDIT_KEY_FILE = 'audit.key';

export function readSandboxAuditKey(dataDir: string): string | undefined {
  const file = join(dataDir, SANDBOX_AUDIT_KEY_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}

/** The sandbox's audit key: the one in its folder, or a new random one written there (mode 600). */
export function sandboxAuditKey(dataDir: string): string {
  const had = readSandboxAuditKey(dataDir);
  if (had !== undefined) return had;
  const key = randomBytes(32).toString('hex');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, SANDBOX_AUDIT_KEY_FILE), `${key}\n`, { mode: 0o600 });
  return key;
}
