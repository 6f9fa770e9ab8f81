/**
 * The one HTTP path to DingTalk (style-anchors.md §6 practices 8 and 9): an undici keep-alive
 * pool per origin, a timeout per attempt linked to the caller's signal, the per-API limiter, the
 * token, and ONE retry policy:
 *
 * - reads are retried on transient failures (legacy -1, 400001, 15, 88 without sub_code; HTTP
 *   5xx; network errors and timeouts);
 * - rate limits (legacy 90018/90002, 403 `…QpsLimit…`/`…QpmLimit…`, 429) wait with exponential
 *   back-off and are retried for reads and writes alike: DingTalk rejected the call without doing it;
 * - an invalid token is refreshed and the call repeated once, for writes too (same reason);
 * - a write is never repeated when it may have reached DingTalk (read timeout, reset, 5xx).
 */
import { Agent } from 'undici';
import type { z } from 'zod';
import { type Logger, scrubSecrets } from '../log.ts';
import { ENDPOINTS } from './endpoints.ts';
import {
  DingTalkApiError,
  DingTalkAuthError,
  type DingTalkError,
  DingTalkHttpError,
  DingTalkRateLimitedError,
  type EndpointName,
} from './errors.ts';
import type { RateLimiter } from './limiter.ts';

/** Back-off for retries. Delay n (0-based) = min(maxDelayMs, baseDelayMs·2ⁿ) + random(0..jitterMs). */
export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  jitterMs: number;
}

/** Where the access token goes: legacy `?access_token=`, v1 header, or nowhere. */
export type AuthStyle = 'legacy' | 'v1' | 'none';

/** One logical call. */
export interface CallSpec<T> {
  /** The endpoint; its family and whether it writes are facts of the endpoint (endpoints.ts). */
  endpoint: EndpointName;
  /** `api` / `oapi` base, or an absolute URL (sessionWebhook). */
  host: 'api' | 'oapi' | URL;
  method: 'GET' | 'POST' | 'PUT';
  /** Path below the base; ignored when `host` is a URL. */
  path?: string;
  query?: Record<string, string>;
  body?: unknown;
  auth: AuthStyle;
  /** Validates the success body. */
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
}

/**
 * The write journal (the bot's): told of every journaled write before it leaves and of its
 * answer; it may answer from an earlier attempt of the same run instead of sending.
 */
export interface WriteJournalHook {
  write<T>(call: { endpoint: EndpointName; body: unknown }, send: () => Promise<T>): Promise<T>;
}

/** What the HTTP layer needs from the token cache. */
export interface TokenSource {
  get(signal?: AbortSignal): Promise<string>;
  /** Drops `token` when it is still the cached one. */
  invalidate(token: string): void;
}

/**
 * A rate budget shared with other replicas (the PostgreSQL store's): `reserve` takes the next
 * slot of `api`, `intervalMs` after the previous one, and says how long to wait for it.
 */
export interface SharedRateBudget {
  reserve(api: string, intervalMs: number): Promise<number>;
}

/** What the HTTP layer reports for metrics. */
export interface HttpObserver {
  /** One attempt answered (or failed): `outcome` is ok, error, rate_limited, network, ... */
  call?(api: string, outcome: string): void;
  /** A call waited for the local limiter or the shared budget before it was sent. */
  limiterWait?(api: string): void;
}

export interface HttpClientOptions {
  apiBase: string;
  oapiBase: string;
  logger: Logger;
  limiter: RateLimiter;
  /** Shared across replicas, on top of `limiter`; calls per second of it is `qps`. */
  budget?: { shared: SharedRateBudget; intervalMs: number } | undefined;
  observe?: HttpObserver | undefined;
  retry: RetryOptions;
  timeoutMs: number;
  connectionsPerHost: number;
  /** Literal secrets to keep out of error messages (client secret). */
  secrets?: readonly string[];
  /** For tests: replaces the random jitter. */
  random?: () => number;
  /** Journals every write of {@link ENDPOINTS} marked `journaled`. */
  journal?: WriteJournalHook | undefined;
}

