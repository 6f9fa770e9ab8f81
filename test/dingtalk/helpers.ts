/** Shared helpers for the DingTalk client tests. */
import { pino } from 'pino';
import { type CreateDingTalkOptions, createDingTalk, type DingTalk } from '../../src/dingtalk/index.ts';
import type { Logger } from '../../src/log.ts';

export const CLIENT_ID = 'dingtestclient0001';
export const CLIENT_SECRET = 'SECRET-test-client-secret-0123456789';

/**
 * A debug-level logger that keeps every line, with NO redaction: a secret in these lines
 * would come from the client code itself.
 */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug', base: null }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

/** Fast retry policy for tests. */
export const FAST_RETRY = { retries: 3, baseDelayMs: 5, maxDelayMs: 20, jitterMs: 3 };

export function makeClient(base: string, extra: Partial<CreateDingTalkOptions> = {}): DingTalk {
  return createDingTalk({
    apiBase: base,
    oapiBase: base,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    robotCode: CLIENT_ID,
    groupApi: 'auto',
    logger: extra.logger ?? captureLogger().logger,
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    ...extra,
  });
}

/** Awaits `p` and returns what it threw (fails when it resolved). */
export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Every text an error exposes: message, and the messages of its causes. */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    parts.push(e.message, String(e.stack ?? ''));
  }
  return parts.join('\n');
}
