import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SeedDepartment, SeedUser } from '../../../src/emulator/index.ts';
import { DEMO_DEPARTMENTS, DEMO_USERS } from '../../../src/sandbox/demo.ts';
import { DEFAULT_DB_FILE } from '../../../src/store/sqlite.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode, seedChat, track, writes } from './helpers.ts';

/** The demo org, plus 李雷, a department of 55, one of 22, two departments called QA, and people to look up. */
const DEPARTMENTS: SeedDepartment[] = [
  ...DEMO_DEPARTMENTS,
  { deptId: 10010, name: 'Big' },
  { deptId: 10011, name: 'Squad' },
  { deptId: 10012, name: 'QA', parentId: 10001 },
  { deptId: 10013, name: 'QA', parentId: 10002 },
  { deptId: 10014, name: 'Ops' },
  { deptId: 10015, name: 'Support' },
  { deptId: 10016, name: 'Empty' },
];
const USERS: SeedUser[] = [
  ...DEMO_USERS.map((u) => ({ ...u, ...(u.deptIds ? { deptIds: [...u.deptIds] } : {}) })),
  { userId: 'lilei', nick: 'Lei', name: '李雷', title: 'Designer', mobile: '13800138010', deptIds: [10002] },
  { userId: 'erin', nick: 'Erin', name: 'Erin Xu', mobile: '13800138011', deptIds: [10014] },
  { userId: 'frank', nick: 'Frank', name: 'Frank He', mobile: '13800138012', deptIds: [10015] },
  { userId: 'grace', nick: 'Grace', name: 'Grace Ma', mobile: '13800138013', deptIds: [10015] },
  ...Array.from({ length: 55 }, (_, i) => ({
    userId: `big${String(i).padStart(2, '0')}`,
    nick: `Big${i}`,
    name: `Big Person ${i}`,
    deptIds: [10010],
  })),
  ...Array.from({ length: 22 }, (_, i) => ({
    userId: `sq${String(i).padStart(2, '0')}`,
    nick: `Sq${i}`,
    name: `Squad Member ${i}`,
    deptIds: [10011],
  })),
];

/** The number a pick reply gives the candidate with `userId`. */
function numberOf(reply: string, userId: string, after = ''): string {
  const from = after === '' ? reply : reply.slice(reply.indexOf(after));
  const m = new RegExp(`^(\\d+)\\. .* · ${userId} *$`, 'm').exec(from);
  if (!m?.[1]) throw new Error(`no candidate ${userId} in: ${reply}`);
  return m[1];
}

