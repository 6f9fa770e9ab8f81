/**
 * The contact client against the emulator over real sockets: every endpoint's typed result,
 * the not-found / range / permission errors, lenient parsing, retries and the per-API limiter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DingTalk,
  type DingTalkApiError,
  explainDingTalkError,
  isDepartmentNotFound,
  isMobileNotFound,
  isOutOfContactRange,
  isPermissionDenied,
  isUserNotFound,
} from '../../src/dingtalk/index.ts';
import { Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { caught, makeClient } from './helpers.ts';
import { startStub } from './stub-server.ts';

const ENG = 30001;
const DESIGN = 30002;

let emu: Emulator | undefined;
let dt: DingTalk | undefined;
afterEach(async () => {
  await dt?.close();
  await emu?.stop();
  dt = undefined;
  emu = undefined;
});

async function setup(opts: EmulatorOptions = {}): Promise<{ emu: Emulator; dt: DingTalk }> {
  emu = await Emulator.start({
    departments: [
      { deptId: ENG, name: 'Engineering' },
      { deptId: DESIGN, name: 'Design' },
    ],
    users: [
      { userId: 'zw1', nick: 'Zhang', name: '张伟', title: 'QA', mobile: '13800138000', deptIds: [ENG] },
      { userId: 'zw2', nick: 'Wei', name: '张伟', deptIds: [DESIGN] },
      { userId: '0123', nick: 'Num', name: 'Numeric Id', deptIds: [ENG, DESIGN] },
      ...Array.from({ length: 230 }, (_, i) => ({ userId: `m${i}`, nick: `M${i}`, deptIds: [DESIGN] })),
    ],
    ...opts,
  });
  dt = makeClient(emu.baseUrl, { clientId: emu.clientId, clientSecret: emu.clientSecret });
  return { emu, dt };
}

const calls = (e: Emulator, endpoint: string) => e.requests.filter((r) => r.endpoint === endpoint);

describe('dingtalk.contact', () => {
  it('searchUsers sends offset and size always, fullMatchField only for exact', async () => {
    const { emu, dt } = await setup();
    expect(await dt.contact.searchUsers('张伟', { exact: true })).toEqual({
      list: ['zw1', 'zw2'],
      hasMore: false,
      totalCount: 2,
    });
    const fuzzy = await dt.contact.searchUsers('m2', { size: 5 });
    expect(fuzzy.list).toHaveLength(5);
    expect(fuzzy.hasMore).toBe(true);
    const bodies = calls(emu, 'contact.users.search').map((r) => r.body);
    expect(bodies).toEqual([
      { queryWord: '张伟', offset: 0, size: 20, fullMatchField: 1 },
      { queryWord: 'm2', offset: 0, size: 5 },
    ]);
    expect(calls(emu, 'contact.users.search')[0]?.headers['x-acs-dingtalk-access-token']).toBeTypeOf(
      'string',
    );
  });

  it('searchDepartments returns numeric ids', async () => {
    const { dt } = await setup();
    expect(await dt.contact.searchDepartments('design')).toEqual({
      list: [DESIGN],
      hasMore: false,
      totalCount: 1,
    });
  });

  it('getUser names the user and keeps a numeric-looking userId a string', async () => {
    const { dt } = await setup();
    expect(await dt.contact.getUser('zw1')).toEqual({
      userId: 'zw1',
      name: '张伟',
      title: 'QA',
      mobile: '13800138000',
      deptIds: [ENG],
      active: true,
    });
    const n = await dt.contact.getUser('0123');
    expect(n.userId).toBe('0123');
    expect(n.title).toBeUndefined();
    expect(n.deptIds).toEqual([ENG, DESIGN]);
  });

  it('getUser on an unknown id throws a not-found error for either code', async () => {
    const { emu, dt } = await setup();
    const e1 = await caught(dt.contact.getUser('ghost'));
    expect(isUserNotFound(e1)).toBe(true);
    expect((e1 as DingTalkApiError).errcode).toBe(60121);
    emu.faults.contact.userNotFoundErrcode = 33012;
    const e2 = await caught(dt.contact.getUser('ghost'));
    expect(isUserNotFound(e2)).toBe(true);
    expect((e2 as DingTalkApiError).errcode).toBe(33012);
    // not-found is final: no retries
    expect(calls(emu, 'user.get')).toHaveLength(2);
  });

  it('getByMobile finds the user; a bad or unknown number is "not found"', async () => {
    const { dt } = await setup();
    expect(await dt.contact.getByMobile('13800138000')).toBe('zw1');
    const bad = await caught(dt.contact.getByMobile('1380013800x'));
    expect(isMobileNotFound(bad)).toBe(true);
    expect((bad as DingTalkApiError).errcode).toBe(40104);
    const unknown = await caught(dt.contact.getByMobile('13911112222'));
    expect(isMobileNotFound(unknown)).toBe(true);
    expect((unknown as DingTalkApiError).errcode).toBe(60121);
  });

  it('listDepartmentMembers pages through listsimple 100 at a time', async () => {
    const { emu, dt } = await setup();
    const all = await dt.contact.listDepartmentMembers(DESIGN);
    expect(all.truncated).toBe(false);
    expect(all.members).toHaveLength(232);
    expect(all.members[0]).toEqual({ userId: 'zw2', name: '张伟' });
    expect(calls(emu, 'user.listsimple').map((r) => (r.body as { cursor: number }).cursor)).toEqual([
      0, 100, 200,
    ]);
    const capped = await dt.contact.listDepartmentMembers(DESIGN, { limit: 150 });
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.members).toHaveLength(150);
  });

  it('getDepartment reads name, parent and counts; unknown and out-of-range are typed', async () => {
    const { emu, dt } = await setup();
    expect(await dt.contact.getDepartment(ENG)).toEqual({
      deptId: ENG,
      name: 'Engineering',
      parentId: 1,
      memberCount: 2,
      owningMemberCount: 2,
    });
    expect((await dt.contact.getDepartment(1)).parentId).toBeUndefined();
    expect(isDepartmentNotFound(await caught(dt.contact.getDepartment(99)))).toBe(true);
    expect(isDepartmentNotFound(await caught(dt.contact.listDepartmentMembersPage(99)))).toBe(true);
    emu.faults.contact.outOfRangeDeptIds = [DESIGN];
    expect(isOutOfContactRange(await caught(dt.contact.listDepartmentMembers(DESIGN)))).toBe(true);
    expect(isOutOfContactRange(await caught(dt.contact.getUser('zw2')))).toBe(true);
  });

  it.each([
    ['qyapi_addresslist_search', 'contact.users.search'],
    ['qyapi_get_member', 'user.get'],
    ['qyapi_get_member_by_mobile', 'user.getbymobile'],
    ['qyapi_get_department_member', 'user.listsimple'],
    ['qyapi_get_department_list', 'department.get'],
  ] as const)('without %s, %s throws a permission error naming the point', async (point, endpoint) => {
    const { emu, dt } = await setup();
    emu.faults.contact.deny(point);
    const run: Record<typeof endpoint, () => Promise<unknown>> = {
      'contact.users.search': () => dt.contact.searchUsers('张伟'),
      'user.get': () => dt.contact.getUser('zw1'),
      'user.getbymobile': () => dt.contact.getByMobile('13800138000'),
      'user.listsimple': () => dt.contact.listDepartmentMembers(ENG),
      'department.get': () => dt.contact.getDepartment(ENG),
    };
    const err = await caught(run[endpoint]());
    expect(isPermissionDenied(err)).toBe(true);
    expect((err as DingTalkApiError).endpoint).toBe(endpoint);
    for (const locale of ['en', 'zh-CN'] as const) {
      const ex = explainDingTalkError(err, locale);
      expect(ex.permission).toBe(point);
      expect(ex.next).toMatch(locale === 'en' ? /userId or pick them with @/ : /userId 或 @ 选人/);
    }
    expect(calls(emu, endpoint)).toHaveLength(1); // a refusal is not retried
  });

  it('retries a transient failure of a read, and waits out a QPS refusal', async () => {
    const { emu, dt } = await setup();
    emu.faults.inject('user.get', 'busy', 1);
    emu.faults.inject('contact.users.search', 'qps', 1);
    expect((await dt.contact.getUser('zw1')).name).toBe('张伟');
    expect((await dt.contact.searchUsers('张伟', { exact: true })).list).toEqual(['zw1', 'zw2']);
    expect(calls(emu, 'user.get')).toHaveLength(2);
    expect(calls(emu, 'contact.users.search')).toHaveLength(2);
  });

  it('keeps each contact API inside its own per-API limiter', async () => {
    // The emulator refuses the 3rd call per API in a long window; a client limited to 2 per
    // window never sends it, so nothing is refused even with calls to two APIs interleaved.
    const { emu } = await setup({ qpsLimit: 2 });
    emu.faults.qpsWindowMs = 60_000;
    const limited = makeClient(emu.baseUrl, {
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      qps: 2,
      limiterWindowMs: 60_000,
    });
    try {
      await Promise.all([limited.contact.getUser('zw1'), limited.contact.getUser('zw2')]);
      await Promise.all([limited.contact.getDepartment(ENG), limited.contact.getDepartment(DESIGN)]);
      const ac = new AbortController();
      const third = caught(limited.contact.getUser('0123', { signal: ac.signal }));
      await emu.waitFor(() => limited.stats().limiter['user.get']?.waiting === 1);
      expect(calls(emu, 'user.get')).toHaveLength(2);
      expect(calls(emu, 'department.get')).toHaveLength(2);
      expect(emu.requests.every((r) => r.status === 200)).toBe(true);
      ac.abort();
      await third;
    } finally {
      await limited.close();
    }
  });
});

describe('lenient parsing', () => {
  it('accepts numeric strings, "true" and a JSON-array string, as the doc examples print them', async () => {
    const stub = await startStub({
      '/topapi/v2/user/get': () => ({
        body: {
          errcode: '0',
          errmsg: 'ok',
          result: { userid: '0042', name: '王五', title: '', dept_id_list: '[2,3,4]', active: 'true' },
        },
      }),
      '/v1.0/contact/departments/search': () => ({
        body: { hasMore: 'false', totalCount: '2', list: ['7', 8] },
      }),
      '/topapi/user/listsimple': () => ({
        body: { errcode: 0, result: { has_more: 'true', next_cursor: '100', list: [] } },
      }),
    });
    const c = makeClient(stub.baseUrl);
    try {
      expect(await c.contact.getUser('0042')).toEqual({
        userId: '0042',
        name: '王五',
        title: undefined,
        mobile: undefined,
        deptIds: [2, 3, 4],
        active: true,
      });
      expect(await c.contact.searchDepartments('x')).toEqual({ list: [7, 8], hasMore: false, totalCount: 2 });
      expect(await c.contact.listDepartmentMembersPage(1)).toEqual({
        members: [],
        hasMore: true,
        nextCursor: 100,
      });
    } finally {
      await c.close();
      await stub.close();
    }
  });
});
