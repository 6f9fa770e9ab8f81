/**
 * Contact-directory (通讯录) endpoints (contact-api.md §1-§5): user search and department search
 * (v1), user/get, user/getbymobile, user/listsimple and department/get (topapi). Each checks its
 * own permission point against {@link ContactSwitches}; what the reference leaves UNCONFIRMED is
 * a switch there, with the documented default.
 */
import { createHash } from 'node:crypto';
import { newTopRequestId } from './ids.ts';
import { type Department, type Org, ROOT_DEPT_ID, type User } from './org.ts';
import {
  asBool,
  asInt,
  asObject,
  asString,
  type Ctx,
  type Family,
  legacyErr,
  legacyOk,
  type Reply,
  type Route,
  v1Err,
} from './server.ts';

/** The permission points of the contact APIs (contact-api.md §9). */
export type ContactPermission =
  | 'qyapi_addresslist_search'
  | 'qyapi_get_member'
  | 'qyapi_get_member_by_mobile'
  | 'qyapi_get_department_member'
  | 'qyapi_get_department_list';

export const CONTACT_PERMISSIONS: readonly ContactPermission[] = [
  'qyapi_addresslist_search',
  'qyapi_get_member',
  'qyapi_get_member_by_mobile',
  'qyapi_get_department_member',
  'qyapi_get_department_list',
];

/** Page size limit of listsimple (contact-api.md §4.2: SDK 1-100). */
export const MAX_LISTSIMPLE_SIZE = 100;
/** Largest listsimple cursor the SDK lets through (§4.2). */
const MAX_CURSOR = 100_000;
/** user/get `userid`: SDK max length 64 (§2). */
const MAX_USERID_LENGTH = 64;

/**
 * Run-time switches of the contact APIs. Every field may change while the emulator runs.
 * Defaults: all permission points granted, the whole org in range, and for the UNCONFIRMED
 * behaviours: 60121 for an unknown userId, `offset` read as a page number (the doc's 分页页码),
 * search size at most 20 (third-party reports), larger sizes clamped.
 */
export class ContactSwitches {
  /** Granted permission points; a missing grant answers 88/"60011" (topapi) or 403 (v1). */
  readonly granted: Record<ContactPermission, boolean>;
  /** user/get on an unknown userId: 60121 找不到该用户 or 33012 无效的userId (§2, UNCONFIRMED). */
  userNotFoundErrcode: 60121 | 33012 = 60121;
  /** Search `offset`: a page index (`page`, the doc) or an item offset (`item`) (§1, UNCONFIRMED). */
  searchOffset: 'page' | 'item' = 'page';
  /** Largest search `size` (§1, UNCONFIRMED: third parties say 20); null = no maximum. */
  searchMaxSize: number | null = 20;
  /** A search `size` above the maximum: served as the maximum, or 400 parameter.error. */
  searchOversize: 'clamp' | 'error' = 'clamp';
  /** user/get returns `mobile` only with the 企业员工手机号信息 field permission (§0.3). */
  mobileField = true;
  /**
   * Departments outside the app's contact range (授权范围, §0.3): listsimple answers 50004 for
   * them, user/get 50002 for a user who is only in such departments.
   */
  outOfRangeDeptIds: number[] = [];

  constructor(granted = true) {
    this.granted = Object.fromEntries(CONTACT_PERMISSIONS.map((p) => [p, granted])) as Record<
      ContactPermission,
      boolean
    >;
  }

  /** Revokes the given points, or all five. */
  deny(...points: ContactPermission[]): void {
    for (const p of points.length > 0 ? points : CONTACT_PERMISSIONS) this.granted[p] = false;
  }

  /** Grants the given points, or all five. */
  allow(...points: ContactPermission[]): void {
    for (const p of points.length > 0 ? points : CONTACT_PERMISSIONS) this.granted[p] = true;
  }
}

export interface ContactDeps {
  org: Org;
  switches: ContactSwitches;
}