export interface HttpStats {
  /** Attempts put on the wire. */
  calls: number;
  /** Attempts that repeated an earlier one (back-off retries and token refresh repeats). */
  retries: number;
  /** Back-off waits caused by a rate-limit answer. */
  rateLimitWaits: number;
  /** TCP connections opened by the pool. */
  connectionsOpened: number;
}

type Verdict =
  | { kind: 'ok'; value: unknown }
  | { kind: 'token-invalid'; error: DingTalkApiError }
  | { kind: 'rate-limited'; error: DingTalkApiError; retryAfterMs: number | undefined }
  /** DingTalk answered "busy" in a way that proves nothing was done (legacy -1). */
  | { kind: 'busy'; error: DingTalkApiError }
  /** A transient failure that may have taken effect (5xx, gateway timeout codes). */
  | { kind: 'transient'; error: DingTalkApiError }
  | { kind: 'network'; error: DingTalkHttpError; aborted: boolean }
  | { kind: 'fatal'; error: DingTalkError };

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TOKEN_ERRCODES = new Set([40014, 42001, 40001]);
/** Shared slots a call takes at most when it keeps waking up too late for its slot. */
const MAX_SLOT_TRIES = 3;
/** How long a call waits for the shared budget's answer before it goes by the local limiter. */
const BUDGET_TIMEOUT_MS = 2_000;
/** While the shared budget is down, one warning per this period. */
const BUDGET_WARN_EVERY_MS = 60_000;

/** The metrics label of an attempt's verdict. */
function outcomeOf(v: Verdict): string {
  switch (v.kind) {
    case 'ok':
      return 'ok';
    case 'rate-limited':
      return 'rate_limited';
    case 'token-invalid':
      return 'token_invalid';
    case 'network':
      return 'network';
    default:
      return 'error';
  }
}
const RATE_ERRCODES = new Set([90018, 90002]);

/** The HTTP client. One per process; `close()` drains the pools. */
export class HttpClient {
  readonly #agent: Agent;
  readonly #opts: HttpClientOptions;
  readonly #random: () => number;
  #tokens: TokenSource | undefined;
  readonly #stats: HttpStats = { calls: 0, retries: 0, rateLimitWaits: 0, connectionsOpened: 0 };
  #budgetWarnedAt = Number.NEGATIVE_INFINITY;

