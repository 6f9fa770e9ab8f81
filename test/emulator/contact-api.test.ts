/** The emulator's contact directory and its endpoints (contact-api.md §1-§5, §8), over real HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ContactPermission, Emulator } from '../../src/emulator/index.ts';
import { exportOrg, importOrg } from '../../src/emulator/snapshot.ts';
import { http, legacy, token, v1 } from './helpers.ts';

let emu: Emulator;
let tok: string;

const DESIGN = 20001;
const ENG = 20002;
const PLATFORM = 20003;

beforeEach(async () => {
  emu = await Emulator.start({
    qpsLimit: null,
    departments: [
      { deptId: DESIGN, name: 'Design' },
      { deptId: ENG, name: 'Engineering' },
      { deptId: PLATFORM, name: 'Platform Engineering', parentId: ENG },
    ],
    users: [
      { userId: 'zw1', nick: 'Zhang', name: '张伟', mobile: '13800138000', title: 'QA', deptIds: [ENG] },
      { userId: 'zw2', nick: 'Wei', name: '张伟', title: 'Designer', deptIds: [DESIGN] },
      { userId: 'zwm', nick: 'Min', name: '张伟明', deptIds: [DESIGN] },
      { userId: 'alice', nick: 'Alice', name: '王爱丽', englishName: 'Alice Wang', deptIds: [PLATFORM] },
      { userId: 'bob', nick: 'Bob' },
    ],
  });
  tok = await token(emu);
});
afterEach(async () => {
  await emu.stop();
});

const top = (path: string, body: unknown) => legacy(emu, path, tok, body);
const search = (body: unknown) => v1(emu, '/v1.0/contact/users/search', tok, body);

describe('POST /v1.0/contact/users/search', () => {
  it('exact (fullMatchField 1) matches the whole name; fuzzy matches substrings', async () => {
    const exact = await search({ queryWord: '张伟', offset: 0, size: 20, fullMatchField: 1 });
    expect(exact.status).toBe(200);
    expect(exact.json).toEqual({ hasMore: false, totalCount: 2, list: ['zw1', 'zw2'] });
    const fuzzy = await search({ queryWord: '张伟', offset: 0, size: 20 });
    expect(fuzzy.json).toEqual({ hasMore: false, totalCount: 3, list: ['zw1', 'zw2', 'zwm'] });
  });

  it('fuzzy matches the English name, case-insensitively; exact does not', async () => {
    const r = await search({ queryWord: 'alice WANG', offset: '0', size: '10' });
    expect(r.json.list).toEqual(['alice']);
    const e = await search({ queryWord: 'Alice Wang', offset: 0, size: 10, fullMatchField: 1 });
    expect(e.json).toEqual({ hasMore: false, totalCount: 0, list: [] });
  });

  it('pages: offset is a page index by default, an item offset when switched', async () => {
    const p1 = await search({ queryWord: '张', offset: 1, size: 2 });
    expect(p1.json).toEqual({ hasMore: false, totalCount: 3, list: ['zwm'] });
    const p0 = await search({ queryWord: '张', offset: 0, size: 2 });
    expect(p0.json).toEqual({ hasMore: true, totalCount: 3, list: ['zw1', 'zw2'] });
    emu.faults.contact.searchOffset = 'item';
    const i1 = await search({ queryWord: '张', offset: 1, size: 2 });
    expect(i1.json).toEqual({ hasMore: false, totalCount: 3, list: ['zw2', 'zwm'] });
  });

  it('clamps a size above the maximum, or refuses it when switched', async () => {
    emu.faults.contact.searchMaxSize = 2;
    const clamped = await search({ queryWord: '张', offset: 0, size: 50 });
    expect(clamped.json.list).toHaveLength(2);
    expect(clamped.json.hasMore).toBe(true);
    emu.faults.contact.searchOversize = 'error';
    const refused = await search({ queryWord: '张', offset: 0, size: 50 });
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('parameter.error');
  });

  it.each([
    [{ queryWord: '张伟', size: 20 }, 'offset is mandatory'],
    [{ queryWord: '张伟', offset: 0 }, 'size is mandatory'],
    [{ offset: 0, size: 20 }, 'queryWord is mandatory'],
    [{ queryWord: '   ', offset: 0, size: 20 }, 'queryWord is mandatory'],
    [{ queryWord: 'x', offset: -1, size: 20 }, 'offset is invalid'],
    [{ queryWord: 'x', offset: 0, size: 0 }, 'size is invalid'],
  ])('%j → 400 parameter.error', async (body, message) => {
    const r = await search(body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'parameter.error', message });
    expect(r.json.requestid).toBeTypeOf('string');
  });

  it('a missing token is refused before anything else', async () => {
    const r = await http(emu, 'POST', '/v1.0/contact/users/search', {
      body: { queryWord: 'x', offset: 0, size: 1 },
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('AuthenticationFailed.MissingParameter');
  });
});

describe('POST /v1.0/contact/departments/search', () => {
  it('returns numeric dept ids of substring matches', async () => {
    const r = await v1(emu, '/v1.0/contact/departments/search', tok, {
      queryWord: 'engineering',
      offset: 0,
      size: 20,
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ hasMore: false, totalCount: 2, list: [ENG, PLATFORM] });
  });

  it('offset is required here too', async () => {
    const r = await v1(emu, '/v1.0/contact/departments/search', tok, { queryWord: 'Design', size: 20 });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('parameter.error');
  });
});

describe('POST /topapi/v2/user/get', () => {
  it('returns the directory entry in the documented shape', async () => {
    const r = await top('/topapi/v2/user/get', { userid: 'zw1' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(r.json.request_id).toBeTypeOf('string');
    expect(r.json.result).toMatchObject({
      userid: 'zw1',
      name: '张伟',
      title: 'QA',
      mobile: '13800138000',
      dept_id_list: [ENG],
      active: true,
      admin: false,
    });
    expect(r.json.result.unionid).toMatch(/^[\w-]{22}$/);
  });

  it('a user without departments sits in the root (1); form bodies work', async () => {
    const r = await http(emu, 'POST', `/topapi/v2/user/get?access_token=${tok}`, {
      raw: 'userid=bob',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r.json.result).toMatchObject({ userid: 'bob', name: 'Bob', dept_id_list: [1] });
  });

  it('unknown userId → 60121 by default, 33012 when switched', async () => {
    expect((await top('/topapi/v2/user/get', { userid: 'ghost' })).json.errcode).toBe(60121);
    emu.faults.contact.userNotFoundErrcode = 33012;
    const r = await top('/topapi/v2/user/get', { userid: 'ghost' });
    expect(r.json).toMatchObject({ errcode: 33012, errmsg: '无效的userId' });
  });

  it('missing or over-long userid → 400002; outside the contact range → 50002', async () => {
    expect((await top('/topapi/v2/user/get', {})).json.errcode).toBe(400002);
    expect((await top('/topapi/v2/user/get', { userid: 'x'.repeat(65) })).json.errcode).toBe(400002);
    emu.faults.contact.outOfRangeDeptIds = [DESIGN];
    expect((await top('/topapi/v2/user/get', { userid: 'zw2' })).json.errcode).toBe(50002);
    expect((await top('/topapi/v2/user/get', { userid: 'zw1' })).json.errcode).toBe(0);
  });

  it('leaves mobile out without the mobile field permission', async () => {
    emu.faults.contact.mobileField = false;
    const r = await top('/topapi/v2/user/get', { userid: 'zw1' });
    expect(r.json.result.name).toBe('张伟');
    expect(r.json.result.mobile).toBeUndefined();
  });
});

describe('POST /topapi/v2/user/getbymobile', () => {
  it('finds the userid', async () => {
    const r = await top('/topapi/v2/user/getbymobile', { mobile: '13800138000' });
    expect(r.json).toMatchObject({ errcode: 0, result: { userid: 'zw1' } });
  });

  it.each([
    ['1380013800a', 40104],
    ['138 0013 8000', 40104],
    ['13900000000', 60121],
    ['', 400002],
  ])('%j → errcode %i', async (mobile, errcode) => {
    const r = await top('/topapi/v2/user/getbymobile', { mobile });
    expect(r.status).toBe(200);
    expect(r.json.errcode).toBe(errcode);
    expect(r.json.errmsg).toBeTypeOf('string');
  });
});

describe('POST /topapi/user/listsimple', () => {
  beforeEach(() => {
    for (let i = 0; i < 5; i += 1) emu.org.addUser({ userId: `d${i}`, nick: `D${i}`, deptIds: [DESIGN] });
  });

  it('pages the direct members with cursor / next_cursor', async () => {
    const p1 = await top('/topapi/user/listsimple', { dept_id: DESIGN, cursor: 0, size: 4 });
    expect(p1.json.errcode).toBe(0);
    expect(p1.json.result).toEqual({
      has_more: true,
      next_cursor: 4,
      list: [
        { userid: 'zw2', name: '张伟' },
        { userid: 'zwm', name: '张伟明' },
        { userid: 'd0', name: 'D0' },
        { userid: 'd1', name: 'D1' },
      ],
    });
    const p2 = await top('/topapi/user/listsimple', { dept_id: String(DESIGN), cursor: '4', size: '4' });
    expect(p2.json.result.has_more).toBe(false);
    expect(p2.json.result.next_cursor).toBeUndefined();
    expect(p2.json.result.list.map((u: { userid: string }) => u.userid)).toEqual(['d2', 'd3', 'd4']);
  });

  it('lists direct members only (not sub-departments)', async () => {
    const r = await top('/topapi/user/listsimple', { dept_id: ENG, cursor: 0, size: 100 });
    expect(r.json.result.list).toEqual([{ userid: 'zw1', name: '张伟' }]);
  });

  it.each([
    [{ dept_id: 999, cursor: 0, size: 10 }, 60003],
    [{ dept_id: DESIGN, cursor: 0, size: 101 }, 40069],
    [{ dept_id: DESIGN, cursor: 0, size: 0 }, 40069],
    [{ dept_id: DESIGN, size: 10 }, 40068],
    [{ dept_id: DESIGN, cursor: -1, size: 10 }, 40068],
    [{ cursor: 0, size: 10 }, 400002],
  ])('%j → errcode %i', async (body, errcode) => {
    expect((await top('/topapi/user/listsimple', body)).json.errcode).toBe(errcode);
  });

  it('a department outside the contact range → 50004', async () => {
    emu.faults.contact.outOfRangeDeptIds = [DESIGN];
    const r = await top('/topapi/user/listsimple', { dept_id: DESIGN, cursor: 0, size: 10 });
    expect(r.json).toMatchObject({ errcode: 50004 });
  });
});

describe('POST /topapi/v2/department/get', () => {
  it('returns name, parent and member counts (sub-departments included in member_count)', async () => {
    const r = await top('/topapi/v2/department/get', { dept_id: ENG });
    expect(r.json.errcode).toBe(0);
    expect(r.json.result).toMatchObject({
      dept_id: ENG,
      name: 'Engineering',
      parent_id: 1,
      member_count: 2,
      owning_member_count: 1,
    });
    const sub = await top('/topapi/v2/department/get', { dept_id: PLATFORM });
    expect(sub.json.result).toMatchObject({ name: 'Platform Engineering', parent_id: ENG });
  });

  it('the root has id 1 and no parent', async () => {
    const r = await top('/topapi/v2/department/get', { dept_id: 1 });
    expect(r.json.result.dept_id).toBe(1);
    expect(r.json.result.parent_id).toBeUndefined();
    expect(r.json.result.owning_member_count).toBe(1);
    expect(r.json.result.member_count).toBe(5);
  });

  it('unknown → 60003; missing → 400002', async () => {
    expect((await top('/topapi/v2/department/get', { dept_id: 424242 })).json.errcode).toBe(60003);
    expect((await top('/topapi/v2/department/get', {})).json.errcode).toBe(400002);
  });
});

describe('permission points', () => {
  const calls: [ContactPermission, () => Promise<{ status: number; json: Record<string, unknown> }>][] = [
    ['qyapi_addresslist_search', () => search({ queryWord: '张伟', offset: 0, size: 5 })],
    [
      'qyapi_addresslist_search',
      () => v1(emu, '/v1.0/contact/departments/search', tok, { queryWord: 'Design', offset: 0, size: 5 }),
    ],
    ['qyapi_get_member', () => top('/topapi/v2/user/get', { userid: 'zw1' })],
    ['qyapi_get_member_by_mobile', () => top('/topapi/v2/user/getbymobile', { mobile: '13800138000' })],
    [
      'qyapi_get_department_member',
      () => top('/topapi/user/listsimple', { dept_id: DESIGN, cursor: 0, size: 10 }),
    ],
    ['qyapi_get_department_list', () => top('/topapi/v2/department/get', { dept_id: DESIGN })],
  ];

  it.each(calls.map(([p, f], i) => [i, p, f] as const))(
    'call %i: denying %s refuses it in the family envelope, and only it',
    async (i, point, call) => {
      emu.faults.contact.deny(point);
      const r = await call();
      if (i < 2) {
        expect(r.status).toBe(403);
        expect(r.json).toMatchObject({ code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied' });
        expect(r.json.requestid).toBeTypeOf('string');
      } else {
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({
          errcode: 88,
          sub_code: '60011',
          sub_msg: '没有调用该接口的权限',
          errmsg: 'ding talk error[subcode=60011,submsg=没有调用该接口的权限]',
        });
        expect(r.json.request_id).toBeTypeOf('string');
      }
      for (const [other, otherCall] of calls) {
        if (other === point) continue;
        const ok = await otherCall();
        expect(ok.status).toBe(200);
        expect(ok.json.errcode ?? 0).toBe(0);
      }
      emu.faults.contact.allow(point);
      expect((await call()).status).toBe(200);
    },
  );

  it('contactPermission: false starts with every point denied', async () => {
    const e2 = await Emulator.start({ qpsLimit: null, contactPermission: false });
    try {
      const t2 = await token(e2);
      expect((await legacy(e2, '/topapi/v2/department/get', t2, { dept_id: 1 })).json.sub_code).toBe('60011');
      expect(
        (await v1(e2, '/v1.0/contact/users/search', t2, { queryWord: 'a', offset: 0, size: 1 })).status,
      ).toBe(403);
      e2.faults.contact.allow();
      expect((await legacy(e2, '/topapi/v2/department/get', t2, { dept_id: 1 })).json.errcode).toBe(0);
    } finally {
      await e2.stop();
    }
  });
});

describe('QPS and recording', () => {
  it('per API: topapi 90018 and v1 403 QpsLimitForAppkeyAndApi, each endpoint counted apart', async () => {
    emu.faults.qpsLimit = 2;
    emu.faults.qpsWindowMs = 60_000; // independent of timing
    for (let i = 0; i < 2; i += 1)
      expect((await top('/topapi/v2/user/get', { userid: 'zw1' })).json.errcode).toBe(0);
    expect((await top('/topapi/v2/user/get', { userid: 'zw1' })).json.errcode).toBe(90018);
    expect((await top('/topapi/v2/department/get', { dept_id: 1 })).json.errcode).toBe(0);
    for (let i = 0; i < 2; i += 1)
      expect((await search({ queryWord: 'a', offset: 0, size: 1 })).status).toBe(200);
    const over = await search({ queryWord: 'a', offset: 0, size: 1 });
    expect(over.status).toBe(403);
    expect(over.json.code).toBe('Forbidden.AccessDenied.QpsLimitForAppkeyAndApi');
  });

  it('records each call under its endpoint name', async () => {
    await top('/topapi/v2/user/getbymobile', { mobile: '13800138000' });
    await top('/topapi/user/listsimple', { dept_id: 1, cursor: 0, size: 1 });
    await v1(emu, '/v1.0/contact/departments/search', tok, { queryWord: 'x', offset: 0, size: 1 });
    const names = emu.requests.map((r) => r.endpoint).filter((n) => n !== 'gettoken');
    expect(names).toEqual(['user.getbymobile', 'user.listsimple', 'contact.departments.search']);
  });
});

describe('the directory in the org', () => {
  it('addDepartment mints ids, refuses unknown parents and cycles; addUser refuses unknown departments', () => {
    const d = emu.org.addDepartment({ name: 'Sales' });
    expect(d.deptId).toBeGreaterThan(PLATFORM);
    expect(d.parentId).toBe(1);
    expect(() => emu.org.addDepartment({ name: 'x', parentId: 5 })).toThrow(/unknown parent/);
    expect(() => emu.org.addDepartment({ deptId: ENG, name: 'Eng', parentId: PLATFORM })).toThrow(/itself/);
    expect(() => emu.org.addUser({ userId: 'x', nick: 'X', deptIds: [5] })).toThrow(/unknown department/);
  });

  it('survives a snapshot round trip with every directory field', async () => {
    const snap = JSON.parse(JSON.stringify(exportOrg(emu.org)));
    const b = await Emulator.start({ qpsLimit: null });
    try {
      importOrg(b.org, snap);
      expect(b.org.departments()).toEqual(
        emu.org.departments().map((d) => (d.deptId === 1 ? b.org.department(1) : d)),
      );
      expect(b.org.users()).toEqual(emu.org.users());
      const t2 = await token(b);
      const r = await v1(b, '/v1.0/contact/users/search', t2, { queryWord: 'alice', offset: 0, size: 5 });
      expect(r.json.list).toEqual(['alice']);
    } finally {
      await b.stop();
    }
  });

  it('loads a snapshot from before the directory: users land in the root, named by nick', async () => {
    const b = await Emulator.start({ qpsLimit: null });
    try {
      importOrg(b.org, {
        version: 1,
        corpId: 'c',
        users: [{ userId: 'old', nick: 'Old', isOrgAdmin: false, dingtalkId: '$:LWCP_v1:$x' }],
        chats: [],
        joinLinks: {},
      });
      expect(b.org.user('old')).toMatchObject({ name: 'Old', deptIds: [1] });
    } finally {
      await b.stop();
    }
  });
});
