/**
 * The one HTTP server: routing, request recording, and the cross-cutting behaviour every
 * DingTalk endpoint shares (latency, injected faults, token checks, QPS limit, permissions),
 * answered in each endpoint family's own error envelope (dingtalk-api.md §0.2, §0.3, §1.3, §5).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FaultKind, Faults } from './faults.ts';
import { newRequestId, newTopRequestId } from './ids.ts';
import type { RecordedRequest } from './types.ts';

/** Error-envelope family of an endpoint. */
export type Family = 'legacy' | 'topapi' | 'v1' | 'gateway' | 'webhook' | 'control';

export interface Ctx {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** parsed JSON, form fields as an object, or the raw text */
  body: unknown;
  bodyKind: 'empty' | 'json' | 'form' | 'text';
  /** regex captures of the route path */
  params: string[];
  token: string | undefined;
  family: Family;
  /** closes the TCP connection without an answer */
  destroy(): void;
}

export interface Reply {
  status: number;
  body: unknown;
  /** defaults to JSON */
  contentType?: string;
}

/** Returned by a handler that must never answer. */
export const HANG = Symbol('hang');
export type Answer = Reply | typeof HANG;

export interface Route {
  method: 'GET' | 'POST';
  path: string | RegExp;
  endpoint: string;
  family: Family;
  /** needs a valid access token (query for legacy/topapi, header for v1) */
  auth?: boolean;
  /** closed when the matching permission switch is off */
  permission?: 'legacyGroup' | 'v1Group';
  /** subject to the per-API QPS limit; default true for legacy, topapi and v1 */
  qps?: boolean;
  handle(ctx: Ctx): Answer | Promise<Answer>;
}

export interface TokenCheck {
  isValid(token: string): boolean;
}

const json = (status: number, body: unknown): Reply => ({ status, body });

/** Legacy success: HTTP 200 errcode 0; topapi adds request_id (dingtalk-api.md §0.3). */
export function legacyOk(family: Family, extra: Record<string, unknown> = {}): Reply {
  const body: Record<string, unknown> = { errcode: 0, errmsg: 'ok', ...extra };
  if (family === 'topapi') body.request_id = newTopRequestId();
  return json(200, body);
}

/** Legacy error: HTTP 200 with errcode ≠ 0; topapi adds request_id (dingtalk-api.md §0.2, §0.3). */
export function legacyErr(family: Family, errcode: number, errmsg: string): Reply {
  const body: Record<string, unknown> = { errcode, errmsg };
  if (family === 'topapi') body.request_id = newTopRequestId();
  return json(200, body);
}

/** New-API error: HTTP 4xx/5xx `{code, message, requestid}` (dingtalk-api.md §0.2). */
export function v1Err(status: number, code: string, message: string): Reply {
  return json(status, { code, message, requestid: newRequestId() });
}

function isLegacy(f: Family): boolean {
  return f === 'legacy' || f === 'topapi' || f === 'webhook';
}

