import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';
import { bodyOf, confirmCode, responseOf, track, writes } from './helpers.ts';

const EXTRA = Array.from({ length: 60 }, (_, i) => ({
  userId: `u${String(i).padStart(2, '0')}`,
  nick: `User ${i}`,
}));

describe('/chat create', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: [...TEST_USERS, ...EXTRA], emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
    h.emu.faults.v1GroupPermission = true;
    h.emu.faults.legacyGroupPermission = true;
  });

  it('creates the chat with the caller as member and owner, records it and answers with ids and the join link', async () => {
    const t = track(h);
    const reply = await h.say('lead1', '/chat create "Design Review" @alice @bob searchable=on mute=on');
    const [create, qr, ...rest] = t.calls();
    expect(rest).toEqual([]);
    expect(create?.endpoint).toBe('im.group.create');
    expect(create?.path).toBe('/v1.0/im/group/create');
    expect(create?.token).toBeTruthy();
    expect(create?.headers['x-acs-dingtalk-access-token']).toBe(create?.token);
    expect(create?.body).toEqual({
      name: 'Design Review',
      owner: 'lead1',
      useridlist: ['lead1', 'alice', 'bob'],
      managementOptions: { searchable: 1, chatBannedType: 1 },
    });
    const { chatid, openConversationId } = responseOf<{ chatid: string; openConversationId: string }>(create);
    expect(qr?.endpoint).toBe('qrcode.get');
    expect(qr?.body).toEqual({ chatid, userid: 'lead1' });
    expect(qr?.query.access_token).toBe(qr?.token);

    const chat = h.emu.org.chat(chatid);
    expect(chat?.name).toBe('Design Review');
    expect(chat?.owner).toBe('lead1');
    expect(chat?.members).toEqual(['lead1', 'alice', 'bob']);
    expect(chat?.settings).toMatchObject({ searchable: 1, chatBannedType: 1, validationType: 0 });

    expect(reply).toMatch(/^Created \*\*Design Review\*\* with 3 members; owner Lee Lead \(lead1\)\./);
    expect(reply).toContain(`\`${chatid}\``);
    expect(reply).toContain(`\`${openConversationId}\``);
    expect(reply).toContain('- searchable: on');
    expect(reply).toContain('- mute: on');
    const link = responseOf<{ result: string }>(qr).result;
    expect(reply).toContain(`[Join Design Review](${link})`);

    // The registry now knows it for lead1 (and by name).
    const list = await h.say('lead1', '/chat list');
    expect(list).toContain(`**Design Review** \`${chatid}\``);
    const info = await h.say('lead1', '/chat info #"Design Review"');
    expect(info).toContain('Created by me for Lee Lead (lead1)');
  });

  it('uses owner= and adds the owner to the members', async () => {
    const t = track(h);
    const reply = await h.say(
      'lead2',
      '/chat create Ops alice owner=carol validation=on mention-all=owner history=on',
    );
    const create = t.calls()[0];
    expect(create?.body).toMatchObject({
      name: 'Ops',
      owner: 'carol',
      useridlist: ['carol', 'lead2', 'alice'],
      managementOptions: { validationType: 1, mentionAllAuthority: 1, showHistoryType: 1 },
    });
    const chatid = responseOf<{ chatid: string }>(create).chatid;
    expect(h.emu.org.chat(chatid)?.owner).toBe('carol');
    expect(reply).toContain('owner Carol (carol)');
    // Created for the caller, not for the owner.
    expect(await h.say('lead2', '/chat list')).toContain(chatid);
    expect(await h.say('carol', '/chat list')).not.toContain(chatid);
  });

  it('refuses a name over 20 characters before calling DingTalk', async () => {
    const t = track(h);
    const reply = await h.say('lead1', `/chat create "${'n'.repeat(21)}" alice`);
    expect(reply).toBe(
      `"${'n'.repeat(21)}" is too long for a chat name: it has 21 characters, DingTalk allows at most 20.`,
    );
    expect(t.calls()).toEqual([]);
  });

  it('puts more than 40 members in follow-up updates of 40', async () => {
    const t = track(h);
    // 50 typed people: the most one message may look up (issue 19).
    const users = EXTRA.slice(0, 50)
      .map((u) => u.userId)
      .join(' ');
    const reply = await h.say('lead1', `/chat create Big ${users}`);
    const [create, ...more] = writes(t.calls());
    expect(bodyOf<{ useridlist: string[] }>(create).useridlist).toHaveLength(40);
    const updates = more.filter((r) => r.endpoint === 'im.group.update');
    expect(updates.map((r) => (r.body as { add_useridlist: string[] }).add_useridlist.length)).toEqual([11]);
    const chatid = responseOf<{ chatid: string }>(create).chatid;
    expect(h.emu.org.chat(chatid)?.members).toHaveLength(51);
    expect(reply).toContain('with 51 members');
  });

  it('keeps a chat in the registry when adding the members beyond 40 fails', async () => {
    h.emu.faults.inject('im.group.update', 'http500', 1);
    const t = track(h);
    // 50 typed people: the most one message may look up (issue 19).
    const users = EXTRA.slice(0, 50)
      .map((u) => u.userId)
      .join(' ');
    const reply = await h.say('lead1', `/chat create Partial ${users}`);
    const create = t.calls().find((r) => r.endpoint === 'im.group.create');
    const { chatid } = responseOf<{ chatid: string }>(create);
    expect(h.emu.org.chat(chatid)?.members).toHaveLength(40);
    expect(reply).not.toContain('Created **Partial**');
    expect(reply).toContain(chatid);
    expect(await h.say('lead1', '/chat list')).toContain(`**Partial** \`${chatid}\``);
  });

  it('answers in Chinese to the Chinese alias', async () => {
    const reply = await h.say('lead1', '/建群 周会 alice');
    expect(reply).toMatch(/^已创建 \*\*周会\*\*，共 2 人，群主 Lee Lead \(lead1\)。/);
    expect(reply).toContain('[加入 周会]');
  });

  it('still reports the created chat when the join link cannot be fetched', async () => {
    h.emu.faults.inject('qrcode.get', 'http500', 10);
    const t = track(h);
    const reply = await h.say('lead1', '/chat create Retro bob');
    const create = t.calls().find((r) => r.endpoint === 'im.group.create');
    const chatid = responseOf<{ chatid: string }>(create).chatid;
    expect(h.emu.org.chat(chatid)?.name).toBe('Retro');
    expect(reply).toContain('Created **Retro**');
    expect(reply).toContain(`\`/chat qr ${chatid}\``);
    expect(reply).not.toContain('qr.dingtalk.com');
    expect(await h.say('lead1', '/chat list')).toContain(chatid);
  });

  it('waits out a rate limit and then creates the chat', async () => {
    h.emu.faults.inject('im.group.create', 'qps', 1);
    const t = track(h);
    const reply = await h.say('lead1', '/chat create Throttled alice');
    const creates = t.calls().filter((r) => r.endpoint === 'im.group.create');
    expect(creates.map((r) => r.status)).toEqual([403, 200]);
    expect(responseOf<{ code: string }>(creates[0]).code).toBe(
      'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
    );
    expect(reply).toContain('Created **Throttled**');
  });

  it('names an unknown person back and creates nothing', async () => {
    const t = track(h);
    const reply = await h.say('lead1', '/chat create Ghosts alice nobody42');
    expect(t.endpoints()).toEqual([]);
    expect(reply).toBe('Nobody in the directory matches "nobody42". Nothing was changed.');
    expect(await h.say('lead1', '/chat list')).not.toContain('Ghosts');
  });

  it('explains a DingTalk refusal (unknown userId, not confirmable) and records nothing', async () => {
    // Without user/get the typed userId is used as typed, and DingTalk refuses it.
    h.emu.faults.contact.deny('qyapi_get_member');
    const t = track(h);
    const reply = await h
      .say('lead1', '/chat create Ghosts alice nobody43')
      .finally(() => h.emu.faults.contact.allow());
    expect(t.endpoints()).toEqual(['im.group.create']);
    expect(t.calls()[0]?.status).toBe(400);
    expect(reply).not.toContain('Created');
    expect(reply).toContain('parameter.invalid');
    expect(await h.say('lead1', '/chat list')).not.toContain('Ghosts');
  });

  it("a second chat of a name the lead already uses asks for /confirm first; another lead's does not count", async () => {
    let t = track(h);
    const first = await h.say('lead1', '/chat create Standup alice');
    expect(first).toMatch(/^Created \*\*Standup\*\*/);
    const [one] = writes(t.calls());
    const firstId = responseOf<{ chatid: string }>(one).chatid;

    // The same name (in any case) again: nothing is created until the lead confirms.
    t = track(h);
    const ask = await h.say('lead1', '/chat create standup bob');
    expect(t.endpoints()).toEqual([]);
    expect(ask).toContain(
      `You already have a chat named **standup**: **Standup** (\`${firstId}\`). Create another one of that name?`,
    );
    const confirmed = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    const [two] = writes(t.calls());
    expect(two?.endpoint).toBe('im.group.create');
    expect(bodyOf<{ name: string; useridlist: string[] }>(two)).toMatchObject({
      name: 'standup',
      useridlist: ['lead1', 'bob'],
    });
    const secondId = responseOf<{ chatid: string }>(two).chatid;
    expect(confirmed).toMatch(/^Created \*\*standup\*\* with 2 members/);
    expect(h.emu.org.chat(secondId)?.name).toBe('standup');

    // Another lead's chats of that name are not theirs to mix up: created at once.
    t = track(h);
    expect(await h.say('lead2', '/chat create Standup carol')).toMatch(/^Created \*\*Standup\*\*/);
    expect(writes(t.calls()).map((r) => r.endpoint)).toEqual(['im.group.create', 'qrcode.get']);

    // In Chinese, both of lead1's chats of that name (not lead2's), by name and chatId.
    t = track(h);
    const zh = await h.say('lead1', '/建群 Standup carol');
    expect(t.endpoints()).toEqual([]);
    expect(zh).toMatch(/^你已经有 2 个名为 \*\*Standup\*\* 的群：/);
    expect(zh).toContain(`**Standup**（\`${firstId}\`）`);
    expect(zh).toContain(`**standup**（\`${secondId}\`）`);
    expect(zh).toContain('还要再建一个同名的群吗？');
    expect(zh).toContain('/确认 ');
    expect(await h.say('lead1', '/取消')).toContain('已取消');
    expect(h.emu.org.chats().filter((c) => c.name.toLowerCase() === 'standup')).toHaveLength(3);
  });

  it('is refused to people without the lead role', async () => {
    const t = track(h);
    const reply = await h.say('mallory', '/chat create Sneaky alice');
    expect(reply).toContain('lead');
    expect(t.calls()).toEqual([]);
  });
  // Last: auto mode remembers the family it fell back to.
  it('falls back to legacy chat/create in auto mode when the app lacks the v1 permission', async () => {
    h.emu.faults.v1GroupPermission = false;
    const t = track(h);
    const reply = await h.say('lead1', '/chat create Fallback alice searchable=on');
    const [v1, legacy] = writes(t.calls());
    expect(v1?.endpoint).toBe('im.group.create');
    expect(v1?.status).toBe(403);
    expect(legacy?.endpoint).toBe('chat.create');
    expect(legacy?.path).toBe('/chat/create');
    expect(legacy?.query.access_token).toBe(legacy?.token);
    expect(legacy?.body).toEqual({
      name: 'Fallback',
      owner: 'lead1',
      useridlist: ['lead1', 'alice'],
      searchable: 1,
    });
    expect(reply).toContain('Created **Fallback**');
  });
});
