/** The bot (or the standalone emulator) as a child process, for start-up, signal and crash tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Child {
  proc: ChildProcess;
  /** stdout lines so far */
  out: string[];
  /** stderr text so far */
  err: () => string;
  /** Resolves with the first stdout line matching `re` (rejects if the process exits first). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when its output closed: it and every process it started have exited. */
  closed(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit, rejecting after timeoutMs. */
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** Signals the whole process group (started with `group: true`), as a terminal or init would. */
  killGroup(signal: NodeJS.Signals): void;
}

/** Environment for a child: PATH and HOME only, plus `env` (no DINGTALK_* from the outside). */
function childEnv(env: Record<string, string>): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) keep[k] = v;
  }
  return { ...keep, ...env };
}

export function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  o: { group?: boolean } = {},
): Child {
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: o.group === true,
  });
  const out: string[] = [];
  let err = '';
  let partial = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) {
      out.push(l);
      for (const w of waiters.splice(0)) {
        if (w.re.test(l)) w.resolve(l);
        else waiters.push(w);
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // 'close' comes when every process holding the pipes (npm's children too) has exited.
  const closed = new Promise<void>((resolve) => proc.on('close', () => resolve()));
  const describe = () => `stdout:\n${out.slice(-20).join('\n')}\nstderr:\n${err.slice(-2000)}`;
  return {
    proc,
    out,
    err: () => err,
    line(re, timeoutMs = 20_000) {
      const seen = out.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line ${re} within ${timeoutMs} ms\n${describe()}`)),
          timeoutMs,
        );
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then((e) => {
          clearTimeout(timer);
          reject(new Error(`exited (${e.code ?? e.signal}) before a line ${re}\n${describe()}`));
        });
      });
    },
    exited,
    closed(timeoutMs = 20_000) {
      return Promise.race([
        closed,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`output still open after ${timeoutMs} ms\n${describe()}`)),
            timeoutMs,
          ),
        ),
      ]);
    },
    exit(timeoutMs = 20_000) {
      return Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`still running after ${timeoutMs} ms\n${describe()}`)),
            timeoutMs,
          ).unref(),
        ),
      ]);
    },
    kill(signal) {
      proc.kill(signal);
    },
    killGroup(signal) {
      if (proc.pid === undefined) return;
      try {
        process.kill(-proc.pid, signal);
      } catch {
        // the group is gone already
      }
    },
  };
}

/** `node --import tsx src/main.ts`: what `npm start` runs, without npm and tsx in between. */
export function startBot(env: Record<string, string>): Child {
  return start(process.execPath, ['--import', 'tsx', 'src/main.ts'], env);
}

/** The "bot is ready" log line of live mode. */
export const READY = /bot is ready/;
