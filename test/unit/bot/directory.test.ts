/**
 * The Directory over the real contact client and the emulator (real sockets on 127.0.0.1),
 * seeded with the sandbox's demo org: one / many / none / denied for each kind of reference,
 * bad input, cache hits that spend no calls, and budgeted names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTACT_RANGE, Directory, type Resolution } from '../../../src/bot/directory.ts';
import { deptSize, normaliseMobile } from '../../../src/bot/people.ts';
import type { DingTalk } from '../../../src/dingtalk/index.ts';
import { Emulator } from '../../../src/emulator/index.ts';
import { DEMO_DEPARTMENTS, DEMO_USERS } from '../../../src/sandbox/demo.ts';
import { makeClient } from '../../dingtalk/helpers.ts';

let emu: Emulator;
let dt: DingTalk;
let now: number;
let dir: Directory;

beforeEach(async () => {
  emu = await Emulator.start({
    departments: [...DEMO_DEPARTMENTS, { deptId: 10009, name: 'Design Ops' }],
    users: DEMO_USERS.map((u) => ({ ...u })),
  });
  dt = makeClient(emu.baseUrl, { clientId: emu.clientId, clientSecret: emu.clientSecret });
  now = 1_000_000;
  dir = new Directory({ contact: dt.contact, now: () => now });
});
afterEach(async () => {
  await dt.close();
  await emu.stop();
});

/** Contact calls DingTalk received (token calls left out). */
const contactCalls = (): string[] =>
  emu.requests.map((r) => r.endpoint).filter((e) => e !== 'oauth2.accessToken' && e !== 'gettoken');

const one = (r: Resolution) => {
  if (r.kind !== 'one') throw new Error(`expected one, got ${JSON.stringify(r)}`);
  return r;
};

describe('normaliseMobile', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['+86-13800138000', '13800138000'],
    ['86 13800138000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+852 6123 4567', '+85261234567'],
    ['1380013800a', undefined],
    ['+86 138 0013 800O', undefined],
    ['', undefined],
    ['1'.repeat(40), undefined],
  ])('%j → %j', (input, out) => {
    expect(normaliseMobile(input)).toBe(out);
  });
});

describe('userId', () => {
  it('user/get confirms and names it, with title and department names', async () => {
    const r = one(await dir.resolve({ kind: 'userId', text: 'alice' }));
    expect(r).toEqual({
      kind: 'one',
      verified: true,
      person: {
        userId: 'alice',
        name: 'Alice Wang',
        title: 'Backend Engineer',
        deptNames: ['Engineering', '平台组'],
      },
    });
  });

  it('not a userId: falls through to a name search (two 张伟 → many)', async () => {
    const r = await dir.resolve({ kind: 'userId', text: '张伟' });
    expect(r.kind).toBe('many');
    if (r.kind !== 'many') return;
    expect(r.candidates).toEqual([
      { userId: 'zhangwei1', name: '张伟', title: 'QA Engineer', deptNames: ['Engineering'] },
      { userId: 'zhangwei2', name: '张伟', title: 'Visual Designer', deptNames: ['Design'] },
    ]);
    expect(r.more).toBe(false);
  });

  it('user/get refused: the typed userId is used as typed, unnamed, even with search refused too', async () => {
    emu.faults.contact.deny('qyapi_get_member', 'qyapi_addresslist_search');
    expect(await dir.resolve({ kind: 'userId', text: 'bob' })).toEqual({
      kind: 'one',
      person: { userId: 'bob' },
      verified: false,
    });
  });

  it('unknown everywhere → none', async () => {
    const r = await dir.resolve({ kind: 'userId', text: 'nobody42' });
    expect(r).toEqual({ kind: 'none', close: [] });
  });
});

