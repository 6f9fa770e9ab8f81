/**
 * pino, with redaction of every secret the bot handles: the client secret, access tokens,
 * sessionWebhook URLs (the session key in them is a credential, dingtalk-api.md §4.1) and the
 * database URL's password.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Paths pino replaces with `[redacted]`. Keep in sync with {@link scrubSecrets}. */
export const REDACT_PATHS = [
  'clientSecret',
  '*.clientSecret',
  'appSecret',
  '*.appSecret',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'sessionWebhook',
  '*.sessionWebhook',
  'webhook',
  '*.webhook',
  'headers["x-acs-dingtalk-access-token"]',
  '*.headers["x-acs-dingtalk-access-token"]',
  'headers.authorization',
  '*.headers.authorization',
];

const SECRET_PATTERNS: RegExp[] = [
  /(\b(?:access_token|appsecret|session|ticket)=)[^&\s"']+/gi,
  /(x-acs-dingtalk-access-token["']?\s*[:=]\s*["']?)[^"',\s}]+/gi,
  // The password of a URL with credentials (DATABASE_URL: postgres://user:password@host/db).
  /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/"']+(?=@)/gi,
];

/**
 * Removes secrets that may hide inside free text (error messages, URLs): query parameters
 * `access_token`, `appsecret`, `session`, `ticket`, the password of a `scheme://user:password@`
 * URL, and any literal `extra` values.
 */
export function scrubSecrets(text: string, extra: readonly string[] = []): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, '$1[redacted]');
  for (const s of extra) if (s.length >= 6) out = out.split(s).join('[redacted]');
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Literal secrets (client secret) to scrub from any line, even in free text. */
  secrets?: readonly string[];
}

/** Builds the root logger. Every line passes through {@link scrubSecrets} before it is written. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 6);
  const target = opts.destination ?? pino.destination({ dest: 1, sync: false });
  const scrubbing: DestinationStream = {
    write(line: string) {
      target.write(scrubSecrets(line, secrets));
    },
  };
  return pino(
    {
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbing,
  );
}

/** A logger that writes nothing; for tools and tests that do not care. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
