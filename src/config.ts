/**
 * The one schema for every setting (architecture.md §4). Nothing else reads `process.env`:
 * `entry.ts` calls {@link loadConfig} once and passes the result down.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';

const userIdList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  )
  .pipe(
    z.array(
      z
        .string()
        .max(64)
        .regex(/^[A-Za-z0-9_.\-$]+$/, 'userIds may hold letters, digits, _ . - $ only'),
    ),
  );

const httpBase = z
  .string()
  .refine(isHttpUrl, 'must be an http:// or https:// URL such as https://api.dingtalk.com')
  .transform((u) => u.replace(/\/+$/, ''));

function isHttpUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !/\s/.test(u);
  } catch {
    return false;
  }
}

/** postgres:// or postgresql:// with a host; the value itself is never echoed (it may hold a password). */
function isPostgresUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && !/\s/.test(u)
    );
  } catch {
    return false;
  }
}

/** An IANA time zone this Node knows (`Asia/Shanghai`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.trim() !== '';
  } catch {
    return false;
  }
}

/** `20/10s` → 20 messages per 10 000 ms; undefined when it is not that shape or out of range. */
export function parseUserRate(s: string): { limit: number; windowMs: number } | undefined {
  const m = /^(\d{1,5})\s*\/\s*(\d{1,4})\s*(ms|s|m)$/.exec(s.trim().toLowerCase());
  if (m === null) return undefined;
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * (m[3] === 'ms' ? 1 : m[3] === 's' ? 1000 : 60_000);
  if (limit < 1 || limit > 10_000 || windowMs < 1000 || windowMs > 3_600_000) return undefined;
  return { limit, windowMs };
}

const optionalNonEmpty = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim()));

/** A TCP port 1-65535, or unset. */
const optionalPort = optionalNonEmpty
  .refine(
    (s) => s === undefined || (/^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535),
    'must be a port number from 1 to 65535',
  )
  .transform((s) => (s === undefined ? undefined : Number(s)));

const envShape = {
  DINGTALK_CLIENT_ID: optionalNonEmpty,
  DINGTALK_CLIENT_SECRET: optionalNonEmpty,
  DINGTALK_API_BASE: httpBase.default('https://api.dingtalk.com'),
  DINGTALK_OAPI_BASE: httpBase.default('https://oapi.dingtalk.com'),
  DINGTALK_ROBOT_CODE: optionalNonEmpty,
  DINGTALK_GROUP_API: z
    .enum(['auto', 'legacy', 'v1'], { message: 'must be auto, legacy or v1' })
    .default('auto'),
  BOT_ADMINS: userIdList,
  BOT_LEADS: userIdList,
  BOT_POLICY_FILE: optionalNonEmpty,
  BOT_LOCALE: z.enum(['en', 'zh-CN'], { message: 'must be en or zh-CN' }).default('en'),
  DATABASE_URL: optionalNonEmpty.refine(
    (u) => u === undefined || isPostgresUrl(u),
    'must be a postgres:// or postgresql:// URL such as postgres://bot:PASSWORD@db.internal:5432/bot (value not shown)',
  ),
  BOT_DATA_DIR: z
    .string()
    .min(1, 'must not be empty')
    .default('./data')
    .refine(
      (dir) => !existsSync(dir) || statSync(dir).isDirectory(),
      'must be a folder (it is created when missing), but a file of that name exists',
    ),
  BOT_TIMEZONE: z
    .string()
    .default('Asia/Shanghai')
    .transform((s) => s.trim())
    .refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai, Europe/Berlin or UTC'),
  // Per-sender limit of messages (src/bot/fair-queue.ts): `N/<duration>`, or off.
  BOT_USER_RATE: z
    .string()
    .default('20/10s')
    .transform((s) => s.trim().toLowerCase())
    .refine(
      (s) => s === 'off' || parseUserRate(s) !== undefined,
      'must be messages per duration such as 20/10s or 60/1m (1-10000 messages, 1 s to 1 h), or off',
    )
    .transform((s) => (s === 'off' ? undefined : parseUserRate(s))),
  // The orchestrators' server (src/health.ts): unset port = no server; loopback unless told.
  // The key of the audit records' HMAC, kept out of the database (src/store/audit-chain.ts).
  BOT_AUDIT_KEY: optionalNonEmpty.refine(
    (k) => k === undefined || k.length >= 16,
    'must be at least 16 characters (a random string; value not shown)',
  ),
  // Keys used before a rotation, comma-separated: records sealed with them still verify.
  BOT_AUDIT_OLD_KEYS: optionalNonEmpty
    .transform((s) =>
      s === undefined
        ? []
        : s
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== ''),
    )
    .refine(
      (keys) => keys.every((k) => k.length >= 16),
      'each key must be at least 16 characters (values not shown)',
    ),
  BOT_HTTP_PORT: optionalPort,
  BOT_HTTP_HOST: optionalNonEmpty
    .refine(
      (s) => s === undefined || /^[A-Za-z0-9.:\-[\]]{1,253}$/.test(s),
      'must be a host name or an IP address such as 127.0.0.1',
    )
    .transform((s) => s ?? '127.0.0.1'),
  // The terminal convention (no-color.org): any value turns colours off in the sandbox chat.
  NO_COLOR: z
    .string()
    .optional()
    .transform((v) => v !== undefined),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
};