describe('name', () => {
  it('one exact match', async () => {
    const r = one(await dir.resolve({ kind: 'name', text: ' 林芳 ' }));
    expect(r.person).toMatchObject({
      userId: 'lead2',
      name: '林芳',
      title: 'Design Lead',
      deptNames: ['Design'],
    });
    expect(contactCalls()[0]).toBe('contact.users.search');
    expect(emu.requests.find((q) => q.endpoint === 'contact.users.search')?.body).toMatchObject({
      queryWord: '林芳',
      fullMatchField: 1,
      offset: 0,
    });
  });

  it('two people with the same name → candidates with title and department', async () => {
    const r = await dir.resolve({ kind: 'name', text: 'alice  wang' });
    expect(r).toEqual({
      kind: 'many',
      more: false,
      candidates: [
        {
          userId: 'alice',
          name: 'Alice Wang',
          title: 'Backend Engineer',
          deptNames: ['Engineering', '平台组'],
        },
        { userId: 'alice2', name: 'Alice Wang', title: 'UX Designer', deptNames: ['Design'] },
      ],
    });
  });

  it('no exact match → fuzzy (an English name), named by user/get', async () => {
    const r = one(await dir.resolve({ kind: 'name', text: 'david zhang' }));
    expect(r.person).toMatchObject({ userId: 'zhangwei1', name: '张伟' });
    const searches = emu.requests.filter((q) => q.endpoint === 'contact.users.search').map((q) => q.body);
    expect(searches).toEqual([
      { queryWord: 'david zhang', offset: 0, size: 20, fullMatchField: 1 },
      { queryWord: 'david zhang', offset: 0, size: 20 },
    ]);
  });

  it('nobody → none, with close names for a misspelling', async () => {
    const r = await dir.resolve({ kind: 'name', text: 'Alice Wnag' });
    expect(r.kind).toBe('none');
    if (r.kind !== 'none') return;
    expect(r.close.map((p) => p.userId).sort()).toEqual(['alice', 'alice2']);
    // and names the bot learned count as close too
    dir.learn('dave', 'Dave Zhou');
    const r2 = await dir.resolve({ kind: 'name', text: 'Dave Zhuo' });
    expect(r2).toMatchObject({ kind: 'none', close: [{ userId: 'dave', name: 'Dave Zhou' }] });
  });

  it('search refused → denied, naming qyapi_addresslist_search', async () => {
    emu.faults.contact.deny('qyapi_addresslist_search');
    expect(await dir.resolve({ kind: 'name', text: '张伟' })).toEqual({
      kind: 'denied',
      permission: 'qyapi_addresslist_search',
    });
  });

  it('user/get refused: exact hits keep the typed name, without details', async () => {
    emu.faults.contact.deny('qyapi_get_member');
    const r = await dir.resolve({ kind: 'name', text: '张伟' });
    expect(r).toEqual({
      kind: 'many',
      more: false,
      candidates: [
        { userId: 'zhangwei1', name: '张伟' },
        { userId: 'zhangwei2', name: '张伟' },
      ],
    });
  });

  it('a 5000-character name, an empty one: a clear answer and no call', async () => {
    expect(await dir.resolve({ kind: 'name', text: 'x'.repeat(5000) })).toEqual({
      kind: 'invalid',
      reason: 'tooLong',
    });
    expect(await dir.resolve({ kind: 'name', text: '   ' })).toEqual({ kind: 'invalid', reason: 'empty' });
    expect(contactCalls()).toEqual([]);
  });
});

describe('mobile', () => {
  it.each(['13800138000', '+86 138 0013 8000', '+86-13800138000'])('%s → alice', async (text) => {
    const r = one(await dir.resolve({ kind: 'mobile', text }));
    expect(r.person).toMatchObject({ userId: 'alice', name: 'Alice Wang' });
    expect(emu.requests.find((q) => q.endpoint === 'user.getbymobile')?.body).toEqual({
      mobile: '13800138000',
    });
  });

  it('letters → invalid, no call; an unknown number → none', async () => {
    expect(await dir.resolve({ kind: 'mobile', text: '138abc38000' })).toEqual({
      kind: 'invalid',
      reason: 'badMobile',
    });
    expect(contactCalls()).toEqual([]);
    expect(await dir.resolve({ kind: 'mobile', text: '13999999999' })).toEqual({ kind: 'none', close: [] });
  });

  it('getbymobile refused → denied; user/get refused → the userId, unnamed', async () => {
    emu.faults.contact.deny('qyapi_get_member_by_mobile');
    expect(await dir.resolve({ kind: 'mobile', text: '13800138000' })).toEqual({
      kind: 'denied',
      permission: 'qyapi_get_member_by_mobile',
    });
    emu.faults.contact.allow();
    emu.faults.contact.deny('qyapi_get_member');
    expect(await dir.resolve({ kind: 'mobile', text: '13800138004' })).toEqual({
      kind: 'one',
      person: { userId: 'bob' },
      verified: true,
    });
  });
});

