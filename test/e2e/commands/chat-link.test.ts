import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { seedChat, track } from './helpers.ts';

describe('/chat link', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('registers a chat the lead owns, from a 1:1 chat', async () => {
    const c = seedChat(h, 'Existing Team', 'lead1', ['alice']);
    const t = track(h);
    const reply = await h.say('lead1', `/chat link ${c.chatId}`);
    expect(t.endpoints()).toEqual(['chat.get', 'im.convertToOpenConversationId']);
    expect(t.calls()[0]?.query).toMatchObject({ chatid: c.chatId });
    expect(reply).toContain(`Linked **Existing Team** (\`${c.chatId}\`).`);
    expect(reply).toContain(`openConversationId: \`${c.openConversationId}\``);
    expect(reply).not.toContain('here');
    const list = await h.say('lead1', '/chat list');
    expect(list).toContain(`**Existing Team** \`${c.chatId}\``);
    expect(list).toContain('linked');
    // Now known by name.
    expect(await h.say('lead1', '/chat info #"Existing Team"')).toContain('Linked by Lee Lead (lead1)');
  });

  it('in a group, checks the chat is this group and binds it to here', async () => {
    const c = seedChat(h, 'Group Here', 'lead2', ['alice', 'bob']);
    const before = await h.say('lead2', '/chat info', { chat: c.chatId });
    expect(before).toContain('/chat link');
    const t = track(h);
    const reply = await h.say('lead2', `/chat link ${c.chatId}`, { chat: c.chatId });
    expect(t.endpoints()).toEqual(['chat.get', 'im.convertToOpenConversationId']);
    expect(reply).toContain('Linked **Group Here**');
    expect(reply).toContain('`here` now means this chat');
    const info = await h.say('lead2', '/chat info', { chat: c.chatId });
    expect(info).toContain('**Group Here**');
    expect(info).toContain('- members (3): Li Lead (lead2), Alice (alice), Bob (bob)');
    // A change in the group now works on `here` with the chat left out.
    await h.say('lead2', '/chat rename Group There', { chat: c.chatId });
    expect(h.emu.org.chat(c.chatId)?.name).toBe('Group There');
  });

  it('refuses to bind another chat to this group', async () => {
    const here = seedChat(h, 'This Group', 'lead1', ['alice']);
    const other = seedChat(h, 'Other Group', 'lead1', ['bob']);
    const reply = await h.say('lead1', `/chat link ${other.chatId}`, { chat: here.chatId });
    expect(reply).toContain(`${other.chatId} is not this group`);
    expect(await h.say('lead1', '/chat list')).not.toContain('Other Group');
  });

  it('lets a lead link only a chat they own; an admin may link any', async () => {
    const c = seedChat(h, 'Someone Elses', 'carol', ['lead1']);
    const refused = await h.say('lead1', `/chat link ${c.chatId}`);
    expect(refused).toBe(
      `DingTalk names Carol (carol) the owner of **Someone Elses** (\`${c.chatId}\`), not you, Lee Lead (lead1); only its owner or an admin can link it.`,
    );
    expect(await h.say('lead1', `/关联群 ${c.chatId}`)).toBe(
      `钉钉显示 **Someone Elses**（\`${c.chatId}\`）的群主是 Carol (carol)，不是你 Lee Lead (lead1)；只有群主或管理员可以登记。`,
    );
    expect(await h.say('admin1', `/chat link ${c.chatId}`)).toContain('Linked **Someone Elses**');
    const all = await h.say('admin1', '/chat list');
    expect(all).toContain('**Someone Elses**');
  });

  it('keeps who a bot-created chat was made for', async () => {
    await h.say('lead1', '/chat create Made alice');
    const chat = h.emu.org.chats().find((c) => c.name === 'Made')!;
    const reply = await h.say('admin1', `/chat link ${chat.chatId}`);
    expect(reply).toContain('I created it for Lee Lead (lead1); that stays as it was.');
    expect(await h.say('admin1', `/关联群 ${chat.chatId}`)).toContain(
      '它是我为 Lee Lead (lead1) 创建的，这一点保持不变。',
    );
    expect(await h.say('lead1', '/chat list')).toContain('**Made**');
  });

  it('rejects what is not a chatId, and explains a chat DingTalk does not know', async () => {
    const t = track(h);
    expect(await h.say('lead1', '/chat link design-review')).toContain('is not a chatId');
    expect(t.calls()).toEqual([]);
    const unknown = await h.say('lead1', '/chat link chat0000000000000000000000000000cafe');
    // DingTalk answered 40016; the reply says what that means for a link, not "use /chat link".
    expect(unknown).toBe(
      "DingTalk knows no chat chat0000000000000000000000000000cafe that I may manage. Check the id: I can link only a chat of this organisation that was created through DingTalk's server API (by me or another app), not one made in the DingTalk app.",
    );
  });

  it('refuses a dissolved chat and people without the lead role', async () => {
    const c = seedChat(h, 'Gone', 'lead1', []);
    h.emu.org.chat(c.chatId)!.status = 2;
    expect(await h.say('lead1', `/chat link ${c.chatId}`)).toContain('has been dissolved');
    const t = track(h);
    expect(await h.say('mallory', `/chat link ${c.chatId}`)).toContain('lead');
    expect(t.calls()).toEqual([]);
  });
});
