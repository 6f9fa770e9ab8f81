/** Run-time fault switches (issue item 6). Every field may be changed while the emulator runs. */
import { ContactSwitches } from './contact-api.ts';

/**
 * What an injected answer looks like, per endpoint family:
 * - `busy`: legacy errcode -1 "系统繁忙" (HTTP 200) / new API HTTP 500 `system.error` (dingtalk-api.md §5)
 * - `http500`: HTTP 500 `system.error` whatever the family
 * - `http502`, `http503`: a bare gateway error page with that status
 * - `qps`: legacy errcode 90018 / new API HTTP 403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` (§5)
 * - `hang`: never answer (the socket is closed on stop)
 */
export type FaultKind = 'busy' | 'http500' | 'http502' | 'http503' | 'qps' | 'hang';

/** `down` answers 503, `refuse` closes the TCP connection without answering. */
export type GatewayMode = 'ok' | 'hang' | '401' | '500' | 'down' | 'refuse';

/** How the `/connect` upgrade is answered: `hang` never answers, `reject` answers 400 to any ticket. */
export type UpgradeMode = 'ok' | 'hang' | 'reject';

interface Injection {
  endpoint: string;
  kind: FaultKind;
  remaining: number;
  /** only calls naming this chat (chatId or openConversationId, in the body or the query) */
  chat?: string;
}

export interface FaultHooks {
  revokeToken(): void;
  expireSessions(): void;
}

export class Faults {
  /** added to every answer except the gateway's */
  latencyMs = 0;
  /** per-endpoint latency, added to `latencyMs` */
  latencyByEndpoint: Record<string, number> = {};
  /**
   * Per-endpoint delay between doing a call's work and sending its answer (a slow way back):
   * the effect (a chat changed, a reply shown) is visible that long before the caller hears of it.
   */
  answerLatencyByEndpoint: Record<string, number> = {};
  /** per app per API, null = off (dingtalk-api.md §5: 20 QPS) */
  qpsLimit: number | null;
  /** the QPS window; raise it in tests to make the limit independent of timing */
  qpsWindowMs = 1000;
  gateway: GatewayMode = 'ok';
  upgrade: UpgradeMode = 'ok';
  legacyGroupPermission: boolean;
  v1GroupPermission: boolean;
  /** stop answering WebSocket pings (a dead link) */
  stopPong = false;
  /** send SYSTEM CONNECTED + REGISTERED frames after each upgrade */
  registeredFrames: boolean;
  /**
   * A new connection displaces the app's older ones: each gets a `disconnect` frame and is closed
   * after disconnectCloseDelayMs (stream-protocol.md §6.3: soimy PR #380, UNCONFIRMED; off by default).
   */
  kickOlderConnections = false;
  /**
   * The next this many recipients of oToMessages/batchSend are flow-controlled: answered HTTP 200
   * with them in `flowControlledStaffIdList`, and not sent (dingtalk-api.md §4.2 documents the
   * list; when DingTalk fills it is UNCONFIRMED). 0 = never.
   */
  otoFlowControlled = 0;
  /** contact-API permission points and UNCONFIRMED behaviours (see `ContactSwitches`) */
  readonly contact: ContactSwitches;
  private injections: Injection[] = [];

  constructor(
    init: {
      qpsLimit: number | null;
      legacy: boolean;
      v1: boolean;
      registeredFrames: boolean;
      contact?: boolean;
    },
    private readonly hooks: FaultHooks,
  ) {
    this.contact = new ContactSwitches(init.contact ?? true);
    this.qpsLimit = init.qpsLimit;
    this.legacyGroupPermission = init.legacy;
    this.v1GroupPermission = init.v1;
    this.registeredFrames = init.registeredFrames;
  }

  /** Answer the next `count` calls of `endpoint` (a RecordedRequest.endpoint name, or '*') with `kind`. */
  inject(endpoint: string, kind: FaultKind, count = 1, only: { chat?: string } = {}): void {
    this.injections.push({
      endpoint,
      kind,
      remaining: count,
      ...(only.chat !== undefined ? { chat: only.chat } : {}),
    });
  }

  clearInjections(): void {
    this.injections = [];
  }

  /** Consumes one matching injection, if any. */
  take(endpoint: string, chats: readonly string[] = []): FaultKind | undefined {
    const hit = this.injections.find(
      (i) =>
        i.remaining > 0 &&
        (i.endpoint === endpoint || i.endpoint === '*') &&
        (i.chat === undefined || chats.includes(i.chat)),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    this.injections = this.injections.filter((i) => i.remaining > 0);
    return hit.kind;
  }

  latencyFor(endpoint: string): number {
    return this.latencyMs + (this.latencyByEndpoint[endpoint] ?? 0);
  }

  /** The current token stops working at once; the next fetch issues a new one. */
  revokeToken(): void {
    this.hooks.revokeToken();
  }

  /** Every sessionWebhook issued so far expires now (later messages get fresh sessions). */
  expireSessions(): void {
    this.hooks.expireSessions();
  }
}
