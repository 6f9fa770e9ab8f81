import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.ts';
import { http, legacy, startEmu, token, UUID_UPPER, v1 } from './helpers.ts';

let emu: Emulator;
let tok: string;
beforeEach(async () => {
  emu = await startEmu();
  for (let i = 0; i < 45; i += 1) emu.org.addUser({ userId: `u${i}`, nick: `User ${i}` });
  tok = await token(emu);
});
afterEach(async () => {
  await emu.stop();
});

const range = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `u${i + from}`);

describe('legacy /chat/create', () => {
  it('creates a chat (numbers as strings accepted) and chat/get shows it', async () => {
    const r = await legacy(emu, '/chat/create', tok, {
      name: 'Team A',
      owner: 'alice',
      useridlist: ['alice', 'bob'],
      searchable: '1',
      chatBannedType: 1,
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ errcode: 0, errmsg: 'ok', conversationTag: 2 });
    expect(r.json.chatid).toMatch(/^chat[0-9a-f]{32}$/);
    expect(r.json.openConversationId).toMatch(/^cid.+==$/);
    expect(r.json.request_id).toBeUndefined();
    const chat = emu.org.chat(r.json.chatid);
    expect(chat).toMatchObject({ name: 'Team A', owner: 'alice', createdByApi: true, botInChat: false });
    expect(chat?.settings.searchable).toBe(1);
    const g = await legacy(emu, `/chat/get?chatid=${r.json.chatid}`, tok);
    expect(g.json.errcode).toBe(0);
    expect(g.json.chat_info).toMatchObject({
      name: 'Team A',
      owner: 'alice',
      useridlist: ['alice', 'bob'],
      searchable: 1,
      chatBannedType: 1,
      validationType: 0,
      status: 1,
      conversationTag: 2,
    });
    expect(g.json.chat_info.openConversationId).toBeUndefined();
    expect(g.json.chat_info.admins).toBeUndefined();
  });

  it.each([
    [{ owner: 'alice', useridlist: ['alice'] }, 40035],
    [{ name: '', owner: 'alice', useridlist: ['alice'] }, 40035],
    [{ name: '一二三四五六七八九十一二三四五六七八九十一', owner: 'alice', useridlist: ['alice'] }, 400002],
    [{ name: 'x', useridlist: ['alice'] }, 49013],
    [{ name: 'x', owner: 'alice', useridlist: [] }, 49010],
    [{ name: 'x', owner: 'u0', useridlist: range(41) }, 49011],
    [{ name: 'x', owner: 'alice', useridlist: ['alice', 'ghost'] }, 40031],
    [{ name: 'x', owner: 'alice', useridlist: ['bob'] }, 40031],
    [{ name: 'x', owner: 'alice', useridlist: ['alice'], searchable: 7 }, 400002],
  ])('rejects %j with errcode %i (HTTP 200)', async (body, errcode) => {
    const r = await legacy(emu, '/chat/create', tok, body);
    expect(r.status).toBe(200);
    expect(r.json.errcode).toBe(errcode);
    expect(r.json.errmsg).toBeTypeOf('string');
    expect(emu.org.chats()).toHaveLength(0);
  });

  it('accepts a 20-character name and exactly 40 users', async () => {
    const r = await legacy(emu, '/chat/create', tok, {
      name: '一二三四五六七八九十一二三四五六七八九十',
      owner: 'u0',
      useridlist: range(40),
    });
    expect(r.json.errcode).toBe(0);
  });

  it('non-JSON body → 43009', async () => {
    const r = await http(emu, 'POST', `/chat/create?access_token=${tok}`, { raw: 'name=x' });
    expect(r.json.errcode).toBe(43009);
  });
});

