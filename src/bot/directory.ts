/**
 * The people directory: turns what a user typed for a person (a userId, a name, a mobile, a
 * department) into userIds, and userIds into names for replies, over the contact client
 * (contact-api.md §9). Pure bot logic: no parsing, no replies, no store.
 *
 * Caching: DingTalk asks clients to cache organisation data (§8), and the two search APIs may
 * count toward the monthly quota (§1), so every lookup is kept for {@link DEFAULT_LOOKUP_TTL_MS}
 * (10 minutes: short enough that a renamed or newly hired colleague shows up within a coffee
 * break, long enough that a burst of commands, a pick and its `/pick` cost one search). Names the
 * bot sees for free (sender nicks, mentions) are kept for {@link DEFAULT_LEARNED_TTL_MS} (a day):
 * they are refreshed by every message and only ever label a userId, never select one. Each cache
 * holds at most {@link DEFAULT_MAX_ENTRIES} entries, dropping the least recently used.
 */
import {
  type ContactApi,
  type ContactUser,
  type DepartmentInfo,
  isDepartmentNotFound,
  isMobileNotFound,
  isOutOfContactRange,
  isUserNotFound,
} from '../dingtalk/contact.ts';
import { isPermissionDenied } from '../dingtalk/errors.ts';
import { ENDPOINT_PERMISSION } from '../dingtalk/explain.ts';
import { normaliseMobile } from './people.ts';
import { TtlCache } from './ttl-cache.ts';

/** A person as replies show them. `name` is missing when DingTalk would not say. */
export interface Person {
  userId: string;
  name?: string;
  title?: string;
  deptNames?: string[];
}

/** What the user typed for a person, already told apart by the parser. */
export interface PersonRef {
  kind: 'userId' | 'name' | 'mobile' | 'dept';
  text: string;
}

export interface DeptRef {
  deptId: number;
  name: string;
  /** department/get's member_count, when DingTalk gave it: the true size, past any cap. */
  memberCount?: number;
}

/** The `permission` of a `denied` result when the contact range (授权范围), not a point, is missing. */
export const CONTACT_RANGE = 'contact-range';

/**
 * The outcome of {@link Directory.resolve}:
 * - `one`: a single person; `verified` is false when DingTalk refused to confirm a typed userId
 *   (missing permission), which is then used as typed;
 * - `many`: several people match (each named, with title and departments where allowed);
 *   `more` says the search had further hits beyond the candidates;
 * - `none`: nobody matches; `close` lists near names the bot knows;
 * - `members`: a department's current direct members;
 * - `depts`: several departments match the name;
 * - `invalid`: the input cannot be a person (empty, too long, a mobile with letters);
 * - `denied`: the app lacks the permission point named (or {@link CONTACT_RANGE});
 * - `error`: DingTalk failed otherwise.
 */
export type Resolution =
  | { kind: 'one'; person: Person; verified: boolean }
  | { kind: 'many'; candidates: Person[]; more: boolean }
  | { kind: 'none'; close: Person[] }
  | { kind: 'members'; dept: DeptRef; members: Person[]; truncated: boolean }
  | { kind: 'depts'; candidates: DeptRef[] }
  | { kind: 'invalid'; reason: 'empty' | 'tooLong' | 'badMobile' }
  | { kind: 'denied'; permission: string }
  | { kind: 'error'; error: unknown };

/** The contact calls the directory makes (the real {@link ContactApi} provides them). */
export type ContactLookup = Pick<
  ContactApi,
  'searchUsers' | 'searchDepartments' | 'getUser' | 'getByMobile' | 'listDepartmentMembers' | 'getDepartment'
>;

