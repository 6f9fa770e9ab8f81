/**
 * Claim: the atomic claim on a message's key (dedupe across redeliveries and replicas). While the
 * store is unreachable the message (already acked) is kept here and its claim tried again until
 * the store is back; the user is told once that the command waits.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../../health.ts';
import { StoreUnavailableError } from '../../store/errors.ts';
import type { ClaimResult, DedupeStore } from '../../store/types.ts';
import type { IncomingMessage } from '../types.ts';

/** While the store is unreachable, a claim is tried again after this long (doubling, capped). */
const CLAIM_RETRY_FIRST_MS = 250;
const CLAIM_RETRY_MAX_MS = 5_000;

export interface ClaimDeps {
  dedupe: DedupeStore;
  replicaId: string;
  metrics: Metrics | undefined;
  now: () => number;
  /** still taking messages (false while shutting down) */
  accepting: () => boolean;
  /** tells the user that the message waits for the store */
  tellWaiting: (msg: IncomingMessage) => Promise<void>;
}

/** The claim of a new message; undefined when the bot shuts down before the store returned. */
export async function claim(
  deps: ClaimDeps,
  key: string,
  msg: IncomingMessage,
  log: Logger,
): Promise<ClaimResult | undefined> {
  const owner = { replicaId: deps.replicaId, message: JSON.stringify(msg) };
  let delay = CLAIM_RETRY_FIRST_MS;
  let told = false;
  for (;;) {
    try {
      const c = await deps.dedupe.claim(key, deps.now(), owner);
      if (told) log.info('the store is back; running the message that waited');
      return c;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      if (!told) {
        told = true;
        deps.metrics?.errors.inc({ kind: 'store' });
        log.warn({ err: err.message }, 'store unavailable; the message waits for it');
        await deps.tellWaiting(msg);
      }
      if (!deps.accepting()) {
        log.error('shutting down while the store is unavailable: the waiting message is not run');
        return undefined;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(CLAIM_RETRY_MAX_MS, delay * 2);
    }
  }
}