describe('dept', () => {
  it('the exact name wins among hits; members are the direct ones, named', async () => {
    const r = await dir.resolve({ kind: 'dept', text: 'design' });
    expect(r).toEqual({
      kind: 'members',
      dept: { deptId: 10002, name: 'Design', memberCount: 4 },
      truncated: false,
      members: [
        { userId: 'lead2', name: '林芳' },
        { userId: 'carol', name: '陈可' },
        { userId: 'alice2', name: 'Alice Wang' },
        { userId: 'zhangwei2', name: '张伟' },
      ],
    });
  });

  it('several hits, none exact → depts to choose from; none → none; empty → invalid', async () => {
    expect(await dir.resolve({ kind: 'dept', text: 'Desig' })).toEqual({
      kind: 'depts',
      candidates: [
        { deptId: 10002, name: 'Design', memberCount: 4 },
        { deptId: 10009, name: 'Design Ops', memberCount: 0 },
      ],
    });
    expect(await dir.resolve({ kind: 'dept', text: 'Marketing' })).toEqual({ kind: 'none', close: [] });
    expect(await dir.resolve({ kind: 'dept', text: '' })).toEqual({ kind: 'invalid', reason: 'empty' });
  });

  it('pages listsimple for a big department', async () => {
    for (let i = 0; i < 150; i += 1) emu.org.addUser({ userId: `p${i}`, nick: `P${i}`, deptIds: [10003] });
    const r = await dir.resolve({ kind: 'dept', text: '平台组' });
    expect(r.kind === 'members' && r.members.length).toBe(152);
    expect(emu.requests.filter((q) => q.endpoint === 'user.listsimple')).toHaveLength(2);
  });

  it.each([
    ['qyapi_addresslist_search', 'qyapi_addresslist_search'],
    ['qyapi_get_department_member', 'qyapi_get_department_member'],
  ] as const)('without %s → denied %s', async (point, permission) => {
    emu.faults.contact.deny(point);
    expect(await dir.resolve({ kind: 'dept', text: 'Engineering' })).toEqual({ kind: 'denied', permission });
  });

  it('department/get refused: a single hit is still used, named as typed', async () => {
    emu.faults.contact.deny('qyapi_get_department_list');
    const r = await dir.resolve({ kind: 'dept', text: 'Engineering' });
    expect(r).toMatchObject({ kind: 'members', dept: { deptId: 10001, name: 'Engineering' } });
    expect(await dir.resolve({ kind: 'dept', text: 'Desig' })).toEqual({
      kind: 'denied',
      permission: 'qyapi_get_department_list',
    });
  });

  it('outside the contact range → denied contact-range', async () => {
    emu.faults.contact.outOfRangeDeptIds = [10001];
    expect(await dir.resolve({ kind: 'dept', text: 'Engineering' })).toEqual({
      kind: 'denied',
      permission: CONTACT_RANGE,
    });
  });
});

describe('errors', () => {
  it('a DingTalk failure that is not a refusal → error, never a throw', async () => {
    emu.faults.inject('contact.users.search', 'http503', 10);
    const r = await dir.resolve({ kind: 'name', text: '张伟' });
    expect(r.kind).toBe('error');
  });
});

