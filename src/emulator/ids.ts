/**
 * Fake identifiers shaped like DingTalk's (dingtalk-api.md §0.4, stream-protocol.md §3).
 * Random, never meaningful: only their shape is modelled.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** `chat` + 32 hex (dingtalk-api.md §0.4). */
export function newChatId(): string {
  return `chat${hex(16)}`;
}

/** `cid` + base64 ending in `==` (dingtalk-api.md §0.4). */
export function newOpenConversationId(): string {
  return `cid${randomBytes(16).toString('base64')}`;
}

/** A stable 1:1 conversation id for one user talking to one bot. */
export function dmConversationId(robotCode: string, userId: string): string {
  const digest = createHash('sha256').update(`${robotCode}\u0000${userId}`).digest().subarray(0, 16);
  return `cid${digest.toString('base64')}`;
}

/** `$:LWCP_v1:$` + base64 (dingtalk-api.md §0.4). */
export function newDingtalkId(): string {
  return `$:LWCP_v1:$${randomBytes(16).toString('base64')}`;
}

/** `msg` + base64 `==` (dingtalk-api.md §0.4). */
export function newMsgId(): string {
  return `msg${randomBytes(16).toString('base64')}`;
}

/** Access tokens are 32 hex (dingtalk-api.md §0.4). */
export function newToken(): string {
  return hex(16);
}

/** sessionWebhook `session=<32 hex>` (dingtalk-api.md §0.4). */
export function newSessionKey(): string {
  return hex(16);
}

/** New-API `requestid`: an upper-case UUID (dingtalk-api.md §0.4). */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** topapi `request_id`: 12-14 lower-case base36 chars (dingtalk-api.md §0.3). */
export function newTopRequestId(): string {
  let s = '';
  const bytes = randomBytes(13);
  for (const b of bytes) s += (b % 36).toString(36);
  return s;
}

/** URL-safe ticket: a UUID needs no encoding (stream-protocol.md §2: Node does not encode it). */
export function newTicket(): string {
  return randomUUID();
}

export function newProcessQueryKey(): string {
  return randomBytes(24).toString('base64');
}

/** Join link of topapi/chat/qrcode/get (dingtalk-api.md §2.7). */
export function newJoinLink(): string {
  return `https://qr.dingtalk.com/action/joingroup?code=v1,k1,${randomBytes(24).toString('base64url')}&_dt_no_comment=1&origin=11`;
}

/**
 * The join link `sharer` gets for a chat whose current link is `chatLink`: DingTalk's link carries
 * the sharer (the request names one, §2.7), so two members sharing one chat get different links.
 * Derived, not stored, so it is stable for as long as `chatLink` is.
 */
export function sharerJoinLink(chatLink: string, sharer: string): string {
  const code = createHash('sha256').update(`${chatLink}\u0000${sharer}`).digest('base64url').slice(0, 32);
  return `https://qr.dingtalk.com/action/joingroup?code=v1,k1,${code}&_dt_no_comment=1&origin=11`;
}

/**
 * Mints stream `headers.messageId` values shaped like `<hex server IP>_<hex>_<hex ms>_<hex counter>`
 * (stream-protocol.md §3): a new one per push, so a redelivery gets a new id (§6.1).
 */
export class MessageIdMinter {
  private counter = Math.floor(Math.random() * 0x100000);
  private readonly ip = '7f000001'; // 127.0.0.1
  private readonly worker = hex(2).replace(/^0+/, '') || '1';

  next(): string {
    this.counter += 1;
    return `${this.ip}_${this.worker}_${Date.now().toString(16)}_${this.counter.toString(16)}`;
  }
}
