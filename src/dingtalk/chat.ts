/**
 * Raw group-chat endpoints, legacy oapi AND v1 (dingtalk-api.md §2, §3), one method each, with
 * DingTalk's own field names. Scalars go out as numbers/booleans (the emulator and DingTalk
 * accept both). Success bodies we depend on are checked with zod.
 */
import { z } from 'zod';
import { DingTalkApiError } from './errors.ts';
import type { HttpClient } from './http.ts';

type Flag = 0 | 1;

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** The six numeric flags of a chat (§2.1); v1 nests them under `managementOptions`. */
export interface ChatFlags {
  showHistoryType?: Flag;
  searchable?: Flag;
  validationType?: Flag;
  mentionAllAuthority?: Flag;
  managementType?: Flag;
  chatBannedType?: Flag;
}

/** Body of legacy `POST /chat/create` (§2.1). */
export interface ChatCreateBody extends ChatFlags {
  name: string;
  owner: string;
  /** ≤40 per call; must contain `owner`. */
  useridlist: string[];
  ownerType?: 'emp' | 'ext';
  icon?: string;
  conversationTag?: number;
}

/** Body of legacy `POST /chat/update` (§2.3). */
export interface ChatUpdateBody extends ChatFlags {
  chatid: string;
  name?: string;
  owner?: string;
  ownerType?: 'emp' | 'ext';
  /** ≤40 per call */
  add_useridlist?: string[];
  del_useridlist?: string[];
  icon?: string;
  isBan?: boolean;
}

/** Body of `POST /v1.0/im/group/create` (§3.4). */
export interface GroupCreateBody {
  name: string;
  owner: string;
  useridlist: string[];
  ownerType?: 'emp' | 'ext';
  conversationTag?: number;
  icon?: string;
  managementOptions?: ChatFlags;
}

/** Body of `POST /v1.0/im/group/update` (§3.4): legacy casing, no `isBan`. */
export interface GroupUpdateBody {
  chatid: string;
  name?: string;
  owner?: string;
  ownerType?: 'emp' | 'ext';
  add_useridlist?: string[];
  del_useridlist?: string[];
  icon?: string;
  managementOptions?: ChatFlags;
}

const flag = z.coerce.number().int().optional();

const createdSchema = z.object({
  chatid: z.string().min(1),
  openConversationId: z.string().min(1),
  conversationTag: z.coerce.number().optional(),
});
export type CreatedRaw = z.output<typeof createdSchema>;

const chatInfoSchema = z.object({
  chat_info: z.object({
    name: z.string(),
    owner: z.string(),
    useridlist: z.array(z.string()).default([]),
    chatid: z.string().optional(),
    icon: z.string().optional(),
    conversationTag: flag,
    showHistoryType: flag,
    searchable: flag,
    validationType: flag,
    mentionAllAuthority: flag,
    managementType: flag,
    chatBannedType: flag,
    status: flag,
  }),
});
export type ChatInfoRaw = z.output<typeof chatInfoSchema>['chat_info'];

const anySchema = z.unknown();
const qrSchema = z.object({ result: z.string().min(1) });
const cidSchema = z.object({ openConversationId: z.string().min(1) });
/** `success` is a STRING in the docs and SDKs (§3.2); accept a boolean too. */
const subAdminsSchema = z.object({ success: z.union([z.boolean(), z.enum(['true', 'false'])]) });

