/** Spawns `node --import tsx src/main.ts` in sandbox mode and reads its transcript. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The environment of a fresh machine: no DingTalk credentials (even if a .env has some), no bot settings. */
export function sandboxEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DINGTALK_|BOT_)/.test(k) && k !== 'LOG_LEVEL') env[k] = v;
  }
  // Empty values override a developer's .env, which loadConfig reads from the working folder.
  return {
    ...env,
    DINGTALK_CLIENT_ID: '',
    DINGTALK_CLIENT_SECRET: '',
    BOT_ADMINS: '',
    BOT_LEADS: '',
    BOT_POLICY_FILE: '',
    BOT_LOCALE: 'en',
    BOT_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    NO_COLOR: '1',
  };
}

export function spawnSandbox(dataDir: string, args: string[] = []): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: sandboxEnv(dataDir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Pipes `script` into the sandbox and waits for it to exit (killed after `timeoutMs`). */
export function runScript(
  dataDir: string,
  script: string,
  opts: { args?: string[]; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = spawnSandbox(dataDir, opts.args);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.end(script);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Turn {
  user: string;
  where: string;
  line: string;
  /** What was printed after the echoed line, up to the next one. */
  out: string;
}

/** Splits a transcript at the echoed input lines (`lead1@dm> /help`). */
export function turns(stdout: string): Turn[] {
  const out: Turn[] = [];
  for (const row of stdout.split('\n')) {
    const m = /^([A-Za-z0-9_.\-$]+)@(.+?)> (.*)$/.exec(row);
    if (m) out.push({ user: m[1] as string, where: m[2] as string, line: m[3] as string, out: '' });
    else if (out.length > 0) (out[out.length - 1] as Turn).out += `${row}\n`;
  }
  return out;
}

/** The output of the turn whose input line is `line` (the `nth` such turn, default the first). */
export function replyTo(stdout: string, line: string, nth = 0): string {
  const found = turns(stdout).filter((t) => t.line === line)[nth];
  if (!found) throw new Error(`no turn "${line}" in:\n${stdout}`);
  return found.out;
}
