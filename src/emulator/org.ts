/** The emulated organisation: users and group chats, mutable by tests and by the chat APIs. */
import { newChatId, newDingtalkId, newJoinLink, newOpenConversationId, sharerJoinLink } from './ids.ts';
import type { SeedUser } from './types.ts';

export interface User {
  userId: string;
  nick: string;
  isOrgAdmin: boolean;
  /** `$:LWCP_v1:$…`, used as senderId / atUsers[].dingtalkId */
  dingtalkId: string;
}

/** Numeric flags as chat/get shows them (dingtalk-api.md §2.1). */
export interface ChatSettings {
  searchable: number;
  validationType: number;
  mentionAllAuthority: number;
  managementType: number;
  chatBannedType: number;
  showHistoryType: number;
}

export interface Chat {
  chatId: string;
  openConversationId: string;
  name: string;
  owner: string;
  members: string[];
  admins: string[];
  /** group nicknames by userId */
  nicks: Record<string, string>;
  settings: ChatSettings;
  /** topapi friendswitch `is_prohibit` */
  privateChatProhibited: boolean;
  /** chats not made by the create APIs refuse server updates (dingtalk-api.md §2.2, §2.3) */
  createdByApi: boolean;
  botInChat: boolean;
  /** 1 normal, 2 dissolved (dingtalk-api.md §2.2) */
  status: number;
  conversationTag: number;
  icon: string;
}

export interface NewChat {
  name: string;
  owner: string;
  members: string[];
  createdByApi?: boolean;
  botInChat?: boolean;
  settings?: Partial<ChatSettings>;
}

/** Max members in a chat (dingtalk-api.md §2.1). */
export const CHAT_CAPACITY = 1000;

export function defaultSettings(): ChatSettings {
  return {
    searchable: 0,
    validationType: 0,
    mentionAllAuthority: 0,
    managementType: 0,
    chatBannedType: 0,
    showHistoryType: 0,
  };
}

export class Org {
  private readonly byId = new Map<string, User>();
  private readonly chatById = new Map<string, Chat>();
  private readonly qr = new Map<string, { key: string; link: string }>();

  constructor(readonly corpId: string) {}

  addUser(u: SeedUser): User {
    const user: User = {
      userId: u.userId,
      nick: u.nick,
      isOrgAdmin: u.isOrgAdmin ?? false,
      dingtalkId: newDingtalkId(),
    };
    this.byId.set(u.userId, user);
    return user;
  }

  user(id: string): User | undefined {
    return this.byId.get(id);
  }

  users(): User[] {
    return [...this.byId.values()];
  }

  /** Adds a chat as-is (no API validation). The owner is made a member when missing. */
  addChat(c: NewChat): Chat {
    const members = [...new Set([c.owner, ...c.members])];
    const chat: Chat = {
      chatId: newChatId(),
      openConversationId: newOpenConversationId(),
      name: c.name,
      owner: c.owner,
      members,
      admins: [],
      nicks: {},
      settings: { ...defaultSettings(), ...c.settings },
      privateChatProhibited: false,
      createdByApi: c.createdByApi ?? true,
      botInChat: c.botInChat ?? true,
      status: 1,
      conversationTag: 2,
      icon: '',
    };
    this.chatById.set(chat.chatId, chat);
    return chat;
  }

  chat(chatId: string): Chat | undefined {
    return this.chatById.get(chatId);
  }

  chatByCid(cid: string): Chat | undefined {
    for (const c of this.chatById.values()) if (c.openConversationId === cid) return c;
    return undefined;
  }

  chats(): Chat[] {
    return [...this.chatById.values()];
  }

  /** Join-link seeds as minted so far (chatId -> the seed and the owner+name it was minted for). */
  joinLinks(): Record<string, { key: string; link: string }> {
    return Object.fromEntries(this.qr);
  }

  /**
   * Puts a chat back under its own ids (restoring a saved org; `addChat` mints new ids).
   * A chat with the same chatId is replaced. `joinLink` restores its link too.
   */
  restoreChat(chat: Chat, joinLink?: { key: string; link: string }): void {
    this.chatById.set(chat.chatId, chat);
    if (joinLink) this.qr.set(chat.chatId, joinLink);
  }

  /**
   * The join link `sharer` gets for the chat: one per sharer, each stable until the owner or the
   * name changes (the IM FAQ rule for a "群URL", dingtalk-api.md §2.7 — whether it applies to
   * this link is UNCONFIRMED). The chat's stored link is the seed the sharers' links derive from.
   */
  joinLink(chat: Chat, sharer: string): string {
    const key = `${chat.owner}\u0000${chat.name}`;
    let cur = this.qr.get(chat.chatId);
    if (!cur || cur.key !== key) {
      cur = { key, link: newJoinLink() };
      this.qr.set(chat.chatId, cur);
    }
    return sharerJoinLink(cur.link, sharer);
  }

  /** Removes members (and their admin role and group nickname). */
  removeMembers(chat: Chat, ids: string[]): void {
    const gone = new Set(ids);
    chat.members = chat.members.filter((m) => !gone.has(m));
    chat.admins = chat.admins.filter((m) => !gone.has(m));
    for (const id of ids) delete chat.nicks[id];
  }
}
