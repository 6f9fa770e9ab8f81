/**
 * The typed surface of the DingTalk side that commands see through `ctx.api`.
 * The implementation (`groups.ts`) picks the legacy or v1 endpoint family
 * (DINGTALK_GROUP_API, architecture.md §3) and hides DingTalk's field casing.
 */

/** A chat's settings in words. Maps 1:1 to DingTalk's numeric flags (dingtalk-api.md §2.1). */
export interface ChatSettings {
  /** searchable: 1 searchable, 0 not */
  searchable: boolean;
  /** validationType: 1 joining needs approval */
  validation: boolean;
  /** mentionAllAuthority: 0 everyone, 1 only owner */
  mentionAll: 'everyone' | 'owner';
  /** managementType: 0 everyone, 1 only owner */
  management: 'everyone' | 'owner';
  /** chatBannedType: 1 mute all */
  mute: boolean;
  /** showHistoryType: 1 new members see the last 100 messages */
  history: boolean;
}

/** What chat/get tells about a chat (dingtalk-api.md §2.2). No admins, no openConversationId. */
export interface ChatInfo {
  chatId: string;
  name: string;
  owner: string;
  members: string[];
  settings: ChatSettings;
  /** 1 normal, 2 dissolved; undefined when DingTalk leaves it out */
  status: number | undefined;
  conversationTag: number | undefined;
}

export interface CreateChatInput {
  name: string;
  owner: string;
  /** All members, owner included. More than 40 are added by follow-up updates of 40. */
  members: string[];
  settings?: Partial<ChatSettings>;
}

export interface CreatedChat {
  chatId: string;
  openConversationId: string;
  /** Which endpoint family did it. */
  family: 'legacy' | 'v1';
}

export interface UpdateChatInput {
  name?: string;
  owner?: string;
  /** Split into calls of 40. */
  add?: string[];
  remove?: string[];
  settings?: Partial<ChatSettings>;
}

/** The group-chat operations a command may call. Every method throws a DingTalkError on failure. */
export interface GroupApi {
  create(input: CreateChatInput): Promise<CreatedChat>;
  get(chatId: string): Promise<ChatInfo>;
  update(chatId: string, patch: UpdateChatInput): Promise<void>;
  /** v1 convertToOpenConversationId. */
  toOpenConversationId(chatId: string): Promise<string>;
  /**
   * Make users admins (role 2) or plain members (role 3). Uses v1 subAdministrators (needs the
   * openConversationId, fetched when not given) or legacy topapi subadmin/update.
   */
  setAdmins(
    chat: { chatId: string; openConversationId?: string },
    userIds: string[],
    action: 'add' | 'remove',
  ): Promise<void>;
  /** topapi friendswitch: prohibit=true turns private chat between members off. */
  setPrivateChat(chatId: string, prohibit: boolean): Promise<void>;
  /** topapi updategroupnick. */
  setNick(chatId: string, userId: string, nick: string): Promise<void>;
  /** topapi qrcode/get; the sharer must be a member (60124). */
  qrLink(chatId: string, sharer: string): Promise<string>;
}
