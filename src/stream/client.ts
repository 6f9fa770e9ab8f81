/**
 * One Stream connection, built on the official `dingtalk-stream` 2.1.5 `DWClient`, with each of
 * its pitfalls (stream-protocol.md §9) worked around. This file and `supervisor.ts` are the only
 * importers of the SDK.
 *
 * What we keep from the SDK: its config and subscription bookkeeping, `registerCallbackListener`,
 * its ping echo (`onSystem`) and its ack frame (`socketCallBackResponse`). What we replace:
 * - `getEndpoint` (P1, P7): the gateway comes from DINGTALK_API_BASE, the request has a timeout,
 *   the ticket is URL-encoded, and 401 `authFailed` becomes a typed {@link StreamAuthError}.
 * - `connect`/`_connect` (P5, P6, P7, P8, P12): no SDK reconnect, no SDK keepAlive, a handshake
 *   timeout, errors propagate, and nothing is printed to the console.
 * - `onDownStream` (P2, P3): a non-JSON frame, a frame without headers or with an unknown type is
 *   logged and dropped; a robot CALLBACK is acked at once on the socket it came from (P11: one
 *   client per socket), then handed on inside try/catch.
 * - `disconnect` (P10, P12): closes this client's socket only, silently.
 */
import { DWClient, type DWClientDownStream } from 'dingtalk-stream';
import { TOPIC_ROBOT } from 'dingtalk-stream/constants';
import type { Logger } from 'pino';
import { request } from 'undici';
import WebSocket from 'ws';

/** A robot message frame after its ack left. */
export interface RobotFrame {
  /** headers.messageId */
  messageId: string;
  /** the raw `data` string (JSON of the robot payload) */
  data: string;
  connectionId: string;
  /** when the frame arrived and when its ack was sent (performance.now()) */
  receivedAt: number;
  ackedAt: number;
}

/** The gateway refused the client id or secret (HTTP 401 `authFailed`). Retrying will not help. */
export class StreamAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(`DingTalk rejected the client id or secret (HTTP ${status}${code ? ` ${code}` : ''})`);
    this.name = 'StreamAuthError';
  }
}

/** Opening a connection failed for a reason that may pass (network, 5xx, timeout). */
export class StreamGatewayError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamGatewayError';
  }
}

export interface StreamClientOptions {
  clientId: string;
  clientSecret: string;
  /** DINGTALK_API_BASE, e.g. https://api.dingtalk.com */
  apiBase: string;
  logger: Logger;
  /** connections/open request and WebSocket handshake timeout */
  openTimeoutMs: number;
  onRobotFrame: (frame: RobotFrame) => void;
  /** SYSTEM `disconnect` arrived: the server will close this socket soon. */
  onDisconnectFrame: (client: GuardedStreamClient) => void;
  onClose: (client: GuardedStreamClient, code: number) => void;
  /** any frame or pong: the link is alive */
  onActivity: () => void;
}

/**
 * The `ua` of connections/open. The protocol's format is `name-sdk-lang/version`
 * (stream-protocol.md §1) and a malformed one may be refused (`ua invalid`, UNCONFIRMED), so it
 * follows that form.
 */
const UA = 'dingtalk-group-bot-nodejs/0.1.0';
let connectionCounter = 0;

/** A DWClient for one socket. Create a new one for every (re)connection. */
export class GuardedStreamClient extends DWClient {
  /** Our own label for logs and RobotFrame.connectionId. */
  readonly label = `c${++connectionCounter}`;
  private ws: WebSocket | undefined;
  private closedByUs = false;
  /** Cancels a connections/open still in flight when we give up on this client. */
  private readonly cancel = new AbortController();
  private readonly opts: StreamClientOptions;
  private readonly log: Logger;

  constructor(opts: StreamClientOptions) {
    // P4: our own subscriptions array; no implicit EVENT `*`. P8/P12: keepAlive and debug off.
    super({
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      keepAlive: false,
      debug: false,
      ua: UA,
      subscriptions: [],
      autoReconnect: false,
    } as ConstructorParameters<typeof DWClient>[0]);
    this.config.autoReconnect = false;
    this.opts = opts;
    this.log = opts.logger.child({ conn: this.label });
    // The listener only exists so the SDK records the CALLBACK subscription (P14: before connect).
    this.registerCallbackListener(TOPIC_ROBOT, () => {});
  }