describe('cache', () => {
  it('a repeated lookup spends no calls, until the TTL runs out', async () => {
    await dir.resolve({ kind: 'name', text: 'Alice Wang' });
    await dir.resolve({ kind: 'dept', text: 'Design' });
    await dir.resolve({ kind: 'mobile', text: '13800138000' });
    await dir.resolve({ kind: 'userId', text: 'alice2' });
    const spent = contactCalls().length;
    expect(spent).toBeGreaterThan(0);
    await dir.resolve({ kind: 'name', text: 'alice wang' });
    await dir.resolve({ kind: 'dept', text: 'DESIGN' });
    await dir.resolve({ kind: 'mobile', text: '+86 138 0013 8000' });
    await dir.resolve({ kind: 'userId', text: 'alice2' });
    expect(await dir.names(['alice', 'alice2', 'lead2', 'carol'])).toEqual(
      new Map([
        ['alice', 'Alice Wang'],
        ['alice2', 'Alice Wang'],
        ['lead2', '林芳'],
        ['carol', '陈可'],
      ]),
    );
    expect(contactCalls()).toHaveLength(spent);
    now += 10 * 60_000 + 1;
    await dir.resolve({ kind: 'name', text: 'Alice Wang' });
    expect(contactCalls().length).toBeGreaterThan(spent);
  });

  it('concurrent asks for one user share one user/get', async () => {
    const got = await Promise.all([
      dir.resolve({ kind: 'userId', text: 'bob' }),
      dir.resolve({ kind: 'userId', text: 'bob' }),
      dir.names(['bob']),
      dir.names(['bob', 'ghost']),
      dir.names(['ghost']),
    ]);
    expect(one(got[0] as Resolution).person).toMatchObject({ userId: 'bob', name: 'Bob Li' });
    expect(one(got[1] as Resolution).person).toMatchObject({ userId: 'bob', name: 'Bob Li' });
    expect(got[3]).toEqual(
      new Map([
        ['bob', 'Bob Li'],
        ['ghost', undefined],
      ]),
    );
    expect(contactCalls().filter((e) => e === 'user.get')).toHaveLength(2);
  });

  it('a userId that is not found is remembered too', async () => {
    await dir.names(['ghost']);
    await dir.names(['ghost']);
    expect(contactCalls()).toEqual(['user.get']);
  });

  it('keeps at most maxEntries per cache', async () => {
    const small = new Directory({ contact: dt.contact, maxEntries: 2, now: () => now });
    small.learn('a', 'A');
    small.learn('b', 'B');
    small.learn('c', 'C');
    const names = await small.names(['b', 'c']);
    expect(names).toEqual(
      new Map([
        ['b', 'B'],
        ['c', 'C'],
      ]),
    );
    expect(contactCalls()).toEqual([]);
    expect((await small.names(['a'])).get('a')).toBeUndefined(); // evicted, and no user 'a'
    expect(contactCalls()).toEqual(['user.get']);
  });
});

describe('names', () => {
  it('learned names first, user/get for the rest; unknown ids stay undefined', async () => {
    dir.learn('lead1', 'Lee');
    const names = await dir.names(['lead1', 'bob', 'ghost', 'bob']);
    expect(names).toEqual(
      new Map([
        ['lead1', 'Lee'],
        ['bob', 'Bob Li'],
        ['ghost', undefined],
      ]),
    );
    expect(contactCalls().sort()).toEqual(['user.get', 'user.get']);
  });

  it('stops at the time budget with what it has, never throwing', async () => {
    dir.learn('lead1', 'Lee');
    emu.faults.latencyByEndpoint['user.get'] = 5_000;
    const names = await dir.names(['lead1', 'bob', 'carol'], { budgetMs: 50 });
    expect(names).toEqual(
      new Map([
        ['lead1', 'Lee'],
        ['bob', undefined],
        ['carol', undefined],
      ]),
    );
  });

  it('a refusal ends the lookups: every unknown id stays undefined', async () => {
    emu.faults.contact.deny('qyapi_get_member');
    const ids = DEMO_USERS.map((u) => u.userId);
    const names = await dir.names(ids);
    expect([...names.values()].every((n) => n === undefined)).toBe(true);
    expect(contactCalls().length).toBeLessThanOrEqual(5);
  });
});

describe('deptSize (issue 19: a capped department is not previewed as "1000 people")', () => {
  const dept = (memberCount?: number) => ({
    deptId: 1,
    name: 'Sales',
    ...(memberCount !== undefined ? { memberCount } : {}),
  });
  const members = Array.from({ length: 1000 }, (_, i) => i);
  it('states the true size from department/get when the list was capped', () => {
    expect(deptSize({ members, truncated: true, dept: dept(3000) })).toEqual({
      listed: 1000,
      total: 3000,
      capped: true,
      atLeast: false,
    });
    expect(deptSize({ members, truncated: true, dept: dept() })).toEqual({
      listed: 1000,
      total: 1000,
      capped: true,
      atLeast: true,
    });
    expect(deptSize({ members: [1, 2], truncated: false, dept: dept(2) })).toEqual({
      listed: 2,
      total: 2,
      capped: false,
      atLeast: false,
    });
  });
});