  constructor(opts: HttpClientOptions) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    // One Pool per origin inside the Agent, each with a fixed number of keep-alive sockets.
    this.#agent = new Agent({
      connections: opts.connectionsPerHost,
      keepAliveTimeout: 30_000,
      connect: { timeout: opts.timeoutMs },
    });
    this.#agent.on('connect', () => {
      this.#stats.connectionsOpened++;
    });
  }

  /** Wires the token cache (it is built on this client, hence not a constructor argument). */
  useTokens(tokens: TokenSource): void {
    this.#tokens = tokens;
  }

  stats(): HttpStats {
    return { ...this.#stats };
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#agent.closed || this.#agent.destroyed) return;
    await this.#agent.close();
  }

  /** Runs one logical call under the retry policy. Throws a {@link DingTalkError}. */
  call<T>(spec: CallSpec<T>): Promise<T> {
    const journal = this.#opts.journal;
    if (journal !== undefined && ENDPOINTS[spec.endpoint].journaled)
      return journal.write({ endpoint: spec.endpoint, body: spec.body }, () => this.#call(spec));
    return this.#call(spec);
  }

  async #call<T>(spec: CallSpec<T>): Promise<T> {
    const { retry } = this.#opts;
    const { write } = ENDPOINTS[spec.endpoint];
    const log = this.#opts.logger.child({ endpoint: spec.endpoint });
    let attempt = 0;
    let backoffs = 0;
    let refreshed = false;
    for (;;) {
      attempt++;
      if (attempt > 1) this.#stats.retries++;
      let token: string | undefined;
      if (spec.auth !== 'none') {
        if (!this.#tokens) throw new Error('HttpClient: no token source');
        token = await this.#tokens.get(spec.signal);
      }
      const release = await this.#acquire(spec);
      let v: Verdict;
      try {
        v = await this.#attempt(spec, token, attempt, log);
      } finally {
        release();
      }
      this.#opts.observe?.call?.(spec.endpoint, outcomeOf(v));
      switch (v.kind) {
        case 'ok': {
          const parsed = spec.schema.safeParse(v.value);
          if (parsed.success) return parsed.data;
          throw new DingTalkApiError({
            endpoint: spec.endpoint,
            status: 200,
            code: 'malformed-response',
            message: `unexpected success body: ${parsed.error.issues
              .slice(0, 3)
              .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
              .join('; ')}`,
            mayHaveTakenEffect: write,
          });
        }
        case 'token-invalid':
          // DingTalk refused the token before doing anything: safe to repeat once, even a write.
          if (refreshed || token === undefined) throw v.error;
          refreshed = true;
          this.#tokens?.invalidate(token);
          continue;
        case 'rate-limited': {
          const delay = Math.max(this.#delay(backoffs), v.retryAfterMs ?? 0);
          if (backoffs >= retry.retries) {
            throw new DingTalkRateLimitedError(spec.endpoint, delay, v.error);
          }
          backoffs++;
          this.#stats.rateLimitWaits++;
          log.debug({ attempt, delayMs: delay }, 'dingtalk rate limited; waiting');
          await this.#wait(delay, spec);
          continue;
        }
        case 'busy':
          if (backoffs >= retry.retries) throw v.error;
          break;
        case 'transient':
          if (write || backoffs >= retry.retries) {
            throw write ? withEffect(v.error) : v.error;
          }
          break;
        case 'network':
          if (v.aborted || backoffs >= retry.retries || (write && v.error.mayHaveReached)) throw v.error;
          break;
        case 'fatal':
          throw v.error;
      }
      const delay = this.#delay(backoffs);
      backoffs++;
      log.debug({ attempt, delayMs: delay }, 'dingtalk transient failure; retrying');
      await this.#wait(delay, spec);
    }
  }

  async #acquire(spec: CallSpec<unknown>): Promise<() => void> {
    // The shared slot first, then the local one: a local slot is held until one window after the
    // answer, so holding it while waiting for a shared slot would idle it for that wait and cut
    // this replica's rate below the app's budget (measured: a 200-create burst over two replicas
    // took 155% of the floor that way). Paced by the shared slots, the local limiter rarely waits.
    const budget = this.#opts.budget;
    if (budget !== undefined) {
      for (let attempt = 1; ; attempt++) {
        const wait = await this.#reserve(budget, spec.endpoint);
        const slotAt = Date.now() + wait;
        if (wait > 0) {
          this.#opts.observe?.limiterWait?.(spec.endpoint);
          try {
            await sleep(wait, spec.signal);
          } catch (err) {
            throw new DingTalkHttpError(spec.endpoint, 'aborted before sending', false, err);
          }
        }
        // Woken well after the slot (a busy event loop): sent now, this call would land among
        // the next replicas' calls and push DingTalk's window over the limit. Take a new slot.
        if (Date.now() - slotAt <= budget.intervalMs || attempt >= MAX_SLOT_TRIES) break;
      }
    }
    try {
      return await this.#opts.limiter.acquire(spec.endpoint, spec.signal);
    } catch (err) {
      throw new DingTalkHttpError(spec.endpoint, 'aborted before sending', false, err);
    }
  }

  /**
   * The wait for the shared slot, or 0 when the budget cannot be asked (database down or slow):
   * a call never fails because of the budget; the local limiter alone holds it back then.
   */
  async #reserve(budget: NonNullable<HttpClientOptions['budget']>, api: string): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        budget.shared.reserve(api, budget.intervalMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer in time')), BUDGET_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      const now = Date.now();
      if (now - this.#budgetWarnedAt > BUDGET_WARN_EVERY_MS) {
        this.#budgetWarnedAt = now;
        this.#opts.logger.warn(
          { endpoint: api, err: (err as Error).message },
          'shared rate budget unavailable; using the local limiter only',
        );
      }
      return 0;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Back-off sleep. We only wait after a failure that proved the call was not done. */
  async #wait(ms: number, spec: CallSpec<unknown>): Promise<void> {
    try {
      await sleep(ms, spec.signal);
    } catch (err) {
      throw new DingTalkHttpError(spec.endpoint, 'aborted while waiting to retry', false, err);
    }
  }

  #delay(n: number): number {
    const r = this.#opts.retry;
    return Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** n) + Math.floor(this.#random() * r.jitterMs);
  }

  #url(spec: CallSpec<unknown>, token: string | undefined): URL {
    let url: URL;
    if (spec.host instanceof URL) url = new URL(spec.host.href);
    else {
      const base = spec.host === 'api' ? this.#opts.apiBase : this.#opts.oapiBase;
      url = new URL(base.replace(/\/+$/, '') + (spec.path ?? '/'));
    }
    for (const [k, val] of Object.entries(spec.query ?? {})) url.searchParams.set(k, val);
    if (spec.auth === 'legacy' && token !== undefined) url.searchParams.set('access_token', token);
    return url;
  }

  async #attempt(
    spec: CallSpec<unknown>,
    token: string | undefined,
    attempt: number,
    log: Logger,
  ): Promise<Verdict> {
    const url = this.#url(spec, token);
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    } else if (spec.method !== 'GET') {
      headers['content-type'] = 'application/json';
    }
    if (spec.auth === 'v1' && token !== undefined) headers['x-acs-dingtalk-access-token'] = token;

    // A fresh timeout per attempt, linked to the caller's signal (which may be shared by calls).
    const timeout = AbortSignal.timeout(this.#opts.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const started = performance.now();
    this.#stats.calls++;
    let status: number;
    let text: string;
    let requestIdHeader: string | undefined;
    let retryAfterHeader: string | undefined;
    try {
      const res = await this.#agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: spec.method,
        headers,
        body: body ?? null,
        signal,
      });
      status = res.statusCode;
      requestIdHeader = headerValue(res.headers['x-acs-request-id']);
      retryAfterHeader = headerValue(res.headers['retry-after']);
      text = await res.body.text();
    } catch (err) {
      const callerAborted = spec.signal?.aborted === true;
      const timedOut = !callerAborted && timeout.aborted;
      const code = errorCode(err);
      const notSent = !callerAborted && !timedOut && code !== undefined && NOT_SENT_CODES.has(code);
      const reason = callerAborted
        ? 'aborted'
        : timedOut
          ? `timeout after ${this.#opts.timeoutMs} ms`
          : (code ?? 'network error');
      log.debug(
        { attempt, durationMs: Math.round(performance.now() - started), reason },
        'dingtalk call failed on the wire',
      );
      return {
        kind: 'network',
        // A timeout or reset after connecting proves nothing: the request may have been read.
        error: new DingTalkHttpError(spec.endpoint, reason, !notSent, err),
        aborted: callerAborted,
      };
    }
    const v = this.#interpret(spec, status, text, requestIdHeader, retryAfterHeader);
    const e = 'error' in v && v.error instanceof DingTalkApiError ? v.error : undefined;
    log.debug(
      {
        method: spec.method,
        status,
        attempt,
        durationMs: Math.round(performance.now() - started),
        outcome: v.kind,
        errcode: e?.errcode,
        code: e?.code,
        requestId: e?.requestId,
      },
      'dingtalk call',
    );
    return v;
  }

  /** DingTalk's own texts may echo what we sent; keep secrets out of error messages. */
  #scrub(m: string): string {
    return scrubSecrets(m, this.#opts.secrets ?? []);
  }

  #interpret(
    spec: CallSpec<unknown>,
    status: number,
    text: string,
    requestIdHeader: string | undefined,
    retryAfterHeader: string | undefined,
  ): Verdict {
    const endpoint = spec.endpoint;
    const json = parseJson(text);
    const obj = isRecord(json) ? json : undefined;
    const requestId =
      str(obj?.requestid) ?? str(obj?.request_id) ?? str(obj?.requestId) ?? requestIdHeader ?? undefined;
    const retryAfterMs = parseRetryAfter(retryAfterHeader);

    // Per-IP throttle (§5): `{"status":1111,"wait":5,"punish":"deny"}` instead of an answer.
    if (obj && (obj.punish === 'deny' || obj.status === 1111)) {
      const wait = typeof obj.wait === 'number' ? obj.wait * 1000 : undefined;
      return {
        kind: 'rate-limited',
        error: new DingTalkApiError({
          endpoint,
          status,
          code: 'ip-throttled',
          message: 'egress IP throttled',
        }),
        retryAfterMs: wait,
      };
    }

    if (status < 200 || status >= 300) {
      const code = str(obj?.code) ?? (obj ? undefined : 'non-json-response');
      const message = this.#scrub(
        str(obj?.message) ?? str(obj?.errmsg) ?? `HTTP ${status} (${text.length} bytes)`,
      );
      const error = new DingTalkApiError({ endpoint, status, code, message, requestId });
      if (status === 429 || (status === 403 && code !== undefined && /Qp[sm]Limit/.test(code))) {
        return { kind: 'rate-limited', error, retryAfterMs };
      }
      if (status >= 500) return { kind: 'transient', error };
      if (code === 'InvalidAuthentication') return { kind: 'token-invalid', error };
      if (code === 'invalidClientIdOrSecret') {
        return { kind: 'fatal', error: new DingTalkAuthError(endpoint, code, requestId) };
      }
      return { kind: 'fatal', error };
    }

    if (json === undefined) {
      return {
        kind: 'fatal',
        error: new DingTalkApiError({
          endpoint,
          status,
          code: 'non-json-response',
          message: `HTTP ${status} with a body that is not JSON (${text.length} bytes)`,
          requestId,
          mayHaveTakenEffect: ENDPOINTS[spec.endpoint].write,
        }),
      };
    }

    if (ENDPOINTS[spec.endpoint].family === 'legacy' && obj && obj.errcode !== undefined) {
      const errcode = Number(obj.errcode);
      if (errcode !== 0 && Number.isFinite(errcode)) {
        return legacyVerdict(endpoint, status, obj, errcode, requestId, (m) => this.#scrub(m));
      }
    }
    return { kind: 'ok', value: json };
  }
}

