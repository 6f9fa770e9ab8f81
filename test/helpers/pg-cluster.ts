/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp folder, trust auth, listening on
 * 127.0.0.1 only (socket in the folder), fsync off. Runs as the `postgres` OS user when the
 * tests run as root (initdb and postgres refuse root). No vitest imports: the global setup uses it.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running cluster; `stop` shuts it down and deletes its folder (idempotent). */
export interface Cluster {
  /** superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:54321/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The folder holding `initdb`, `pg_ctl` and `postgres`: the newest /usr/lib/postgresql/N/bin
 * (Debian), else the PATH. undefined when there is none.
 */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a new cluster. Throws with a clear message when there are no binaries or it fails. */
export async function startCluster(): Promise<Cluster> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    throw new Error(
      'no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH: ' +
        'install them (apt-get install postgresql) or set TEST_DATABASE_URL to a server the tests may create databases on',
    );
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'dgb-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const pgUser = (cmd: string, args: string[]): Promise<string> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  let started = false;
  const cleanup = async (): Promise<void> => {
    if (started) {
      started = false;
      await pgUser('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (asRoot) {
      let uid: number;
      let gid: number;
      try {
        uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
        gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      } catch {
        throw new Error(
          'tests run as root, and initdb refuses root, but there is no `postgres` OS user to run it as',
        );
      }
      chownSync(dir, uid, gid);
    }
    await pgUser('initdb', [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    // A port can be taken between choosing and binding it; a few tries cover that race.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      appendFileSync(
        join(data, 'postgresql.conf'),
        [
          '',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${dir}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 200',
          '',
        ].join('\n'),
      );
      try {
        await pgUser('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
        started = true;
        return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop: cleanup };
      } catch (err) {
        lastError = err;
        if (!/could not bind|Address already in use/i.test(readLog(log))) break;
      }
    }
    throw new Error(`PostgreSQL did not start: ${String(lastError)}\n${readLog(log)}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