/** Typed raw access to every group-chat endpoint of the reference. */
export class ChatApiRaw {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Legacy `POST /chat/create`. @see https://open.dingtalk.com/document/development/session-management-creates-groups */
  chatCreate(body: ChatCreateBody, o: CallOptions = {}): Promise<CreatedRaw> {
    return this.#http.call({
      endpoint: 'chat.create',
      host: 'oapi',
      method: 'POST',
      path: '/chat/create',
      body,
      auth: 'legacy',
      schema: createdSchema,
      signal: o.signal,
    });
  }

  /** Legacy `GET /chat/get`. @see https://open.dingtalk.com/document/development/obtain-a-group-session */
  async chatGet(chatid: string, o: CallOptions = {}): Promise<ChatInfoRaw> {
    const res = await this.#http.call({
      endpoint: 'chat.get',
      host: 'oapi',
      method: 'GET',
      path: '/chat/get',
      query: { chatid },
      auth: 'legacy',
      schema: chatInfoSchema,
      signal: o.signal,
    });
    return res.chat_info;
  }

  /** Legacy `POST /chat/update`. @see https://open.dingtalk.com/document/development/modify-a-group-session */
  async chatUpdate(body: ChatUpdateBody, o: CallOptions = {}): Promise<void> {
    await this.#http.call({
      endpoint: 'chat.update',
      host: 'oapi',
      method: 'POST',
      path: '/chat/update',
      body,
      auth: 'legacy',
      schema: anySchema,
      signal: o.signal,
    });
  }

  /**
   * Legacy `POST /topapi/chat/subadmin/update`; role 2 = make admin, 3 = remove. `userids` is
   * sent comma-joined (the SDK caps it at 12).
   * @see https://open.dingtalk.com/document/development/set-chat-admin
   */
  async subadminUpdate(
    body: { chatid: string; userids: string[] | string; role: 2 | 3 },
    o: CallOptions = {},
  ): Promise<void> {
    const userids = Array.isArray(body.userids) ? body.userids.join(',') : body.userids;
    await this.#http.call({
      endpoint: 'subadmin.update',
      host: 'oapi',
      method: 'POST',
      path: '/topapi/chat/subadmin/update',
      body: { chatid: body.chatid, userids, role: body.role },
      auth: 'legacy',
      schema: anySchema,
      signal: o.signal,
    });
  }

  /** `POST /topapi/chat/member/friendswitch/update`. @see https://open.dingtalk.com/document/development/set-private-chat */
  async friendswitchUpdate(
    body: { chatid: string; is_prohibit: boolean },
    o: CallOptions = {},
  ): Promise<void> {
    await this.#http.call({
      endpoint: 'friendswitch.update',
      host: 'oapi',
      method: 'POST',
      path: '/topapi/chat/member/friendswitch/update',
      body,
      auth: 'legacy',
      schema: anySchema,
      signal: o.signal,
    });
  }

  /** `POST /topapi/chat/updategroupnick`. @see https://open.dingtalk.com/document/development/set-a-group-nickname */
  async updateGroupNick(
    body: { chatid: string; userid: string; group_nick: string },
    o: CallOptions = {},
  ): Promise<void> {
    await this.#http.call({
      endpoint: 'updategroupnick',
      host: 'oapi',
      method: 'POST',
      path: '/topapi/chat/updategroupnick',
      body,
      auth: 'legacy',
      schema: anySchema,
      signal: o.signal,
    });
  }

  /**
   * `POST /topapi/chat/qrcode/get`: the join link; `userid` is the sharer (must be a member).
   * @see https://open.dingtalk.com/document/development/obtain-a-qr-code-link
   */
  async qrcodeGet(body: { chatid: string; userid: string }, o: CallOptions = {}): Promise<string> {
    const res = await this.#http.call({
      endpoint: 'qrcode.get',
      host: 'oapi',
      method: 'POST',
      path: '/topapi/chat/qrcode/get',
      body,
      auth: 'legacy',
      schema: qrSchema,
      signal: o.signal,
    });
    return res.result;
  }

  /**
   * `POST /v1.0/im/chat/{chatId}/convertToOpenConversationId` (no body).
   * @see https://open.dingtalk.com/document/development/obtain-group-openconversationid
   */
  async convertToOpenConversationId(chatId: string, o: CallOptions = {}): Promise<string> {
    const res = await this.#http.call({
      endpoint: 'im.convertToOpenConversationId',
      host: 'api',
      method: 'POST',
      path: `/v1.0/im/chat/${encodeURIComponent(chatId)}/convertToOpenConversationId`,
      auth: 'v1',
      schema: cidSchema,
      signal: o.signal,
    });
    return res.openConversationId;
  }

  /**
   * `POST /v1.0/im/subAdministrators`; role 2 = add admin, 3 = remove.
   * @see https://open.dingtalk.com/document/development/batch-setup-group-administrator
   */
  async subAdministrators(
    body: { openConversationId: string; userIds: string[]; role: 2 | 3 },
    o: CallOptions = {},
  ): Promise<void> {
    const res = await this.#http.call({
      endpoint: 'im.subAdministrators',
      host: 'api',
      method: 'POST',
      path: '/v1.0/im/subAdministrators',
      body,
      auth: 'v1',
      schema: subAdminsSchema,
      signal: o.signal,
    });
    if (res.success !== true && res.success !== 'true') {
      throw new DingTalkApiError({
        endpoint: 'im.subAdministrators',
        status: 200,
        code: 'success-false',
        message: 'DingTalk answered success=false',
      });
    }
  }

  /** `POST /v1.0/im/group/create`. @see https://open.dingtalk.com/document/development/create-common-group-new-version-v2 */
  groupCreate(body: GroupCreateBody, o: CallOptions = {}): Promise<CreatedRaw> {
    return this.#http.call({
      endpoint: 'im.group.create',
      host: 'api',
      method: 'POST',
      path: '/v1.0/im/group/create',
      body,
      auth: 'v1',
      schema: createdSchema,
      signal: o.signal,
    });
  }

  /** `POST /v1.0/im/group/update`. @see https://open.dingtalk.com/document/development/api-updategroup */
  async groupUpdate(body: GroupUpdateBody, o: CallOptions = {}): Promise<void> {
    await this.#http.call({
      endpoint: 'im.group.update',
      host: 'api',
      method: 'POST',
      path: '/v1.0/im/group/update',
      body,
      auth: 'v1',
      schema: anySchema,
      signal: o.signal,
    });
  }
}
