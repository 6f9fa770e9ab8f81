import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode } from './helpers.ts';

/**
 * A lead's afternoon, as a transcript: every step through the emulator, and the org state
 * checked after each one.
 */
describe('transcript: a lead sets up and runs a chat', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('create, rename, add, admin, settings, private chat, nick, QR, owner transfer, remove', async () => {
    // 1. Create with three people (1:1 with the bot, typed userIds).
    const created = await h.say('lead1', '/chat create "Design Review" @alice @bob @carol');
    expect(created).toContain('Created **Design Review** with 4 members; owner Lee Lead (lead1).');
    const chat = h.emu.org.chats().find((c) => c.name === 'Design Review')!;
    const state = () => h.emu.org.chat(chat.chatId)!;
    expect(state().owner).toBe('lead1');
    expect(state().members).toEqual(['lead1', 'alice', 'bob', 'carol']);
    expect(created).toContain(`\`${chat.chatId}\``);
    expect(created).toContain(`\`${chat.openConversationId}\``);
    expect(created).toMatch(/\[Join Design Review\]\(https:\/\/qr\.dingtalk\.com\/action\/joingroup\?code=/);

    // 2. Rename, by name.
    const renamed = await h.say('lead1', '/chat rename #"Design Review" Design Crit');
    expect(renamed).toContain('Renamed **Design Review** → **Design Crit**');
    expect(state().name).toBe('Design Crit');

    // 3. Add two.
    const added = await h.say('lead1', `/chat add ${chat.chatId} dave erin`);
    expect(added).toContain('Added 2 to **Design Crit**: Dave (dave), Erin (erin). Members now: 6.');
    expect(state().members).toEqual(['lead1', 'alice', 'bob', 'carol', 'dave', 'erin']);

    // Someone adds the bot to the group; the lead carries on there, picking people with @.
    state().botInChat = true;
    const inGroup = { chat: chat.chatId };

    // 4. Make one admin (picked mention, chat left out = here).
    const admin = await h.say('lead1', '/chat admin add @alice', { ...inGroup, mentions: ['alice'] });
    expect(admin).toContain('Made admins of **Design Crit**: Alice (alice).');
    expect(state().admins).toEqual(['alice']);

    // 5. Searchable and validation on.
    const set = await h.say('lead1', '/chat set searchable=on validation=on', inGroup);
    expect(set).toContain('- searchable: off → **on**');
    expect(set).toContain('- validation: off → **on**');
    expect(state().settings).toMatchObject({ searchable: 1, validationType: 1 });

    // 6. Private chat off (Chinese alias answers in Chinese).
    const privateOff = await h.say('lead1', '/群设置 private-chat=off', inGroup);
    expect(privateOff).toContain('成员不能私聊、互加好友');
    expect(state().privateChatProhibited).toBe(true);

    // 7. A nickname.
    const nick = await h.say('lead1', '/chat nick @bob "Bob (PM)"', { ...inGroup, mentions: ['bob'] });
    expect(nick).toContain('Bob (bob) is now “Bob (PM)” in **Design Crit**.');
    expect(state().nicks).toEqual({ bob: 'Bob (PM)' });

    // 8. The QR link, shared by the lead.
    const qr = await h.say('lead1', '/群二维码', inGroup);
    expect(qr).toMatch(/\[加入 Design Crit\]\(https:\/\/qr\.dingtalk\.com\/action\/joingroup\?code=/);

    // 9. Transfer ownership to alice, with confirmation.
    const askOwner = await h.say('lead1', '/chat owner @alice', { ...inGroup, mentions: ['alice'] });
    expect(askOwner).toContain('Owner of **Design Crit**');
    expect(askOwner).toContain('Lee Lead (lead1) → Alice (alice)');
    expect(state().owner).toBe('lead1');
    const owned = await h.say('lead1', `/confirm ${confirmCode(askOwner)}`, inGroup);
    expect(owned).toContain('Owner of **Design Crit** changed: Lee Lead (lead1) → Alice (alice).');
    expect(state().owner).toBe('alice');
    expect(state().admins).toEqual([]);

    // 10. The handover handed over: lead1 may no longer change it (issue 19). An admin removes
    // one member, with confirmation.
    expect(await h.say('lead1', `/chat remove ${chat.chatId} erin`)).toContain('may not change');
    const askRemove = await h.say('admin1', `/chat remove ${chat.chatId} erin`);
    expect(askRemove).toContain('1 will leave **Design Crit**');
    expect(askRemove).toContain('erin');
    expect(state().members).toContain('erin');
    const removed = await h.say('admin1', `/confirm ${confirmCode(askRemove)}`);
    expect(removed).toContain('Removed 1 from **Design Crit**: Erin (erin). Members now: 5.');
    expect(state().members).toEqual(['lead1', 'alice', 'bob', 'carol', 'dave']);
    expect(state().nicks).toEqual({ bob: 'Bob (PM)' });

    // The final picture, as /chat info tells it.
    const info = await h.say('lead1', '/chat info', inGroup);
    expect(info).toContain('- owner: Alice (alice)');
    expect(info).toContain(
      '- members (5): Lee Lead (lead1), Alice (alice), Bob (bob), Carol (carol), Dave (dave)',
    );
    expect(info).toContain('- searchable: on');
    expect(info).toContain('- validation: on');
  });
});
