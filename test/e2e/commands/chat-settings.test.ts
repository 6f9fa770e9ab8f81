import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { bodyOf, seedChat, track, writes } from './helpers.ts';

/** /chat rename, /chat set, /chat admin, /chat nick. */
describe('chat changing commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
  });

  describe('/chat rename', () => {
    it('renames through group/update and updates the registry', async () => {
      await h.say('lead1', '/chat create "Old Name" alice');
      const chat = h.emu.org.chats().find((c) => c.name === 'Old Name')!;
      const t = track(h);
      const reply = await h.say('lead1', '/chat rename #"Old Name" New Name');
      const [upd] = writes(t.calls());
      expect(upd?.endpoint).toBe('im.group.update');
      expect(upd?.body).toEqual({ chatid: chat.chatId, name: 'New Name' });
      expect(upd?.headers['x-acs-dingtalk-access-token']).toBe(upd?.token);
      expect(h.emu.org.chat(chat.chatId)?.name).toBe('New Name');
      expect(reply).toBe(`Renamed **Old Name** → **New Name** (\`${chat.chatId}\`).`);
      expect(await h.say('lead1', '/chat list')).toContain('**New Name**');
      expect(await h.say('lead1', '/chat info #"New Name"')).toContain('**New Name**');
    });

    it('refuses a name over 20 characters without a call, and a same name without a write', async () => {
      const c = seedChat(h, 'Keep', 'lead1', []);
      const t = track(h);
      const long = await h.say('lead1', `/改群名 ${c.chatId} ${'长'.repeat(21)}`);
      expect(long).toContain('群名须为 1 到 20 个字符');
      // Only the ownership check read the chat.
      expect(t.endpoints()).toEqual(['chat.get']);
      const same = await h.say('lead1', `/chat rename ${c.chatId} Keep`);
      expect(same).toContain('nothing changed');
      expect(writes(t.calls())).toEqual([]);
    });

    it('explains a chat that DingTalk refuses to change (not created by the API)', async () => {
      const chat = h.emu.org.addChat({
        name: 'Handmade',
        owner: 'lead1',
        members: ['alice'],
        createdByApi: false,
      });
      const reply = await h.say('admin1', `/chat rename ${chat.chatId} Other`);
      expect(reply).toContain('DingTalk refused');
      expect(reply).toContain('40016');
    });
  });

  describe('/chat set', () => {
    it('sends only the settings that change, and private chat through friendswitch', async () => {
      const c = seedChat(h, 'Knobs', 'lead1', ['alice']);
      h.emu.org.chat(c.chatId)!.settings.searchable = 1;
      const t = track(h);
      const reply = await h.say(
        'lead1',
        `/chat set ${c.chatId} searchable=on validation=on mention-all=owner mute=on private-chat=off`,
      );
      const [upd, fs] = writes(t.calls());
      expect(upd?.endpoint).toBe('im.group.update');
      expect(upd?.body).toEqual({
        chatid: c.chatId,
        managementOptions: { validationType: 1, mentionAllAuthority: 1, chatBannedType: 1 },
      });
      expect(fs?.endpoint).toBe('friendswitch.update');
      expect(fs?.path).toBe('/topapi/chat/member/friendswitch/update');
      expect(fs?.query.access_token).toBe(fs?.token);
      expect(fs?.body).toEqual({ chatid: c.chatId, is_prohibit: true });
      const org = h.emu.org.chat(c.chatId)!;
      expect(org.settings).toMatchObject({
        searchable: 1,
        validationType: 1,
        mentionAllAuthority: 1,
        chatBannedType: 1,
      });
      expect(org.privateChatProhibited).toBe(true);
      expect(reply).toMatch(/^Changed \*\*Knobs\*\*:/);
      expect(reply).toContain('- validation: off → **on**');
      expect(reply).toContain('- mention-all: everyone → **owner**');
      expect(reply).toContain('- mute: off → **on**');
      expect(reply).toContain('- private-chat: **off**');
      expect(reply).toContain('Not sent: searchable is already on.');
    });

    it('turns private chat back on with is_prohibit=false, in Chinese for 群设置', async () => {
      const c = seedChat(h, 'Friends', 'lead1', ['alice']);
      h.emu.org.chat(c.chatId)!.privateChatProhibited = true;
      const t = track(h);
      const reply = await h.say('lead1', `/群设置 ${c.chatId} private-chat=on`);
      expect(t.endpoints()).toEqual(['chat.get', 'friendswitch.update']);
      expect(t.calls()[1]?.body).toEqual({ chatid: c.chatId, is_prohibit: false });
      expect(h.emu.org.chat(c.chatId)?.privateChatProhibited).toBe(false);
      expect(reply).toContain('群内私聊 private-chat: **开**');
    });

    it('says what changed when the settings went through but private chat was refused', async () => {
      const c = seedChat(h, 'Halfway', 'lead1', ['alice']);
      h.emu.faults.inject('friendswitch.update', 'http500', 1);
      const reply = await h.say('lead1', `/chat set ${c.chatId} mute=on private-chat=off`);
      expect(h.emu.org.chat(c.chatId)?.settings.chatBannedType).toBe(1);
      expect(h.emu.org.chat(c.chatId)?.privateChatProhibited).toBe(false);
      expect(reply).toContain('- mute: off → **on**');
      expect(reply).toContain('private-chat was **not** changed');
      expect(reply).toContain(`/chat set ${c.chatId} private-chat=off`);
    });

    it('needs at least one key, and makes no write when nothing changes', async () => {
      const c = seedChat(h, 'Still', 'lead1', []);
      const t = track(h);
      expect(await h.say('lead1', `/chat set ${c.chatId}`)).toContain('Say what to change');
      const same = await h.say('lead1', `/chat set ${c.chatId} searchable=off history=off`);
      expect(same).toContain('Nothing to change in **Still**');
      expect(writes(t.calls())).toEqual([]);
    });

    it('rejects a bad value before calling DingTalk', async () => {
      const c = seedChat(h, 'Values', 'lead1', []);
      const t = track(h);
      const reply = await h.say('lead1', `/chat set ${c.chatId} mention-all=nobody`);
      expect(reply).toContain('mention-all must be one of everyone');
      expect(t.calls()).toEqual([]);
    });
  });

  describe('/chat admin', () => {
    it('makes members admins through v1 subAdministrators and skips non-members and the owner', async () => {
      const c = seedChat(h, 'Admins', 'lead1', ['alice', 'bob']);
      const t = track(h);
      const reply = await h.say('lead1', `/chat admin add ${c.chatId} alice bob erin lead1`);
      const [sub] = writes(t.calls());
      expect(sub?.endpoint).toBe('im.subAdministrators');
      expect(sub?.path).toBe('/v1.0/im/subAdministrators');
      expect(sub?.headers['x-acs-dingtalk-access-token']).toBe(sub?.token);
      expect(sub?.body).toEqual({
        openConversationId: c.openConversationId,
        userIds: ['alice', 'bob'],
        role: 2,
      });
      expect(h.emu.org.chat(c.chatId)?.admins).toEqual(['alice', 'bob']);
      expect(reply).toContain('Made admins of **Admins**: Alice (alice), Bob (bob).');
      expect(reply).toContain('Not in the chat (skipped; add them first with /chat add): Erin (erin).');
      expect(reply).toContain('Lee Lead (lead1) owns the chat');

      const removed = await h.say('lead1', `/群管理员 remove ${c.chatId} bob`);
      expect(writes(t.calls())[1]?.body).toMatchObject({ userIds: ['bob'], role: 3 });
      expect(h.emu.org.chat(c.chatId)?.admins).toEqual(['alice']);
      expect(removed).toContain('已取消 **Admins** 的管理员：Bob (bob)。');
    });

    it('says so without a write when nobody named is a member, and refuses a bad action word', async () => {
      const c = seedChat(h, 'Empty Admins', 'lead1', ['alice']);
      const t = track(h);
      const none = await h.say('lead1', `/chat admin add ${c.chatId} erin`);
      expect(none).toContain('Nothing to change');
      expect(none).toContain('erin');
      const bad = await h.say('lead1', `/chat admin promote ${c.chatId} alice`);
      expect(bad).toBe(
        'Say one of add / remove; "promote" is not one.  \nUsage: /chat admin add|remove ＜chat＞ ＜users…＞  \nExample: /chat admin add here @alice',
      );
      expect(writes(t.calls())).toEqual([]);
    });

    it('falls back to legacy subadmin/update in auto mode when the v1 permission is missing', async () => {
      const h2 = await startHarness({ emulator: { v1GroupPermission: false, qpsLimit: null } });
      try {
        const chat = h2.emu.org.addChat({ name: 'Legacy Admins', owner: 'lead1', members: ['alice', 'bob'] });
        const t = track(h2);
        const reply = await h2.say('lead1', `/chat admin add ${chat.chatId} alice bob`);
        const w = writes(t.calls());
        expect(w.map((r) => [r.endpoint, r.status])).toEqual([
          ['im.subAdministrators', 403],
          ['subadmin.update', 200],
        ]);
        expect(w[1]?.path).toBe('/topapi/chat/subadmin/update');
        expect(w[1]?.query.access_token).toBe(w[1]?.token);
        expect(w[1]?.body).toMatchObject({ chatid: chat.chatId, role: 2 });
        expect(String(bodyOf<{ userids: unknown }>(w[1]).userids)).toBe('alice,bob');
        expect(h2.emu.org.chat(chat.chatId)?.admins).toEqual(['alice', 'bob']);
        expect(reply).toContain('Made admins of **Legacy Admins**: Alice (alice), Bob (bob).');
      } finally {
        await h2.stop();
      }
    });
  });

  describe('/chat nick', () => {
    it('sets a group nickname through updategroupnick', async () => {
      const c = seedChat(h, 'Nicks', 'lead1', ['alice']);
      const t = track(h);
      const reply = await h.say('lead1', `/chat nick ${c.chatId} alice "Alice (Design)"`);
      const [nick] = writes(t.calls());
      expect(nick?.endpoint).toBe('updategroupnick');
      expect(nick?.path).toBe('/topapi/chat/updategroupnick');
      expect(nick?.query.access_token).toBe(nick?.token);
      expect(nick?.body).toEqual({ chatid: c.chatId, userid: 'alice', group_nick: 'Alice (Design)' });
      expect(h.emu.org.chat(c.chatId)?.nicks.alice).toBe('Alice (Design)');
      expect(reply).toBe('Alice (alice) is now “Alice (Design)” in **Nicks**.');
    });

    it('says the user must be a member, without a write', async () => {
      const c = seedChat(h, 'Outsiders', 'lead1', ['alice']);
      const t = track(h);
      const reply = await h.say('lead1', `/群昵称 ${c.chatId} dave 小戴`);
      expect(writes(t.calls())).toEqual([]);
      expect(reply).toContain('Dave (dave) 不是 **Outsiders** 的成员');
    });

    it('explains DingTalk refusing a user who left meanwhile (60124)', async () => {
      const c = seedChat(h, 'Leaving', 'lead1', ['alice']);
      // The nick call is held back; alice leaves after our chat/get said she was in.
      h.emu.faults.latencyByEndpoint.updategroupnick = 300;
      try {
        const p = h.say('lead1', `/chat nick ${c.chatId} alice Al`);
        await h.emu.waitFor(() =>
          h.emu.requests.some((r) => r.endpoint === 'updategroupnick' && r.status === 0),
        );
        h.emu.org.removeMembers(h.emu.org.chat(c.chatId)!, ['alice']);
        const reply = await p;
        const nick = h.emu.requests.find(
          (r) => r.endpoint === 'updategroupnick' && (r.body as { chatid?: string }).chatid === c.chatId,
        );
        expect(nick?.response).toMatchObject({ errcode: 60124 });
        expect(reply).toContain('DingTalk refused');
        expect(reply).toContain('60124');
      } finally {
        delete h.emu.faults.latencyByEndpoint.updategroupnick;
      }
    });
  });
});