/** The permission-denied answer of each family (contact-api.md §8). */
function deniedReply(family: Family): Reply {
  const msg = '没有调用该接口的权限';
  if (family === 'v1') return v1Err(403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied', msg);
  return {
    status: 200,
    body: {
      errcode: 88,
      sub_code: '60011', // a STRING, as topapi sends it
      sub_msg: msg,
      errmsg: `ding talk error[subcode=60011,submsg=${msg}]`,
      request_id: newTopRequestId(),
    },
  };
}

/** Topapi takes JSON or form bodies (contact-api.md §0.2). */
function topBody(ctx: Ctx): Record<string, unknown> {
  return (ctx.bodyKind === 'json' || ctx.bodyKind === 'form' ? asObject(ctx.body) : undefined) ?? {};
}

const badParam = (ctx: Ctx, what: string): Reply => legacyErr(ctx.family, 400002, `无效的参数: ${what}`);
const searchErr = (message: string): Reply => v1Err(400, 'parameter.error', message);

interface Page<T> {
  items: T[];
  hasMore: boolean;
  totalCount: number;
}

/** Reads queryWord/offset/size of the two search APIs and pages `all` matches (§1, §5.1). */
function searchPage<T>(
  body: Record<string, unknown> | undefined,
  sw: ContactSwitches,
  match: (q: string) => T[],
): Page<T> | Reply {
  if (!body) return searchErr('body is mandatory');
  const q = asString(body.queryWord)?.trim();
  if (!q) return searchErr('queryWord is mandatory');
  if (body.offset === undefined || body.offset === null) return searchErr('offset is mandatory');
  if (body.size === undefined || body.size === null) return searchErr('size is mandatory');
  const offset = asInt(body.offset);
  let size = asInt(body.size);
  if (offset === undefined || offset < 0) return searchErr('offset is invalid');
  if (size === undefined || size < 1) return searchErr('size is invalid');
  if (sw.searchMaxSize !== null && size > sw.searchMaxSize) {
    if (sw.searchOversize === 'error') return searchErr(`size must be at most ${sw.searchMaxSize}`);
    size = sw.searchMaxSize;
  }
  const all = match(q.toLowerCase());
  const start = sw.searchOffset === 'page' ? offset * size : offset;
  return {
    items: all.slice(start, start + size),
    hasMore: start + size < all.length,
    totalCount: all.length,
  };
}

const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'status' in x;

/** Stable per org and user, like a real unionid (unique within the developer account). */
function unionId(org: Org, userId: string): string {
  return createHash('sha256').update(`${org.corpId}\u0000${userId}`).digest('base64url').slice(0, 22);
}

function inRange(sw: ContactSwitches, u: User): boolean {
  return u.deptIds.some((d) => !sw.outOfRangeDeptIds.includes(d));
}

function userResult(deps: ContactDeps, u: User): Record<string, unknown> {
  // contact-api.md §2 result table; only the fields the directory can fill
  const r: Record<string, unknown> = {
    userid: u.userId,
    unionid: unionId(deps.org, u.userId),
    name: u.name,
    state_code: '86',
    hide_mobile: false,
    telephone: '',
    job_number: '',
    title: u.title ?? '',
    dept_id_list: [...u.deptIds],
    dept_order_list: u.deptIds.map((d) => ({ dept_id: d, order: 0 })),
    leader_in_dept: u.deptIds.map((d) => ({ dept_id: d, leader: false })),
    active: true,
    admin: u.isOrgAdmin,
    boss: false,
    senior: false,
    real_authed: true,
    exclusive_account: false,
  };
  if (u.mobile !== undefined && deps.switches.mobileField) r.mobile = u.mobile;
  return r;
}

function deptResult(org: Org, d: Department): Record<string, unknown> {
  const siblings = org.departments().filter((x) => x.parentId === d.parentId);
  const r: Record<string, unknown> = {
    dept_id: d.deptId,
    name: d.name,
    order: siblings.indexOf(d),
    member_count: org.deptMembersDeep(d.deptId).length,
    owning_member_count: org.deptMembers(d.deptId).length,
    dept_manager_userid_list: [],
    create_dept_group: false,
    auto_add_user: false,
    group_contain_sub_dept: false,
    auto_approve_apply: false,
    from_union_org: false,
    hide_dept: false,
    outer_dept: false,
  };
  if (d.parentId !== null) r.parent_id = d.parentId;
  return r;
}

/** Routes of the contact APIs. The permission check comes after token and QPS, as in server.ts. */
export function contactRoutes(deps: ContactDeps): Route[] {
  const { org, switches: sw } = deps;
  const guard =
    (point: ContactPermission, fn: (ctx: Ctx) => Reply) =>
    (ctx: Ctx): Reply =>
      sw.granted[point] ? fn(ctx) : deniedReply(ctx.family);

  return [
    {
      method: 'POST',
      path: '/v1.0/contact/users/search',
      endpoint: 'contact.users.search',
      family: 'v1',
      auth: true,
      handle: guard('qyapi_addresslist_search', (ctx) => {
        // §1: fullMatchField 1 = exact name; otherwise substring of name or English name
        const body = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        const exact = body !== undefined && asInt(body.fullMatchField) === 1;
        const page = searchPage(body, sw, (q) =>
          org
            .users()
            .filter((u) =>
              exact
                ? u.name.toLowerCase() === q
                : u.name.toLowerCase().includes(q) || (u.englishName?.toLowerCase().includes(q) ?? false),
            ),
        );
        if (isReply(page)) return page;
        return {
          status: 200,
          body: { hasMore: page.hasMore, totalCount: page.totalCount, list: page.items.map((u) => u.userId) },
        };
      }),
    },
    {
      method: 'POST',
      path: '/v1.0/contact/departments/search',
      endpoint: 'contact.departments.search',
      family: 'v1',
      auth: true,
      handle: guard('qyapi_addresslist_search', (ctx) => {
        // §5.1: single-token substring match on the name; ids are numbers
        const body = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        const page = searchPage(body, sw, (q) =>
          org.departments().filter((d) => d.name.toLowerCase().includes(q)),
        );
        if (isReply(page)) return page;
        return {
          status: 200,
          body: { hasMore: page.hasMore, totalCount: page.totalCount, list: page.items.map((d) => d.deptId) },
        };
      }),
    },
    {
      method: 'POST',
      path: '/topapi/v2/user/get',
      endpoint: 'user.get',
      family: 'topapi',
      auth: true,
      handle: guard('qyapi_get_member', (ctx) => {
        const userid = asString(topBody(ctx).userid);
        if (!userid || userid.length > MAX_USERID_LENGTH) return badParam(ctx, 'userid');
        const u = org.user(userid);
        if (!u) {
          return sw.userNotFoundErrcode === 60121
            ? legacyErr(ctx.family, 60121, '找不到该用户')
            : legacyErr(ctx.family, 33012, '无效的userId');
        }
        if (!inRange(sw, u)) return legacyErr(ctx.family, 50002, '员工不在授权范围');
        return legacyOk(ctx.family, { result: userResult(deps, u) });
      }),
    },
    {
      method: 'POST',
      path: '/topapi/v2/user/getbymobile',
      endpoint: 'user.getbymobile',
      family: 'topapi',
      auth: true,
      handle: guard('qyapi_get_member_by_mobile', (ctx) => {
        // §3: the doc examples are bare digits; other formats are UNCONFIRMED, refused here
        const b = topBody(ctx);
        const mobile = asString(b.mobile);
        if (mobile === undefined || mobile === '') return badParam(ctx, 'mobile');
        if (!/^\+?\d{6,15}$/.test(mobile)) return legacyErr(ctx.family, 40104, '企业中无效的手机号');
        const u = org.users().find((x) => x.mobile === mobile);
        if (!u) return legacyErr(ctx.family, 60121, '未找到该用户');
        const result: Record<string, unknown> = { userid: u.userId };
        if (asBool(b.support_exclusive_account_search) === true) result.exclusive_account_userid_list = [];
        return legacyOk(ctx.family, { result });
      }),
    },
    {
      method: 'POST',
      path: '/topapi/user/listsimple',
      endpoint: 'user.listsimple',
      family: 'topapi',
      auth: true,
      handle: guard('qyapi_get_department_member', (ctx) => {
        // §4.2: direct members only, cursor = item offset handed back as next_cursor
        const b = topBody(ctx);
        const deptId = asInt(b.dept_id);
        if (deptId === undefined) return badParam(ctx, 'dept_id');
        const cursor = asInt(b.cursor);
        if (cursor === undefined || cursor < 0 || cursor > MAX_CURSOR)
          return legacyErr(ctx.family, 40068, '无效的偏移量');
        const size = asInt(b.size);
        if (size === undefined || size < 1 || size > MAX_LISTSIMPLE_SIZE)
          return legacyErr(ctx.family, 40069, '无效的size');
        if (!org.department(deptId)) return legacyErr(ctx.family, 60003, '未找到对应部门');
        if (sw.outOfRangeDeptIds.includes(deptId)) return legacyErr(ctx.family, 50004, '部门不在权限范围');
        const members = org.deptMembers(deptId);
        const list = members.slice(cursor, cursor + size).map((u) => ({ userid: u.userId, name: u.name }));
        const hasMore = cursor + size < members.length;
        const result: Record<string, unknown> = { has_more: hasMore, list };
        if (hasMore) result.next_cursor = cursor + size;
        return legacyOk(ctx.family, { result });
      }),
    },
    {
      method: 'POST',
      path: '/topapi/v2/department/get',
      endpoint: 'department.get',
      family: 'topapi',
      auth: true,
      handle: guard('qyapi_get_department_list', (ctx) => {
        // §5.2
        const deptId = asInt(topBody(ctx).dept_id);
        if (deptId === undefined || deptId < ROOT_DEPT_ID) return badParam(ctx, 'dept_id');
        const d = org.department(deptId);
        if (!d) return legacyErr(ctx.family, 60003, '未找到对应部门');
        return legacyOk(ctx.family, { result: deptResult(org, d) });
      }),
    },
  ];
}
