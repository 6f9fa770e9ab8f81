/**
 * The contact (通讯录) endpoints (contact-api.md §1-§5) as a typed client: user and department
 * search (v1), user/get, user/getbymobile, user/listsimple and department/get (topapi). All are
 * reads, so the HTTP layer retries them on transient failures; each has its own limiter key.
 * Success bodies are parsed leniently, as the reference asks (§0.2): numbers or numeric strings,
 * booleans or "true", lists or JSON-array strings.
 */
import { z } from 'zod';
import { DingTalkApiError, type EndpointName } from './errors.ts';
import type { HttpClient } from './http.ts';

/** Per-call options. */
export interface ContactCallOptions {
  signal?: AbortSignal | undefined;
}

/** Search page size the client sends unless told otherwise (§9: keep it ≤ 20). */
export const DEFAULT_SEARCH_SIZE = 20;
/** listsimple page size: the documented maximum (§4.2). */
export const LISTSIMPLE_PAGE_SIZE = 100;
/** Members listDepartmentMembers stops at by default (a group holds 1000). */
export const DEFAULT_MEMBER_LIMIT = 1000;

export interface SearchOptions extends ContactCallOptions {
  /** fullMatchField 1: exact match on the name (users only). */
  exact?: boolean;
  /** Sent as given; whether DingTalk reads it as a page or an item offset is UNCONFIRMED (§1). */
  offset?: number;
  size?: number;
}

export interface SearchPage<T> {
  list: T[];
  hasMore: boolean;
  totalCount: number;
}

/** What user/get tells about a user (the fields the bot uses). */
export interface ContactUser {
  userId: string;
  name: string;
  title: string | undefined;
  /** only with the 企业员工手机号信息 field permission (§0.3) */
  mobile: string | undefined;
  deptIds: number[];
  /** activated DingTalk; not an employment flag (§2) */
  active: boolean | undefined;
}

export interface DepartmentInfo {
  deptId: number;
  name: string;
  /** undefined for the root (1) */
  parentId: number | undefined;
  memberCount: number | undefined;
  owningMemberCount: number | undefined;
}

export interface MemberPage {
  members: { userId: string; name: string }[];
  hasMore: boolean;
  /** the cursor of the next page, when hasMore */
  nextCursor: number | undefined;
}

// ---- lenient scalars (§0.2)
const num = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform((v) => Number(v));
const bool = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((v) => v === true || v === 'true');
const jsonArrayString = z.string().transform((s, ctx) => {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a JSON array' });
    return z.NEVER;
  }
});
const numList = z.union([z.array(num), jsonArrayString.pipe(z.array(num))]);
const strList = z.union([z.array(z.string()), jsonArrayString.pipe(z.array(z.string()))]);
const optStr = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s === '' ? undefined : s));

const userSearchSchema = z.object({
  hasMore: bool.optional().default(false),
  totalCount: num.optional(),
  list: strList.optional().default([]),
});
const deptSearchSchema = z.object({
  hasMore: bool.optional().default(false),
  totalCount: num.optional(),
  list: numList.optional().default([]),
});
const userGetSchema = z.object({
  result: z.object({
    userid: z.string().min(1),
    name: z.string(),
    title: optStr,
    mobile: optStr,
    dept_id_list: numList.optional().default([]),
    active: bool.optional(),
  }),
});
const byMobileSchema = z.object({ result: z.object({ userid: z.string().min(1) }) });
const listSimpleSchema = z.object({
  result: z.object({
    has_more: bool.optional().default(false),
    next_cursor: num.optional(),
    list: z.array(z.object({ userid: z.string().min(1), name: z.string() })).default([]),
  }),
});
const deptGetSchema = z.object({
  result: z.object({
    dept_id: num,
    name: z.string(),
    parent_id: num.optional(),
    member_count: num.optional(),
    owning_member_count: num.optional(),
  }),
});

/** The codes user/get answers for a userId it does not know (§2: which one is UNCONFIRMED). */
const USER_NOT_FOUND = new Set([33012, 60121, 60111, 40003]);

/** True when user/get (or getbymobile) says there is no such user. */
export function isUserNotFound(err: unknown): err is DingTalkApiError {
  return err instanceof DingTalkApiError && err.errcode !== undefined && USER_NOT_FOUND.has(err.errcode);
}

/** True for "no such mobile in the org": 40104 (invalid for the org) or 60121 (§3). */
export function isMobileNotFound(err: unknown): err is DingTalkApiError {
  return err instanceof DingTalkApiError && (err.errcode === 40104 || err.errcode === 60121);
}

/** True when the user or department is outside the app's contact range (50002 / 50004, §0.3). */
export function isOutOfContactRange(err: unknown): err is DingTalkApiError {
  return err instanceof DingTalkApiError && (err.errcode === 50002 || err.errcode === 50004);
}

/** True when a department does not exist (60003, §4.2, §5.2). */
export function isDepartmentNotFound(err: unknown): err is DingTalkApiError {
  return err instanceof DingTalkApiError && err.errcode === 60003;
}