describe('legacy /chat/get and /chat/update', () => {
  it('chat/get: missing chatid 49000, unknown 40016, chat not created by API 40016', async () => {
    expect((await legacy(emu, '/chat/get', tok)).json.errcode).toBe(49000);
    expect((await legacy(emu, '/chat/get?chatid=chat00', tok)).json.errcode).toBe(40016);
    const manual = emu.org.addChat({ name: 'm', owner: 'alice', members: [], createdByApi: false });
    expect((await legacy(emu, `/chat/get?chatid=${manual.chatId}`, tok)).json.errcode).toBe(40016);
  });

  it('updates name, owner, members and flags', async () => {
    const chat = emu.org.addChat({ name: 'old', owner: 'alice', members: ['bob', 'carol'] });
    chat.admins.push('carol');
    chat.nicks.carol = 'C';
    const r = await legacy(emu, '/chat/update', tok, {
      chatid: chat.chatId,
      name: 'new',
      owner: 'bob',
      add_useridlist: ['dave'],
      del_useridlist: ['carol'],
      isBan: 'true',
      showHistoryType: '1',
    });
    expect(r.json).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(chat).toMatchObject({ name: 'new', owner: 'bob', members: ['alice', 'bob', 'dave'], admins: [] });
    expect(chat.nicks).toEqual({});
    expect(chat.settings).toMatchObject({ chatBannedType: 1, showHistoryType: 1 });
  });

  it.each([
    [{ chatid: undefined }, 49000],
    [{ chatid: 'chatnope' }, 40016],
    [{ name: '' }, 49015],
    [{ name: '123456789012345678901' }, 49015],
    [{ add_useridlist: range(41) }, 49011],
    [{ add_useridlist: ['dave'], del_useridlist: ['dave'] }, 49004],
    [{ add_useridlist: ['ghost'] }, 40031],
    [{ owner: 'dave' }, 40031],
    [{ del_useridlist: ['alice'] }, 40031],
    [{ searchable: 'yes' }, 71010],
  ])('rejects %j with errcode %i and changes nothing', async (patch, errcode) => {
    const chat = emu.org.addChat({ name: 'keep', owner: 'alice', members: ['bob'] });
    const body = { chatid: chat.chatId, ...patch };
    const r = await legacy(emu, '/chat/update', tok, body);
    expect(r.json.errcode).toBe(errcode);
    expect(chat).toMatchObject({ name: 'keep', owner: 'alice', members: ['alice', 'bob'] });
  });

  it('refuses chats not created by the API (40016) and capacity over 1000 (49011)', async () => {
    const manual = emu.org.addChat({ name: 'm', owner: 'alice', members: [], createdByApi: false });
    expect((await legacy(emu, '/chat/update', tok, { chatid: manual.chatId, name: 'x' })).json.errcode).toBe(
      40016,
    );
    const big = emu.org.addChat({ name: 'big', owner: 'alice', members: [] });
    for (let i = 0; i < 999; i += 1) big.members.push(`filler${i}`);
    const r = await legacy(emu, '/chat/update', tok, { chatid: big.chatId, add_useridlist: ['bob'] });
    expect(r.json.errcode).toBe(49011);
  });
});

