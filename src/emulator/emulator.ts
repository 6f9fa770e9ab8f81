/** The emulator facade: wires the HTTP server, the stream hub and the org, and drives them for tests. */

import { chatRoutes } from './chat-api.ts';
import { contactRoutes } from './contact-api.ts';
import { Faults } from './faults.ts';
import { type BadFrame, ROBOT_TOPIC, StreamHub } from './gateway.ts';
import { dmConversationId, newDingtalkId } from './ids.ts';
import { oauthRoutes, TokenStore } from './oauth.ts';
import { Org } from './org.ts';
import { buildRobotMessage, type PayloadEnv } from './payloads.ts';
import { robotRoutes, Sessions } from './robot-api.ts';
import { ApiServer, asObject, asString, asStringList, type Route, v1Err } from './server.ts';
import type {
  EmulatorOptions,
  RecordedAck,
  RecordedDelivery,
  RecordedPing,
  RecordedRequest,
  RobotPayload,
  SentReply,
} from './types.ts';

export interface ConnectionInfo {
  id: string;
  open: boolean;
  subscriptions: { type: string; topic: string }[];
  goingAway: boolean;
  ua: string | undefined;
  localIp: string | undefined;
}

export interface SayOptions {
  /** chatId (or openConversationId) of a group; omitted = 1:1 */
  chat?: string;
  /** userIds picked with the @ picker */
  mentions?: string[];
  /** replies to wait for, default 1 (0 = don't wait) */
  expect?: number;
  /** default 5000 */
  timeoutMs?: number;
}

/**
 * An in-process DingTalk on 127.0.0.1: legacy oapi and new api paths on one base URL,
 * the Stream gateway + WebSocket, and a driver for tests.
 */
export class Emulator {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly robotCode: string;
  readonly corpId: string;
  readonly botName: string;
  /** the bot's chatbotUserId */
  readonly botDingtalkId: string;
  readonly org: Org;
  readonly faults: Faults;
  readonly replies: SentReply[] = [];
  /** the stream side, for knobs such as redeliveryDelayMs at run time */
  readonly stream: StreamHub;
  private readonly api: ApiServer;
  private readonly tokens: TokenStore;
  private readonly sessions = new Sessions();
  private readonly opts: EmulatorOptions;
  private listenPort = 0;

  private constructor(opts: EmulatorOptions) {
    this.opts = opts;
    this.clientId = opts.clientId ?? 'dingemulatorbot0001';
    this.clientSecret = opts.clientSecret ?? 'emulator-secret-0123456789abcdef';
    this.robotCode = this.clientId; // internal-app robots: robotCode = AppKey (dingtalk-api.md §0.4)
    this.corpId = opts.corpId ?? 'dingemulatorcorp0001';
    this.botName = opts.botName ?? 'DemoBot';
    this.botDingtalkId = newDingtalkId();
    this.org = new Org(this.corpId);
    for (const d of opts.departments ?? []) this.org.addDepartment(d);
    for (const u of opts.users ?? []) this.org.addUser(u);
    this.tokens = new TokenStore(opts.tokenTtlSec ?? 7200);
    this.faults = new Faults(
      {
        qpsLimit: opts.qpsLimit === undefined ? 20 : opts.qpsLimit,
        legacy: opts.legacyGroupPermission ?? true,
        v1: opts.v1GroupPermission ?? true,
        registeredFrames: opts.registeredFrames ?? false,
        contact: opts.contactPermission ?? true,
      },
      { revokeToken: () => this.tokens.revoke(), expireSessions: () => this.sessions.expireAll() },
    );
    this.api = new ApiServer(this.faults, this.tokens);
    this.stream = new StreamHub(
      {
        clientId: this.clientId,
        clientSecret: this.clientSecret,
        ticketTtlMs: opts.ticketTtlMs ?? 90_000,
        redeliveryDelayMs: opts.redeliveryDelayMs ?? 60_000,
        redeliveryCount: opts.redeliveryCount ?? 1,
        disconnectCloseDelayMs: opts.disconnectCloseDelayMs ?? 10_000,
        pingIntervalMs: opts.pingIntervalMs ?? 0,
      },
      this.faults,
      this.api,
    );
    this.api.add([
      this.stream.route(),
      ...oauthRoutes({ clientId: this.clientId, clientSecret: this.clientSecret, tokens: this.tokens }),
      ...chatRoutes({ org: this.org, botJoinsCreatedChats: opts.botJoinsCreatedChats ?? false }),
      ...contactRoutes({ org: this.org, switches: this.faults.contact }),
      ...robotRoutes({
        org: this.org,
        robotCode: this.robotCode,
        sessions: this.sessions,
        replies: this.replies,
        dmConversationId: (u) => this.dmConversationId(u),
        faults: this.faults,
      }),
      ...this.controlRoutes(),
    ]);
  }

