/**
 * Entry point: read the configuration, then run live (credentials given) or the sandbox (none).
 */
import { type App, createApp } from './app.ts';
import { ConfigError, type Config, loadConfig } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { runSandbox } from './sandbox/index.ts';

const HELP = `dingtalk-group-bot: create and manage DingTalk group chats with slash commands.

Usage:
  npm start                 live mode when DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are set,
                            otherwise the sandbox: an in-process DingTalk and a terminal chat
  npm start -- --reset      sandbox: forget the demo org's saved state first
  npm start -- --help       this text

Settings (environment or .env): DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET, DINGTALK_API_BASE,
DINGTALK_OAPI_BASE, DINGTALK_ROBOT_CODE, DINGTALK_GROUP_API (auto|legacy|v1), BOT_ADMINS,
BOT_LEADS, BOT_POLICY_FILE, BOT_LOCALE (en|zh-CN), BOT_DATA_DIR, LOG_LEVEL. See README.md.
`;

/** How many times in a row a refused client id/secret is retried before live mode gives up. */
const MAX_AUTH_FAILURES = 3;

async function main(argv: string[]): Promise<number> {
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
    return runSandbox({ config, reset: argv.includes('--reset') });
  }
  const logger = createLogger({ level: config.logLevel, secrets: [config.credentials?.clientSecret ?? ''] });
  return runLive(config, logger);
}

async function runLive(config: Config, logger: Logger): Promise<number> {
  let app: App;
  try {
    app = createApp({ config, logger, stream: { maxAuthFailures: MAX_AUTH_FAILURES } });
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'could not start');
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.stop({ drainMs: 10_000 });
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await app.start();
  } catch (err) {
    logger.fatal(
      { err: (err as Error).message },
      'DingTalk refused the credentials; check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET',
    );
    await app.stop({ drainMs: 0 }).catch(() => {});
    logger.flush();
    return 1;
  }
  logger.info({ apiBase: config.apiBase, mode: 'live' }, 'bot is ready: connected to DingTalk Stream');
  return new Promise<number>(() => {});
}

process.on('unhandledRejection', (err) => {
  process.stderr.write(`unhandled rejection: ${(err as Error)?.message ?? String(err)}\n`);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