describe('people typed by name, mobile and department', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: USERS, emulator: { departments: DEPARTMENTS, qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.contact.allow();
  });
  const members = (chatId: string) => h.emu.org.chat(chatId)?.members ?? [];

  describe('every kind of reference', () => {
    it('/chat create: bare, quoted and @typed names, three mobile forms, dept:, a userId, owner="…"', async () => {
      const reply = await h.say(
        'lead1',
        '/chat create Mix 陈可 "Dave Zhou" @林芳 13800138004 +86-13800138010 +86 138 0013 8011 部门:平台组 grace owner="Ada Zhao"',
      );
      const chat = h.emu.org.chats().find((c) => c.name === 'Mix');
      expect(reply).toContain('Created **Mix**');
      expect(chat?.owner).toBe('admin1');
      expect(new Set(chat?.members)).toEqual(
        new Set(['lead1', 'carol', 'dave', 'lead2', 'bob', 'lilei', 'erin', 'alice', 'grace', 'admin1']),
      );
      expect(reply).toContain(
        'Found: "Ada Zhao" → Ada Zhao (admin1); 陈可 → 陈可 (carol); "Dave Zhou" → Dave Zhou (dave); @林芳 → 林芳 (lead2); 13800138004 → Bob Li (bob); \\+86-13800138010 → 李雷 (lilei); \\+86 138 0013 8011 → Erin Xu (erin); 部门:平台组 → 平台组 (2 people).',
      );
      // a typed userId that DingTalk confirms needs no line of its own
      expect(reply).not.toContain('grace →');
    });

    it('/chat add: dept: with a full-width colon, a mobile in groups, me and a picked mention', async () => {
      // Ada is in the group already (DingTalk's @ picker lists members only): not added twice.
      const c = seedChat(h, 'AddAll', 'lead1', ['admin1']);
      // in the group itself, where DingTalk lets the lead pick Ada with @
      const reply = await h.say('lead1', `/chat add ${c.chatId} 部门：Design +86 138 0013 8006 me @Ada`, {
        chat: c.chatId,
        mentions: ['admin1'],
      });
      expect(new Set(members(c.chatId))).toEqual(
        new Set(['lead1', 'lead2', 'carol', 'alice2', 'zhangwei2', 'lilei', 'dave', 'admin1']),
      );
      expect(reply).toContain('部门：Design → Design (5 people)');
      expect(reply).toContain('\\+86 138 0013 8006 → Dave Zhou (dave)');
    });

    it('/chat add: dept:"…" quoted and a typed userId that is really a name', async () => {
      const c = seedChat(h, 'Quoted', 'lead1', []);
      const reply = await h.say('lead1', `/chat add ${c.chatId} dept:"Support" Bob`);
      expect(new Set(members(c.chatId))).toEqual(new Set(['lead1', 'frank', 'grace', 'bob']));
      expect(reply).toContain('Bob → Bob Li (bob)');
    });

    it('/chat remove and /chat owner by name, through the confirmation', async () => {
      const c = seedChat(h, 'Leaving', 'lead1', ['alice', 'bob', 'lilei']);
      const ask = await h.say('lead1', `/chat remove ${c.chatId} 李雷`);
      expect(members(c.chatId)).toContain('lilei');
      const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      expect(members(c.chatId)).not.toContain('lilei');
      expect(done).toContain('李雷 → 李雷 (lilei)');

      const ask2 = await h.say('lead1', `/chat owner ${c.chatId} "Bob Li"`);
      await h.say('lead1', `/confirm ${confirmCode(ask2)}`);
      expect(h.emu.org.chat(c.chatId)?.owner).toBe('bob');
    });

    it('/chat admin add and remove, by name and by mobile; /chat nick by quoted name', async () => {
      const c = seedChat(h, 'Admins', 'lead1', ['carol', 'dave']);
      await h.say('lead1', `/chat admin add ${c.chatId} 陈可 13800138006`);
      expect(h.emu.org.chat(c.chatId)?.admins).toEqual(expect.arrayContaining(['carol', 'dave']));
      await h.say('lead1', `/chat admin remove ${c.chatId} 13800138005`);
      expect(h.emu.org.chat(c.chatId)?.admins).not.toContain('carol');
      const nick = await h.say('lead1', `/chat nick ${c.chatId} "Dave Zhou" "DZ"`);
      expect(h.emu.org.chat(c.chatId)?.nicks.dave).toBe('DZ');
      expect(nick).toContain('"Dave Zhou" → Dave Zhou (dave)');
    });

    it('the audit records the resolved userIds', async () => {
      const c = seedChat(h, 'Audited', 'lead1', []);
      await h.say('lead1', `/chat add ${c.chatId} "Erin Xu"`);
      const db = new Database(join(h.dataDir, DEFAULT_DB_FILE), { readonly: true });
      try {
        const row = db
          .prepare('SELECT args FROM audit WHERE chatId = ? ORDER BY seq DESC LIMIT 1')
          .get(c.chatId) as { args: string } | undefined;
        expect(JSON.parse(row?.args ?? '{}')).toMatchObject({ users: ['erin'] });
      } finally {
        db.close();
      }
    });
  });

  it('/audit <user> by name, by mobile, and an ambiguous name listed', async () => {
    const c = seedChat(h, 'ForAudit', 'lead2', []);
    await h.say('lead2', `/chat rename ${c.chatId} Audited2`);
    const byName = await h.say('admin1', '/audit 林芳');
    expect(byName).toContain('for user 林芳 (lead2)');
    expect(byName).toContain('/chat rename');
    // a lone number is the count, so a mobile comes after one
    expect(await h.say('admin1', '/audit 5 13800138003')).toContain('(lead2):');
    expect(await h.say('admin1', '/audit "Alice Wang"')).toBe(
      'Several people match "Alice Wang": Alice Wang (alice), Alice Wang (alice2). Type one of their userIds.',
    );
    expect(await h.say('admin1', '/audit 王五')).toContain('Nobody in the directory matches');
  });

  describe('ambiguity and /pick', () => {
    it('several matches: nothing changes, the candidates are numbered, /pick carries it out', async () => {
      const c = seedChat(h, 'Pick', 'lead1', []);
      const t = track(h);
      const ask = await h.say('lead1', `/chat add ${c.chatId} "Alice Wang"`);
      expect(writes(t.calls())).toEqual([]);
      expect(ask).toContain('A name matches several people. Nothing was changed yet.');
      expect(ask).toMatch(/^\d\. Alice Wang · Design · alice2 *$/m);
      expect(ask).toMatch(/^\d\. Alice Wang · Engineering, 平台组 · alice *$/m);
      // someone else's /pick finds nothing
      expect(await h.say('lead2', '/pick 1')).toBe('Nothing of yours waits for a pick.');
      // a wrong number keeps it pending
      expect(await h.say('lead1', '/pick 7')).toBe('Send one number (1–2), not "7".');
      const done = await h.say('lead1', `/pick ${numberOf(ask, 'alice2')}`);
      expect(members(c.chatId)).toEqual(['lead1', 'alice2']);
      expect(done).toContain('"Alice Wang" → Alice Wang (alice2)');
      expect(await h.say('lead1', '/pick 1')).toBe('Nothing of yours waits for a pick.');
    });

    it('/选 with several ambiguous words, in order, answered in Chinese', async () => {
      const c = seedChat(h, 'Pick2', 'lead1', []);
      const ask = await h.say('lead1', `/拉人 ${c.chatId} 张伟 "Alice Wang" 陈可`);
      expect(ask).toContain('有 2 个名字匹配到多个人');
      const a = numberOf(ask, 'zhangwei2');
      const b = numberOf(ask, 'alice', '"Alice Wang"');
      await h.say('lead1', `/选 ${a} ${b}`);
      expect(new Set(members(c.chatId))).toEqual(new Set(['lead1', 'zhangwei2', 'alice', 'carol']));
    });

    it('survives a restart; an expired pick says so', async () => {
      const c = seedChat(h, 'Pick3', 'lead1', []);
      const ask = await h.say('lead1', `/chat add ${c.chatId} 张伟`);
      await h.restart();
      await h.say('lead1', `/pick ${numberOf(ask, 'zhangwei1')}`);
      expect(members(c.chatId)).toEqual(['lead1', 'zhangwei1']);

      await h.say('lead1', `/chat add ${c.chatId} 张伟`);
      // Two minutes pass: the stored pick's expiry is moved into the past in the store file itself.
      const db = new Database(join(h.dataDir, DEFAULT_DB_FILE));
      try {
        expect(
          db.prepare("UPDATE pending SET expiresAt = 1 WHERE userId = 'lead1' AND kind = 'pick'").run()
            .changes,
        ).toBe(1);
      } finally {
        db.close();
      }
      expect(await h.say('lead1', '/pick 1')).toBe(
        'Your pick for /chat add has expired. Send the command again.',
      );
      expect(members(c.chatId)).toEqual(['lead1', 'zhangwei1']);
    });

    it('a new command or /cancel drops it', async () => {
      const c = seedChat(h, 'Pick4', 'lead1', []);
      await h.say('lead1', `/chat add ${c.chatId} 张伟`);
      await h.say('lead1', '/whoami');
      expect(await h.say('lead1', '/pick 1')).toBe('Nothing of yours waits for a pick.');
      await h.say('lead1', `/chat add ${c.chatId} 张伟`);
      expect(await h.say('lead1', '/cancel')).toBe('Dropped your pending pick.');
      expect(await h.say('lead1', '/pick 1')).toBe('Nothing of yours waits for a pick.');
      expect(members(c.chatId)).toEqual(['lead1']);
    });

    it('authorization is checked again on /pick', async () => {
      const c = seedChat(h, 'Pick5', 'lead1', []);
      const ask = await h.say('lead1', `/chat add ${c.chatId} 张伟`);
      h.emu.org.chat(c.chatId)!.owner = 'lead2';
      const r = await h.say('lead1', `/pick ${numberOf(ask, 'zhangwei1')}`);
      expect(r).toContain('may not change');
      expect(members(c.chatId)).toEqual(['lead1']);
    });

    it('a pick survives into the confirmation of a risky command', async () => {
      const c = seedChat(h, 'Pick6', 'lead1', ['alice', 'alice2']);
      const ask = await h.say('lead1', `/chat remove ${c.chatId} "Alice Wang"`);
      const confirm = await h.say('lead1', `/pick ${numberOf(ask, 'alice2')}`);
      await h.say('lead1', `/confirm ${confirmCode(confirm)}`);
      expect(members(c.chatId)).toEqual(['lead1', 'alice']);
    });
  });

  describe('big groups of people are confirmed first', () => {
    it('a department of more than 50', async () => {
      const c = seedChat(h, 'BigOne', 'lead1', []);
      const ask = await h.say('lead1', `/chat add ${c.chatId} dept:Big`);
      expect(members(c.chatId)).toEqual(['lead1']);
      expect(ask).toContain('This concerns 55 people found by name or department: Big Person 0 (big00)');
      await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      expect(members(c.chatId)).toHaveLength(56);
    });

    it('more than 20 people found by name or department', async () => {
      const c = seedChat(h, 'SquadOne', 'lead1', []);
      const ask = await h.say('lead1', `/chat add ${c.chatId} dept:Squad`);
      expect(ask).toContain('This concerns 22 people');
      expect(members(c.chatId)).toEqual(['lead1']);
      await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      expect(members(c.chatId)).toHaveLength(23);
    });
  });

  describe('missing contact permissions', () => {
    it('search refused: the point is named, typed userIds still work', async () => {
      const c = seedChat(h, 'NoSearch', 'lead1', []);
      h.emu.faults.contact.deny('qyapi_addresslist_search');
      const t = track(h);
      const r = await h.say('lead1', `/chat add ${c.chatId} 王五`);
      expect(r).toBe(
        'I cannot look up "王五": the app lacks the DingTalk permission qyapi_addresslist_search. Typed userIds and @-picks still work.',
      );
      expect(writes(t.calls())).toEqual([]);
      await h.say('lead1', `/chat add ${c.chatId} frank`);
      expect(members(c.chatId)).toEqual(['lead1', 'frank']);
    });

    it('department search refused', async () => {
      const c = seedChat(h, 'NoDeptSearch', 'lead1', []);
      h.emu.faults.contact.deny('qyapi_addresslist_search');
      expect(await h.say('lead1', `/chat add ${c.chatId} dept:Ops`)).toContain('qyapi_addresslist_search');
      expect(members(c.chatId)).toEqual(['lead1']);
    });

    it('user/get refused: a typed userId is used as typed', async () => {
      const c = seedChat(h, 'NoGet', 'lead1', []);
      h.emu.faults.contact.deny('qyapi_get_member');
      await h.say('lead1', `/chat add ${c.chatId} sq05`);
      expect(members(c.chatId)).toEqual(['lead1', 'sq05']);
    });

    it('getbymobile refused', async () => {
      const c = seedChat(h, 'NoMobile', 'lead1', []);
      h.emu.faults.contact.deny('qyapi_get_member_by_mobile');
      const r = await h.say('lead1', `/chat add ${c.chatId} 13800138013`);
      expect(r).toContain('qyapi_get_member_by_mobile');
      expect(r).toContain('Typed userIds and @-picks still work');
      expect(members(c.chatId)).toEqual(['lead1']);
    });

    it('listsimple refused', async () => {
      const c = seedChat(h, 'NoList', 'lead1', []);
      h.emu.faults.contact.deny('qyapi_get_department_member');
      const r = await h.say('lead1', `/chat add ${c.chatId} dept:Engineering`);
      expect(r).toContain('qyapi_get_department_member');
      expect(members(c.chatId)).toEqual(['lead1']);
    });
  });

  describe('bad input is answered and nothing is written', () => {
    it.each([
      [`"${'x'.repeat(5000)}"`, 'is too long to be a person'],
      ['x'.repeat(5000), 'is too long to be a person'],
      ['dept:', 'names no department'],
      ['部门：', 'names no department'],
      ['1380013800a', 'is not a mobile number'],
      ['+86138abc', 'is not a mobile number'],
      ['陈可 "Bob Li" Alice王', 'Nobody in the directory matches "Alice王"'],
      ['dept:QA', 'Several departments match "dept:QA": QA, QA'],
      ['dept:Empty', 'has no members'],
      ['dept:Nowhere', 'No department matches "dept:Nowhere"'],
      ['#team', 'is not a person'],
    ])('/chat add … %s', async (input, answer) => {
      const c = seedChat(h, 'Bad', 'lead1', []);
      const t = track(h);
      const r = await h.say('lead1', `/chat add ${c.chatId} ${input}`);
      expect(r).toContain(answer);
      expect(writes(t.calls())).toEqual([]);
      expect(members(c.chatId)).toEqual(['lead1']);
    });

    it('owner= alone; a near name is offered', async () => {
      const t = track(h);
      expect(await h.say('lead1', '/chat create X owner=')).toContain('owner= needs a person');
      expect(await h.say('lead1', '/chat create X "Dave Zhuo"')).toContain('Did you mean: Dave Zhou (dave)?');
      expect(t.calls()).toEqual([]);
    });
  });

  it('transcript: in a 1:1 chat a lead sets up a chat without typing a userId', async () => {
    const ask = await h.say('lead1', '/chat create "Team X" "Alice Wang" 李雷 dept:Design');
    expect(ask).toContain('"Alice Wang":');
    expect(h.emu.org.chats().some((c) => c.name === 'Team X')).toBe(false);
    const created = await h.say('lead1', `/pick ${numberOf(ask, 'alice')}`);
    expect(created).toContain('Created **Team X**');
    const chat = h.emu.org.chats().find((c) => c.name === 'Team X')!;
    expect(new Set(chat.members)).toEqual(
      new Set(['lead1', 'alice', 'lilei', 'lead2', 'carol', 'alice2', 'zhangwei2']),
    );
    expect(created).toContain(
      '"Alice Wang" → Alice Wang (alice); 李雷 → 李雷 (lilei); dept:Design → Design (5 people)',
    );

    const admin = await h.say('lead1', '/chat admin add #"Team X" 李雷');
    expect(admin).toContain('李雷 → 李雷 (lilei)');
    expect(h.emu.org.chat(chat.chatId)?.admins).toEqual(['lilei']);

    const nickAsk = await h.say('lead1', '/chat nick #"Team X" "Alice Wang" "Ally"');
    await h.say('lead1', `/pick ${numberOf(nickAsk, 'alice')}`);
    expect(h.emu.org.chat(chat.chatId)?.nicks).toEqual({ alice: 'Ally' });
  });
});
