/**
 * What both entry points run: read the configuration, then run live (credentials given) or,
 * from `npm start` only, the sandbox (none). `src/main.ts` is `npm start`; `src/prod.ts` is the
 * production bundle `dist/main.js`, which has no sandbox and exits 1 without credentials.
 */
import { pino } from 'pino';
import { type App, auditKeysOf, createApp } from './app.ts';
import { PROCESS_REPLICA_ID } from './bot/pipeline.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { StoreInUseError } from './store/file-lock.ts';
import { databaseUrlPassword, describeDatabaseUrl, openPostgresStore } from './store/index.ts';
import type { Store } from './store/types.ts';

const HELP = `dingtalk-group-bot: create and manage DingTalk group chats with slash commands.

Usage:
  npm start                 live mode when DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are set,
                            otherwise the sandbox: an in-process DingTalk and a terminal chat
  npm start -- --reset      sandbox: forget the demo org's saved state first
  npm start -- --help       this text
  npm run build && npm run start:prod
                            production: the bundled bot (dist/main.js) under plain node, what
                            the systemd unit in deploy/ runs; live mode only: without
                            DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET it exits 1

Settings (environment or .env): DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET, DINGTALK_API_BASE,
DINGTALK_OAPI_BASE, DINGTALK_ROBOT_CODE, DINGTALK_GROUP_API (auto|legacy|v1), BOT_ADMINS,
BOT_LEADS, BOT_POLICY_FILE, BOT_LOCALE (en|zh-CN), BOT_DATA_DIR, BOT_TIMEZONE (IANA, default
Asia/Shanghai), BOT_USER_RATE (per-person limit, default 20/10s, or off), BOT_AUDIT_KEY and
BOT_AUDIT_OLD_KEYS (the audit seal's keys), DATABASE_URL (PostgreSQL shared by several
replicas), BOT_HTTP_PORT, BOT_HTTP_HOST (health and metrics), LOG_LEVEL, NO_COLOR.
See README.md.
`;

/** How many times in a row a refused client id/secret is retried before live mode gives up. */
const MAX_AUTH_FAILURES = 3;
/** On SIGTERM/SIGINT, how long running commands may take to finish. */
const DRAIN_MS = 10_000;
/** After a signal, exit no later than this even if something hangs (drain + closing sockets). */
const SHUTDOWN_DEADLINE_MS = 15_000;
/** A repeat of a signal sooner than this is a duplicate, not a request to stop at once. */
const REPEAT_SIGNAL_GRACE_MS = 1_000;

/** Log lines are written asynchronously; this flushes what is buffered before the process exits. */
const stdout = pino.destination({ dest: 1, sync: false });
function flushLogs(): void {
  try {
    stdout.flushSync();
  } catch {
    // nothing buffered, or stdout is gone: nothing more to do
  }
}

/** Loads the sandbox; only `npm start` has one, so the production bundle never contains it. */
export type SandboxLoader = () => Promise<typeof import('./sandbox/index.ts')>;

/** The flags each entry knows; anything else is refused with this list (a typo must not be ignored). */
export function unknownFlags(argv: readonly string[], withSandbox: boolean): string | undefined {
  const known = withSandbox ? ['--reset', '--help', '-h'] : ['--help', '-h'];
  const wrong = argv.filter((a) => !known.includes(a));
  if (wrong.length === 0) return undefined;
  return `Unknown option${wrong.length > 1 ? 's' : ''} ${wrong.join(' ')}. Known: ${known.join(', ')}.\n`;
}

