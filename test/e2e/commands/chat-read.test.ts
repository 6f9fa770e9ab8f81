import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { responseOf, seedChat, track } from './helpers.ts';

/** /chat info, cid, qr and list: the read commands. */
describe('read commands', () => {
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

  describe('/chat info', () => {
    it('shows name, owner, members, settings and ids from chat/get and the registry', async () => {
      await h.say('lead1', '/chat create Infra @alice @bob validation=on management=owner');
      const chat = h.emu.org.chats().find((c) => c.name === 'Infra')!;
      const t = track(h);
      const reply = await h.say('lead2', `/chat info ${chat.chatId}`);
      const [get] = t.calls();
      expect(t.endpoints()).toEqual(['chat.get']);
      expect(get?.method).toBe('GET');
      expect(get?.path).toBe('/chat/get');
      expect(get?.query).toMatchObject({ chatid: chat.chatId, access_token: get?.token });
      expect(reply).toMatch(/^\*\*Infra\*\*/);
      expect(reply).toContain('- owner: Lee Lead (lead1)');
      expect(reply).toContain('- members (3): Lee Lead (lead1), Alice (alice), Bob (bob)');
      expect(reply).toContain('- validation: on');
      expect(reply).toContain('- management: owner');
      expect(reply).toContain('- searchable: off');
      expect(reply).toContain(`- chatId: \`${chat.chatId}\``);
      expect(reply).toContain(`- openConversationId: \`${chat.openConversationId}\``);
      expect(reply).toContain('Created by me for Lee Lead (lead1)');
    });

    it('answers in Chinese to 群信息, and in a group the chat may be left out', async () => {
      const chat = h.emu.org.chats().find((c) => c.name === 'Infra')!;
      chat.botInChat = true;
      const reply = await h.say('alice', '/群信息', { chat: chat.chatId });
      // alice is no lead: refused, in Chinese.
      expect(reply).not.toContain('Infra**');
      expect(reply).toMatch(/[\u4e00-\u9fff]/);
      const lead = await h.say('lead1', '/群信息', { chat: chat.chatId });
      expect(lead).toContain('**Infra**');
      expect(lead).toContain('- 群主：Lee Lead (lead1)');
      expect(lead).toContain('入群验证 validation: 开');
    });

    it('says when a chat is not registered and when it is dissolved', async () => {
      const seeded = seedChat(h, 'Old Team', 'lead2', ['alice']);
      h.emu.org.chat(seeded.chatId)!.status = 2;
      const reply = await h.say('lead1', `/chat info ${seeded.chatId}`);
      expect(reply).toContain('**dissolved**');
      expect(reply).toContain(`not known yet (\`/chat cid ${seeded.chatId}\`)`);
      expect(reply).toContain(`\`/chat link ${seeded.chatId}\` registers it`);
    });

    it('explains a bad chatId (40016)', async () => {
      const t = track(h);
      const reply = await h.say('lead1', '/chat info chat0000000000000000000000000000dead');
      expect(t.calls()[0]?.response).toMatchObject({ errcode: 40016 });
      expect(reply).toContain('DingTalk refused');
      expect(reply).toContain('40016');
    });

    it('waits out a QPS limit on chat/get', async () => {
      const chat = h.emu.org.chats().find((c) => c.name === 'Infra')!;
      h.emu.faults.inject('chat.get', 'qps', 2);
      const t = track(h);
      const reply = await h.say('lead1', `/chat info ${chat.chatId}`);
      expect(t.calls().map((r) => (r.response as { errcode: number }).errcode)).toEqual([90018, 90018, 0]);
      expect(reply).toContain('**Infra**');
    });
  });

  describe('/chat cid', () => {
    it('converts with the v1 API and saves the answer in the registry', async () => {
      const seeded = seedChat(h, 'Linked', 'lead1', ['alice']);
      // The lookup during /chat link fails, so the registry has no openConversationId yet.
      h.emu.faults.inject('im.convertToOpenConversationId', 'http500', 10);
      await h.say('lead1', `/chat link ${seeded.chatId}`);
      h.emu.faults.clearInjections();
      expect(await h.say('lead1', `/chat info ${seeded.chatId}`)).toContain('not known yet');
      const t = track(h);
      const reply = await h.say('lead1', `/chat cid ${seeded.chatId}`);
      const [conv] = t.calls();
      expect(t.endpoints()).toEqual(['im.convertToOpenConversationId']);
      expect(conv?.method).toBe('POST');
      expect(conv?.path).toBe(`/v1.0/im/chat/${seeded.chatId}/convertToOpenConversationId`);
      expect(conv?.token).toBeTruthy();
      expect(conv?.headers['x-acs-dingtalk-access-token']).toBe(conv?.token);
      expect(reply).toContain(`openConversationId of \`${seeded.chatId}\`: \`${seeded.openConversationId}\``);
      expect(reply).toContain('Saved in my registry.');
      expect(await h.say('lead1', `/chat info ${seeded.chatId}`)).toContain(
        `- openConversationId: \`${seeded.openConversationId}\``,
      );
      expect(await h.say('lead1', `/chat cid ${seeded.openConversationId}`)).toContain('already had it');
    });

    it('answers for a chat outside the registry, and saves it once the chat is registered', async () => {
      const seeded = seedChat(h, 'Stranger', 'lead2', ['bob']);
      const reply = await h.say('lead1', `/chat cid ${seeded.chatId}`);
      expect(reply).toContain(`\`${seeded.openConversationId}\``);
      expect(reply).toContain(`\`/chat link ${seeded.chatId}\` registers it`);
      // The cid form now works once the chat is registered (lead2 owns it and links it).
      await h.say('lead2', `/chat link ${seeded.chatId}`);
      const info = await h.say('lead1', `/chat info ${seeded.openConversationId}`);
      expect(info).toContain('**Stranger**');
    });

    it('explains a bad chatId (invalideChatId)', async () => {
      const t = track(h);
      const reply = await h.say('lead1', '/chat cid chat0000000000000000000000000000beef');
      expect(t.calls()[0]?.status).toBe(400);
      expect(reply).toContain('invalideChatId');
    });
  });

  describe('/chat qr', () => {
    it('fetches the join link with the caller as sharer', async () => {
      const chat = h.emu.org.chats().find((c) => c.name === 'Infra')!;
      const t = track(h);
      const reply = await h.say('lead1', '/群二维码 #Infra');
      const [qr] = t.calls();
      expect(t.endpoints()).toEqual(['qrcode.get']);
      expect(qr?.path).toBe('/topapi/chat/qrcode/get');
      expect(qr?.query.access_token).toBe(qr?.token);
      expect(qr?.body).toEqual({ chatid: chat.chatId, userid: 'lead1' });
      const url = responseOf<{ result: string }>(qr).result;
      expect(reply).toContain('**Infra**');
      expect(reply).toContain(`[加入 Infra](${url})`);
    });

    it('says who could share when the caller is not a member (60124)', async () => {
      const chat = h.emu.org.chats().find((c) => c.name === 'Infra')!;
      const t = track(h);
      const reply = await h.say('lead2', `/chat qr ${chat.chatId}`);
      // The second chat.get asks whether lead2 may run /chat add there (they may not: no hint).
      expect(t.endpoints()).toEqual(['qrcode.get', 'chat.get', 'chat.get']);
      expect(t.calls()[0]?.response).toMatchObject({ errcode: 60124 });
      expect(reply).toBe(
        'DingTalk lets only members share the join link of **Infra**, and you, Li Lead (lead2), are not one. Ask its owner Lee Lead (lead1) to share it.',
      );
    });
  });

  describe('/chat list', () => {
    it("lists a lead's own chats, all chats for an admin, and a hint when there are none", async () => {
      const mine = await h.say('lead1', '/chat list');
      expect(mine).toMatch(/^Your chats \(\d+\):/);
      expect(mine).toContain('**Infra**');
      expect(mine).toContain('**Linked**');
      expect(mine).toContain('· linked');
      expect(mine).not.toContain('Stranger');
      const all = await h.say('admin1', '/chat list');
      expect(all).toMatch(/^All registered chats/);
      expect(all).toContain('**Stranger**');
      expect(all).toContain('for Li Lead (lead2)');
    });

    it('gives a hint when the caller has none', async () => {
      const h2 = await startHarness();
      try {
        expect(await h2.say('lead2', '/chat list')).toContain('/chat create');
        const zh = await h2.say('lead2', '/我的群');
        expect(zh).toContain('/建群');
        expect(zh).toContain('/关联群');
        expect(zh).not.toContain('/chat');
      } finally {
        await h2.stop();
      }
    });
  });
});
