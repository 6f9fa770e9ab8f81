/**
 * Delivers one rendered reply: through the message's sessionWebhook while it is valid, else
 * (expired by its timestamp, or DingTalk answers 300001) through the robot OpenAPI send
 * (dingtalk-api.md §4.1-4.3). A sessionWebhook off the configured DingTalk host is never called.
 */
import type { Logger } from 'pino';
import {
  DingTalkApiError,
  DingTalkHttpError,
  DingTalkRateLimitedError,
  isSessionExpired,
} from '../dingtalk/errors.ts';
import type { RobotApi, SessionMessage } from '../dingtalk/robot.ts';
import { FairQueue } from './fair-queue.ts';
import type { IncomingMessage } from './types.ts';

/** What {@link renderReply} produced, stored in the dedupe table so a redelivery can resend it. */
export interface RenderedReply {
  webhookBody: SessionMessage;
  openApi: { msgKey: string; msgParam: string };
}

/** Margin before `sessionWebhookExpiredTime` at which we stop trusting the webhook. */
const WEBHOOK_MARGIN_MS = 5_000;

/**
 * Replies on their way at once. Above it replies wait in a {@link FairQueue} by sender rather
 * than in the per-API limiter's first-come queue, so one person's flood of replies does not
 * stand in front of everyone else's (issue 19 item 5). 16 × ~20 ms sends is far above DingTalk's
 * 20 QPS, so the bound costs no throughput.
 */
export const REPLY_CONCURRENCY = 16;

export class Replier {
  readonly stats = { webhook: 0, openApi: 0, failed: 0 };
  readonly #webhookOrigin: string;

  /** `oapiBase` is `DINGTALK_OAPI_BASE`: only sessionWebhooks on its origin are called. */
  constructor(
    private readonly robot: RobotApi,
    private readonly robotCode: string,
    private readonly log: Logger,
    oapiBase: string,
    private readonly now: () => number = Date.now,
    private readonly fair: FairQueue = new FairQueue({ concurrency: REPLY_CONCURRENCY }),
  ) {
    this.#webhookOrigin = new URL(oapiBase).origin;
  }

  /**
   * Defence in depth: a frame is DingTalk's, but should one ever carry another host, posting
   * the reply there would hand a chat's content to it. Logs the host only, never the session key.
   */
  #trusted(webhook: string): boolean {
    let url: URL | undefined;
    try {
      url = new URL(webhook);
    } catch {
      url = undefined;
    }
    if (url?.origin === this.#webhookOrigin) return true;
    this.log.warn(
      { webhookHost: url?.host ?? '(not a URL)', expected: this.#webhookOrigin },
      'sessionWebhook is not on the DingTalk host; replying through the robot OpenAPI',
    );
    return false;
  }

  /** Sends the reply in its sender's turn; throws when neither path delivered it. */
  send(
    msg: Pick<
      IncomingMessage,
      'sessionWebhook' | 'sessionWebhookExpiresAt' | 'conversationType' | 'conversationId' | 'senderUserId'
    >,
    reply: RenderedReply,
  ): Promise<'webhook' | 'openapi'> {
    return this.fair.run(msg.senderUserId, () => this.#send(msg, reply));
  }

  async #send(
    msg: Pick<
      IncomingMessage,
      'sessionWebhook' | 'sessionWebhookExpiresAt' | 'conversationType' | 'conversationId' | 'senderUserId'
    >,
    reply: RenderedReply,
  ): Promise<'webhook' | 'openapi'> {
    if (
      msg.sessionWebhook &&
      this.now() < msg.sessionWebhookExpiresAt - WEBHOOK_MARGIN_MS &&
      this.#trusted(msg.sessionWebhook)
    ) {
      try {
        await this.robot.sendBySession(msg.sessionWebhook, reply.webhookBody);
        this.stats.webhook++;
        return 'webhook';
      } catch (err) {
        if (isSessionExpired(err)) {
          this.log.info('sessionWebhook expired; replying through the robot OpenAPI');
        } else if (provedNotSent(err)) {
          // Throttled or busy past every retry: nothing was posted, so the other path cannot
          // make the chat see the reply twice.
          this.log.warn(
            { err: (err as Error).message },
            'sessionWebhook refused; replying through the robot OpenAPI',
          );
        } else {
          // A 5xx or a timeout may have posted it: sending again could show the reply twice.
          this.stats.failed++;
          throw err;
        }
      }
    }
    try {
      if (msg.conversationType === 'group') {
        await this.robot.groupSend({
          robotCode: this.robotCode,
          openConversationId: msg.conversationId,
          msgKey: reply.openApi.msgKey,
          msgParam: reply.openApi.msgParam,
        });
      } else {
        await this.robot.batchSendOTO({
          robotCode: this.robotCode,
          userIds: [msg.senderUserId],
          msgKey: reply.openApi.msgKey,
          msgParam: reply.openApi.msgParam,
        });
      }
      this.stats.openApi++;
      return 'openapi';
    } catch (err) {
      this.stats.failed++;
      throw err;
    }
  }
}

/** The webhook send failed in a way that proves DingTalk did not post the message. */
function provedNotSent(err: unknown): boolean {
  if (err instanceof DingTalkRateLimitedError) return true;
  if (err instanceof DingTalkHttpError) return !err.mayHaveReached;
  // Legacy business errors (HTTP 200 + errcode, e.g. -1 busy after the retries) did nothing.
  return err instanceof DingTalkApiError && !err.mayHaveTakenEffect && err.status < 500;
}
