/**
 * Typed DingTalk failures (style-anchors.md §6 practice 7). Every error names the endpoint
 * (e.g. `chat.create`), never the URL: legacy URLs carry the access token in the query and a
 * sessionWebhook URL is itself a credential. Callers narrow with `instanceof`.
 */

/** The endpoint names the client uses; the emulator records requests under the same names. */
export type EndpointName =
  | 'oauth2.accessToken'
  | 'chat.create'
  | 'chat.get'
  | 'chat.update'
  | 'subadmin.update'
  | 'friendswitch.update'
  | 'updategroupnick'
  | 'qrcode.get'
  | 'im.convertToOpenConversationId'
  | 'im.subAdministrators'
  | 'im.group.create'
  | 'im.group.update'
  | 'robot.sendBySession'
  | 'robot.batchSend'
  | 'robot.groupSend'
  | 'contact.users.search'
  | 'contact.departments.search'
  | 'user.get'
  | 'user.getbymobile'
  | 'user.listsimple'
  | 'department.get';

/** Base of every DingTalk failure. */
export abstract class DingTalkError extends Error {
  abstract readonly kind: 'api' | 'http' | 'rate-limited' | 'auth' | 'partial';
  readonly endpoint: EndpointName;

  constructor(endpoint: EndpointName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.endpoint = endpoint;
  }
}

/**
 * DingTalk answered and said no: a legacy body with `errcode ≠ 0` (HTTP 200) or a new-API
 * 4xx/5xx with `{code, message, requestid}`. Also used for bodies we cannot use
 * (`code: 'malformed-response'` / `'non-json-response'`).
 */
export class DingTalkApiError extends DingTalkError {
  readonly kind = 'api' as const;
  /** HTTP status of the answer (200 for legacy business errors). */
  readonly status: number;
  /** Legacy numeric errcode. */
  readonly errcode: number | undefined;
  /** New-API string code, or one of our own (`malformed-response`, `non-json-response`). */
  readonly code: string | undefined;
  /** Legacy topapi `sub_code` (a string). */
  readonly subCode: string | undefined;
  /** DingTalk's own text (errmsg / message / sub_msg). */
  readonly apiMessage: string;
  /** `requestid` (new API, or the `x-acs-request-id` header) or `request_id` (topapi). */
  readonly requestId: string | undefined;
  /**
   * True when the call was a write and the answer does not prove it was left undone (a 5xx,
   * a gateway timeout code): the change may have happened although DingTalk reported a failure.
   */
  readonly mayHaveTakenEffect: boolean;

  constructor(init: {
    endpoint: EndpointName;
    status: number;
    errcode?: number | undefined;
    code?: string | undefined;
    subCode?: string | undefined;
    message: string;
    requestId?: string | undefined;
    mayHaveTakenEffect?: boolean;
  }) {
    const id = init.errcode !== undefined ? `errcode ${init.errcode}` : (init.code ?? `HTTP ${init.status}`);
    const sub = init.subCode ? ` (sub_code ${init.subCode})` : '';
    const req = init.requestId ? ` [requestId ${init.requestId}]` : '';
    super(init.endpoint, `DingTalk ${init.endpoint} failed: ${id}${sub}: ${init.message}${req}`);
    this.status = init.status;
    this.errcode = init.errcode;
    this.code = init.code;
    this.subCode = init.subCode;
    this.apiMessage = init.message;
    this.requestId = init.requestId;
    this.mayHaveTakenEffect = init.mayHaveTakenEffect ?? false;
  }
}

/** The request failed on the wire: connection refused/reset, timeout, aborted. */
export class DingTalkHttpError extends DingTalkError {
  readonly kind = 'http' as const;
  /**
   * False only when the failure proves the request never left this process (connection
   * refused, connect timeout, DNS failure). A read timeout on a write is `true`: DingTalk may
   * have done it, so it is not repeated.
   */
  readonly mayHaveReached: boolean;
  /** A short reason such as `ECONNREFUSED` or `timeout`. */
  readonly reason: string;

  constructor(endpoint: EndpointName, reason: string, mayHaveReached: boolean, cause: unknown) {
    super(
      endpoint,
      `DingTalk ${endpoint} request failed: ${reason}${mayHaveReached ? ' (the request may have reached DingTalk)' : ''}`,
      { cause },
    );
    this.reason = reason;
    this.mayHaveReached = mayHaveReached;
  }
}

/** DingTalk kept throttling (90018 / 90002 / 403 QpsLimit / 429) after every retry. */
export class DingTalkRateLimitedError extends DingTalkError {
  readonly kind = 'rate-limited' as const;
  /** How long to wait before trying again. */
  readonly retryAfterMs: number;
  /** The last throttling answer. */
  readonly last: DingTalkApiError | undefined;

  constructor(endpoint: EndpointName, retryAfterMs: number, last: DingTalkApiError | undefined) {
    const id = last ? ` (${last.errcode !== undefined ? `errcode ${last.errcode}` : last.code})` : '';
    super(endpoint, `DingTalk ${endpoint} is rate limited${id}; retry after ${retryAfterMs} ms`, {
      cause: last,
    });
    this.retryAfterMs = retryAfterMs;
    this.last = last;
  }
}

/** The app's client id / secret were refused (400 invalidClientIdOrSecret, legacy 40096). */
export class DingTalkAuthError extends DingTalkError {
  readonly kind = 'auth' as const;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(endpoint: EndpointName, code: string, requestId: string | undefined) {
    super(
      endpoint,
      `DingTalk refused the app credentials (${code}): check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET` +
        (requestId ? ` [requestId ${requestId}]` : ''),
    );
    this.code = code;
    this.requestId = requestId;
  }
}

/**
 * A chat was created but a follow-up update (members beyond the first 40) failed. The chat
 * exists: `created` says which, `pending` lists the members not added.
 */
export class DingTalkPartialCreateError extends DingTalkError {
  readonly kind = 'partial' as const;
  readonly created: { chatId: string; openConversationId: string; family: 'legacy' | 'v1' };
  readonly pending: string[];

  constructor(
    endpoint: EndpointName,
    created: { chatId: string; openConversationId: string; family: 'legacy' | 'v1' },
    pending: string[],
    cause: DingTalkError,
  ) {
    super(
      endpoint,
      `Chat ${created.chatId} was created but ${pending.length} member(s) could not be added: ${cause.message}`,
      { cause },
    );
    this.created = created;
    this.pending = pending;
  }
}

/** True for the answers that mean "this app lacks the permission for this API". */
export function isPermissionDenied(err: unknown): err is DingTalkApiError {
  if (!(err instanceof DingTalkApiError)) return false;
  if (err.code === 'Forbidden.AccessDenied.AccessTokenPermissionDenied') return true;
  // 60011: no permission for the API (topapi wraps it as 88 + sub_code "60011", contact-api.md
  // §8); 43007: "需要授权" (token lacks the grant)
  return err.errcode === 60011 || err.errcode === 43007 || (err.errcode === 88 && err.subCode === '60011');
}

/** True when a sessionWebhook has expired (errcode 300001, dingtalk-api.md §4.1). */
export function isSessionExpired(err: unknown): boolean {
  return err instanceof DingTalkApiError && err.errcode === 300001;
}
