/**
 * Outcome: the end of every message's way. The audit record, the rendered reply stored with the
 * claim (so a redelivery can resend it, never run again), and the reply sent: by the message's
 * sessionWebhook while it is valid, else through the robot OpenAPI (replier.ts).
 */
import type { Logger } from 'pino';
import type { Metrics } from '../../health.ts';
import type { Store } from '../../store/types.ts';
import type { AuditTrail } from '../audit.ts';
import { renderReply } from '../render.ts';
import type { RenderedReply, Replier } from '../replier.ts';
import type { IncomingMessage, Reply } from '../types.ts';
import { describe } from './failure.ts';
import type { Outcome } from './turn.ts';

export interface OutcomeDeps {
  store: Store;
  audit: AuditTrail;
  replier: Replier;
  metrics: Metrics | undefined;
  stats: { replied: number; replyFailures: number };
  log: Logger;
}

export function render(reply: Reply, msg: IncomingMessage): RenderedReply {
  return renderReply(reply, { conversationType: msg.conversationType, senderUserId: msg.senderUserId });
}

/** Audits, stores and delivers the outcome of a claimed message. */
export async function settle(
  deps: OutcomeDeps,
  key: string,
  msg: IncomingMessage,
  outcome: Outcome,
  durationMs: number,
  log: Logger,
): Promise<void> {
  if (outcome.audit) {
    const a = outcome.audit;
    try {
      await deps.audit.record({
        userId: msg.senderUserId,
        command: a.command,
        ...(a.chatId !== undefined ? { chatId: a.chatId } : {}),
        args: a.args ?? {},
        outcome: a.outcome,
        ...(a.reason !== undefined ? { reason: a.reason } : {}),
        ...(a.errcode !== undefined ? { errcode: a.errcode } : {}),
        durationMs,
      });
    } catch (err) {
      log.error({ err }, 'audit write failed');
    }
  }
  const rendered = render(outcome.reply, msg);
  try {
    await deps.store.dedupe.finish(key, JSON.stringify(rendered));
  } catch (err) {
    // The store went away after the claim: the user still gets the answer.
    deps.metrics?.errors.inc({ kind: 'store' });
    log.error({ err: describe(err) }, 'could not store the reply; sending it anyway');
  }
  await deliver(deps, key, msg, rendered);
}

/**
 * How long a replica that began sending a reply keeps it: a copy of the message arriving on
 * another replica meanwhile does not send it too. Longer than a reply's send may take (the
 * webhook, then the OpenAPI, each with its retries); past it the sender is taken to be gone.
 */
export const RESEND_LEASE_MS = 60_000;

/**
 * A copy of a finished message (redelivered, or given to two replicas): sends the stored reply
 * only if it is not recorded as delivered and no one else is sending it. Never throws.
 */
export async function resendStored(
  deps: OutcomeDeps,
  key: string,
  msg: IncomingMessage,
  reply: string,
  now: number,
): Promise<void> {
  try {
    if (!(await deps.store.dedupe.takeResend(key, now, RESEND_LEASE_MS))) return;
  } catch (err) {
    deps.log.error({ err: describe(err), msgId: msg.msgId }, 'could not take the stored reply to resend it');
    return;
  }
  await deliver(deps, key, msg, JSON.parse(reply) as RenderedReply);
}

/** Sends a rendered reply and records that it went out. Never throws. */
export async function deliver(
  deps: OutcomeDeps,
  key: string,
  msg: IncomingMessage,
  rendered: RenderedReply,
): Promise<void> {
  try {
    await deps.replier.send(msg, rendered);
  } catch (err) {
    deps.stats.replyFailures++;
    deps.metrics?.errors.inc({ kind: 'reply' });
    deps.log.error({ err: describe(err), msgId: msg.msgId }, 'reply could not be delivered');
    // A copy of the message may send it again at once (resendStored).
    await deps.store.dedupe.unsend(key).catch((e: unknown) => {
      deps.log.error(
        { err: describe(e), msgId: msg.msgId },
        'could not record that the reply was not delivered',
      );
    });
    return;
  }
  deps.stats.replied++;
  deps.metrics?.replies.inc();
  try {
    await deps.store.dedupe.markDelivered(key);
  } catch (err) {
    deps.log.error({ err: describe(err), msgId: msg.msgId }, 'could not record that the reply was delivered');
  }
}
