/**
 * Store errors the rest of the bot can recognise, and how a database URL may appear in logs
 * and messages (never with its password).
 */

/**
 * The database cannot be reached (server down, network gone, store closed). Calls reject with
 * it instead of the driver's error, so the pipeline can answer "try again later".
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * A database URL as logs may show it: `postgres://user@host:port/db`, without password or
 * query parameters. An unparseable URL gives a placeholder, since its text may hold the password.
 */
export function describeDatabaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(unparseable database URL)';
  }
  const user = u.username === '' ? '' : `${safeDecode(u.username)}@`;
  // `postgres:///db?host=/run/postgresql` is a Unix socket; pg reads the folder from `host`.
  const host = u.hostname !== '' ? u.hostname : (u.searchParams.get('host') ?? 'localhost');
  const port = u.port === '' ? '5432' : u.port;
  const db = safeDecode(u.pathname.replace(/^\//, '')) || safeDecode(u.username) || 'postgres';
  return `postgres://${user}${host}:${port}/${db}`;
}

/** The decoded password of a database URL, for the logger's literal-secret list. */
export function databaseUrlPassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p === '' ? undefined : safeDecode(p);
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