export const DEFAULT_LOOKUP_TTL_MS = 10 * 60_000;
export const DEFAULT_LEARNED_TTL_MS = 24 * 60 * 60_000;
export const DEFAULT_MAX_ENTRIES = 5_000;
/** Candidates enriched and offered for a pick. */
export const DEFAULT_CANDIDATE_LIMIT = 10;
/** 2 s at DingTalk's 20 QPS for user/get names about 40 unknown people per reply. */
export const DEFAULT_NAMES_BUDGET_MS = 2_000;
/** Longest name or department name looked up (DingTalk names are far shorter). */
export const MAX_QUERY_LENGTH = 64;
/** user/get calls in flight at once (the HTTP limiter still caps the rate). */
const CONCURRENCY = 5;
const CLOSE_LIMIT = 5;

export interface DirectoryOptions {
  contact: ContactLookup;
  lookupTtlMs?: number;
  learnedTtlMs?: number;
  maxEntries?: number;
  candidateLimit?: number;
  now?: () => number;
}

/** What the directory knows about a userId. */
interface Known {
  name?: string;
  /** user/get answered: title and departments are known */
  user?: ContactUser;
  /** user/get said there is no such user */
  missing?: boolean;
}

type Fetch<T> = { ok: true; value: T } | { ok: false; result: Resolution };

function denial(err: unknown): Resolution | undefined {
  if (isPermissionDenied(err))
    return { kind: 'denied', permission: ENDPOINT_PERMISSION[err.endpoint] ?? err.endpoint };
  if (isOutOfContactRange(err)) return { kind: 'denied', permission: CONTACT_RANGE };
  return undefined;
}

const failed = (err: unknown): Resolution => denial(err) ?? { kind: 'error', error: err };

/** Edit distance, for "did you mean" (short strings only). */
function distance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/** Resolves typed people to userIds and userIds to names, with caches. Never throws. */
export class Directory {
  readonly #contact: ContactLookup;
  readonly #lookupTtl: number;
  readonly #learnedTtl: number;
  readonly #limit: number;
  readonly #people: TtlCache<string, Known & { userId: string }>;
  readonly #searches: TtlCache<string, { list: string[]; hasMore: boolean }>;
  readonly #mobiles: TtlCache<string, string | null>;
  readonly #depts: TtlCache<number, DepartmentInfo>;
  readonly #deptSearches: TtlCache<string, number[]>;
  readonly #deptCalls = new Map<number, Promise<Fetch<DepartmentInfo | null>>>();
  readonly #userCalls = new Map<string, Promise<Fetch<ContactUser | null>>>();
  readonly #members: TtlCache<number, { members: { userId: string; name: string }[]; truncated: boolean }>;

  constructor(o: DirectoryOptions) {
    this.#contact = o.contact;
    this.#lookupTtl = o.lookupTtlMs ?? DEFAULT_LOOKUP_TTL_MS;
    this.#learnedTtl = o.learnedTtlMs ?? DEFAULT_LEARNED_TTL_MS;
    this.#limit = o.candidateLimit ?? DEFAULT_CANDIDATE_LIMIT;
    const max = o.maxEntries ?? DEFAULT_MAX_ENTRIES;
    const now = o.now ?? Date.now;
    this.#people = new TtlCache(max, now);
    this.#searches = new TtlCache(max, now);
    this.#mobiles = new TtlCache(max, now);
    this.#depts = new TtlCache(max, now);
    this.#deptSearches = new TtlCache(max, now);
    this.#members = new TtlCache(max, now);
  }

  /** Remembers a name seen for free (a sender's nick, a picked mention). */
  learn(userId: string, name: string): void {
    const n = name.trim();
    if (userId === '' || n === '' || [...n].length > MAX_QUERY_LENGTH) return;
    const cur = this.#people.get(userId);
    // A fresher user/get answer keeps its details; the learned name only labels.
    if (cur?.user && cur.user.name === n) return;
    this.#people.set(userId, { userId, name: n }, this.#learnedTtl);
  }