function legacyVerdict(
  endpoint: EndpointName,
  status: number,
  obj: Record<string, unknown>,
  errcode: number,
  requestId: string | undefined,
  scrub: (m: string) => string,
): Verdict {
  const subCode = obj.sub_code === undefined || obj.sub_code === null ? undefined : String(obj.sub_code);
  const message = scrub(str(obj.sub_msg) ?? str(obj.errmsg) ?? '');
  const error = new DingTalkApiError({ endpoint, status, errcode, subCode, message, requestId });
  if (TOKEN_ERRCODES.has(errcode) || (errcode === 88 && subCode === '40014')) {
    return { kind: 'token-invalid', error };
  }
  if (RATE_ERRCODES.has(errcode)) return { kind: 'rate-limited', error, retryAfterMs: undefined };
  if (errcode === 40096 || errcode === 40089) {
    return { kind: 'fatal', error: new DingTalkAuthError(endpoint, `errcode ${errcode}`, requestId) };
  }
  // -1 "系统繁忙": the docs (KB:0013, §5) tell clients to retry it, on writes as on reads — it
  // is DingTalk's front door turning the call away, not a report about a half-done change.
  // So we take it as proof that nothing was done and repeat writes too (up to the retry budget).
  if (errcode === -1) return { kind: 'busy', error };
  // 400001 "系统错误", 15 (gateway→backend timeout) and 88 without sub_code (3-s timeout) are
  // transient, but the backend may have acted: retried for reads only.
  if (errcode === 400001 || errcode === 15 || (errcode === 88 && (subCode === undefined || subCode === ''))) {
    return { kind: 'transient', error };
  }
  return { kind: 'fatal', error };
}

function withEffect(e: DingTalkApiError): DingTalkApiError {
  return new DingTalkApiError({
    endpoint: e.endpoint,
    status: e.status,
    errcode: e.errcode,
    code: e.code,
    subCode: e.subCode,
    message: e.apiMessage,
    requestId: e.requestId,
    mayHaveTakenEffect: true,
  });
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function parseRetryAfter(h: string | undefined): number | undefined {
  if (h === undefined) return undefined;
  const s = Number(h);
  return Number.isFinite(s) && s >= 0 ? Math.min(s * 1000, 60_000) : undefined;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_ABORTED') return e.code;
  }
  return undefined;
}

/** Sleeps `ms`, rejecting when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