/** Environment schema. Keys are the variable names users set. */
export const envSchema = z.object(envShape);

export type Env = z.output<typeof envSchema>;

/** Settings after validation, in the shape the rest of the code uses. */
export interface Config {
  mode: 'live' | 'sandbox';
  credentials: { clientId: string; clientSecret: string } | undefined;
  apiBase: string;
  oapiBase: string;
  robotCode: string | undefined;
  groupApi: 'auto' | 'legacy' | 'v1';
  admins: string[];
  leads: string[];
  policyFile: string | undefined;
  locale: 'en' | 'zh-CN';
  dataDir: string;
  /** BOT_TIMEZONE: the organisation's time zone for times shown (IANA name) */
  timeZone: string;
  /** PostgreSQL shared by replicas; undefined = the SQLite file in dataDir */
  databaseUrl: string | undefined;
  /**
   * BOT_AUDIT_KEY, else one derived from the client secret; undefined in sandbox mode until the
   * sandbox sets its own (audit-chain.ts)
   */
  auditKey: string | undefined;
  /** BOT_AUDIT_OLD_KEYS: keys before a rotation, for verifying old records */
  auditOldKeys: string[];
  /** BOT_USER_RATE: messages one sender may send per window; undefined = no limit */
  userRate: { limit: number; windowMs: number } | undefined;
  /** BOT_HTTP_PORT: the port of /healthz, /readyz and /metrics; undefined = no such server */
  httpPort: number | undefined;
  /** BOT_HTTP_HOST: where that server listens (default 127.0.0.1) */
  httpHost: string;
  logLevel: Env['LOG_LEVEL'];
  /** NO_COLOR is set: the sandbox prints no colours */
  noColor: boolean;
}

/** A configuration error: one message that names every wrong variable and how to fix it. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix these environment variables (or .env) and start again.',
    );
    this.name = 'ConfigError';
  }
}

/** Parses `KEY=value` lines (comments, blank lines, optional quotes), as a `.env` file holds them. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? '';
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out[m[1] as string] = value;
  }
  return out;
}

/**
 * Validates an environment. `.env` values (when `dotenvPath` exists) fill in what the real
 * environment leaves unset. Throws {@link ConfigError} listing every bad variable.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  dotenvPath: string | undefined = '.env',
): Config {
  const merged: Record<string, string | undefined> = {};
  if (dotenvPath !== undefined && existsSync(dotenvPath)) {
    Object.assign(merged, parseDotEnv(readFileSync(dotenvPath, 'utf8')));
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(envShape)) picked[key] = merged[key];

  const parsed = envSchema.safeParse(picked);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), message: i.message }));
  // Checked apart from the schema so it is reported together with every other problem.
  const hasId = (picked.DINGTALK_CLIENT_ID ?? '').trim() !== '';
  const hasSecret = (picked.DINGTALK_CLIENT_SECRET ?? '').trim() !== '';
  if (hasId !== hasSecret) {
    problems.push({
      variable: hasId ? 'DINGTALK_CLIENT_SECRET' : 'DINGTALK_CLIENT_ID',
      message: 'set both DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET (live mode) or neither (sandbox mode)',
    });
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const credentials =
    e.DINGTALK_CLIENT_ID !== undefined && e.DINGTALK_CLIENT_SECRET !== undefined
      ? { clientId: e.DINGTALK_CLIENT_ID, clientSecret: e.DINGTALK_CLIENT_SECRET }
      : undefined;
  return {
    mode: credentials ? 'live' : 'sandbox',
    credentials,
    apiBase: e.DINGTALK_API_BASE,
    oapiBase: e.DINGTALK_OAPI_BASE,
    robotCode: e.DINGTALK_ROBOT_CODE ?? credentials?.clientId,
    groupApi: e.DINGTALK_GROUP_API,
    admins: e.BOT_ADMINS,
    leads: e.BOT_LEADS,
    policyFile: e.BOT_POLICY_FILE,
    locale: e.BOT_LOCALE,
    dataDir: e.BOT_DATA_DIR,
    timeZone: e.BOT_TIMEZONE,
    databaseUrl: e.DATABASE_URL,
    auditKey: e.BOT_AUDIT_KEY ?? (credentials ? derivedAuditKey(credentials.clientSecret) : undefined),
    auditOldKeys: e.BOT_AUDIT_OLD_KEYS,
    userRate: e.BOT_USER_RATE,
    httpPort: e.BOT_HTTP_PORT,
    httpHost: e.BOT_HTTP_HOST,
    logLevel: e.LOG_LEVEL,
    noColor: e.NO_COLOR,
  };
}

/**
 * The audit key when BOT_AUDIT_KEY is unset: an HMAC of a fixed label under the client secret,
 * so it is as secret as the secret and stable across restarts and replicas (a new secret means a
 * new key: give the old one in BOT_AUDIT_OLD_KEYS to verify older records).
 */
export function derivedAuditKey(clientSecret: string): string {
  return createHmac('sha256', clientSecret).update('dingtalk-group-bot audit key v1').digest('hex');
}
