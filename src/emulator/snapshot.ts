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
  /** chatId -> the seed of its sharers' join links and what it was minted for (owner + name), see `Org.joinLink` */
  joinLinks: Record<string, { key: string; link: string }>;
}

/** A deep, JSON-safe copy of the org's state. */
export function exportOrg(org: Org): OrgSnapshot {
  return structuredClone({
    version: 1 as const,
    corpId: org.corpId,
    users: org.users(),
    chats: org.chats(),
    joinLinks: org.joinLinks(),
  });
}

/**
 * Adds the snapshot's users and chats to `org`, keeping every id (userIds, the users'
 * dingtalkIds, chatIds, openConversationIds) and the join links. Entries with the same id are
 * replaced. The snapshot is copied, not shared.
 */
export function importOrg(org: Org, snapshot: OrgSnapshot): void {
  const data = structuredClone(snapshot);
  for (const u of data.users) {
    const user = org.addUser({ userId: u.userId, nick: u.nick, isOrgAdmin: u.isOrgAdmin });
    user.dingtalkId = u.dingtalkId;
  }
  for (const c of data.chats) org.restoreChat(c, data.joinLinks[c.chatId]);
}
