/**
 * Bot replies (dingtalk-api.md §4): the sessionWebhook of the incoming message, and the
 * OpenAPI sends used when it has expired (300001). Every send is a write: never repeated
 * unless the failure proves it was not delivered, so a chat never sees a message twice.
 * The sessionWebhook URL is a credential: it never appears in errors or logs (the HTTP layer
 * names endpoints, not URLs).
 */
import { z } from 'zod';
import type { HttpClient } from './http.ts';

/** A sessionWebhook body (§4.1): text, markdown, actionCard, link, feedCard, empty. */
export type SessionMessage =
  | { msgtype: 'text'; text: { content: string }; at?: SessionAt }
  | { msgtype: 'markdown'; markdown: { title: string; text: string }; at?: SessionAt }
  | {
      msgtype: 'actionCard';
      actionCard: {
        title: string;
        text: string;
        singleTitle?: string;
        singleURL?: string;
        btnOrientation?: '0' | '1';
        btns?: { title: string; actionURL: string }[];
      };
      at?: SessionAt;
    }
  | { msgtype: 'link'; link: { title: string; text: string; messageUrl: string; picUrl?: string } }
  | { msgtype: 'feedCard'; feedCard: { links: { title: string; messageURL: string; picURL?: string }[] } }
  /** Acknowledges without showing anything in the chat. */
  | { msgtype: 'empty' };

export interface SessionAt {
  atUserIds?: string[];
  atMobiles?: string[];
  isAtAll?: boolean;
}

/** Body of `POST /v1.0/robot/oToMessages/batchSend` (§4.2). */
export interface BatchSendOTOInput {
  robotCode: string;
  /** At most 20 per call (the client splits longer lists). */
  userIds: string[];
  msgKey: string;
  /** A JSON-encoded string, not an object. */
  msgParam: string;
}

export interface BatchSendResult {
  processQueryKeys: string[];
  invalidStaffIdList: string[];
  flowControlledStaffIdList: string[];
}

/** Body of `POST /v1.0/robot/groupMessages/send` (§4.3). */
export interface GroupSendInput {
  robotCode: string;
  openConversationId: string;
  msgKey: string;
  msgParam: string;
}

const sessionOk = z.object({ errcode: z.coerce.number() }).loose();
const batchSchema = z.object({
  processQueryKey: z.string().optional(),
  invalidStaffIdList: z.array(z.string()).default([]),
  flowControlledStaffIdList: z.array(z.string()).default([]),
});
const groupSendSchema = z.object({ processQueryKey: z.string().optional() });

/** The bot's send API. */
export interface RobotApi {
  /** POST to a sessionWebhook. HTTP 200 with errcode ≠ 0 throws DingTalkApiError (300001 = expired). */
  sendBySession(webhookUrl: string, body: SessionMessage, o?: { signal?: AbortSignal }): Promise<void>;
  batchSendOTO(input: BatchSendOTOInput, o?: { signal?: AbortSignal }): Promise<BatchSendResult>;
  groupSend(
    input: GroupSendInput,
    o?: { signal?: AbortSignal },
  ): Promise<{ processQueryKey: string | undefined }>;
}

/** Max userIds per batchSend call per the doc (the error text's 100 is inconsistent; §4.2). */
export const BATCH_SEND_MAX_USERS = 20;

export class RobotClient implements RobotApi {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  async sendBySession(
    webhookUrl: string,
    body: SessionMessage,
    o: { signal?: AbortSignal } = {},
  ): Promise<void> {
    let url: URL;
    try {
      url = new URL(webhookUrl);
    } catch {
      // Not echoing the value: it may be a mangled credential.
      throw new TypeError('sendBySession: the sessionWebhook is not a valid URL');
    }
    await this.#http.call({
      endpoint: 'robot.sendBySession',
      host: url,
      method: 'POST',
      body,
      auth: 'none',
      schema: sessionOk,
      signal: o.signal,
    });
  }

  /** @see https://open.dingtalk.com/document/development/chatbots-send-one-on-one-chat-messages-in-batches */
  async batchSendOTO(input: BatchSendOTOInput, o: { signal?: AbortSignal } = {}): Promise<BatchSendResult> {
    const out: BatchSendResult = {
      processQueryKeys: [],
      invalidStaffIdList: [],
      flowControlledStaffIdList: [],
    };
    for (const userIds of chunk(input.userIds, BATCH_SEND_MAX_USERS)) {
      const res = await this.#http.call({
        endpoint: 'robot.batchSend',
        host: 'api',
        method: 'POST',
        path: '/v1.0/robot/oToMessages/batchSend',
        body: { robotCode: input.robotCode, userIds, msgKey: input.msgKey, msgParam: input.msgParam },
        auth: 'v1',
        schema: batchSchema,
        signal: o.signal,
      });
      if (res.processQueryKey) out.processQueryKeys.push(res.processQueryKey);
      out.invalidStaffIdList.push(...res.invalidStaffIdList);
      out.flowControlledStaffIdList.push(...res.flowControlledStaffIdList);
    }
    return out;
  }

  /** @see https://open.dingtalk.com/document/development/the-robot-sends-a-group-message */
  async groupSend(
    input: GroupSendInput,
    o: { signal?: AbortSignal } = {},
  ): Promise<{ processQueryKey: string | undefined }> {
    const res = await this.#http.call({
      endpoint: 'robot.groupSend',
      host: 'api',
      method: 'POST',
      path: '/v1.0/robot/groupMessages/send',
      body: input,
      auth: 'v1',
      schema: groupSendSchema,
      signal: o.signal,
    });
    return { processQueryKey: res.processQueryKey };
  }
}

/** Splits `xs` into slices of at most `n`. */
export function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
