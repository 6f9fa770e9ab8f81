/**
 * The baseline: a bot written the way the `dingtalk-stream` example does it (stream-protocol.md
 * §8-9). One `DWClient`, a robot callback that fetches a token for every message
 * (POST /v1.0/oauth2/accessToken), opens a new TCP connection for every HTTP call (a fresh undici
 * Agent, closed afterwards), has no limiter and no retry, and acks the frame only after the reply
 * went out. It knows `/whoami` and `/chat create <name> [users…]` (v1 group/create + qrcode, the
 * same calls our bot makes), nothing else.
 *
 * Two departures from the example, both only so that it can run here at all:
 * - `getEndpoint` is overridden to reach the emulator (the SDK's gateway URL is hard-coded, P1);
 * - the callback body is wrapped in try/catch so that a failed call does not kill the bench
 *   process (P3); the failure is counted and the user gets the error text, as most examples do.
 * The bench is the only place outside src/stream that imports the SDK.
 */
import { DWClient, type DWClientDownStream } from 'dingtalk-stream';
import { TOPIC_ROBOT } from 'dingtalk-stream/constants';
import { Agent, request } from 'undici';

export interface NaiveStats {
  tokenFetches: number;
  /** HTTP calls made, token fetches included */
  calls: number;
  /** API answers that were a rate-limit refusal (403 QpsLimit / errcode 90018) */
  rateLimited: number;
  /** commands that ended in an error reply */
  failed: number;
  replies: number;
}

interface Http {
  status: number;
  body: Record<string, unknown>;
}

/** The naive bot. `start` connects; `stop` disconnects. */
export class NaiveBot {
  readonly stats: NaiveStats = { tokenFetches: 0, calls: 0, rateLimited: 0, failed: 0, replies: 0 };
  private readonly client: DWClient;

  private constructor(
    private readonly apiBase: string,
    clientId: string,
    clientSecret: string,
  ) {
    const base = apiBase;
    // P1: the only change needed to reach the emulator instead of api.dingtalk.com.
    class EmulatorDWClient extends DWClient {
      override async getEndpoint(): Promise<this> {
        const r = await post(`${base}/v1.0/gateway/connections/open`, {
          clientId: this.config.clientId,
          clientSecret: this.config.clientSecret,
          ua: this.config.ua,
          subscriptions: this.config.subscriptions,
        });
        const { endpoint, ticket } = r.body as { endpoint?: string; ticket?: string };
        if (!endpoint || !ticket) throw new Error('endpoint or ticket is null');
        (this as unknown as { dw_url: string }).dw_url = `${endpoint}?ticket=${ticket}`;
        return this;
      }
    }
    this.client = new EmulatorDWClient({ clientId, clientSecret });
    this.client.registerCallbackListener(TOPIC_ROBOT, (res: DWClientDownStream) => {
      void this.onMessage(res);
    });
  }

  static async start(o: { apiBase: string; clientId: string; clientSecret: string }): Promise<NaiveBot> {
    const bot = new NaiveBot(o.apiBase, o.clientId, o.clientSecret);
    await quiet(() => bot.client.connect());
    return bot;
  }

  async stop(): Promise<void> {
    await quiet(async () => {
      this.client.config.autoReconnect = false;
      this.client.disconnect();
    });
  }

  /** The example's shape: parse, token, work, reply through the sessionWebhook, then ack. */
  private async onMessage(res: DWClientDownStream): Promise<void> {
    let reply: string;
    let webhook = '';
    try {
      const msg = JSON.parse(res.data) as {
        text?: { content?: string };
        sessionWebhook?: string;
        senderStaffId?: string;
        senderNick?: string;
      };
      webhook = msg.sessionWebhook ?? '';
      const content = (msg.text?.content ?? '').trim();
      const token = await this.token();
      reply = await this.run(content, msg.senderStaffId ?? '', msg.senderNick ?? '', token);
    } catch (err) {
      this.stats.failed++;
      reply = `Error: ${(err as Error).message}`;
    }
    try {
      if (webhook) {
        await this.call(webhook, { msgtype: 'text', text: { content: reply } });
        this.stats.replies++;
      }
    } catch {
      // no retry
    }
    this.client.socketCallBackResponse(res.headers.messageId, { success: true });
  }

  private async run(content: string, userId: string, nick: string, token: string): Promise<string> {
    if (/^\/whoami\b/i.test(content)) return `You are ${userId} (${nick}).`;
    const m = /^\/chat\s+create\s+(\S+)((?:\s+@?\S+)*)\s*$/i.exec(content);
    if (!m) return 'Unknown command.';
    const name = m[1] as string;
    const members = (m[2] ?? '')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((u) => u.replace(/^@/, ''));
    const created = await this.call(
      `${this.apiBase}/v1.0/im/group/create`,
      { name, owner: userId, useridlist: [...new Set([userId, ...members])] },
      { 'x-acs-dingtalk-access-token': token },
    );
    if (created.status !== 200) throw new Error(`group create failed: ${JSON.stringify(created.body)}`);
    const chatid = String(created.body.chatid);
    const qr = await this.call(`${this.apiBase}/topapi/chat/qrcode/get?access_token=${token}`, {
      chatid,
      userid: userId,
    });
    if (qr.body.errcode !== 0) throw new Error(`qrcode failed: ${JSON.stringify(qr.body)}`);
    return `Created ${name} (${chatid}). Join: ${String(qr.body.result)}`;
  }

  /** A token for every message, as the example's `getAccessToken()` call does. */
  private async token(): Promise<string> {
    this.stats.tokenFetches++;
    const r = await this.call(`${this.apiBase}/v1.0/oauth2/accessToken`, {
      appKey: this.client.config.clientId,
      appSecret: this.client.config.clientSecret,
    });
    const t = r.body.accessToken;
    if (typeof t !== 'string') throw new Error('no access token');
    return t;
  }

  private async call(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Http> {
    this.stats.calls++;
    const r = await post(url, body, headers);
    const code = typeof r.body.code === 'string' ? r.body.code : '';
    if (r.body.errcode === 90018 || /Qp[sm]Limit/.test(code)) this.stats.rateLimited++;
    return r;
  }
}

/** One POST on a connection of its own (a fresh Agent per call, closed afterwards). */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Http> {
  const agent = new Agent({ pipelining: 0 });
  try {
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = {};
    }
    return {
      status: res.statusCode,
      body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {},
    };
  } finally {
    await agent.close();
  }
}

/** The SDK prints "connect success" and "Disconnecting." with console.info (P12); keep the table clean. */
async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  // biome-ignore lint/suspicious/noConsole: silences the SDK's own console.info lines (P12)
  const info = console.info;
  console.info = () => {};
  try {
    return await fn();
  } finally {
    console.info = info;
  }
}
