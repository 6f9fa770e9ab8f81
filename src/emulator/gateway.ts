/**
 * Stream mode: `POST /v1.0/gateway/connections/open` and the WebSocket at `/connect`
 * (stream-protocol.md §1-§6, dingtalk-api.md §6.1).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Faults } from './faults.ts';
import { MessageIdMinter, newTicket } from './ids.ts';
import { type ApiServer, asObject, asString, HANG, type Reply, type Route, v1Err } from './server.ts';
import type { RecordedAck, RecordedDelivery, RecordedPing } from './types.ts';

export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

/** How many recent messages `redeliver` can find. */
const SENT_KEPT = 1_000;

export interface Subscription {
  type: string;
  topic: string;
}

interface Ticket {
  subscriptions: Subscription[];
  expiresAt: number;
  ua: string | undefined;
  localIp: string | undefined;
}

export interface Conn {
  id: string;
  ws: WebSocket;
  open: boolean;
  subscriptions: Subscription[];
  /** got `disconnect`: no more deliveries */
  goingAway: boolean;
  ua: string | undefined;
  localIp: string | undefined;
}

interface Outstanding {
  msgId: string;
  topic: string;
  data: string;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
}

export interface StreamOptions {
  clientId: string;
  clientSecret: string;
  ticketTtlMs: number;
  redeliveryDelayMs: number;
  redeliveryCount: number;
  disconnectCloseDelayMs: number;
  pingIntervalMs: number;
}