describe('topapi chat endpoints', () => {
  it('subadmin/update: role 2 adds, 3 removes; comma-separated userids; role as string', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob', 'carol'] });
    const add = await legacy(emu, '/topapi/chat/subadmin/update', tok, {
      chatid: chat.chatId,
      userids: 'bob,carol',
      role: '2',
    });
    expect(add.json).toMatchObject({ errcode: 0, errmsg: 'ok', success: true });
    expect(add.json.request_id).toMatch(/^[0-9a-z]{12,14}$/);
    expect(chat.admins).toEqual(['bob', 'carol']);
    await legacy(emu, '/topapi/chat/subadmin/update', tok, { chatid: chat.chatId, userids: 'bob', role: 3 });
    expect(chat.admins).toEqual(['carol']);
  });

  it('subadmin/update errors: role 4 → 400002, unknown chat 40016, unknown user 40031', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const path = '/topapi/chat/subadmin/update';
    expect(
      (await legacy(emu, path, tok, { chatid: chat.chatId, userids: 'bob', role: 4 })).json.errcode,
    ).toBe(400002);
    expect((await legacy(emu, path, tok, { chatid: 'chatx', userids: 'bob', role: 2 })).json.errcode).toBe(
      40016,
    );
    const r = await legacy(emu, path, tok, { chatid: chat.chatId, userids: 'ghost', role: 2 });
    expect(r.json.errcode).toBe(40031);
    expect(r.json.request_id).toBeTypeOf('string');
  });

  it('subadmin/update accepts a form body', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const r = await http(emu, 'POST', `/topapi/chat/subadmin/update?access_token=${tok}`, {
      raw: `chatid=${chat.chatId}&userids=bob&role=2`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r.json.errcode).toBe(0);
    expect(chat.admins).toEqual(['bob']);
  });

  it('friendswitch: sets is_prohibit ("true" accepted); 40036 / 34001', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: [], createdByApi: false });
    const path = '/topapi/chat/member/friendswitch/update';
    const ok = await legacy(emu, path, tok, { chatid: chat.chatId, is_prohibit: 'true' });
    expect(ok.json).toMatchObject({ errcode: 0, success: true });
    expect(chat.privateChatProhibited).toBe(true);
    expect((await legacy(emu, path, tok, { chatid: chat.chatId })).json.errcode).toBe(40036);
    expect((await legacy(emu, path, tok, { chatid: 'chatx', is_prohibit: false })).json.errcode).toBe(34001);
  });

  it('updategroupnick: sets the nick; 40003 / 34001 / 60124', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const path = '/topapi/chat/updategroupnick';
    const ok = await legacy(emu, path, tok, { chatid: chat.chatId, userid: 'bob', group_nick: 'Bobby' });
    expect(ok.json).toMatchObject({ errcode: 0, success: true });
    expect(chat.nicks).toEqual({ bob: 'Bobby' });
    expect(
      (await legacy(emu, path, tok, { chatid: chat.chatId, userid: 'ghost', group_nick: 'x' })).json.errcode,
    ).toBe(40003);
    expect(
      (await legacy(emu, path, tok, { chatid: 'chatx', userid: 'bob', group_nick: 'x' })).json.errcode,
    ).toBe(34001);
    expect(
      (await legacy(emu, path, tok, { chatid: chat.chatId, userid: 'dave', group_nick: 'x' })).json.errcode,
    ).toBe(60124);
  });

  it('qrcode/get: a join URL per chat and sharer, stable until the owner or name changes', async () => {
    const a = emu.org.addChat({ name: 'a', owner: 'alice', members: ['bob'] });
    const b = emu.org.addChat({ name: 'b', owner: 'alice', members: ['bob'] });
    const path = '/topapi/chat/qrcode/get';
    const qa1 = await legacy(emu, path, tok, { chatid: a.chatId, userid: 'bob' });
    expect(qa1.json).toMatchObject({ errcode: 0, success: true });
    expect(qa1.json.result).toMatch(
      /^https:\/\/qr\.dingtalk\.com\/action\/joingroup\?code=v1,k1,[\w-]+&_dt_no_comment=1&origin=11$/,
    );
    // Stable for one sharer; another sharer of the same chat gets another link (it carries the sharer).
    expect((await legacy(emu, path, tok, { chatid: a.chatId, userid: 'bob' })).json.result).toBe(
      qa1.json.result,
    );
    const qa2 = await legacy(emu, path, tok, { chatid: a.chatId, userid: 'alice' });
    expect(qa2.json.result).toMatch(/^https:\/\/qr\.dingtalk\.com\/action\/joingroup\?code=v1,k1,[\w-]+&/);
    expect(qa2.json.result).not.toBe(qa1.json.result);
    expect((await legacy(emu, path, tok, { chatid: a.chatId, userid: 'alice' })).json.result).toBe(
      qa2.json.result,
    );
    // The same sharer in another chat gets that chat's link.
    const qb = await legacy(emu, path, tok, { openConversationId: b.openConversationId, userid: 'alice' });
    expect(qb.json.result).not.toBe(qa2.json.result);
    await legacy(emu, '/chat/update', tok, { chatid: a.chatId, name: 'renamed' });
    const qa3 = await legacy(emu, path, tok, { chatid: a.chatId, userid: 'alice' });
    expect(qa3.json.result).not.toBe(qa2.json.result);
    a.owner = 'bob';
    const qa4 = await legacy(emu, path, tok, { chatid: a.chatId, userid: 'alice' });
    expect(qa4.json.result).not.toBe(qa3.json.result);
    expect((await legacy(emu, path, tok, { chatid: a.chatId, userid: 'dave' })).json.errcode).toBe(60124);
    expect((await legacy(emu, path, tok, { chatid: a.chatId, userid: 'ghost' })).json.errcode).toBe(40003);
    expect((await legacy(emu, path, tok, { chatid: 'chatx', userid: 'bob' })).json.errcode).toBe(34001);
  });
});