  /** The socket is open and has not been told to go away. */
  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** P1/P7: our gateway, our timeout, URL-encoded ticket, typed errors. */
  override async getEndpoint(): Promise<this> {
    const url = `${this.opts.apiBase}/v1.0/gateway/connections/open`;
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          clientId: this.config.clientId,
          clientSecret: this.config.clientSecret,
          ua: UA,
          subscriptions: this.config.subscriptions,
        }),
        headersTimeout: this.opts.openTimeoutMs,
        bodyTimeout: this.opts.openTimeoutMs,
        signal: AbortSignal.any([this.cancel.signal, AbortSignal.timeout(this.opts.openTimeoutMs)]),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new StreamGatewayError(`gateway request failed: ${(err as Error).message}`, { cause: err });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (status === 401 || (status === 400 && obj.code === 'authFailed')) {
      throw new StreamAuthError(status, typeof obj.code === 'string' ? obj.code : undefined);
    }
    if (status < 200 || status >= 300) {
      throw new StreamGatewayError(
        `gateway answered HTTP ${status}${typeof obj.code === 'string' ? ` ${obj.code}` : ''}`,
      );
    }
    const { endpoint, ticket } = obj;
    if (typeof endpoint !== 'string' || typeof ticket !== 'string' || !/^wss?:\/\//.test(endpoint)) {
      throw new StreamGatewayError('gateway answer has no endpoint or ticket');
    }
    (this as unknown as { dw_url: string }).dw_url = `${endpoint}?ticket=${encodeURIComponent(ticket)}`;
    return this;
  }

  /** P7: handshake timeout; P8: no SDK keepAlive interval; P12: no console output. */
  override _connect(): Promise<void> {
    const url = (this as unknown as { dw_url: string }).dw_url;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(url, { handshakeTimeout: this.opts.openTimeoutMs });
      this.ws = ws;
      (this as unknown as { socket: WebSocket }).socket = ws;
      ws.on('open', () => {
        this.connected = true;
        settled = true;
        this.opts.onActivity();
        resolve();
      });
      ws.on('pong', () => this.opts.onActivity());
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        this.opts.onActivity();
        this.onDownStream(isBinary ? '' : data.toString());
      });
      ws.on('close', (code: number) => {
        this.connected = false;
        this.registered = false;
        if (!settled) {
          settled = true;
          reject(new StreamGatewayError(`socket closed before it opened (code ${code})`));
          return;
        }
        if (!this.closedByUs) this.opts.onClose(this, code);
      });
      ws.on('error', (err: Error) => {
        this.log.warn({ err: err.message }, 'stream socket error');
        if (!settled) {
          settled = true;
          reject(new StreamGatewayError(`socket error: ${err.message}`, { cause: err }));
        }
        ws.terminate();
      });
    });
  }

  /** Unlike 2.1.5 (P6/P7), errors propagate to the supervisor. */
  override async connect(): Promise<void> {
    await this.getEndpoint();
    if (this.closedByUs) throw new StreamGatewayError('connection attempt cancelled');
    await this._connect();
  }

  /** P10/P12: closes this socket only (or cancels the attempt to open it), without reconnecting or printing. */
  override disconnect(): void {
    this.closedByUs = true;
    this.connected = false;
    this.cancel.abort();
    const ws = this.ws;
    if (!ws) return;
    ws.removeAllListeners('message');
    ws.on('error', () => {});
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
    else ws.terminate();
  }

  /** Terminates a socket we no longer trust (heartbeat loss); the supervisor is told through onClose. */
  kill(): void {
    this.ws?.terminate();
  }

  /** Sends a ws-level ping (heartbeat). */
  ping(): void {
    try {
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.ping();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'ping failed');
    }
  }

  /** P2/P3/P11: guarded frame handling; robot frames are acked before anything else happens. */
  override onDownStream(data: string): void {
    const receivedAt = performance.now();
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.log.warn({ bytes: data.length }, 'dropped a stream frame that is not JSON');
      return;
    }
    if (!isFrame(frame)) {
      this.log.warn('dropped a stream frame without type or headers');
      return;
    }
    try {
      if (frame.type === 'SYSTEM') {
        if (frame.headers.topic === 'disconnect') {
          this.log.info('server sent disconnect; opening a replacement connection');
          this.connected = false;
          this.opts.onDisconnectFrame(this);
          return;
        }
        // ping is echoed by the SDK with the opaque data (stream-protocol.md §4).
        super.onSystem(frame);
        return;
      }
      if (frame.type === 'CALLBACK' && frame.headers.topic === TOPIC_ROBOT) {
        if (typeof frame.data !== 'string') {
          this.ack(frame.headers.messageId);
          this.log.warn('dropped a robot frame whose data is not a string');
          return;
        }
        this.ack(frame.headers.messageId);
        const ackedAt = performance.now();
        this.opts.onRobotFrame({
          messageId: frame.headers.messageId,
          data: frame.data,
          connectionId: this.label,
          receivedAt,
          ackedAt,
        });
        return;
      }
      this.log.debug(
        { type: frame.type, topic: frame.headers.topic },
        'ignored a frame we did not subscribe to',
      );
    } catch (err) {
      this.log.error({ err }, 'stream frame handler failed');
    }
  }

  private ack(messageId: string): void {
    // A frame whose headers.messageId is empty cannot be acked (the gateway matches an ack by
    // it), and the SDK would print "send: messageId must be defined" to the console before
    // throwing: say it in the log instead. The frame itself is still handed on.
    if (messageId === '') {
      this.log.warn('a robot frame without headers.messageId: no ack sent');
      return;
    }
    try {
      this.socketCallBackResponse(messageId, null);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'ack could not be sent');
    }
  }
}

function isFrame(x: unknown): x is DWClientDownStream {
  if (typeof x !== 'object' || x === null) return false;
  const f = x as Record<string, unknown>;
  const h = f.headers;
  return (
    typeof f.type === 'string' &&
    typeof h === 'object' &&
    h !== null &&
    typeof (h as Record<string, unknown>).topic === 'string' &&
    typeof (h as Record<string, unknown>).messageId === 'string'
  );
}
