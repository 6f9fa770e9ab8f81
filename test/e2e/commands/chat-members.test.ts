import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';
import { confirmCode, seedChat, track, writes } from './helpers.ts';

const EXTRA = Array.from({ length: 45 }, (_, i) => ({
  userId: `m${String(i).padStart(2, '0')}`,
  nick: `M ${i}`,
}));

/** /chat add, /chat remove, /chat owner. */
describe('member commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: [...TEST_USERS, ...EXTRA], emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
    h.emu.faults.contact.allow();
    h.emu.faults.qpsLimit = null;
    h.emu.faults.qpsWindowMs = 1000;
  });

  describe('/chat add', () => {
    it('one unknown userId does not sink the others: they are tried one by one', async () => {
      // user/get refused: typed userIds are used as typed, and DingTalk meets nosuchuser.
      h.emu.faults.contact.deny('qyapi_get_member');
      const c = seedChat(h, 'Mixed', 'lead1', ['alice']);
      const t = track(h);
      const reply = await h.say('lead1', `/chat add ${c.chatId} bob nosuchuser carol`);
      const updates = writes(t.calls());
      // The batch is refused, then each person alone: bob and carol get in, nosuchuser does not.
      expect(updates.map((u) => (u.body as { add_useridlist?: string[] }).add_useridlist)).toEqual([
        ['bob', 'nosuchuser', 'carol'],
        ['bob'],
        ['nosuchuser'],
        ['carol'],
      ]);
      expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1', 'alice', 'bob', 'carol']);
      expect(reply).toContain('Added 2');
      expect(reply).toContain('refused these userIds');
      expect(reply).toContain('nosuchuser');
    });

    it('adds only the people not yet in the chat and reports the others', async () => {
      const c = seedChat(h, 'Squad', 'lead1', ['alice']);
      const t = track(h);
      const reply = await h.say('lead1', `/chat add ${c.chatId} @bob alice carol`);
      expect(t.endpoints()).toEqual(['chat.get', 'chat.get', 'im.group.update']);
      const upd = writes(t.calls())[0];
      expect(upd?.path).toBe('/v1.0/im/group/update');
      expect(upd?.headers['x-acs-dingtalk-access-token']).toBe(upd?.token);
      expect(upd?.body).toEqual({ chatid: c.chatId, add_useridlist: ['bob', 'carol'] });
      expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1', 'alice', 'bob', 'carol']);
      expect(reply).toBe(
        'Added 2 to **Squad**: Bob (bob), Carol (carol). Members now: 4.\n\nAlready in the chat: Alice (alice).',
      );
    });

    it('makes no write when everyone is already in', async () => {
      const c = seedChat(h, 'Full', 'lead1', ['alice', 'bob']);
      const t = track(h);
      const reply = await h.say('lead1', `/拉人 ${c.chatId} alice bob`);
      expect(writes(t.calls())).toEqual([]);
      expect(reply).toContain('无需拉人');
      expect(reply).toContain('Alice (alice), Bob (bob)');
    });

    it('splits more than 40 people into calls of 40', async () => {
      const c = seedChat(h, 'Many', 'lead1', []);
      const t = track(h);
      const reply = await h.say('lead1', `/chat add ${c.chatId} ${EXTRA.map((u) => u.userId).join(' ')}`);
      const sizes = writes(t.calls()).map(
        (r) => (r.body as { add_useridlist: string[] }).add_useridlist.length,
      );
      expect(sizes).toEqual([40, 5]);
      expect(h.emu.org.chat(c.chatId)?.members).toHaveLength(46);
      expect(reply).toContain('Added 45 to **Many**');
    });

    it("waits when DingTalk's per-API QPS limit is reached", async () => {
      const c = seedChat(h, 'Busy', 'lead1', []);
      // One chat/get per 150 ms: the handler's read right after the ownership check is throttled.
      h.emu.faults.qpsLimit = 1;
      h.emu.faults.qpsWindowMs = 150;
      const t = track(h);
      const reply = await h.say('lead1', `/chat add ${c.chatId} alice`);
      const gets = t.calls().filter((r) => r.endpoint === 'chat.get');
      expect(gets.some((r) => (r.response as { errcode: number }).errcode === 90018)).toBe(true);
      expect(gets.at(-1)?.response).toMatchObject({ errcode: 0 });
      expect(reply).toContain('Added 1 to **Busy**: Alice (alice).');
      expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1', 'alice']);
    });

    it('explains an unknown userId refused by DingTalk', async () => {
      h.emu.faults.contact.deny('qyapi_get_member');
      const c = seedChat(h, 'Typos', 'lead1', []);
      const reply = await h.say('lead1', `/chat add ${c.chatId} bobb`);
      expect(reply).toContain('DingTalk refused');
      expect(reply).toContain('parameter.invalid');
      expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1']);
    });

    it('refuses a lead who does not own the chat, before any write', async () => {
      const c = seedChat(h, 'Not Yours', 'lead2', ['alice']);
      const t = track(h);
      const reply = await h.say('lead1', `/chat add ${c.chatId} bob`);
      expect(writes(t.calls())).toEqual([]);
      expect(reply).toContain('may not change');
    });
  });

  describe('/chat remove', () => {
    it('shows who leaves, waits for /confirm, then removes only the members', async () => {
      const c = seedChat(h, 'Cleanup', 'lead1', ['alice', 'bob', 'carol']);
      const t = track(h);
      const ask = await h.say('lead1', `/chat remove ${c.chatId} bob dave`);
      expect(writes(t.calls())).toEqual([]);
      expect(ask).toContain(`1 will leave **Cleanup** (\`${c.chatId}\`): Bob (bob).`);
      expect(ask).toContain('Not in the chat (skipped): Dave (dave).');
      expect(h.emu.org.chat(c.chatId)?.members).toContain('bob');
      const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      const [upd] = writes(t.calls());
      expect(upd?.endpoint).toBe('im.group.update');
      expect(upd?.body).toEqual({ chatid: c.chatId, del_useridlist: ['bob'] });
      expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1', 'alice', 'carol']);
      expect(done).toContain('Removed 1 from **Cleanup**: Bob (bob). Members now: 3.');
      expect(done).toContain('Not in the chat (skipped): Dave (dave).');
    });

    it('never removes the owner', async () => {
      const c = seedChat(h, 'Owned', 'alice', ['lead1', 'bob']);
      h.emu.org.chat(c.chatId)!.owner = 'lead1';
      const t = track(h);
      const reply = await h.say('lead1', `/chat remove ${c.chatId} bob lead1`);
      expect(writes(t.calls())).toEqual([]);
      expect(reply).toContain(
        'Lee Lead (lead1) owns the chat and cannot be removed: transfer ownership first',
      );
      expect(h.emu.org.chat(c.chatId)?.members).toContain('bob');
    });

    it('asks nothing when nobody named is in the chat', async () => {
      const c = seedChat(h, 'Nobody', 'lead1', ['alice']);
      const reply = await h.say('lead1', `/踢人 ${c.chatId} erin`);
      expect(reply).toContain('无需移出');
      expect(reply).not.toContain('/confirm');
    });

    it('/cancel drops the pending removal', async () => {
      const c = seedChat(h, 'Kept', 'lead1', ['alice']);
      const ask = await h.say('lead1', `/chat remove ${c.chatId} alice`);
      confirmCode(ask);
      const t = track(h);
      await h.say('lead1', '/cancel');
      expect(writes(t.calls())).toEqual([]);
      expect(h.emu.org.chat(c.chatId)?.members).toContain('alice');
    });

    it('explains a DingTalk failure of the confirmed removal', async () => {
      const c = seedChat(h, 'Flaky', 'lead1', ['alice']);
      const ask = await h.say('lead1', `/chat remove ${c.chatId} alice`);
      h.emu.faults.inject('im.group.update', 'http500', 1);
      const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      expect(done).toContain('DingTalk');
      expect(done).not.toContain('Removed');
    });
  });

  describe('/chat owner', () => {
    it('previews old and new owner, then transfers after /confirm', async () => {
      const c = seedChat(h, 'Handover', 'lead1', ['alice', 'bob']);
      const t = track(h);
      const ask = await h.say('lead1', `/chat owner ${c.chatId} alice`);
      expect(writes(t.calls())).toEqual([]);
      expect(ask).toContain(`Owner of **Handover** (\`${c.chatId}\`): Lee Lead (lead1) → Alice (alice).`);
      const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
      const [upd] = writes(t.calls());
      expect(upd?.endpoint).toBe('im.group.update');
      expect(upd?.body).toEqual({ chatid: c.chatId, owner: 'alice' });
      expect(upd?.token).toBeTruthy();
      expect(h.emu.org.chat(c.chatId)?.owner).toBe('alice');
      expect(done).toBe(
        'Owner of **Handover** changed: Lee Lead (lead1) → Alice (alice). Lee Lead (lead1) stays a member.',
      );
    });

    it('says the new owner must be a member', async () => {
      const c = seedChat(h, 'Members Only', 'lead1', ['alice']);
      const reply = await h.say('lead1', `/chat owner ${c.chatId} dave`);
      // dave was typed, not picked: he may not exist, so no "add dave" hint.
      expect(reply).toBe(
        `Dave (dave) is not a member of **Members Only**; only a member can become the owner. /chat info ${c.chatId} lists its members.`,
      );
      expect(reply).not.toContain('/confirm');
    });

    it('answers in Chinese to 转让群主 and refuses the current owner', async () => {
      const c = seedChat(h, 'Same', 'lead1', ['alice']);
      const reply = await h.say('lead1', `/转让群主 ${c.chatId} me`);
      expect(reply).toContain('Lee Lead (lead1) 已经是 **Same** 的群主');
    });

    it('explains a chat DingTalk does not know (bad chatid)', async () => {
      const reply = await h.say('admin1', '/chat owner chat00000000000000000000000000000bad alice');
      expect(reply).toContain('DingTalk refused');
      expect(reply).toContain('40016');
    });
  });
});
