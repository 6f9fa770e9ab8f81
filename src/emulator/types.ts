/** Public data shapes of the emulator: options, recordings and robot payloads. */

export interface SeedUser {
  userId: string;
  nick: string;
  isOrgAdmin?: boolean;
  /** contact-directory name (user/get `name`, what users/search matches); default `nick` */
  name?: string;
  /** English name, also matched by the fuzzy users/search (contact-api.md §1) */
  englishName?: string;
  /** mainland mobile as the directory stores it: 11 digits, no `+86` */
  mobile?: string;
  title?: string;
  /** departments the user is a direct member of; default [1] (the root) */
  deptIds?: number[];
}

/** A department of the contact directory (contact-api.md §5). */
export interface SeedDepartment {
  /** default: the next free id (10001, 10002, …) */
  deptId?: number;
  name: string;
  /** default 1, the root department */
  parentId?: number;
}

export interface EmulatorOptions {
  /** 0 = any free port */
  port?: number;
  /** default 'dingemulatorbot0001' */
  clientId?: string;
  /** default 'emulator-secret-0123456789abcdef' */
  clientSecret?: string;
  /** default 'dingemulatorcorp0001' */
  corpId?: string;
  /** access-token lifetime, default 7200 */
  tokenTtlSec?: number;
  /** un-acked robot CALLBACK redelivery delay, default 60000 */
  redeliveryDelayMs?: number;
  /** redeliveries per un-acked robot message, default 1 (0 = never) */
  redeliveryCount?: number;
  /** close a connection this long after its `disconnect` frame, default 10000 */
  disconnectCloseDelayMs?: number;
  /** SYSTEM ping interval, 0 = off (default) */
  pingIntervalMs?: number;
  /** strip `@Nick` of picked members from text.content too (default false, see payloads.ts) */
  stripOtherMentions?: boolean;
  /** default true */
  legacyGroupPermission?: boolean;
  /** default true */
  v1GroupPermission?: boolean;
  /** sessionWebhookExpiredTime - createAt, default 5 400 000 */
  webhookTtlMs?: number;
  /** seeded org departments (added before `users`) */
  departments?: SeedDepartment[];
  /** seeded org users */
  users?: SeedUser[];
  /** grant the five contact permission points (see `ContactSwitches`), default true */
  contactPermission?: boolean;
  // ---- additions beyond the shared contract ----
  /** per app per API QPS limit (dingtalk-api.md §5), default 20; null = off */
  qpsLimit?: number | null;
  /** stream ticket lifetime, default 90000 (stream-protocol.md §1) */
  ticketTtlMs?: number;
  /** send SYSTEM CONNECTED + REGISTERED after the upgrade, default false (stream-protocol.md §4) */
  registeredFrames?: boolean;
  /** the bot's display name, typed as `@<botName>` in groups, default 'DemoBot' */
  botName?: string;
  /** whether chats created through the APIs contain the bot, default false */
  botJoinsCreatedChats?: boolean;
}

export interface RecordedRequest {
  id: number;
  at: number;
  method: string;
  path: string;
  /** stable name such as 'chat.create'; 'unknown' when no route matched */
  endpoint: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** parsed JSON (or form fields as an object), the raw string otherwise, undefined when empty */
  body: unknown;
  /** HTTP status; 0 while unanswered (or never: hang) */
  status: number;
  response: unknown;
  durationMs: number;
  /** the access token the request carried, if any */
  token: string | undefined;
}

export interface RecordedAck {
  messageId: string;
  connectionId: string;
  code: number;
  /** the ack's `data` as sent (a JSON string by protocol) */
  data: unknown;
  message: unknown;
  headers: Record<string, unknown>;
  at: number;
}

export interface RecordedDelivery {
  messageId: string;
  msgId: string;
  connectionId: string;
  topic: string;
  at: number;
  redelivery: boolean;
}

export interface RecordedPing {
  messageId: string;
  connectionId: string;
  opaque: string;
  at: number;
  /** the ack echoed the opaque */
  answered: boolean;
}

export interface SentReply {
  via: 'webhook' | 'oto' | 'group';
  /** for webhook replies: the msgId of the message whose session was used */
  msgId: string | undefined;
  /** group: openConversationId; webhook: the session's conversation; oto: the 1:1 cid when one user, else '' */
  conversationId: string;
  userIds?: string[];
  msgtype: string;
  title: string | undefined;
  /** text.content / markdown.text / actionCard.text / link.text */
  text: string;
  atUserIds: string[];
  /** actionCard singleURL, or its first button */
  link?: { title: string; url: string };
  /** every button of an actionCard */
  links?: { title: string; url: string }[];
  isAtAll?: boolean;
  body: unknown;
  at: number;
}

export interface AtUser {
  dingtalkId: string;
  staffId?: string;
}

/** A robot message as DingTalk pushes it (stream-protocol.md §7, dingtalk-api.md §6.2). */
export interface RobotPayload {
  conversationId: string;
  conversationType: '1' | '2';
  conversationTitle?: string;
  atUsers?: AtUser[];
  isInAtList?: boolean;
  chatbotCorpId: string;
  chatbotUserId: string;
  msgId: string;
  msgtype: string;
  text?: { content: string };
  senderNick: string;
  senderId: string;
  senderStaffId: string;
  senderCorpId: string;
  senderPlatform?: string;
  isAdmin: boolean;
  sessionWebhook: string;
  sessionWebhookExpiredTime: number;
  createAt: number;
  robotCode: string;
  [extra: string]: unknown;
}
