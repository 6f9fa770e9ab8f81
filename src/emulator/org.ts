/**
 * The emulated organisation: users, their contact directory (names, mobiles, titles,
 * departments) and group chats, mutable by tests and by the chat APIs.
 */
import { newChatId, newDingtalkId, newJoinLink, newOpenConversationId, sharerJoinLink } from './ids.ts';
import type { SeedDepartment, SeedUser } from './types.ts';

export interface User {
  userId: string;
  nick: string;
  isOrgAdmin: boolean;
  /** `$:LWCP_v1:$…`, used as senderId / atUsers[].dingtalkId */
  dingtalkId: string;
  /** directory name (user/get `name`) */
  name: string;
  englishName?: string;
  mobile?: string;
  title?: string;
  /** direct departments; never empty (a user without one sits in the root) */
  deptIds: number[];
}

/** A directory department. The root has id 1 and no parent (contact-api.md §0.2). */
export interface Department {
  deptId: number;
  name: string;
  /** null for the root */
  parentId: number | null;
}

/** Id of the root department (contact-api.md §0.2). */
export const ROOT_DEPT_ID = 1;
/** First id minted for a department added without one. */
const FIRST_DEPT_ID = 10001;

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
  private readonly deptById = new Map<number, Department>();

  constructor(readonly corpId: string) {
    // The root department carries the organisation's name; the emulator has only the corpId.
    this.deptById.set(ROOT_DEPT_ID, { deptId: ROOT_DEPT_ID, name: corpId, parentId: null });
  }

  /** Adds a user; one with the same userId is replaced. Throws on an unknown department. */
  addUser(u: SeedUser): User {
    const deptIds = u.deptIds && u.deptIds.length > 0 ? [...new Set(u.deptIds)] : [ROOT_DEPT_ID];
    const unknown = deptIds.filter((d) => !this.deptById.has(d));
    if (unknown.length > 0)
      throw new Error(`org.addUser(${u.userId}): unknown department ${unknown.join(',')}`);
    const user: User = {
      userId: u.userId,
      nick: u.nick,
      isOrgAdmin: u.isOrgAdmin ?? false,
      dingtalkId: newDingtalkId(),
      name: u.name ?? u.nick,
      deptIds,
    };
    if (u.englishName !== undefined) user.englishName = u.englishName;
    if (u.mobile !== undefined) user.mobile = u.mobile;
    if (u.title !== undefined) user.title = u.title;
    this.byId.set(u.userId, user);
    return user;
  }

  /**
   * Adds (or, with a known `deptId`, replaces) a department under `parentId` (default the root).
   * Throws on an unknown parent, or on a department made its own ancestor.
   */
  addDepartment(d: SeedDepartment): Department {
    const parentId = d.parentId ?? ROOT_DEPT_ID;
    if (!this.deptById.has(parentId))
      throw new Error(`org.addDepartment(${d.name}): unknown parent ${parentId}`);
    const deptId = d.deptId ?? Math.max(FIRST_DEPT_ID - 1, ...this.deptById.keys()) + 1;
    if (deptId === ROOT_DEPT_ID) throw new Error('org.addDepartment: the root department is built in');
    for (let p: number | null = parentId; p !== null; p = this.deptById.get(p)?.parentId ?? null) {
      if (p === deptId) throw new Error(`org.addDepartment(${d.name}): a department cannot contain itself`);
    }
    const dept: Department = { deptId, name: d.name, parentId };
    this.deptById.set(deptId, dept);
    return dept;
  }

  department(id: number): Department | undefined {
    return this.deptById.get(id);
  }

  /** Every department, the root first. */
  departments(): Department[] {
    return [...this.deptById.values()];
  }

  /** Direct members of a department, in the order they were added. */
  deptMembers(deptId: number): User[] {
    return this.users().filter((u) => u.deptIds.includes(deptId));
  }

  /** Members of a department and of every department below it. */
  deptMembersDeep(deptId: number): User[] {
    const inside = new Set<number>([deptId]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const d of this.deptById.values()) {
        if (d.parentId !== null && inside.has(d.parentId) && !inside.has(d.deptId)) {
          inside.add(d.deptId);
          grew = true;
        }
      }
    }
    return this.users().filter((u) => u.deptIds.some((id) => inside.has(id)));
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