describe('v1 group endpoints', () => {
  it('convertToOpenConversationId; unknown chat → 400 invalideChatId', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: [] });
    const r = await v1(emu, `/v1.0/im/chat/${chat.chatId}/convertToOpenConversationId`, tok);
    expect(r).toMatchObject({ status: 200, json: { openConversationId: chat.openConversationId } });
    const bad = await v1(emu, '/v1.0/im/chat/chatnope/convertToOpenConversationId', tok);
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('invalideChatId');
    expect(bad.json.requestid).toMatch(UUID_UPPER);
  });

  it('subAdministrators: success is the STRING "true"; error codes', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const path = '/v1.0/im/subAdministrators';
    const cid = chat.openConversationId;
    const ok = await v1(emu, path, tok, { openConversationId: cid, userIds: ['bob'], role: 2 });
    expect(ok).toMatchObject({ status: 200, json: { success: 'true' } });
    expect(chat.admins).toEqual(['bob']);
    const cases: [unknown, string][] = [
      [
        { openConversationId: 'cidnope==', userIds: ['bob'], role: 2 },
        'invalidParameter.openConversationId.invalid',
      ],
      [{ openConversationId: cid, userIds: ['bob'], role: 5 }, 'invalidParamter.role'],
      [{ openConversationId: cid, userIds: ['ghost'], role: 2 }, 'staff.not.found'],
      [{ openConversationId: cid, userIds: ['dave'], role: 2 }, 'invalid.staffid'],
    ];
    for (const [body, code] of cases) {
      const r = await v1(emu, path, tok, body);
      expect(r.status).toBe(400);
      expect(r.json.code).toBe(code);
    }
    chat.status = 2;
    expect((await v1(emu, path, tok, { openConversationId: cid, userIds: ['bob'], role: 3 })).json.code).toBe(
      'group.diaband',
    );
  });

  it('group/create with nested managementOptions', async () => {
    const r = await v1(emu, '/v1.0/im/group/create', tok, {
      name: 'V1 team',
      owner: 'alice',
      useridlist: ['alice', 'bob'],
      managementOptions: { searchable: 1, mentionAllAuthority: '1' },
      searchable: 0,
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      conversationTag: 2,
      openConversationId: expect.stringMatching(/^cid/),
      chatid: expect.stringMatching(/^chat/),
    });
    const chat = emu.org.chat(r.json.chatid);
    expect(chat?.settings).toMatchObject({ searchable: 1, mentionAllAuthority: 1 });
    const tooLong = await v1(emu, '/v1.0/im/group/create', tok, {
      name: 'x'.repeat(21),
      owner: 'alice',
      useridlist: ['alice'],
    });
    expect(tooLong).toMatchObject({ status: 400, json: { code: 'parameter.invalid' } });
    const ghostOwner = await v1(emu, '/v1.0/im/group/create', tok, {
      name: 'x',
      owner: 'ghost',
      useridlist: ['ghost'],
    });
    expect(ghostOwner).toMatchObject({ status: 400, json: { code: 'permession.checkFailed' } });
    const many = await v1(emu, '/v1.0/im/group/create', tok, {
      name: 'x',
      owner: 'u0',
      useridlist: range(41),
    });
    expect(many).toMatchObject({ status: 400, json: { code: 'parameter.invalid' } });
  });

  it('group/update uses legacy casing and answers {success:true}', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const r = await v1(emu, '/v1.0/im/group/update', tok, {
      chatid: chat.chatId,
      add_useridlist: ['carol'],
      managementOptions: { chatBannedType: 1 },
    });
    expect(r).toMatchObject({ status: 200, json: { success: true } });
    expect(chat.members).toEqual(['alice', 'bob', 'carol']);
    expect(chat.settings.chatBannedType).toBe(1);
    const overlap = await v1(emu, '/v1.0/im/group/update', tok, {
      chatid: chat.chatId,
      add_useridlist: ['dave'],
      del_useridlist: ['dave'],
    });
    expect(overlap).toMatchObject({ status: 400, json: { code: 'parameter.invalid' } });
  });
});

describe('permission switches', () => {
  it('legacyGroupPermission=false → 60011 on the closed legacy endpoints only', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    emu.faults.legacyGroupPermission = false;
    const create = await legacy(emu, '/chat/create', tok, {
      name: 'x',
      owner: 'alice',
      useridlist: ['alice'],
    });
    expect(create.json).toMatchObject({ errcode: 60011 });
    expect((await legacy(emu, '/chat/update', tok, { chatid: chat.chatId, name: 'y' })).json.errcode).toBe(
      60011,
    );
    const sub = await legacy(emu, '/topapi/chat/subadmin/update', tok, {
      chatid: chat.chatId,
      userids: 'bob',
      role: 2,
    });
    expect(sub.json.errcode).toBe(60011);
    expect(sub.json.request_id).toBeTypeOf('string');
    expect((await legacy(emu, `/chat/get?chatid=${chat.chatId}`, tok)).json.errcode).toBe(0);
    const v1ok = await v1(emu, '/v1.0/im/group/update', tok, { chatid: chat.chatId, name: 'z' });
    expect(v1ok.status).toBe(200);
  });

  it('v1GroupPermission=false → 403 AccessTokenPermissionDenied', async () => {
    const emu2 = await startEmu({ v1GroupPermission: false });
    try {
      const t = await token(emu2);
      const r = await v1(emu2, '/v1.0/im/group/create', t, {
        name: 'x',
        owner: 'alice',
        useridlist: ['alice'],
      });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('Forbidden.AccessDenied.AccessTokenPermissionDenied');
      const l = await legacy(emu2, '/chat/create', t, { name: 'x', owner: 'alice', useridlist: ['alice'] });
      expect(l.json.errcode).toBe(0);
    } finally {
      await emu2.stop();
    }
  });
});