/** Typed access to the contact endpoints. Every method throws a DingTalkError on failure. */
export class ContactApi {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  #top<T>(endpoint: EndpointName, path: string, body: unknown, schema: z.ZodType<T>, o: ContactCallOptions) {
    return this.#http.call({
      endpoint,
      host: 'oapi',
      method: 'POST',
      path,
      body,
      auth: 'legacy',
      schema,
      signal: o.signal,
    });
  }

  #v1<T>(endpoint: EndpointName, path: string, body: unknown, schema: z.ZodType<T>, o: ContactCallOptions) {
    return this.#http.call({
      endpoint,
      host: 'api',
      method: 'POST',
      path,
      body,
      auth: 'v1',
      schema,
      signal: o.signal,
    });
  }

  /**
   * `POST /v1.0/contact/users/search`: userIds whose name (exact) or name / English name
   * (fuzzy) matches. `offset` is always sent, since DingTalk refuses a search without it (§1).
   * @see https://open.dingtalk.com/document/development/address-book-search-user-id
   */
  async searchUsers(query: string, o: SearchOptions = {}): Promise<SearchPage<string>> {
    const body: Record<string, unknown> = {
      queryWord: query,
      offset: o.offset ?? 0,
      size: o.size ?? DEFAULT_SEARCH_SIZE,
    };
    if (o.exact) body.fullMatchField = 1;
    const r = await this.#v1('contact.users.search', '/v1.0/contact/users/search', body, userSearchSchema, o);
    return { list: r.list, hasMore: r.hasMore, totalCount: r.totalCount ?? r.list.length };
  }

  /**
   * `POST /v1.0/contact/departments/search`: numeric ids of departments whose name matches.
   * @see https://open.dingtalk.com/document/development/address-book-search-department-id
   */
  async searchDepartments(query: string, o: Omit<SearchOptions, 'exact'> = {}): Promise<SearchPage<number>> {
    const body = { queryWord: query, offset: o.offset ?? 0, size: o.size ?? DEFAULT_SEARCH_SIZE };
    const r = await this.#v1(
      'contact.departments.search',
      '/v1.0/contact/departments/search',
      body,
      deptSearchSchema,
      o,
    );
    return { list: r.list, hasMore: r.hasMore, totalCount: r.totalCount ?? r.list.length };
  }

  /**
   * `POST /topapi/v2/user/get`. An unknown userId throws an error {@link isUserNotFound} accepts.
   * @see https://open.dingtalk.com/document/development/query-user-details
   */
  async getUser(userId: string, o: ContactCallOptions = {}): Promise<ContactUser> {
    const r = await this.#top('user.get', '/topapi/v2/user/get', { userid: userId }, userGetSchema, o);
    return {
      userId: r.result.userid,
      name: r.result.name,
      title: r.result.title,
      mobile: r.result.mobile,
      deptIds: r.result.dept_id_list,
      active: r.result.active,
    };
  }

  /**
   * `POST /topapi/v2/user/getbymobile`: the userId of an active employee with that mobile.
   * Departed staff are never found (§3). Not found: {@link isMobileNotFound}.
   * @see https://open.dingtalk.com/document/development/query-users-by-phone-number
   */
  async getByMobile(mobile: string, o: ContactCallOptions = {}): Promise<string> {
    const r = await this.#top(
      'user.getbymobile',
      '/topapi/v2/user/getbymobile',
      { mobile },
      byMobileSchema,
      o,
    );
    return r.result.userid;
  }

  /**
   * One `POST /topapi/user/listsimple` page: direct members of `deptId`, `{userId, name}`.
   * @see https://open.dingtalk.com/document/development/queries-the-simple-information-of-a-department-user
   */
  async listDepartmentMembersPage(
    deptId: number,
    cursor = 0,
    size = LISTSIMPLE_PAGE_SIZE,
    o: ContactCallOptions = {},
  ): Promise<MemberPage> {
    const r = await this.#top(
      'user.listsimple',
      '/topapi/user/listsimple',
      { dept_id: deptId, cursor, size },
      listSimpleSchema,
      o,
    );
    return {
      members: r.result.list.map((m) => ({ userId: m.userid, name: m.name })),
      hasMore: r.result.has_more,
      nextCursor: r.result.has_more ? r.result.next_cursor : undefined,
    };
  }

  /**
   * Every direct member of `deptId`, paging through listsimple, up to `limit` (default 1000).
   * `truncated` says the department has more. A page that claims more without a usable cursor
   * ends the walk instead of looping.
   */
  async listDepartmentMembers(
    deptId: number,
    o: ContactCallOptions & { limit?: number } = {},
  ): Promise<{ members: { userId: string; name: string }[]; truncated: boolean }> {
    const limit = o.limit ?? DEFAULT_MEMBER_LIMIT;
    const members: { userId: string; name: string }[] = [];
    let cursor = 0;
    for (;;) {
      const page = await this.listDepartmentMembersPage(deptId, cursor, LISTSIMPLE_PAGE_SIZE, o);
      members.push(...page.members);
      if (members.length >= limit) {
        return { members: members.slice(0, limit), truncated: page.hasMore || members.length > limit };
      }
      if (!page.hasMore) return { members, truncated: false };
      if (page.nextCursor === undefined || page.nextCursor <= cursor) return { members, truncated: true };
      cursor = page.nextCursor;
    }
  }

  /**
   * `POST /topapi/v2/department/get`. Unknown: {@link isDepartmentNotFound}.
   * @see https://open.dingtalk.com/document/development/query-department-details0-v2
   */
  async getDepartment(deptId: number, o: ContactCallOptions = {}): Promise<DepartmentInfo> {
    const r = await this.#top(
      'department.get',
      '/topapi/v2/department/get',
      { dept_id: deptId },
      deptGetSchema,
      o,
    );
    return {
      deptId: r.result.dept_id,
      name: r.result.name,
      parentId: r.result.parent_id,
      memberCount: r.result.member_count,
      owningMemberCount: r.result.owning_member_count,
    };
  }
}
