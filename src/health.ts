/**
 * A small HTTP server for orchestrators (BOT_HTTP_PORT): `GET /healthz` (the process is alive),
 * `GET /readyz` (the Stream connection is up and the store answers; 503 otherwise) and
 * `GET /metrics` (Prometheus text, prom-client). It binds to 127.0.0.1 unless BOT_HTTP_HOST says
 * otherwise: the metrics are for a local scraper or a sidecar, not for the internet.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The bot's counters, in a registry of their own (with the process's default metrics). */
export class Metrics {
  readonly registry = new Registry();
  /** Robot messages taken from the Stream (each message once, redeliveries not counted). */
  readonly messages: Counter;
  /** Replies delivered, by either path. */
  readonly replies: Counter;
  /** Failures by `kind` (e.g. `reply`, `dingtalk`, `internal`, `store`). */
  readonly errors: Counter<'kind'>;
  /** DingTalk API calls by `api` (the endpoint name) and `outcome` (e.g. `ok`, `error`, `rate_limited`). */
  readonly dingtalkCalls: Counter<'api' | 'outcome'>;
  /** Times a call waited for the rate limiter before it was sent. */
  readonly limiterWaits: Counter;
  /** Stream connections opened again after one was lost. */
  readonly streamReconnects: Counter;
  /** Message claims of a stopped replica that this one took over. */
  readonly claimsTakenOver: Counter;
  /** Scheduled changes carried out by this replica, by `outcome` (`done`, `dropped`, `failed`). */
  readonly jobs: Counter<'outcome'>;
  /**
   * The audit chain's head, published outside the database (a cut-off chain shows as a head that
   * went back): `seq` as the value, the seal's first 16 characters as a label.
   */
  readonly auditHead: Gauge<'seal'>;

  constructor() {
    const registers = [this.registry];
    this.messages = new Counter({ name: 'messages_total', help: 'Robot messages received', registers });
    this.replies = new Counter({ name: 'replies_total', help: 'Replies delivered', registers });
    this.errors = new Counter({
      name: 'errors_total',
      help: 'Failures, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.dingtalkCalls = new Counter({
      name: 'dingtalk_calls_total',
      help: 'DingTalk API calls, by API and outcome',
      labelNames: ['api', 'outcome'],
      registers,
    });
    this.limiterWaits = new Counter({
      name: 'limiter_waits_total',
      help: 'Calls that waited for the rate limiter',
      registers,
    });
    this.streamReconnects = new Counter({
      name: 'stream_reconnects_total',
      help: 'Stream reconnections after a lost connection',
      registers,
    });
    this.claimsTakenOver = new Counter({
      name: 'claims_taken_over_total',
      help: 'Message claims taken over from a stopped replica',
      registers,
    });
    this.jobs = new Counter({
      name: 'jobs_total',
      help: 'Scheduled changes (at=, until=) run, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
    this.auditHead = new Gauge({
      name: 'audit_head_seq',
      help: 'The last audit record (its seq); the label is the start of its seal',
      labelNames: ['seal'],
      registers,
    });
  }
}

/** What `/readyz` asks. A check that throws or does not answer in time counts as not ready. */
export interface ReadinessChecks {
  streamConnected(): boolean;
  storeReachable(): boolean | Promise<boolean>;
}

export interface HealthServerOptions {
  /** 0 = any free port (tests) */
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  metrics: Metrics;
  checks: ReadinessChecks;
  /** How long `/readyz` waits for the store; default 2000 ms. */
  checkTimeoutMs?: number;
  /**
   * Limits on a client, so that a slow or idle one cannot hold a socket: the whole head must
   * arrive within `headersMs` (default 5 s), the whole request within `requestMs` (default 10 s),
   * and an idle kept-alive socket is closed after `keepAliveMs` (default 5 s).
   */
  timeouts?: { headersMs?: number; requestMs?: number; keepAliveMs?: number };
}

export interface HealthServer {
  /** the address it is bound to */
  readonly host: string;
  /** the port it listens on (the chosen one when `port` was 0) */
  readonly port: number;
  /** How many client sockets are open now. */
  openSockets(): Promise<number>;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_CHECK_TIMEOUT_MS = 2_000;
const DEFAULT_HEADERS_MS = 5_000;
const DEFAULT_REQUEST_MS = 10_000;
const DEFAULT_KEEP_ALIVE_MS = 5_000;

/** Starts the server; rejects when it cannot listen (e.g. the port is taken). */
export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const host = o.host ?? DEFAULT_HOST;
  const timeoutMs = o.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const headersMs = o.timeouts?.headersMs ?? DEFAULT_HEADERS_MS;
  const requestMs = Math.max(o.timeouts?.requestMs ?? DEFAULT_REQUEST_MS, headersMs);
  const server = http.createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: o.timeouts?.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      // Node looks for late heads and bodies at this interval (30 s by default).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersMs / 2))),
    },
    (req, res) => {
      // answer() catches its own failures; this is the last guard against an unhandled rejection.
      answer(req, res, o, timeoutMs).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    },
  );
  // A request Node cannot parse, or one too slow: a short answer when the socket can still take
  // one, then the socket is closed (by default Node would do much the same, but silently).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (socket.writable && !socket.destroyed) {
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`health server: cannot listen on ${host}:${o.port}: ${err.message}`)),
    );
    server.listen(o.port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    host: bound.address,
    port: bound.port,
    openSockets: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
      ),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: string, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown): void =>
  send(res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');

async function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  o: HealthServerOptions,
  timeoutMs: number,
): Promise<void> {
  const path = pathOf(req.url);
  if (path === undefined) {
    // e.g. `GET //[ HTTP/1.1`: Node parses it, the URL parser does not.
    res.shouldKeepAlive = false;
    res.setHeader('connection', 'close');
    return sendJson(res, 400, { error: 'bad request' });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: 'method not allowed' });
  }
  try {
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const stream = safe(() => o.checks.streamConnected());
      const store = await withTimeout(o.checks.storeReachable, timeoutMs);
      const ready = stream && store;
      return sendJson(res, ready ? 200 : 503, { ready, stream, store });
    }
    if (path === '/metrics') {
      return send(res, 200, await o.metrics.registry.metrics(), o.metrics.registry.contentType);
    }
    return sendJson(res, 404, { error: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
  } catch {
    // The cause is the registry's or a check's own; the scraper only needs to know it failed.
    return sendJson(res, 500, { error: 'internal error' });
  }
}

/** The path of a request target, or undefined when it is not a URL path. */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function safe(check: () => boolean): boolean {
  try {
    return check() === true;
  } catch {
    return false;
  }
}

/** The check's answer, or false when it throws, rejects or takes longer than `ms`. */
async function withTimeout(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(
          (v) => v === true,
          () => false,
        ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
