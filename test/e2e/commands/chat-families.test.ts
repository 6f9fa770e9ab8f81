import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { bodyOf, confirmCode, track, writes } from './helpers.ts';

/** DINGTALK_GROUP_API: `legacy` and `v1` force one family; `auto` falls back both ways. */
describe('DINGTALK_GROUP_API=legacy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { DINGTALK_GROUP_API: 'legacy' }, emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('uses the legacy oapi endpoints for every command, token in the query', async () => {
    const t = track(h);
    await h.say('lead1', '/chat create Legacy @alice @bob searchable=on history=on');
    const create = writes(t.calls())[0]!;
    expect(create.endpoint).toBe('chat.create');
    expect(create.path).toBe('/chat/create');
    expect(create.query.access_token).toBe(create.token);
    expect(create.body).toEqual({
      name: 'Legacy',
      owner: 'lead1',
      useridlist: ['lead1', 'alice', 'bob'],
      searchable: 1,
      showHistoryType: 1,
    });
    const chatid = (create.response as { chatid: string }).chatid;

    await h.say('lead1', `/chat rename ${chatid} Legacy Two`);
    await h.say('lead1', `/chat add ${chatid} carol`);
    await h.say('lead1', `/chat set ${chatid} mute=on management=owner`);
    await h.say('lead1', `/chat admin add ${chatid} alice carol`);
    const ask = await h.say('lead1', `/chat remove ${chatid} bob`);
    await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    const askOwner = await h.say('lead1', `/chat owner ${chatid} alice`);
    await h.say('lead1', `/confirm ${confirmCode(askOwner)}`);

    const w = writes(t.calls()).slice(2); // after create + qrcode
    expect(w.map((r) => r.endpoint)).toEqual([
      'chat.update',
      'chat.update',
      'chat.update',
      'subadmin.update',
      'chat.update',
      'chat.update',
    ]);
    expect(w.every((r) => r.query.access_token === r.token && r.token)).toBe(true);
    expect(w[0]?.body).toEqual({ chatid, name: 'Legacy Two' });
    expect(w[1]?.body).toEqual({ chatid, add_useridlist: ['carol'] });
    expect(w[2]?.body).toEqual({ chatid, chatBannedType: 1, managementType: 1 });
    expect(w[3]?.path).toBe('/topapi/chat/subadmin/update');
    expect(w[3]?.body).toMatchObject({ chatid, role: 2 });
    expect(String(bodyOf<{ userids: unknown }>(w[3]).userids)).toBe('alice,carol');
    expect(w[4]?.body).toEqual({ chatid, del_useridlist: ['bob'] });
    expect(w[5]?.body).toEqual({ chatid, owner: 'alice' });
    expect(t.endpoints()).not.toContain('im.group.update');
    expect(t.endpoints()).not.toContain('im.subAdministrators');

    const org = h.emu.org.chat(chatid)!;
    expect(org.name).toBe('Legacy Two');
    expect(org.owner).toBe('alice');
    expect(org.members).toEqual(['lead1', 'alice', 'carol']);
    expect(org.admins).toEqual(['carol']);
    expect(org.settings).toMatchObject({
      chatBannedType: 1,
      managementType: 1,
      searchable: 1,
      showHistoryType: 1,
    });
  });

  it('does not fall back to v1 when the legacy permission is missing', async () => {
    h.emu.faults.legacyGroupPermission = false;
    try {
      const t = track(h);
      const reply = await h.say('lead1', '/chat create NoPerm alice');
      expect(t.endpoints()).toEqual(['chat.create']);
      expect(t.calls()[0]?.response).toMatchObject({ errcode: 60011 });
      expect(reply).toContain('DingTalk refused');
      expect(reply).toContain('qyapi_chat_manage');
    } finally {
      h.emu.faults.legacyGroupPermission = true;
    }
  });
});

describe('DINGTALK_GROUP_API=v1', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { DINGTALK_GROUP_API: 'v1' }, emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('uses group/create, group/update and subAdministrators, token in the header', async () => {
    const t = track(h);
    await h.say('lead1', '/chat create V1 alice bob validation=on');
    const create = writes(t.calls())[0]!;
    expect(create.endpoint).toBe('im.group.create');
    expect(create.headers['x-acs-dingtalk-access-token']).toBe(create.token);
    expect(create.query.access_token).toBeUndefined();
    const chatid = (create.response as { chatid: string }).chatid;
    await h.say('lead1', `/chat set ${chatid} history=on`);
    await h.say('lead1', `/chat admin add ${chatid} bob`);
    const w = writes(t.calls()).slice(2);
    expect(w.map((r) => r.endpoint)).toEqual(['im.group.update', 'im.subAdministrators']);
    expect(w[0]?.body).toEqual({ chatid, managementOptions: { showHistoryType: 1 } });
    expect(w[1]?.body).toEqual({
      openConversationId: (create.response as { openConversationId: string }).openConversationId,
      userIds: ['bob'],
      role: 2,
    });
    expect(h.emu.org.chat(chatid)?.admins).toEqual(['bob']);
  });

  it('does not fall back to legacy when the v1 permission is missing', async () => {
    h.emu.faults.v1GroupPermission = false;
    try {
      const t = track(h);
      const reply = await h.say('lead1', '/chat create NoV1 alice');
      expect(t.endpoints()).toEqual(['im.group.create']);
      expect(t.calls()[0]?.status).toBe(403);
      expect(reply).toContain('Forbidden.AccessDenied.AccessTokenPermissionDenied');
    } finally {
      h.emu.faults.v1GroupPermission = true;
    }
  });
});

describe('DINGTALK_GROUP_API=auto', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null, v1GroupPermission: false } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('falls back to legacy without the v1 permission, and back to v1 when legacy goes away', async () => {
    const t = track(h);
    const created = await h.say('lead1', '/chat create Auto alice');
    expect(created).toContain('Created **Auto**');
    expect(writes(t.calls()).map((r) => [r.endpoint, r.status])).toEqual([
      ['im.group.create', 403],
      ['chat.create', 200],
      ['qrcode.get', 200],
    ]);
    const chat = h.emu.org.chats().find((c) => c.name === 'Auto')!;

    // The switch is remembered: the next change goes to legacy first.
    const t2 = track(h);
    await h.say('lead1', `/chat add ${chat.chatId} bob`);
    expect(writes(t2.calls()).map((r) => r.endpoint)).toEqual(['chat.update']);

    // Now only v1 is granted: auto moves back.
    h.emu.faults.v1GroupPermission = true;
    h.emu.faults.legacyGroupPermission = false;
    const t3 = track(h);
    const reply = await h.say('lead1', `/chat add ${chat.chatId} carol`);
    const w3 = writes(t3.calls());
    expect(w3.map((r) => r.endpoint)).toEqual(['chat.update', 'im.group.update']);
    expect(w3[0]?.response).toMatchObject({ errcode: 60011 });
    expect(w3[1]).toMatchObject({ status: 200, body: { chatid: chat.chatId, add_useridlist: ['carol'] } });
    expect(h.emu.org.chat(chat.chatId)?.members).toEqual(['lead1', 'alice', 'bob', 'carol']);
    expect(reply).toContain('Added 1 to **Auto**: Carol (carol).');
  });
});
