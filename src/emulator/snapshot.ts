/**
 * Saving and restoring an {@link Org}: users (with their directory entries), departments, chats (with their chatIds and openConversationIds),
 * members, admins, nicknames, settings and join links. The sandbox keeps its demo org between
 * runs with these, so the bot's registry and the org keep agreeing on chat ids.
 */
import { type Chat, type Department, type Org, ROOT_DEPT_ID, type User } from './org.ts';

/**
 * A plain-JSON copy of an org. `version` changes when the shape does; fields added since
 * (the directory: `departments`, a user's `name`, `deptIds`, …) are optional, so older files
 * still load.
 */
export interface OrgSnapshot {
  version: 1;
  corpId: string;
  users: SnapshotUser[];
  /** every department but the root; absent in files saved before the directory existed */
  departments?: Department[];
  chats: Chat[];
  /** chatId -> the seed of its sharers' join links and what it was minted for (owner + name), see `Org.joinLink` */
  joinLinks: Record<string, { key: string; link: string }>;
}

/** A user as saved; the directory fields are missing in older files. */
export type SnapshotUser = Omit<User, 'name' | 'deptIds'> & Partial<Pick<User, 'name' | 'deptIds'>>;

/** A deep, JSON-safe copy of the org's state. */
export function exportOrg(org: Org): OrgSnapshot {
  return structuredClone({
    version: 1 as const,
    corpId: org.corpId,
    users: org.users(),
    departments: org.departments().filter((d) => d.deptId !== ROOT_DEPT_ID),
    chats: org.chats(),
    joinLinks: org.joinLinks(),
  });
}

/**
 * Adds the snapshot's departments, users and chats to `org`, keeping every id (userIds, the users'
 * dingtalkIds, chatIds, openConversationIds) and the join links. Entries with the same id are
 * replaced. The snapshot is copied, not shared.
 */
export function importOrg(org: Org, snapshot: OrgSnapshot): void {
  const data = structuredClone(snapshot);
  // Parents first: a department may be saved before its parent. One whose parent never comes
  // (a hand-edited file) goes under the root rather than failing the whole import.
  const pending = (data.departments ?? []).filter((d) => d.deptId !== ROOT_DEPT_ID);
  while (pending.length > 0) {
    const i = pending.findIndex((d) => d.parentId === null || org.department(d.parentId) !== undefined);
    const [d] = pending.splice(Math.max(i, 0), 1) as [Department];
    const parentId = i >= 0 && d.parentId !== null ? d.parentId : ROOT_DEPT_ID;
    try {
      org.addDepartment({ deptId: d.deptId, name: d.name, parentId });
    } catch {
      org.addDepartment({ deptId: d.deptId, name: d.name, parentId: ROOT_DEPT_ID });
    }
  }
  for (const u of data.users) {
    const user = org.addUser({
      userId: u.userId,
      nick: u.nick,
      isOrgAdmin: u.isOrgAdmin,
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.englishName !== undefined ? { englishName: u.englishName } : {}),
      ...(u.mobile !== undefined ? { mobile: u.mobile } : {}),
      ...(u.title !== undefined ? { title: u.title } : {}),
      // departments the snapshot does not have are dropped (the user then sits in the root)
      ...(u.deptIds !== undefined ? { deptIds: u.deptIds.filter((id) => org.department(id)) } : {}),
    });
    user.dingtalkId = u.dingtalkId;
  }
  for (const c of data.chats) org.restoreChat(c, data.joinLinks[c.chatId]);
}
