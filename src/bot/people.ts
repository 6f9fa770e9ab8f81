/**
 * People as replies show them and as users type them: labels (`Alice Wang (alice)`), the view
 * handlers get over the directory, a department's true size, and mobiles normalised.
 */
import type { DeptRef, Directory } from './directory.ts';
import type { PeopleView } from './types.ts';

/**
 * Mainland mobiles as DingTalk stores them: spaces and dashes dropped, a leading `+86`/`86`
 * dropped before an 11-digit number starting with 1. Other digit strings (international numbers,
 * whose format getbymobile accepts is UNCONFIRMED, §3) pass with their `+`. Letters or other
 * signs: undefined.
 */
export function normaliseMobile(text: string): string | undefined {
  if (text.length > 32) return undefined;
  const s = text.replace(/[\s.-]/g, '');
  const mainland = /^(?:\+?86)?(1\d{10})$/.exec(s);
  if (mainland) return mainland[1];
  return /^\+?\d{6,15}$/.test(s) ? s : undefined;
}

/** Shortens a long userId for a label: `0147225041597041` -> `0147…041`; short ones stay whole. */
export function shortUserId(userId: string): string {
  const chars = Array.from(userId);
  return chars.length > 12 ? `${chars.slice(0, 4).join('')}…${chars.slice(-3).join('')}` : userId;
}

/** `Alice Wang (alice)`, or the userId alone when there is no name. */
export function personLabel(userId: string, name: string | undefined): string {
  return name === undefined || name === '' || name === userId ? userId : `${name} (${shortUserId(userId)})`;
}

/** The {@link PeopleView} handlers get, over a directory. */
export function peopleView(directory: Pick<Directory, 'names'>): PeopleView {
  const labels: PeopleView['labels'] = async (userIds, o = {}) => {
    const limit = Math.max(0, Math.floor(o.limit ?? userIds.length));
    const named = await directory.names(userIds.slice(0, limit), {
      ...(o.budgetMs !== undefined ? { budgetMs: o.budgetMs } : {}),
    });
    return userIds.map((id) => personLabel(id, named.get(id)));
  };
  return {
    labels,
    label: async (userId) => (await labels([userId]))[0] ?? userId,
  };
}

/**
 * The size of a department as a preview must state it: the members listed, and when the list
 * was capped (`truncated`), the true size from department/get (or "more than" the list when
 * DingTalk gave none). A 3,000-person department is not previewed as "1000 people".
 */
export function deptSize(r: { members: readonly unknown[]; truncated: boolean; dept: DeptRef }): {
  listed: number;
  total: number;
  capped: boolean;
  /** true when the total is only known to be more than `listed` */
  atLeast: boolean;
} {
  const listed = r.members.length;
  if (!r.truncated) return { listed, total: listed, capped: false, atLeast: false };
  const known = r.dept.memberCount;
  return known !== undefined && known > listed
    ? { listed, total: known, capped: true, atLeast: false }
    : { listed, total: listed, capped: true, atLeast: true };
}
