/**
 * Saving and restoring an {@link Org}: users, chats (with their chatIds and openConversationIds),
 * members, admins, nicknames, settings and join links. The sandbox keeps its demo org between
 * runs with these, so the bot's registry and the org keep agreeing on chat ids.
 */
import type { Chat, Org, User } from './org.ts';

/** A plain-JSON copy of an org. `version` changes when the shape does. */
export interface OrgSnapshot {
  version: 1;
  corpId: string;
  users: User[];
  chats: Chat[];
  /** chatId -> the join link and what it was minted for (owner + name), see `Org.joinLink` */
  joinLinks: Record<string, { key: string; link: string }>;
}

/**
 * Org keeps chats and join links in private maps keyed by chatId, and `addChat` always mints new
 * ids. Restoring a chat under its old ids needs those maps; this is the one place that reaches
 * into them, and it fails loudly if Org changes shape.
 */
interface OrgInternals {
  chatById: Map<string, Chat>;
  qr: Map<string, { key: string; link: string }>;
}

function internals(org: Org): OrgInternals {
  const o = org as unknown as Partial<OrgInternals>;
  if (!(o.chatById instanceof Map) || !(o.qr instanceof Map)) {
    throw new Error(
      'emulator snapshot: Org no longer keeps chatById/qr maps; update src/emulator/snapshot.ts',
    );
  }
  return o as OrgInternals;
}

/** A deep, JSON-safe copy of the org's state. */
export function exportOrg(org: Org): OrgSnapshot {
  return structuredClone({
    version: 1 as const,
    corpId: org.corpId,
    users: org.users(),
    chats: org.chats(),
    joinLinks: Object.fromEntries(internals(org).qr),
  });
}

/**
 * Adds the snapshot's users and chats to `org`, keeping every id (userIds, the users'
 * dingtalkIds, chatIds, openConversationIds) and the join links. Entries with the same id are
 * replaced. The snapshot is copied, not shared.
 */
export function importOrg(org: Org, snapshot: OrgSnapshot): void {
  const data = structuredClone(snapshot);
  const { chatById, qr } = internals(org);
  for (const u of data.users) {
    const user = org.addUser({ userId: u.userId, nick: u.nick, isOrgAdmin: u.isOrgAdmin });
    user.dingtalkId = u.dingtalkId;
  }
  for (const c of data.chats) {
    const chat = org.addChat({ name: c.name, owner: c.owner, members: c.members });
    chatById.delete(chat.chatId);
    Object.assign(chat, c);
    chatById.set(chat.chatId, chat);
  }
  for (const [chatId, link] of Object.entries(data.joinLinks)) qr.set(chatId, link);
}
