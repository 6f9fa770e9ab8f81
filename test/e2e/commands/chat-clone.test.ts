import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { seedChat } from './helpers.ts';

/** /chat clone: members and settings from chat/get, admins and nicknames from what the bot set. */
describe('/chat clone', () => {
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

  const byName = (name: string) => {
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`no chat named ${name}`);
    return c;
  };

  /** A source chat the bot made for lead1, with settings, admins, nicknames and private chat off. */
  const source = async (name: string) => {
    await h.say('lead1', `/chat create "${name}" alice bob carol validation=on mention-all=owner history=on`);
    const src = byName(name);
    await h.say('lead1', `/chat admin add ${src.chatId} alice bob`);
    await h.say('lead1', `/chat admin remove ${src.chatId} bob`);
    await h.say('lead1', `/chat nick ${src.chatId} alice "PM Alice"`);
    await h.say('lead1', `/chat nick ${src.chatId} carol "QA"`);
    await h.say('lead1', `/chat set ${src.chatId} private-chat=off`);
    return src;
  };

  it('copies members, settings, the admins, private chat and nicknames the bot set', async () => {
    const src = await source('Sprint 41');
    // Set in DingTalk itself: the bot cannot know it, so the clone does not get it.
    src.nicks.bob = 'Bobby';
    const reply = await h.say('lead1', `/chat clone ${src.chatId} "Sprint 42" erin`);
    const clone = byName('Sprint 42');
    expect(clone.chatId).not.toBe(src.chatId);
    expect(clone.owner).toBe('lead1');
    expect([...clone.members].sort()).toEqual(['alice', 'bob', 'carol', 'erin', 'lead1']);
    expect(clone.settings).toEqual(src.settings);
    expect(clone.settings).toMatchObject({ validationType: 1, mentionAllAuthority: 1, showHistoryType: 1 });
    expect(clone.admins).toEqual(['alice']);
    expect(clone.nicks).toEqual({ alice: 'PM Alice', carol: 'QA' });
    expect(clone.privateChatProhibited).toBe(true);
    expect(reply).toContain('Cloned **Sprint 41** as **Sprint 42** with 5 members; owner Lee Lead (lead1).');
    expect(reply).toContain('- create with members and settings: done');
    expect(reply).toContain('- admins: Alice (alice): done');
    expect(reply).toContain('- private chat off: done');
    expect(reply).toContain('- nickname of Alice (alice) “PM Alice”: done');
    expect(reply).toContain('DingTalk does not tell me a chat’s admins, nicknames');
    // Registered for the caller, and as made by the bot a create cannot be undone.
    expect(await h.say('lead1', '/chat list')).toContain('**Sprint 42**');
    expect(await h.say('lead1', `/chat undo ${clone.chatId}`)).toContain('a create cannot be undone');
  });

  it('owner= names another owner; a failing step is reported with its retry and the rest done', async () => {
    const src = await source('Sprint 50');
    h.emu.faults.inject('im.subAdministrators', 'http500', 20);
    const reply = await h.say('lead1', `/复制群 ${src.chatId} "Sprint 51" owner=alice`);
    h.emu.faults.clearInjections();
    const clone = byName('Sprint 51');
    expect(clone.owner).toBe('alice');
    expect(clone.admins).toEqual([]);
    expect(clone.nicks).toEqual({ alice: 'PM Alice', carol: 'QA' });
    expect(clone.privateChatProhibited).toBe(true);
    // alice owns the clone, so she is not made an admin: nobody is left to make one.
    expect(reply).toContain('管理员：我在 **Sprint 50** 里没有设置过');
    const src2 = await source('Sprint 60');
    h.emu.faults.inject('im.subAdministrators', 'http500', 20);
    const failed = await h.say('lead1', `/chat clone ${src2.chatId} "Sprint 61"`);
    h.emu.faults.clearInjections();
    const clone2 = byName('Sprint 61');
    expect(failed).toContain(`admins: **failed**`);
    expect(failed).toContain(`Retry: /chat admin add ${clone2.chatId} alice`);
    expect(clone2.nicks).toEqual({ alice: 'PM Alice', carol: 'QA' });
    // The retry it names works.
    await h.say('lead1', `/chat admin add ${clone2.chatId} alice`);
    expect(h.emu.org.chat(clone2.chatId)?.admins).toEqual(['alice']);
  });

  it('reading the source needs read access, like /chat info; anyone else is refused', async () => {
    const other = seedChat(h, 'Someone Else', 'lead2', ['bob']);
    const reply = await h.say('lead1', `/chat clone ${other.chatId} "Copy"`);
    expect(reply).toContain('Cloned **Someone Else** as **Copy**');
    expect(reply).toContain('admins: none that I set');
    expect(byName('Copy').members.sort()).toEqual(['bob', 'lead1', 'lead2']);
    expect(await h.say('erin', `/chat clone ${other.chatId} "Nope"`)).toContain('needs the role');
    expect(await h.say('lead1', `/chat clone ${other.chatId} "${'x'.repeat(21)}"`)).toContain('too long');
  });
});