async function main(argv: string[], sandbox: SandboxLoader | undefined): Promise<number> {
  const wrong = unknownFlags(argv, sandbox !== undefined);
  if (wrong !== undefined) {
    process.stderr.write(wrong);
    return 2;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (config.mode === 'sandbox') {
    if (!sandbox) {
      // A service started without its credentials must fail, not idle happily in a demo.
      process.stderr.write(
        'dist/main.js is the production bot: DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are not set ' +
          '(environment or .env); `npm start` runs the sandbox without them.\n',
      );
      return 1;
    }
    // Loaded only here: live mode never loads the emulator the sandbox runs on.
    const { runSandbox } = await sandbox();
    return runSandbox({ config, reset: argv.includes('--reset') });
  }
  const logger = createLogger({
    level: config.logLevel,
    secrets: [
      config.credentials?.clientSecret ?? '',
      config.auditKey ?? '',
      ...config.auditOldKeys,
      config.databaseUrl === undefined ? '' : (databaseUrlPassword(config.databaseUrl) ?? ''),
    ],
    destination: stdout,
  });
  return runLive(config, logger);
}

async function runLive(config: Config, logger: Logger): Promise<number> {
  let store: Store | undefined;
  if (config.databaseUrl !== undefined) {
    try {
      store = await openPostgresStore({
        url: config.databaseUrl,
        replica: PROCESS_REPLICA_ID,
        auditKeys: auditKeysOf(config),
      });
    } catch (err) {
      // One line: the store's errors name host, port and database and never the password.
      logger.fatal(
        { database: describeDatabaseUrl(config.databaseUrl), err: (err as Error).message },
        'cannot use DATABASE_URL; check that PostgreSQL runs there and that the user, password and database are right',
      );
      flushLogs();
      return 1;
    }
  }
  let app: App;
  try {
    app = createApp({
      config,
      logger,
      stream: { maxAuthFailures: MAX_AUTH_FAILURES },
      ...(store ? { store } : {}),
    });
  } catch (err) {
    await store?.close().catch(() => {});
    // Once, as the plain list the person who wrote the file reads (not again as a JSON log line).
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  let stopping = false;
  let stoppingSince = 0;
  // Graceful shutdown: stop taking messages, let running commands finish (bounded), close the
  // store and sockets, flush the log, exit 0. A second signal or the deadline forces exit 1.
  const stop = async (signal: string, exitCode = 0) => {
    if (stopping) {
      // Wrappers deliver the same signal twice: a terminal or init signals the whole process
      // group and tsx relays it again when our acknowledgement is slow. Only a later one (a
      // person pressing Ctrl-C again) means "now".
      if (Date.now() - stoppingSince < REPEAT_SIGNAL_GRACE_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      flushLogs();
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting');
      flushLogs();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    let code = exitCode;
    try {
      await app.stop({ drainMs: DRAIN_MS });
      logger.info('stopped');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'shutdown failed');
      code = 1;
    }
    flushLogs();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await app.start();
  } catch (err) {
    if (stopping) return new Promise<number>(() => {});
    if (err instanceof StoreInUseError) {
      logger.fatal({ holder: err.holder }, err.message);
      await app.stop({ drainMs: 0 }).catch(() => {});
      flushLogs();
      return 1;
    }
    logger.fatal(
      { err: (err as Error).message },
      'DingTalk refused the credentials; check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET',
    );
    await app.stop({ drainMs: 0 }).catch(() => {});
    flushLogs();
    return 1;
  }
  if (!stopping) {
    logger.info({ apiBase: config.apiBase, mode: 'live' }, 'bot is ready: connected to DingTalk Stream');
  }
  // Later refusals (a rotated secret): the supervisor has given up, so nothing would keep the
  // process alive or answer again; say why and exit 1, as at start-up.
  app.supervisor.on('fatal', (err: Error) => {
    logger.fatal(
      { err: err.message },
      'DingTalk refused the credentials; check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET',
    );
    void stop('fatal', 1);
  });
  // Runs until a signal: the stream supervisor keeps the process alive, `stop` exits it.
  return new Promise<number>(() => {});
}

/**
 * Runs the bot as a process: parses `argv` (`--help`, `--reset`), sets the exit code. `sandbox`
 * undefined = the production entry: no credentials is an error instead of the sandbox.
 */
export function runMain(argv: string[], sandbox: SandboxLoader | undefined): void {
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`unhandled rejection: ${(err as Error)?.message ?? String(err)}\n`);
  });
  main(argv, sandbox).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fatal: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