/** The answer of an injected fault in the family's envelope. */
export function faultReply(family: Family, kind: Exclude<FaultKind, 'hang'>): Reply {
  switch (kind) {
    case 'busy':
      return isLegacy(family) ? legacyErr(family, -1, '系统繁忙') : v1Err(500, 'system.error', '系统错误');
    case 'http500':
      return v1Err(500, 'system.error', '系统错误');
    case 'http502':
      return {
        status: 502,
        body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
        contentType: 'text/html',
      };
    case 'http503':
      return {
        status: 503,
        body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
        contentType: 'text/html',
      };
    case 'qps':
      // dingtalk-api.md §5: legacy 90018 (errmsg text UNCONFIRMED) / new 403 QpsLimitForAppkeyAndApi
      return isLegacy(family)
        ? legacyErr(family, 90018, '当前应用调用该接口的频率超过限制，请稍后重试')
        : v1Err(403, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', '应用调用该接口的并发量超过限制');
  }
}

function permissionReply(family: Family): Reply {
  // dingtalk-api.md §5: permission errors are legacy 60011 / new 403 AccessTokenPermissionDenied
  return isLegacy(family)
    ? legacyErr(family, 60011, '没有调用该接口的权限')
    : v1Err(
        403,
        'Forbidden.AccessDenied.AccessTokenPermissionDenied',
        '没有调用该接口的权限，请在开放平台申请权限',
      );
}

/** Token errors per family (dingtalk-api.md §1.3, §0.3). */
function authReply(family: Family, token: string | undefined): Reply {
  if (family === 'v1') {
    return token === undefined
      ? v1Err(400, 'AuthenticationFailed.MissingParameter', '缺少参数：x-acs-dingtalk-access-token')
      : v1Err(400, 'InvalidAuthentication', '不合法的access_token');
  }
  if (family === 'topapi') {
    const [sub, msg] =
      token === undefined ? ['40000', 'access_token is blank'] : ['40014', '不合法的access_token'];
    return json(200, {
      errcode: 88,
      sub_code: sub, // a STRING (dingtalk-api.md §0.3)
      sub_msg: msg,
      errmsg: `ding talk error[subcode=${sub},submsg=${msg}]`,
      request_id: newTopRequestId(),
    });
  }
  return token === undefined
    ? legacyErr(family, 41001, '缺少access_token参数') // dingtalk-api.md §1.3 "41001 missing access_token"
    : legacyErr(family, 40014, '不合法的access_token');
}

/** Unknown `/topapi/<x>` → errcode 22 (dingtalk-api.md §0.3). */
function unknownTopapi(path: string): Reply {
  const api = `dingtalk.oapi.${path
    .replace(/^\/topapi\//, '')
    .replace(/\/+$/, '')
    .split('/')
    .join('.')}`;
  const sub = `不合法ApiName，ApiName = ${api}`;
  return json(200, {
    errcode: 22,
    sub_msg: sub,
    errmsg: `Invalid method[submsg=${sub}]`,
    request_id: newTopRequestId(),
  });
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function parseBody(raw: string, contentType: string): { body: unknown; kind: Ctx['bodyKind'] } {
  if (raw.length === 0) return { body: undefined, kind: 'empty' };
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return { body: Object.fromEntries(new URLSearchParams(raw)), kind: 'form' };
  }
  // Lenient about a missing/text Content-Type: whatever parses as JSON is JSON.
  try {
    return { body: JSON.parse(raw) as unknown, kind: 'json' };
  } catch {
    return { body: raw, kind: 'text' };
  }
}

const MAX_BODY = 1 << 20;

export class ApiServer {
  readonly server: http.Server;
  readonly requests: RecordedRequest[] = [];
  tcpConnections = 0;
  /** Most TCP connections open at the same time. */
  peakOpenSockets = 0;

  /** TCP connections open now. */
  get openSockets(): number {
    return this.sockets.size;
  }
  private readonly routes: Route[] = [];
  private readonly qpsHits = new Map<string, number[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly faults: Faults,
    private readonly tokens: TokenCheck,
  ) {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    // DingTalk's idle keep-alive timeout is not documented; HTTP gateways of its kind (Tengine,
    // nginx) keep idle connections 60-75 s, not Node's 5 s default, which would make every
    // client reconnect after a quiet moment.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.on('connection', (s: Socket) => {
      this.tcpConnections += 1;
      this.sockets.add(s);
      this.peakOpenSockets = Math.max(this.peakOpenSockets, this.sockets.size);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  add(routes: Route[]): void {
    this.routes.push(...routes);
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** A timer that is cancelled on close. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private match(method: string, path: string): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      if (typeof route.path === 'string') {
        if (route.path === path) return { route, params: [] };
      } else {
        const m = route.path.exec(path);
        if (m) return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) };
      }
    }
    return undefined;
  }

  private overQps(endpoint: string): boolean {
    const limit = this.faults.qpsLimit;
    if (limit === null) return false;
    const now = Date.now();
    const hits = (this.qpsHits.get(endpoint) ?? []).filter((t) => now - t < this.faults.qpsWindowMs);
    const over = hits.length >= limit;
    if (!over) hits.push(now); // rejected calls don't count (dingtalk-api.md §5)
    this.qpsHits.set(endpoint, hits);
    return over;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let raw = '';
    try {
      raw = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const { body, kind } = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const hit = this.match(method, path);
    const family: Family = hit?.route.family ?? (path.startsWith('/v1.0/') ? 'v1' : 'legacy');
    const headerToken = req.headers['x-acs-dingtalk-access-token'];
    const token =
      family === 'v1' || family === 'gateway'
        ? typeof headerToken === 'string' && headerToken !== ''
          ? headerToken
          : undefined
        : (url.searchParams.get('access_token') ?? undefined) || undefined;
    const endpoint = hit?.route.endpoint ?? (path.startsWith('/topapi/') ? 'topapi.unknown' : 'unknown');
    const recorded = family !== 'control';
    const rec: RecordedRequest = {
      id: this.nextId++,
      at: Date.now(),
      method,
      path,
      endpoint,
      query: Object.fromEntries(url.searchParams),
      headers: flatHeaders(req.headers),
      body,
      status: 0,
      response: undefined,
      durationMs: 0,
      token,
    };
    if (recorded) this.requests.push(rec);

    const send = (reply: Reply): void => {
      if (this.stopped || res.destroyed) return;
      rec.status = reply.status;
      rec.response = reply.body;
      const isJson = reply.contentType === undefined;
      const text = isJson ? JSON.stringify(reply.body) : String(reply.body);
      const headers: Record<string, string> = {
        'content-type': reply.contentType ?? 'application/json;charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
      };
      const rid = (reply.body as { requestid?: unknown } | null)?.requestid;
      if (isJson && typeof rid === 'string') headers['x-acs-request-id'] = rid;
      res.writeHead(reply.status, headers);
      res.end(text);
      rec.durationMs = performance.now() - started;
    };

    if (!hit) {
      if (path.startsWith('/topapi/')) return send(unknownTopapi(path));
      return send(v1Err(404, 'InvalidAction.NotFound', `Specified api is not found: ${method} ${path}`));
    }
    const { route, params } = hit;
    try {
      if (family !== 'gateway' && family !== 'control') {
        const delay = this.faults.latencyFor(endpoint);
        if (delay > 0) await this.sleep(delay);
        const injected = this.faults.take(endpoint, chatsNamed(body, url.searchParams));
        if (injected === 'hang') return;
        if (injected) return send(faultReply(family, injected));
      }
      if (route.auth && (token === undefined || !this.tokens.isValid(token))) {
        return send(authReply(family, token));
      }
      const qps = route.qps ?? (family === 'legacy' || family === 'topapi' || family === 'v1');
      if (qps && this.overQps(endpoint)) return send(faultReply(family, 'qps'));
      if (route.permission === 'legacyGroup' && !this.faults.legacyGroupPermission) {
        return send(permissionReply(family));
      }
      if (route.permission === 'v1Group' && !this.faults.v1GroupPermission) {
        return send(permissionReply(family));
      }
      const ctx: Ctx = {
        method,
        path,
        query: url.searchParams,
        headers: req.headers,
        body,
        bodyKind: kind,
        params,
        token,
        family,
        destroy: () => req.socket.destroy(),
      };
      const answer = await route.handle(ctx);
      if (answer === HANG) return;
      const back = this.faults.answerLatencyByEndpoint[endpoint] ?? 0;
      if (back > 0) await this.sleep(back);
      send(answer);
    } catch (err) {
      console.error('[emulator] handler failed', endpoint, err);
      send(faultReply(family, 'busy'));
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Scalar coercions: the legacy SDK sends every scalar as a JSON string (dingtalk-api.md §0.3). */
export function asInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A string list: a JSON array of strings, or (form bodies, the legacy SDK) a JSON-array string or CSV. */
export function asStringList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('[')) {
      try {
        return asStringList(JSON.parse(t));
      } catch {
        return undefined;
      }
    }
    return t === '' ? [] : t.split(',').map((s) => s.trim());
  }
  return undefined;
}

export function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The chats a call names (chatId or openConversationId, in its body or query), for faults aimed at one chat. */
function chatsNamed(body: unknown, query: URLSearchParams): string[] {
  const out: string[] = [];
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  for (const k of ['chatid', 'chatId', 'openConversationId'])
    if (typeof b[k] === 'string') out.push(b[k] as string);
  const q = query.get('chatid');
  if (q !== null) out.push(q);
  return out;
}