  static async start(opts: EmulatorOptions = {}): Promise<Emulator> {
    const emu = new Emulator(opts);
    emu.listenPort = await emu.api.listen(opts.port ?? 0);
    emu.stream.start(emu.listenPort);
    return emu;
  }

  async stop(): Promise<void> {
    this.stream.stop();
    await this.api.close();
  }

  get port(): number {
    return this.listenPort;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.listenPort}`;
  }

  get requests(): RecordedRequest[] {
    return this.api.requests;
  }

  get acks(): RecordedAck[] {
    return this.stream.acks;
  }

  get deliveries(): RecordedDelivery[] {
    return this.stream.deliveries;
  }

  /** SYSTEM pings sent and whether their ack echoed the opaque. */
  get pings(): RecordedPing[] {
    return this.stream.pings;
  }

  /** successful token issues + renewals */
  get tokenFetches(): number {
    return this.tokens.fetches;
  }

  set tokenFetches(n: number) {
    this.tokens.fetches = n;
  }

  /** TCP connections accepted by the HTTP server */
  /** TCP connections open now, and the most open at once (for the bench). */
  get tcpOpen(): { now: number; peak: number } {
    return { now: this.api.openSockets, peak: this.api.peakOpenSockets };
  }

  /** Forgets a sessionWebhook (memory runs: keeps the emulator from holding every session). */
  forgetSession(key: string): void {
    this.sessions.forget(key);
  }

  get tcpConnections(): number {
    return this.api.tcpConnections;
  }

  set tcpConnections(n: number) {
    this.api.tcpConnections = n;
  }

  /** The access token valid right now, if any. */
  currentToken(): string | undefined {
    return this.tokens.peek();
  }

  /** DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET, DINGTALK_API_BASE, DINGTALK_OAPI_BASE (both = baseUrl). */
  env(): Record<string, string> {
    return {
      DINGTALK_CLIENT_ID: this.clientId,
      DINGTALK_CLIENT_SECRET: this.clientSecret,
      DINGTALK_API_BASE: this.baseUrl,
      DINGTALK_OAPI_BASE: this.baseUrl,
    };
  }

  /** The 1:1 conversation id between `userId` and the bot. */
  dmConversationId(userId: string): string {
    return dmConversationId(this.robotCode, userId);
  }

  connections(): ConnectionInfo[] {
    return this.stream.conns.map((c) => ({
      id: c.id,
      open: c.open,
      subscriptions: c.subscriptions.map((s) => ({ ...s })),
      goingAway: c.goingAway,
      ua: c.ua,
      localIp: c.localIp,
    }));
  }

  /** Terminates every socket without `disconnect`. */
  dropConnections(): void {
    this.stream.dropConnections();
  }

  /** SYSTEM disconnect to one connection (default: all), closed after disconnectCloseDelayMs. */
  sendDisconnect(connectionId?: string): void {
    this.stream.sendDisconnect(connectionId);
  }

  /** SYSTEM ping to one connection (default: all open); returns the opaques. See `pings`. */
  sendPing(connectionId?: string): string[] {
    return this.stream.sendPing(connectionId);
  }

  /** A raw frame: a string goes as a text frame, a Buffer as a binary frame. */
  sendRawFrame(frame: string | Buffer, connectionId?: string): void {
    this.stream.sendRawFrame(frame, connectionId);
  }

  /** A malformed or unexpected frame of a known kind (stream-protocol.md §12.10). */
  sendBadFrame(kind: BadFrame, connectionId?: string): void {
    this.stream.sendBadFrame(kind, connectionId);
  }

  /** Resolves when at least one open connection, not going away, subscribes to robot messages. */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.stream.hasLiveRobotConnection() || undefined, timeoutMs).then(
      () => undefined,
    );
  }

  /**
   * Builds a robot payload as DingTalk would (see `groupContent` in payloads.ts for how `text`
   * and `mentions` become `text.content`): `chat` = chatId (or openConversationId) of a group the
   * bot and the sender are in, omitted = 1:1; `mentions` = userIds picked with the @ picker.
   * In a group, `text` is what the user types after `@<botName> `, with each `@<userId>` of a
   * picked member shown as `@<nick>`; DingTalk strips the bot mention and leaves the space:
   * `/chat add @bob` with mentions ['bob'] → `" /chat add @Bob Li"`. In 1:1, content = `text`.
   */
  buildMessage(from: string, text: string, opts: { chat?: string; mentions?: string[] } = {}): RobotPayload {
    const env: PayloadEnv = {
      org: this.org,
      robotCode: this.robotCode,
      corpId: this.corpId,
      botName: this.botName,
      botDingtalkId: this.botDingtalkId,
      baseUrl: this.baseUrl,
      webhookTtlMs: this.opts.webhookTtlMs ?? 5_400_000,
      stripOtherMentions: this.opts.stripOtherMentions ?? false,
      sessions: this.sessions,
      dmConversationId: (u) => this.dmConversationId(u),
    };
    return buildRobotMessage(env, from, text, opts);
  }

  /**
   * Pushes a payload as a CALLBACK frame to one random live connection, or to `to` (which must be
   * live, else this throws). With no live connection and no `to`, the message waits for the next
   * one and `messageId` is '' (see `deliveries` for the real one).
   */
  deliver(payload: RobotPayload, to?: { connectionId: string }): { msgId: string; messageId: string } {
    const [messageId = ''] = this.stream.deliverCallback(
      ROBOT_TOPIC,
      JSON.stringify(payload),
      payload.msgId,
      to,
    );
    return { msgId: payload.msgId, messageId };
  }

  /**
   * Pushes a copy of the payload to every live connection at once, each with its own messageId
   * (the same msgId): a message reaching two replicas. Throws when no connection is live.
   */
  deliverToAll(payload: RobotPayload): { msgId: string; messageIds: string[] } {
    const messageIds = this.stream.deliverCallback(
      ROBOT_TOPIC,
      JSON.stringify(payload),
      payload.msgId,
      'all',
    );
    return { msgId: payload.msgId, messageIds };
  }

  /**
   * Pushes a message delivered before again to the given connection (a redelivery: same msgId,
   * new messageId, `redelivery: true` in `deliveries`). Throws for an unknown msgId or connection.
   */
  redeliver(msgId: string, to: { connectionId: string }): { msgId: string; messageId: string } {
    const [messageId = ''] = this.stream.redeliver(msgId, to);
    return { msgId, messageId };
  }

  /** Ids of the connections robot messages can go to now, oldest first. */
  liveConnectionIds(): string[] {
    return this.connections()
      .filter((c) => c.open && !c.goingAway && c.subscriptions.some((s) => s.topic === ROBOT_TOPIC))
      .map((c) => c.id);
  }

  /**
   * buildMessage + deliver, then waits until `expect` (default 1) replies caused by the message
   * arrived: webhook replies through its session; OpenAPI sends after it to the same group
   * (group message) or to the sender (1:1). Rejects after timeoutMs (default 5000).
   */
  async say(from: string, text: string, opts: SayOptions = {}): Promise<SentReply[]> {
    const build: { chat?: string; mentions?: string[] } = {};
    if (opts.chat !== undefined) build.chat = opts.chat;
    if (opts.mentions !== undefined) build.mentions = opts.mentions;
    const payload = this.buildMessage(from, text, build);
    const first = this.replies.length;
    this.deliver(payload);
    const expect = opts.expect ?? 1;
    if (expect <= 0) return [];
    const caused = (): SentReply[] => this.replies.slice(first).filter((r) => causedBy(r, payload));
    try {
      return await this.waitFor(() => {
        const got = caused();
        return got.length >= expect ? got : undefined;
      }, opts.timeoutMs ?? 5000);
    } catch {
      throw new Error(
        `emulator.say: ${caused().length}/${expect} replies to ${JSON.stringify(text)} from ${from} within ${opts.timeoutMs ?? 5000} ms`,
      );
    }
  }

  /** 1:1 messages the robot sent to `userId` through oToMessages/batchSend (dingtalk-api.md §4.2), oldest first. */
  otoTo(userId: string): SentReply[] {
    return this.replies.filter((r) => r.via === 'oto' && r.userIds?.includes(userId) === true);
  }

  /** Polls `fn` every 10 ms until it returns a truthy value. */
  waitFor<T>(fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const tick = (): void => {
        let v: T | undefined | false;
        try {
          v = fn();
        } catch (err) {
          reject(err);
          return;
        }
        if (v !== undefined && v !== false && v !== null) {
          resolve(v);
          return;
        }
        if (Date.now() >= deadline) {
          reject(new Error(`emulator.waitFor timed out after ${timeoutMs} ms`));
          return;
        }
        setTimeout(tick, 10);
      };
      tick();
    });
  }

  /** `/_emulator/*`: JSON endpoints for a person driving the standalone emulator with curl. */
  private controlRoutes(): Route[] {
    return [
      {
        method: 'POST',
        path: '/_emulator/say',
        endpoint: 'control.say',
        family: 'control',
        handle: (ctx) => {
          const b = asObject(ctx.body);
          const from = asString(b?.from);
          const text = asString(b?.text);
          if (!b || !from || text === undefined)
            return v1Err(400, 'invalidParameter', 'from and text are required');
          const opts: { chat?: string; mentions?: string[] } = {};
          const chat = asString(b.chat);
          if (chat) opts.chat = chat;
          const mentions = asStringList(b.mentions);
          if (mentions) opts.mentions = mentions;
          // `to`: a connection id, or "all" for a copy to every live connection
          const to = asString(b.to);
          try {
            const payload = this.buildMessage(from, text, opts);
            if (to === 'all') return { status: 200, body: { ...this.deliverToAll(payload), payload } };
            const ids = this.deliver(payload, to === undefined ? undefined : { connectionId: to });
            return { status: 200, body: { ...ids, payload } };
          } catch (err) {
            return v1Err(400, 'invalidParameter', (err as Error).message);
          }
        },
      },
      {
        method: 'POST',
        path: '/_emulator/redeliver',
        endpoint: 'control.redeliver',
        family: 'control',
        handle: (ctx) => {
          const b = asObject(ctx.body);
          const msgId = asString(b?.msgId);
          const to = asString(b?.to);
          if (!msgId || !to)
            return v1Err(400, 'invalidParameter', 'msgId and to (a connection id) are required');
          try {
            return { status: 200, body: this.redeliver(msgId, { connectionId: to }) };
          } catch (err) {
            return v1Err(400, 'invalidParameter', (err as Error).message);
          }
        },
      },
      {
        // What adding the robot to a group (or removing it) in the DingTalk client does.
        method: 'POST',
        path: '/_emulator/bot',
        endpoint: 'control.bot',
        family: 'control',
        handle: (ctx) => {
          const b = asObject(ctx.body);
          const id = asString(b?.chat);
          const inChat = b?.in;
          if (!id || typeof inChat !== 'boolean')
            return v1Err(
              400,
              'invalidParameter',
              'chat (a chatId or openConversationId) and in (true or false) are required',
            );
          const chat = this.org.chat(id) ?? this.org.chatByCid(id);
          if (!chat) return v1Err(400, 'invalidParameter', `unknown chat ${id}`);
          chat.botInChat = inChat;
          return { status: 200, body: { chatId: chat.chatId, botInChat: chat.botInChat } };
        },
      },
      {
        method: 'GET',
        path: '/_emulator/replies',
        endpoint: 'control.replies',
        family: 'control',
        handle: () => ({ status: 200, body: this.replies }),
      },
      {
        method: 'GET',
        path: '/_emulator/state',
        endpoint: 'control.state',
        family: 'control',
        handle: () => ({
          status: 200,
          body: {
            users: this.org.users(),
            departments: this.org.departments(),
            chats: this.org.chats(),
            connections: this.connections(),
          },
        }),
      },
    ];
  }
}

function causedBy(r: SentReply, p: RobotPayload): boolean {
  if (r.via === 'webhook') return r.msgId === p.msgId;
  if (r.via === 'group') return p.conversationType === '2' && r.conversationId === p.conversationId;
  return p.conversationType === '1' && (r.userIds ?? []).includes(p.senderStaffId);
}