  /** Resolves one typed reference. Never throws: failures are `error` / `denied` results. */
  async resolve(ref: PersonRef, o: { signal?: AbortSignal } = {}): Promise<Resolution> {
    try {
      switch (ref.kind) {
        case 'mobile':
          return await this.#byMobile(ref.text, o.signal);
        case 'userId':
          return await this.#byUserId(ref.text.trim(), o.signal);
        case 'name':
          return await this.#byName(ref.text, o.signal);
        case 'dept':
          return await this.#byDept(ref.text, o.signal);
      }
    } catch (err) {
      return { kind: 'error', error: err };
    }
  }

  /**
   * Names for `userIds`: the cache first, then user/get for the rest until `budgetMs`
   * (default 2 s) is spent. Ids DingTalk does not name (unknown, refused, out of time) map to
   * undefined. Never throws.
   */
  async names(
    userIds: readonly string[],
    o: { budgetMs?: number; signal?: AbortSignal } = {},
  ): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    const unknown: string[] = [];
    for (const id of new Set(userIds)) {
      const k = this.#people.get(id);
      out.set(id, k?.user?.name ?? k?.name);
      if (!k) unknown.push(id);
    }
    if (unknown.length === 0) return out;
    const budget = AbortSignal.timeout(o.budgetMs ?? DEFAULT_NAMES_BUDGET_MS);
    const signal = o.signal ? AbortSignal.any([o.signal, budget]) : budget;
    let stop = false;
    const worker = async (): Promise<void> => {
      for (let id = unknown.shift(); id !== undefined && !stop && !signal.aborted; id = unknown.shift()) {
        const r = await this.#user(id, signal);
        if (r.ok) out.set(id, r.value?.name);
        // a refusal applies to every id alike; an abort ends the budget
        else if (r.result.kind === 'denied' || signal.aborted) stop = true;
      }
    };
    const done = Promise.all(Array.from({ length: Math.min(CONCURRENCY, unknown.length) }, worker));
    const timeUp = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([done.catch(() => undefined), timeUp]);
    return new Map(out);
  }

  // ---- lookups, each cached

  /** user/get through the cache: the user, or null when DingTalk has no such user. */
  /**
   * user/get through the cache; concurrent asks for one user share a call (a burst of commands
   * naming the same people costs one lookup each). The shared call is not tied to one caller's
   * signal: a caller whose budget runs out stops waiting (see names), the others still get it.
   */
  #user(userId: string, _signal: AbortSignal | undefined): Promise<Fetch<ContactUser | null>> {
    const k = this.#people.get(userId);
    if (k?.user) return Promise.resolve({ ok: true, value: k.user });
    if (k?.missing) return Promise.resolve({ ok: true, value: null });
    let p = this.#userCalls.get(userId);
    if (!p) {
      p = this.#fetchUser(userId).finally(() => this.#userCalls.delete(userId));
      this.#userCalls.set(userId, p);
    }
    return p;
  }

  async #fetchUser(userId: string): Promise<Fetch<ContactUser | null>> {
    try {
      const user = await this.#contact.getUser(userId);
      this.#people.set(userId, { userId, name: user.name, user }, this.#lookupTtl);
      return { ok: true, value: user };
    } catch (err) {
      if (isUserNotFound(err)) {
        this.#people.set(userId, { userId, missing: true }, this.#lookupTtl);
        return { ok: true, value: null };
      }
      return { ok: false, result: failed(err) };
    }
  }

  /** department/get through the cache; concurrent asks for one department share a call. */
  #dept(deptId: number, signal: AbortSignal | undefined): Promise<Fetch<DepartmentInfo | null>> {
    const hit = this.#depts.get(deptId);
    if (hit) return Promise.resolve({ ok: true, value: hit });
    let p = this.#deptCalls.get(deptId);
    if (!p) {
      p = this.#fetchDept(deptId, signal).finally(() => this.#deptCalls.delete(deptId));
      this.#deptCalls.set(deptId, p);
    }
    return p;
  }

  async #fetchDept(deptId: number, signal: AbortSignal | undefined): Promise<Fetch<DepartmentInfo | null>> {
    try {
      const d = await this.#contact.getDepartment(deptId, { signal });
      this.#depts.set(deptId, d, this.#lookupTtl);
      return { ok: true, value: d };
    } catch (err) {
      if (isDepartmentNotFound(err)) return { ok: true, value: null };
      return { ok: false, result: failed(err) };
    }
  }

  async #search(
    q: string,
    exact: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Fetch<{ list: string[]; hasMore: boolean }>> {
    const key = `${exact ? '=' : '~'}${q.toLowerCase()}`;
    const hit = this.#searches.get(key);
    if (hit) return { ok: true, value: hit };
    try {
      // Only the first page is read, so whether offset counts pages or items (§1) never matters.
      const r = await this.#contact.searchUsers(q, { exact, offset: 0, size: 20, signal });
      const value = { list: r.list, hasMore: r.hasMore };
      this.#searches.set(key, value, this.#lookupTtl);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, result: failed(err) };
    }
  }

  /** A person with title and department names, as far as DingTalk allows; never fails. */
  async #person(userId: string, signal: AbortSignal | undefined, fallbackName?: string): Promise<Person> {
    const p: Person = { userId };
    const learned = this.#people.get(userId)?.name ?? fallbackName;
    const r = await this.#user(userId, signal);
    const user = r.ok ? r.value : null;
    const name = user?.name ?? learned;
    if (name !== undefined) p.name = name;
    if (user?.title) p.title = user.title;
    if (user && user.deptIds.length > 0) {
      const names: string[] = [];
      for (const id of user.deptIds) {
        const d = await this.#dept(id, signal);
        if (!d.ok) break; // refused: show the person without departments
        if (d.value) names.push(d.value.name);
      }
      if (names.length > 0) p.deptNames = names;
    }
    return p;
  }

  async #enrich(ids: string[], signal: AbortSignal | undefined, fallbackName?: string): Promise<Person[]> {
    const out: Person[] = new Array(ids.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < ids.length; i = next++)
        out[i] = await this.#person(ids[i] as string, signal, fallbackName);
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    return out;
  }

  // ---- the four kinds of reference

  async #byMobile(text: string, signal: AbortSignal | undefined): Promise<Resolution> {
    const mobile = normaliseMobile(text.trim());
    if (mobile === undefined) return { kind: 'invalid', reason: text.trim() === '' ? 'empty' : 'badMobile' };
    let userId = this.#mobiles.get(mobile);
    if (userId === undefined) {
      try {
        userId = await this.#contact.getByMobile(mobile, { signal });
      } catch (err) {
        if (!isMobileNotFound(err)) return failed(err);
        userId = null;
      }
      this.#mobiles.set(mobile, userId, this.#lookupTtl);
    }
    if (userId === null) return { kind: 'none', close: [] };
    return { kind: 'one', person: await this.#person(userId, signal), verified: true };
  }

  async #byUserId(text: string, signal: AbortSignal | undefined): Promise<Resolution> {
    if (text === '') return { kind: 'invalid', reason: 'empty' };
    // Longer than any userId (SDK max 64): cannot be one, maybe a name.
    if (text.length > 64) return this.#byName(text, signal);
    const r = await this.#user(text, signal);
    if (!r.ok) {
      // A refused lookup never breaks a typed userId: use it as typed (a later API call checks it).
      if (r.result.kind === 'denied') return { kind: 'one', person: { userId: text }, verified: false };
      return r.result;
    }
    if (r.value === null) return this.#byName(text, signal); // not a userId: maybe a name
    return { kind: 'one', person: await this.#person(text, signal), verified: true };
  }

  async #byName(text: string, signal: AbortSignal | undefined): Promise<Resolution> {
    const q = text.trim().replace(/\s+/g, ' ');
    if (q === '') return { kind: 'invalid', reason: 'empty' };
    if ([...q].length > MAX_QUERY_LENGTH) return { kind: 'invalid', reason: 'tooLong' };
    const exact = await this.#search(q, true, signal);
    if (!exact.ok) return exact.result;
    let page = exact.value;
    // An exact hit's name is the query; a fuzzy hit needs user/get to be named.
    let fallback: string | undefined = q;
    if (page.list.length === 0) {
      const fuzzy = await this.#search(q, false, signal);
      if (!fuzzy.ok) return fuzzy.result;
      page = fuzzy.value;
      fallback = undefined;
    }
    if (page.list.length === 1) {
      const person = await this.#person(page.list[0] as string, signal, fallback);
      return { kind: 'one', person, verified: true };
    }
    if (page.list.length > 1) {
      const ids = page.list.slice(0, this.#limit);
      const candidates = await this.#enrich(ids, signal, fallback);
      return { kind: 'many', candidates, more: page.hasMore || page.list.length > ids.length };
    }
    return { kind: 'none', close: await this.#close(q, signal) };
  }

  /** Near names: known names a small edit away, and hits for the longest word of a longer name. */
  async #close(q: string, signal: AbortSignal | undefined): Promise<Person[]> {
    const lower = q.toLowerCase();
    const max = Math.max(1, Math.floor([...q].length / 4));
    const out = new Map<string, Person>();
    for (const k of this.#people.values()) {
      const name = k.user?.name ?? k.name;
      if (name !== undefined && distance(name.toLowerCase(), lower) <= max)
        out.set(k.userId, { userId: k.userId, name });
    }
    const words = q.split(' ').filter((w) => w.length > 1);
    if (words.length > 1 && out.size < CLOSE_LIMIT) {
      const longest = [...words].sort((a, b) => b.length - a.length)[0] as string;
      const r = await this.#search(longest, false, signal);
      if (r.ok) {
        const ids = r.value.list.filter((id) => !out.has(id)).slice(0, CLOSE_LIMIT - out.size);
        for (const p of await this.#enrich(ids, signal)) out.set(p.userId, p);
      }
    }
    return [...out.values()].slice(0, CLOSE_LIMIT);
  }

  async #byDept(text: string, signal: AbortSignal | undefined): Promise<Resolution> {
    const q = text.trim().replace(/\s+/g, ' ');
    if (q === '') return { kind: 'invalid', reason: 'empty' };
    if ([...q].length > MAX_QUERY_LENGTH) return { kind: 'invalid', reason: 'tooLong' };
    const key = q.toLowerCase();
    let ids = this.#deptSearches.get(key);
    if (ids === undefined) {
      try {
        ids = (await this.#contact.searchDepartments(q, { offset: 0, size: 20, signal })).list;
      } catch (err) {
        return failed(err);
      }
      this.#deptSearches.set(key, ids, this.#lookupTtl);
    }
    if (ids.length === 0) return { kind: 'none', close: [] };
    const infos: DeptRef[] = [];
    for (const id of ids) {
      const d = await this.#dept(id, signal);
      if (!d.ok) {
        // Without department/get a single hit is still usable, named as typed.
        if (ids.length === 1 && d.result.kind === 'denied') infos.push({ deptId: id, name: q });
        else return d.result;
      } else if (d.value)
        infos.push({
          deptId: d.value.deptId,
          name: d.value.name,
          ...(d.value.memberCount !== undefined ? { memberCount: d.value.memberCount } : {}),
        });
    }
    const exact = infos.filter((d) => d.name.toLowerCase() === key);
    const pool = exact.length > 0 ? exact : infos;
    if (pool.length === 0) return { kind: 'none', close: [] };
    if (pool.length > 1) return { kind: 'depts', candidates: pool };
    const dept = pool[0] as DeptRef;
    let list = this.#members.get(dept.deptId);
    if (list === undefined) {
      try {
        list = await this.#contact.listDepartmentMembers(dept.deptId, { signal });
      } catch (err) {
        return failed(err);
      }
      this.#members.set(dept.deptId, list, this.#lookupTtl);
    }
    for (const m of list.members) this.learn(m.userId, m.name);
    return {
      kind: 'members',
      dept,
      members: list.members.map((m) => ({ userId: m.userId, name: m.name })),
      truncated: list.truncated,
    };
  }
}