export class StreamHub {
  readonly acks: RecordedAck[] = [];
  readonly deliveries: RecordedDelivery[] = [];
  readonly pings: RecordedPing[] = [];
  /** frames the clients sent that were not JSON acks */
  readonly badUpstream: string[] = [];
  readonly conns: Conn[] = [];
  /** mutable at run time */
  redeliveryDelayMs: number;
  redeliveryCount: number;
  disconnectCloseDelayMs: number;
  private readonly appId = randomUUID();
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false });
  private readonly tickets = new Map<string, Ticket>();
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly pingsById = new Map<string, RecordedPing>();
  /** what each msgId carried, for `redeliver` */
  private readonly sent = new Map<string, { topic: string; data: string }>();
  /** messages waiting for a live subscribed connection */
  private readonly queue: Outstanding[] = [];
  private readonly ids = new MessageIdMinter();
  private readonly hanging = new Set<Duplex>();
  private pingTimer: NodeJS.Timeout | undefined;
  private port = 0;

  constructor(
    private readonly opts: StreamOptions,
    private readonly faults: Faults,
    private readonly api: ApiServer,
  ) {
    this.redeliveryDelayMs = opts.redeliveryDelayMs;
    this.redeliveryCount = opts.redeliveryCount;
    this.disconnectCloseDelayMs = opts.disconnectCloseDelayMs;
    api.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  start(port: number): void {
    this.port = port;
    if (this.opts.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.sendPing(), this.opts.pingIntervalMs);
    }
  }

  stop(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const o of this.outstanding.values()) if (o.timer) clearTimeout(o.timer);
    this.outstanding.clear();
    for (const c of this.conns) c.ws.terminate();
    for (const s of this.hanging) s.destroy();
    this.wss.close();
  }

  route(): Route {
    return {
      method: 'POST',
      path: '/v1.0/gateway/connections/open',
      endpoint: 'gateway.open',
      family: 'gateway',
      handle: (ctx) => {
        // Gateway faults (stream-protocol.md §12.1 knobs)
        switch (this.faults.gateway) {
          case 'hang':
            return HANG;
          case 'refuse':
            ctx.destroy();
            return HANG;
          case '401':
            return authFailed();
          case '500':
            return v1Err(500, 'system.error', '系统错误');
          case 'down':
            return v1Err(503, 'ServiceUnavailable', 'Service Unavailable');
          case 'ok':
            break;
        }
        const b = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!b) return v1Err(400, 'invalidParameter', 'body is mandatory');
        const clientId = asString(b.clientId);
        const clientSecret = asString(b.clientSecret);
        const subs = parseSubscriptions(b.subscriptions);
        if (clientId === undefined || clientSecret === undefined || !subs) {
          return v1Err(400, 'invalidParameter', 'clientId, clientSecret and subscriptions are required');
        }
        if (clientId !== this.opts.clientId || clientSecret !== this.opts.clientSecret) return authFailed();
        const ticket = newTicket();
        this.tickets.set(ticket, {
          subscriptions: subs,
          expiresAt: Date.now() + this.opts.ticketTtlMs, // 90 s, single use (stream-protocol.md §1)
          ua: asString(b.ua),
          localIp: asString(b.localIp),
        });
        return { status: 200, body: { endpoint: `ws://127.0.0.1:${this.port}/connect`, ticket } };
      },
    };
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/connect') {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.faults.upgrade === 'hang') {
      this.hanging.add(socket);
      socket.on('close', () => this.hanging.delete(socket));
      return;
    }
    const id = url.searchParams.get('ticket') ?? '';
    const ticket = this.tickets.get(id);
    this.tickets.delete(id); // single use (stream-protocol.md §1)
    // Unknown, used or expired ticket → refuse the upgrade; 400 as quoted in stream-protocol.md §2 (UNCONFIRMED)
    if (!ticket || ticket.expiresAt <= Date.now() || this.faults.upgrade === 'reject') {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, ticket));
  }

  private attach(ws: WebSocket, ticket: Ticket): void {
    const conn: Conn = {
      id: randomUUID(),
      ws,
      open: true,
      subscriptions: ticket.subscriptions,
      goingAway: false,
      ua: ticket.ua,
      localIp: ticket.localIp,
    };
    // One app per emulator, so every other connection is an older one of the same clientId.
    if (this.faults.kickOlderConnections) {
      for (const older of this.conns) if (older.open) this.sendDisconnect(older.id);
    }
    this.conns.push(conn);
    ws.on('ping', (data) => {
      if (!this.faults.stopPong) ws.pong(data);
    });
    ws.on('message', (data, isBinary) => this.onUpstream(conn, data, isBinary));
    ws.on('close', () => {
      conn.open = false;
    });
    ws.on('error', () => {
      conn.open = false;
    });
    if (this.faults.registeredFrames) {
      // Not in the official doc; the Node SDK knows them (stream-protocol.md §4)
      this.send(conn, 'SYSTEM', 'CONNECTED', '{}');
      this.send(conn, 'SYSTEM', 'REGISTERED', '{}');
    }
    this.flushQueue();
  }

  private frame(conn: Conn, type: string, topic: string, data: string, messageId: string): string {
    // stream-protocol.md §3: string headers, `time` as ms string, `data` a JSON STRING
    return JSON.stringify({
      specVersion: '1.0',
      type,
      headers: {
        appId: this.appId,
        connectionId: conn.id,
        contentType: 'application/json',
        messageId,
        time: String(Date.now()),
        topic,
      },
      data,
    });
  }

  private send(conn: Conn, type: string, topic: string, data: string): string {
    const messageId = this.ids.next();
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(this.frame(conn, type, topic, data, messageId));
    return messageId;
  }

  private onUpstream(conn: Conn, data: RawData, isBinary: boolean): void {
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.concat(data as Buffer[]).toString('utf8');
    let frame: Record<string, unknown> | undefined;
    try {
      frame = asObject(JSON.parse(text));
    } catch {
      frame = undefined;
    }
    const headers = asObject(frame?.headers);
    const messageId = asString(headers?.messageId);
    if (!frame || !headers || messageId === undefined || isBinary) {
      this.badUpstream.push(text);
      return;
    }
    const code = typeof frame.code === 'number' ? frame.code : Number(frame.code);
    this.acks.push({
      messageId,
      connectionId: conn.id,
      code,
      data: frame.data,
      message: frame.message,
      headers,
      at: Date.now(),
    });
    const ping = this.pingsById.get(messageId);
    if (ping) {
      // The ack must echo the opaque (stream-protocol.md §4)
      try {
        const echoed = asObject(JSON.parse(String(frame.data)));
        if (code === 200 && echoed?.opaque === ping.opaque) ping.answered = true;
      } catch {
        // a malformed echo leaves the ping unanswered
      }
      return;
    }
    const out = this.outstanding.get(messageId);
    if (out) {
      if (out.timer) this.api.cancel(out.timer);
      this.outstanding.delete(messageId);
    }
  }

  /** Connections that can take a push of `topic`. */
  private live(type: string, topic: string): Conn[] {
    return this.conns.filter(
      (c) =>
        c.open &&
        !c.goingAway &&
        c.ws.readyState === WebSocket.OPEN &&
        c.subscriptions.some(
          (s) => s.type === type && (s.topic === topic || (type === 'EVENT' && s.topic === '*')),
        ),
    );
  }

  hasLiveRobotConnection(): boolean {
    return this.live('CALLBACK', ROBOT_TOPIC).length > 0;
  }

  /**
   * Pushes a CALLBACK to one random live connection subscribed to `topic` (stream-protocol.md §6.3);
   * with none, the message waits for the next one. `to` picks the connection instead (tests of
   * several replicas); `'all'` pushes a copy to every live one. Returns the headers.messageIds.
   */
  deliverCallback(topic: string, data: string, msgId: string, to?: DeliverTo): string[] {
    this.sent.set(msgId, { topic, data });
    // Bounded so that soak runs do not keep every message ever sent.
    if (this.sent.size > SENT_KEPT) this.sent.delete(this.sent.keys().next().value ?? msgId);
    const o: Outstanding = { msgId, topic, data, attempt: 0, timer: undefined };
    if (to === undefined) return [this.push(o)];
    return this.pinned(o, to).map((conn) => this.push({ ...o }, conn));
  }

  /**
   * Pushes a message delivered before again, as a redelivery (same msgId, new messageId), to
   * `to`: what DingTalk does when the first connection did not ack (stream-protocol.md §6.1).
   */
  redeliver(msgId: string, to: DeliverTo): string[] {
    const prior = this.sent.get(msgId);
    if (!prior) throw new Error(`no message ${msgId} was delivered`);
    const o: Outstanding = { msgId, ...prior, attempt: 1, timer: undefined };
    return this.pinned(o, to).map((conn) => this.push({ ...o }, conn));
  }

  /** The live connections `to` names; throws when it names none. */
  private pinned(o: Outstanding, to: DeliverTo): Conn[] {
    const live = this.live('CALLBACK', o.topic);
    const conns = to === 'all' ? live : live.filter((c) => c.id === to.connectionId);
    if (conns.length === 0) {
      const what = to === 'all' ? 'any' : to.connectionId;
      throw new Error(`no live connection ${what} subscribed to ${o.topic}`);
    }
    return conns;
  }

  private push(o: Outstanding, pinned?: Conn): string {
    const targets = this.live('CALLBACK', o.topic);
    const conn = pinned ?? targets[Math.floor(Math.random() * targets.length)];
    if (!conn) {
      this.queue.push(o);
      return '';
    }
    const messageId = this.send(conn, 'CALLBACK', o.topic, o.data);
    this.deliveries.push({
      messageId,
      msgId: o.msgId,
      connectionId: conn.id,
      topic: o.topic,
      at: Date.now(),
      redelivery: o.attempt > 0,
    });
    // Un-acked robot messages are pushed again with the same msgId and a NEW messageId
    // (stream-protocol.md §6.1: field reports of one retry after ~60 s; UNCONFIRMED)
    if (o.attempt < this.redeliveryCount) {
      o.timer = this.api.later(this.redeliveryDelayMs, () => {
        if (!this.outstanding.delete(messageId)) return;
        this.push({ ...o, attempt: o.attempt + 1, timer: undefined });
      });
      this.outstanding.set(messageId, o);
    }
    return messageId;
  }

  private flushQueue(): void {
    const waiting = this.queue.splice(0);
    for (const o of waiting) this.push(o);
  }

  /** Messages that wait for a connection (none was live when they were delivered). */
  queued(): number {
    return this.queue.length;
  }

  private targets(connectionId: string | undefined): Conn[] {
    return this.conns.filter((c) => c.open && (connectionId === undefined || c.id === connectionId));
  }

  /** SYSTEM ping `{"opaque"}` to each (or one) open connection; returns the opaques. */
  sendPing(connectionId?: string): string[] {
    return this.targets(connectionId).map((conn) => {
      const opaque = randomUUID();
      const messageId = this.send(conn, 'SYSTEM', 'ping', JSON.stringify({ opaque }));
      const rec: RecordedPing = { messageId, connectionId: conn.id, opaque, at: Date.now(), answered: false };
      this.pings.push(rec);
      this.pingsById.set(messageId, rec);
      return opaque;
    });
  }

  /**
   * SYSTEM disconnect: stop delivering to the connection at once, close it after the delay
   * (stream-protocol.md §4, §6.2). Default: every open connection not already going away.
   */
  sendDisconnect(connectionId?: string): void {
    for (const conn of this.targets(connectionId)) {
      if (conn.goingAway) continue;
      this.send(conn, 'SYSTEM', 'disconnect', JSON.stringify({ reason: 'connection is expired' }));
      conn.goingAway = true;
      this.api.later(this.disconnectCloseDelayMs, () => conn.ws.close(1000, 'connection is expired'));
    }
  }

  /** Kills the sockets without a `disconnect` frame or close handshake. */
  dropConnections(): void {
    for (const c of this.targets(undefined)) c.ws.terminate();
  }

  sendRawFrame(frame: string | Buffer, connectionId?: string): void {
    for (const c of this.targets(connectionId)) {
      if (c.ws.readyState === WebSocket.OPEN) c.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    }
  }

  /** Frames the bot must survive (stream-protocol.md §12.10). */
  sendBadFrame(kind: BadFrame, connectionId?: string): void {
    for (const c of this.targets(connectionId)) {
      const mid = this.ids.next();
      const frames: Record<BadFrame, string | Buffer> = {
        nonJson: 'this is not json {',
        noHeaders: JSON.stringify({ specVersion: '1.0', type: 'CALLBACK', data: '{}' }),
        binary: Buffer.from(this.frame(c, 'CALLBACK', ROBOT_TOPIC, '{}', mid)),
        unknownType: this.frame(c, 'BOGUS', ROBOT_TOPIC, '{}', mid),
        unknownTopic: this.frame(c, 'CALLBACK', '/v1.0/unknown/topic', '{}', mid),
        unknownSystem: this.frame(c, 'SYSTEM', 'SOMETHING_NEW', '{}', mid),
        dataNotJson: this.frame(c, 'CALLBACK', ROBOT_TOPIC, 'not json', mid),
      };
      if (c.ws.readyState === WebSocket.OPEN) c.ws.send(frames[kind], { binary: kind === 'binary' });
    }
  }
}

/** Where a test sends a message: one connection by id, or a copy to every live connection. */
export type DeliverTo = { connectionId: string } | 'all';

export type BadFrame =
  | 'nonJson'
  | 'noHeaders'
  | 'binary'
  | 'unknownType'
  | 'unknownTopic'
  | 'unknownSystem'
  | 'dataNotJson';

function authFailed(): Reply {
  // stream-protocol.md §1 Errors: HTTP 401, lower-case requestid
  return v1Err(401, 'authFailed', '鉴权失败');
}

function parseSubscriptions(v: unknown): Subscription[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: Subscription[] = [];
  for (const s of v) {
    const o = asObject(s);
    const type = asString(o?.type);
    const topic = asString(o?.topic);
    if (!type || !topic) return undefined;
    out.push({ type, topic });
  }
  return out;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ code: 'invalidTicket', message: text });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
