import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode, seedChat, track, writes } from './helpers.ts';

/** /chat undo: every kind of change taken back, the org as it was before. */
describe('/chat undo', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** What a chat looks like in the org, order of members aside. */
  const state = (chatId: string) => {
    const c = h.emu.org.chat(chatId);
    if (!c) throw new Error(`no chat ${chatId}`);
    return structuredClone({
      name: c.name,
      owner: c.owner,
      members: [...c.members].sort(),
      admins: [...c.admins].sort(),
      nicks: c.nicks,
      settings: c.settings,
      privateChatProhibited: c.privateChatProhibited,
    });
  };

  /** A chat the bot creates for `lead`. */
  const create = async (lead: string, name: string, users = 'alice bob') => {
    await h.say(lead, `/chat create "${name}" ${users}`);
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`${name} was not created`);
    return c.chatId;
  };

  it('rename: back to the old name, in DingTalk and in the registry', async () => {
    const id = await create('lead1', 'Undo Rename');
    const before = state(id);
    await h.say('lead1', `/chat rename ${id} "Wrong Name"`);
    expect(h.emu.org.chat(id)?.name).toBe('Wrong Name');
    const reply = await h.say('lead1', `/chat undo ${id}`);
    expect(reply).toContain('Undone: your /chat rename on **Wrong Name**');
    expect(reply).toContain('name: Wrong Name → Undo Rename');
    expect(state(id)).toEqual(before);
    expect(await h.say('lead1', '/chat list')).toContain('**Undo Rename**');
    // Named by its new name: the hint for the next undo names it by chatId, not the stale #name.
    await h.say('lead1', `/chat rename ${id} Renamed2`);
    const byName = await h.say('lead1', '/chat undo #Renamed2');
    expect(byName).toContain(`A second /chat undo ${id} goes one change further back.`);
  });

  it('add: asks to confirm, then takes out only those the add put in', async () => {
    const id = await create('lead1', 'Undo Add', 'alice');
    const before = state(id);
    await h.say('lead1', `/chat add ${id} alice carol dave`);
    expect(state(id).members).toEqual(['alice', 'carol', 'dave', 'lead1']);
    const t = track(h);
    const ask = await h.say('lead1', `/chat undo ${id}`);
    expect(writes(t.calls())).toEqual([]);
    expect(ask).toContain('Undo your /chat add on **Undo Add**');
    expect(ask).toContain('take out: Carol (carol), Dave (dave)');
    expect(ask).not.toContain('Alice (alice)');
    const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(done).toContain('Undone: your /chat add');
    expect(state(id)).toEqual(before);
  });

  it('remove: adds them back without a confirmation', async () => {
    const id = await create('lead1', 'Undo Remove', 'alice bob carol');
    const before = state(id);
    const ask = await h.say('lead1', `/chat remove ${id} bob carol`);
    await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(state(id).members).toEqual(['alice', 'lead1']);
    const reply = await h.say('lead1', `/撤销 ${id}`);
    expect(reply).toContain('已撤销');
    expect(reply).toContain('拉回：Bob (bob), Carol (carol)');
    expect(state(id)).toEqual(before);
  });

  it('owner: the old lead may not take a handover back', async () => {
    const id = await create('lead1', 'Undo Owner');
    const before = state(id);
    await h.say('lead1', `/confirm ${confirmCode(await h.say('lead1', `/chat owner ${id} alice`))}`);
    expect(h.emu.org.chat(id)?.owner).toBe('alice');
    // The handover handed the chat over (issue 19): the old lead may not take it back alone.
    expect(await h.say('lead1', `/chat undo ${id}`)).toContain('may not change');
    expect(h.emu.org.chat(id)?.owner).toBe('alice');
    expect(state(id)).not.toEqual(before);
  });

  it('set: settings and private chat back to what they were', async () => {
    const id = await create('lead1', 'Undo Set');
    await h.say('lead1', `/chat set ${id} private-chat=off`);
    const before = state(id);
    await h.say('lead1', `/chat set ${id} validation=on mention-all=owner history=on private-chat=on`);
    expect(state(id)).not.toEqual(before);
    const reply = await h.say('lead1', `/chat undo ${id}`);
    expect(reply).toContain('settings back to:');
    expect(reply).toContain('private chat back to: off');
    expect(state(id)).toEqual(before);
    // The next undo takes back the first set; what private chat was before it nobody knows.
    const first = await h.say('lead1', `/chat undo ${id}`);
    expect(first).toContain('private chat: not restored');
    expect(h.emu.org.chat(id)?.privateChatProhibited).toBe(true);
  });

  it('admin add and admin remove: the inverse', async () => {
    const id = await create('lead1', 'Undo Admin', 'alice bob carol');
    await h.say('lead1', `/chat admin add ${id} alice`);
    const before = state(id);
    await h.say('lead1', `/chat admin add ${id} bob carol`);
    expect(state(id).admins).toEqual(['alice', 'bob', 'carol']);
    expect(await h.say('lead1', `/chat undo ${id}`)).toContain('no longer admins: Bob (bob), Carol (carol)');
    expect(state(id)).toEqual(before);
    await h.say('lead1', `/chat admin remove ${id} alice`);
    expect(state(id).admins).toEqual([]);
    expect(await h.say('lead1', `/chat undo ${id}`)).toContain('admins again: Alice (alice)');
    expect(state(id)).toEqual(before);
  });

  it('nick: the nickname before when the bot set it, else says it cannot', async () => {
    const id = await create('lead1', 'Undo Nick');
    await h.say('lead1', `/chat nick ${id} alice "First"`);
    const before = state(id);
    await h.say('lead1', `/chat nick ${id} alice "Second"`);
    expect(h.emu.org.chat(id)?.nicks.alice).toBe('Second');
    expect(await h.say('lead1', `/chat undo ${id}`)).toContain('nickname of Alice (alice) back to “First”');
    expect(state(id)).toEqual(before);
    expect(await h.say('lead1', `/chat undo ${id}`)).toContain('not restored, I did not know the one before');
    expect(h.emu.org.chat(id)?.nicks.alice).toBe('First');
  });

  it('undo twice undoes the change before; the undo itself is audited and not undone', async () => {
    const id = await create('lead1', 'Twice A');
    await h.say('lead1', `/chat rename ${id} "Twice B"`);
    await h.say('lead1', `/chat rename ${id} "Twice C"`);
    await h.say('lead1', `/chat undo ${id}`);
    expect(h.emu.org.chat(id)?.name).toBe('Twice B');
    await h.say('lead1', `/chat undo ${id}`);
    expect(h.emu.org.chat(id)?.name).toBe('Twice A');
    // Only the create is left, and a create cannot be undone.
    const third = await h.say('lead1', `/chat undo ${id}`);
    expect(third).toContain('a create cannot be undone');
    expect(h.emu.org.chat(id)?.name).toBe('Twice A');
    const audit = await h.say('admin1', `/audit 3 ${id}`);
    expect(audit).toContain('chat undo');
  });

  it('works after a restart: the history is in the store file', async () => {
    const id = await create('lead1', 'Restart A');
    await h.say('lead1', `/chat rename ${id} "Restart B"`);
    await h.restart();
    await h.say('lead1', `/chat undo ${id}`);
    expect(h.emu.org.chat(id)?.name).toBe('Restart A');
  });

  it('says plainly when there is nothing to undo or only a create', async () => {
    expect(await h.say('erin', '/chat undo')).toContain('needs the role');
    const seeded = seedChat(h, 'Made Elsewhere', 'lead2', ['alice']);
    const nothing = await h.say('lead2', `/chat undo ${seeded.chatId}`);
    expect(nothing).toContain(`Nothing to undo in ${seeded.chatId}`);
    expect(nothing).toContain('made in DingTalk itself I cannot see');
    expect(await h.say('lead2', '/chat undo')).toContain('Nothing to undo: you made no change');
    await create('lead2', 'Fresh One');
    expect(await h.say('lead2', '/chat undo')).toContain('the creation of **Fresh One**');
    expect(await h.say('lead2', '/撤销')).toContain('建群无法撤销');
  });

  it('ownership: only your own changes, only chats you may still change', async () => {
    // lead1 owns a chat in DingTalk (not made by the bot) and hands it to alice.
    const c = seedChat(h, 'Handed Over', 'lead1', ['alice']);
    await h.say('lead1', `/confirm ${confirmCode(await h.say('lead1', `/chat owner ${c.chatId} alice`))}`);
    const t = track(h);
    const named = await h.say('lead1', `/chat undo ${c.chatId}`);
    expect(named).toContain('its owner is Alice (alice)');
    // Without a chat, the last change anywhere is found, and refused the same way.
    const anywhere = await h.say('lead1', '/chat undo');
    expect(anywhere).toContain('you may no longer change that chat');
    expect(writes(t.calls())).toEqual([]);
    expect(h.emu.org.chat(c.chatId)?.owner).toBe('alice');
    // Another lead's undo does not see lead1's changes.
    const mine = seedChat(h, 'Lead2 Own', 'lead2', ['alice']);
    await h.say('lead1', `/chat rename ${mine.chatId} Nope`);
    expect(h.emu.org.chat(mine.chatId)?.name).toBe('Lead2 Own');
    expect(await h.say('lead2', `/chat undo ${mine.chatId}`)).toContain('Nothing to undo');
  });

  it('an undo whose owner has changed again does not hand the chat back', async () => {
    const id = await create('lead1', 'Moved Twice', 'alice bob');
    await h.say('lead1', `/confirm ${confirmCode(await h.say('lead1', `/chat owner ${id} alice`))}`);
    // alice hands it on in DingTalk itself.
    const chat = h.emu.org.chat(id);
    if (chat) chat.owner = 'bob';
    const reply = await h.say('lead1', `/chat undo ${id}`);
    expect(reply).toContain('may not change');
    expect(h.emu.org.chat(id)?.owner).toBe('bob');
  });
});
