/**
 * One process per SQLite file. Each statement on the file is atomic, but two bots on one file
 * would each spend DingTalk's whole rate budget and report each other's running writes as
 * interrupted, so a second process is refused at start with a message saying who holds the
 * file. The hold is a lease in the file itself (renewed with the heartbeat, given up at stop); a
 * holder whose process is gone (same host, no such pid: a crash or SIGKILL) is taken over at once.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ReplicaStore } from './types.ts';

/** The lease's name in the `leases` table. */
export const SQLITE_FILE_LEASE = 'sqlite-file';
/** A holder that stopped renewing loses the file after this long (another host sharing the folder). */
export const SQLITE_FILE_LEASE_MS = 30_000;

/** Another running process holds the SQLite file. */
export class StoreInUseError extends Error {
  constructor(
    readonly holder: string,
    readonly file: string,
  ) {
    const [host, pid] = holder.split(':');
    super(
      `${file} is in use by another bot process (pid ${pid ?? '?'} on ${host ?? '?'}); ` +
        'two processes on one SQLite file are refused: stop the other one, give this one its own ' +
        'BOT_DATA_DIR, or set DATABASE_URL to run several replicas on PostgreSQL',
    );
    this.name = 'StoreInUseError';
  }
}

/** This process's holder id: `host:pid:replica`. */
export function fileHolder(replicaId: string): string {
  return `${hostname()}:${process.pid}:${replicaId}`;
}

/** Whether the process named by a holder id may still be running. */
function mayBeAlive(holder: string): boolean {
  const [host, pidText] = holder.split(':');
  // Another host (a shared folder): only the lease's expiry can tell.
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // This very process: an earlier app of it (tests, the bench) that was not stopped.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed holder whose parent has not reaped it yet still answers kill(0): a zombie is dead.
  return !isZombie(pid);
}

/** Linux: the process is a zombie (state Z) or dead (X) by /proc/<pid>/stat; false where unknown. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`: comm may hold spaces and parentheses, so read after the last `)`.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** Takes the file for `holder`, or throws {@link StoreInUseError} naming who has it. */
export async function holdSqliteFile(replicas: ReplicaStore, holder: string, file: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await replicas.lease(SQLITE_FILE_LEASE, holder, SQLITE_FILE_LEASE_MS)) return;
    const current = await replicas.leaseHolder(SQLITE_FILE_LEASE);
    if (current === undefined) continue;
    if (mayBeAlive(current)) throw new StoreInUseError(current, file);
    // Gone: give its lease up for it. Of two processes doing this at once, one gets the lease.
    await replicas.release(SQLITE_FILE_LEASE, current);
  }
  const current = await replicas.leaseHolder(SQLITE_FILE_LEASE);
  throw new StoreInUseError(current ?? '?:?', file);
}
