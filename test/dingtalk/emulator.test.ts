/**
 * The client driven against the DingTalk emulator over real sockets on 127.0.0.1: GroupApi in
 * each family, auto fallback, member chunking, tokens, faults, pooling and replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DingTalkApiError, DingTalkPartialCreateError, isSessionExpired } from '../../src/dingtalk/errors.ts';
import type { Family } from '../../src/dingtalk/groups.ts';
import type { CreateDingTalkOptions, DingTalk } from '../../src/dingtalk/index.ts';
import { Emulator, type EmulatorOptions } from '../../src/emulator/index.ts';
import { caught, makeClient } from './helpers.ts';

const USERS = Array.from({ length: 100 }, (_, i) => ({
  userId: `user${String(i).padStart(3, '0')}`,
  nick: `U${i}`,
}));
const ids = (n: number): string[] => USERS.slice(0, n).map((u) => u.userId);

let emu: Emulator | undefined;
let dt: DingTalk | undefined;
afterEach(async () => {
  await dt?.close();
  await emu?.stop();
  dt = undefined;
  emu = undefined;
});

async function setup(
  emuOpts: EmulatorOptions = {},
  clientOpts: Partial<CreateDingTalkOptions> = {},
): Promise<{ emu: Emulator; dt: DingTalk }> {
  emu = await Emulator.start({ users: USERS, ...emuOpts });
  dt = makeClient(emu.baseUrl, {
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    robotCode: emu.robotCode,
    ...clientOpts,
  });
  return { emu, dt };
}

const calls = (e: Emulator, endpoint: string) => e.requests.filter((r) => r.endpoint === endpoint);

describe('GroupApi over the emulator', () => {
  it('v1: create with 95 members = 1 create of 40 (owner first) + 2 updates, settings nested', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'v1' });
    const members = ids(95).reverse(); // owner is last in the list on purpose
    const owner = 'user000';
    const created = await dt.groups.create({
      name: 'Design',
      owner,
      members,
      settings: { searchable: true, mentionAll: 'owner', history: true },
    });
    expect(created.family).toBe('v1');
    const creates = calls(emu, 'im.group.create');
    const updates = calls(emu, 'im.group.update');
    expect(creates).toHaveLength(1);
    expect(updates).toHaveLength(2);
    const body = creates[0]?.body as { useridlist: string[]; owner: string; managementOptions: unknown };
    expect(body.useridlist).toHaveLength(40);
    expect(body.useridlist[0]).toBe(owner);
    expect(body.managementOptions).toEqual({ searchable: 1, mentionAllAuthority: 1, showHistoryType: 1 });
    for (const u of updates)
      expect((u.body as { add_useridlist: string[] }).add_useridlist.length).toBeLessThanOrEqual(40);
    const chat = emu.org.chat(created.chatId);
    expect(chat?.members).toHaveLength(95);
    expect(chat?.openConversationId).toBe(created.openConversationId);
    expect(chat?.settings).toMatchObject({
      searchable: 1,
      mentionAllAuthority: 1,
      showHistoryType: 1,
      managementType: 0,
    });
  });

  it('legacy: create with 95 members = chat/create + 2 chat/update; get maps the flags back', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'legacy' });
    const created = await dt.groups.create({
      name: 'Ops',
      owner: 'user001',
      members: ids(95),
      settings: { mute: true },
    });
    expect(created.family).toBe('legacy');
    expect(calls(emu, 'chat.create')).toHaveLength(1);
    expect(calls(emu, 'chat.update')).toHaveLength(2);
    expect(calls(emu, 'im.group.create')).toHaveLength(0);
    const info = await dt.groups.get(created.chatId);
    expect(info).toMatchObject({ chatId: created.chatId, name: 'Ops', owner: 'user001', status: 1 });
    expect(info.members).toHaveLength(95);
    expect(info.settings).toEqual({
      searchable: false,
      validation: false,
      mentionAll: 'everyone',
      management: 'everyone',
      mute: true,
      history: false,
    });
  });

  it('auto: falls back to legacy on a v1 permission refusal and remembers it', async () => {
    let remembered: Family | undefined;
    const { emu, dt } = await setup(
      { v1GroupPermission: false },
      {
        groupApi: 'auto',
        rememberFamily: {
          get: () => remembered,
          set: (f) => {
            remembered = f;
          },
        },
      },
    );
    const a = await dt.groups.create({ name: 'A', owner: 'user001', members: ids(3) });
    expect(a.family).toBe('legacy');
    expect(remembered).toBe('legacy');
    expect(calls(emu, 'im.group.create')).toHaveLength(1);
    expect(calls(emu, 'chat.create')).toHaveLength(1);
    await dt.groups.create({ name: 'B', owner: 'user001', members: ids(3) });
    await dt.groups.update(a.chatId, { name: 'A2' });
    // remembered: no more v1 attempts
    expect(calls(emu, 'im.group.create')).toHaveLength(1);
    expect(calls(emu, 'im.group.update')).toHaveLength(0);
    expect(calls(emu, 'chat.create')).toHaveLength(2);
    expect(emu.org.chat(a.chatId)?.name).toBe('A2');
  });

  it('auto: a fresh client starts from the remembered family', async () => {
    const { emu, dt } = await setup(
      {},
      { groupApi: 'auto', rememberFamily: { get: () => 'legacy', set: () => {} } },
    );
    await dt.groups.create({ name: 'A', owner: 'user001', members: ids(2) });
    expect(calls(emu, 'chat.create')).toHaveLength(1);
    expect(calls(emu, 'im.group.create')).toHaveLength(0);
  });

  it('auto: a remembered legacy family that is refused (60011) moves back to v1 and remembers that', async () => {
    let remembered: Family | undefined = 'legacy';
    const { emu, dt } = await setup(
      { legacyGroupPermission: false },
      {
        groupApi: 'auto',
        rememberFamily: {
          get: () => remembered,
          set: (f) => {
            remembered = f;
          },
        },
      },
    );
    const chat = emu.org.addChat({ name: 'Adm', owner: 'user000', members: ids(5) });
    await dt.groups.setAdmins({ chatId: chat.chatId }, ['user001'], 'add');
    expect(remembered).toBe('v1');
    expect(calls(emu, 'subadmin.update')).toHaveLength(1);
    expect(calls(emu, 'im.subAdministrators')).toHaveLength(1);
    expect(emu.org.chat(chat.chatId)?.admins).toContain('user001');
  });

  it('auto: when both families are refused, the v1 refusal is reported', async () => {
    const { emu, dt } = await setup({ legacyGroupPermission: false, v1GroupPermission: false });
    const err = await caught(dt.groups.create({ name: 'A', owner: 'user001', members: ids(2) }));
    expect((err as DingTalkApiError).code).toBe('Forbidden.AccessDenied.AccessTokenPermissionDenied');
    expect(calls(emu, 'chat.create')).toHaveLength(1);
    expect(dt.groups.family()).toBe('v1');
  });

  it('forced v1 does not fall back', async () => {
    const { emu, dt } = await setup({ v1GroupPermission: false }, { groupApi: 'v1' });
    const err = await caught(dt.groups.create({ name: 'A', owner: 'user001', members: ids(2) }));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).code).toBe('Forbidden.AccessDenied.AccessTokenPermissionDenied');
    expect(calls(emu, 'chat.create')).toHaveLength(0);
  });

  it('update splits add and remove into calls of 40 and sets the new owner last', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'legacy' });
    const chat = emu.org.addChat({ name: 'Big', owner: 'user000', members: ids(50) });
    await dt.groups.update(chat.chatId, {
      add: ids(100).slice(50),
      remove: ids(50).slice(1, 46),
      owner: 'user099',
      settings: { validation: true },
    });
    const ups = calls(emu, 'chat.update').map((r) => r.body as Record<string, unknown>);
    expect(ups).toHaveLength(2);
    for (const u of ups) {
      expect(((u.add_useridlist as string[] | undefined) ?? []).length).toBeLessThanOrEqual(40);
      expect(((u.del_useridlist as string[] | undefined) ?? []).length).toBeLessThanOrEqual(40);
    }
    expect(ups[0]?.owner).toBeUndefined();
    expect(ups[1]?.owner).toBe('user099');
    const after = emu.org.chat(chat.chatId);
    expect(after?.owner).toBe('user099');
    expect(after?.members).toHaveLength(50 + 50 - 45);
    expect(after?.settings.validationType).toBe(1);
  });

  it('setAdmins: v1 converts the chatId first; legacy sends comma-joined userids in chunks of 12', async () => {
    const { emu, dt: v1 } = await setup({}, { groupApi: 'v1' });
    const chat = emu.org.addChat({ name: 'Adm', owner: 'user000', members: ids(30) });
    await v1.groups.setAdmins({ chatId: chat.chatId }, ['user001', 'user002'], 'add');
    expect(calls(emu, 'im.convertToOpenConversationId')).toHaveLength(1);
    expect(calls(emu, 'im.subAdministrators')[0]?.body).toMatchObject({
      openConversationId: chat.openConversationId,
      userIds: ['user001', 'user002'],
      role: 2,
    });
    expect(emu.org.chat(chat.chatId)?.admins).toEqual(expect.arrayContaining(['user001', 'user002']));
    await v1.groups.setAdmins(
      { chatId: chat.chatId, openConversationId: chat.openConversationId },
      ['user002'],
      'remove',
    );
    expect(calls(emu, 'im.convertToOpenConversationId')).toHaveLength(1);
    expect(emu.org.chat(chat.chatId)?.admins).not.toContain('user002');

    await v1.close();
    const legacy = makeClient(emu.baseUrl, {
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      groupApi: 'legacy',
    });
    dt = legacy;
    await legacy.groups.setAdmins({ chatId: chat.chatId }, ids(20).slice(5), 'add');
    const subs = calls(emu, 'subadmin.update').map((r) => r.body as { userids: string; role: number });
    expect(subs).toHaveLength(2);
    expect(subs[0]?.userids.split(',')).toHaveLength(12);
    expect(subs[1]?.userids).toBe('user017,user018,user019');
    expect(subs[0]?.role).toBe(2);
  });

  it('single-family operations: nick, private chat, QR link, openConversationId', async () => {
    const { emu, dt } = await setup();
    const chat = emu.org.addChat({ name: 'Misc', owner: 'user000', members: ids(4) });
    await dt.groups.setNick(chat.chatId, 'user001', 'Bobby');
    await dt.groups.setPrivateChat(chat.chatId, true);
    const link = await dt.groups.qrLink(chat.chatId, 'user000');
    const cid = await dt.groups.toOpenConversationId(chat.chatId);
    const state = emu.org.chat(chat.chatId);
    expect(state?.nicks.user001).toBe('Bobby');
    expect(state?.privateChatProhibited).toBe(true);
    expect(link).toMatch(/^https?:\/\//);
    expect(cid).toBe(chat.openConversationId);
    const notMember = await caught(dt.groups.qrLink(chat.chatId, 'user050'));
    expect((notMember as DingTalkApiError).errcode).toBe(60124);
  });

  it('a failed follow-up update after create reports the created chat and who is missing', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'legacy' });
    emu.faults.inject('chat.update', 'http500', 1);
    const err = await caught(dt.groups.create({ name: 'Part', owner: 'user000', members: ids(60) }));
    expect(err).toBeInstanceOf(DingTalkPartialCreateError);
    const p = err as DingTalkPartialCreateError;
    expect(p.pending).toHaveLength(20);
    expect(emu.org.chat(p.created.chatId)?.members).toHaveLength(40);
  });
});

describe('HTTP policy against the emulator', () => {
  it('one token for 30 concurrent calls; a revoked token is refreshed and the call repeated once', async () => {
    const { emu, dt } = await setup();
    const chat = emu.org.addChat({ name: 'T', owner: 'user000', members: ids(3) });
    await Promise.all(Array.from({ length: 30 }, () => dt.groups.get(chat.chatId)));
    expect(emu.tokenFetches).toBe(1);
    // the limiter (20/s per API) kept the burst under the emulator's own 20 QPS limit
    expect(dt.stats().rateLimitWaits).toBe(0);
    expect(calls(emu, 'chat.get').every((r) => r.status === 200)).toBe(true);
    emu.faults.revokeToken();
    await dt.groups.setNick(chat.chatId, 'user001', 'N'); // topapi: 88 / sub_code 40014
    await dt.groups.toOpenConversationId(chat.chatId); // v1: 400 InvalidAuthentication path uses the new token
    expect(emu.tokenFetches).toBe(2);
    expect(calls(emu, 'updategroupnick')).toHaveLength(2);
  });

  it('reads retry on busy; a v1 write answered 500 is not repeated', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'v1' });
    const chat = emu.org.addChat({ name: 'B', owner: 'user000', members: ids(3) });
    emu.faults.inject('chat.get', 'busy', 2);
    await dt.groups.get(chat.chatId);
    expect(calls(emu, 'chat.get')).toHaveLength(3);
    emu.faults.inject('im.group.create', 'busy', 1);
    const err = await caught(dt.groups.create({ name: 'X', owner: 'user000', members: ids(2) }));
    expect((err as DingTalkApiError).mayHaveTakenEffect).toBe(true);
    expect(calls(emu, 'im.group.create')).toHaveLength(1);
  });

  it('a write answered with the QPS limit waits and succeeds', async () => {
    const { emu, dt } = await setup({}, { groupApi: 'legacy' });
    emu.faults.inject('chat.create', 'qps', 2);
    const c = await dt.groups.create({ name: 'Q', owner: 'user000', members: ids(2) });
    expect(emu.org.chat(c.chatId)).toBeDefined();
    expect(calls(emu, 'chat.create')).toHaveLength(3);
    expect(dt.stats().rateLimitWaits).toBe(2);
  });

  it('keeps to the pool size: connections opened = connections the server accepted ≤ per-host limit', async () => {
    const { emu, dt } = await setup({ qpsLimit: null }, { connectionsPerHost: 3, qps: 100 });
    emu.faults.latencyMs = 20;
    const chat = emu.org.addChat({ name: 'P', owner: 'user000', members: ids(3) });
    await Promise.all(Array.from({ length: 40 }, () => dt.groups.get(chat.chatId)));
    expect(dt.stats().connectionsOpened).toBe(emu.tcpConnections);
    expect(emu.tcpConnections).toBeLessThanOrEqual(3);
    expect(dt.stats().calls).toBe(41);
  });
});

describe('robot replies', () => {
  it('sendBySession delivers, and an expired session is 300001', async () => {
    const { emu, dt } = await setup();
    const msg = emu.buildMessage('user001', 'hello');
    await dt.robot.sendBySession(msg.sessionWebhook, {
      msgtype: 'markdown',
      markdown: { title: 't', text: '**hi**' },
    });
    expect(emu.replies.at(-1)).toMatchObject({ via: 'webhook', msgtype: 'markdown', text: '**hi**' });
    emu.faults.expireSessions();
    const err = await caught(
      dt.robot.sendBySession(msg.sessionWebhook, { msgtype: 'text', text: { content: 'x' } }),
    );
    expect(isSessionExpired(err)).toBe(true);
    const key = new URL(msg.sessionWebhook).searchParams.get('session') as string;
    expect((err as Error).message).not.toContain(key);
  });

  it('batchSendOTO splits 45 users into calls of 20; groupSend sends to a cid', async () => {
    const { emu, dt } = await setup();
    const res = await dt.robot.batchSendOTO({
      robotCode: emu.robotCode,
      userIds: ids(45),
      msgKey: 'sampleText',
      msgParam: JSON.stringify({ content: 'hi' }),
    });
    const sends = calls(emu, 'robot.batchSend');
    expect(sends.map((r) => (r.body as { userIds: string[] }).userIds.length)).toEqual([20, 20, 5]);
    expect(res.processQueryKeys).toHaveLength(3);
    const chat = emu.org.addChat({ name: 'G', owner: 'user000', members: ids(3), botInChat: true });
    await dt.robot.groupSend({
      robotCode: emu.robotCode,
      openConversationId: chat.openConversationId,
      msgKey: 'sampleText',
      msgParam: JSON.stringify({ content: 'to group' }),
    });
    expect(emu.replies.at(-1)).toMatchObject({ via: 'group', conversationId: chat.openConversationId });
  });
});
