import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode, track, writes } from './helpers.ts';

/** Sets of chats (issue 21): tags, `mine`, lists; one plan, one confirmation, a ledger. */
describe('sets of chats', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const members = (chatId: string) => [...(h.emu.org.chat(chatId)?.members ?? [])].sort();

  /** A chat the bot creates for `lead`. */
  const create = async (lead: string, name: string, users = 'alice bob') => {
    await h.say(lead, `/chat create "${name}" ${users}`);
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`${name} was not created`);
    return c.chatId;
  };

  it('tags two of three chats; /chat list tag: lists them; add to the tag changes those two only', async () => {
    const a = await create('lead1', 'Proj A');
    const b = await create('lead1', 'Proj B');
    const c = await create('lead1', 'Proj C');
    expect(await h.say('lead1', `/chat tag ${a} proj`)).toContain('Tagged **Proj A** with proj');
    expect(await h.say('lead1', `/群标签 ${b} PROJ`)).toContain('已给 **Proj B** 加上标签 proj');
    expect(await h.say('lead1', `/chat tag ${b} proj`)).toContain('has the tag proj already');
    const list = await h.say('lead1', '/chat list tag:proj');
    expect(list).toContain('Your chats with the tag proj (2)');
    expect(list).toContain('Proj A');
    expect(list).toContain('Proj B');
    expect(list).not.toContain('Proj C');

    const t = track(h);
    const ledger = await h.say('lead1', '/chat add tag:proj carol');
    expect(ledger).toContain('/chat add on tag:proj: 2 chats: 2 done, 0 skipped, 0 failed.');
    expect(ledger).toContain(`**Proj A** (\`${a}\`): Added 1 to **Proj A**: Carol (carol).`);
    expect(ledger).toContain(`**Proj B** (\`${b}\`): Added 1 to **Proj B**: Carol (carol).`);
    expect(ledger).toContain('/chat undo takes the whole batch back.');
    expect(members(a)).toContain('carol');
    expect(members(b)).toContain('carol');
    expect(members(c)).not.toContain('carol');
    // One read and one write per chat.
    expect(t.endpoints().filter((e) => e === 'chat.get')).toHaveLength(2);
    expect(writes(t.calls())).toHaveLength(2);

    // The same again: nothing to change anywhere, nothing written.
    const again = track(h);
    const same = await h.say('lead1', '/chat add tag:proj carol');
    expect(same).toContain('2 skipped');
    expect(same).toContain('nothing to change: Carol (carol) already in');
    expect(writes(again.calls())).toEqual([]);

    // The audit: one record for the batch, one per chat written, linked by the batch id.
    const audit = await h.app.store.audit.latest(10);
    const perChat = audit.filter((r) => r.reason?.startsWith('audit.reason.batch-chat'));
    expect(perChat.map((r) => r.chatId).sort()).toEqual([a, b].sort());
    const id = /"batch":"(B[0-9a-f]{8})"/.exec(perChat[0]?.reason ?? '')?.[1];
    expect(
      perChat.every((r) => r.reason?.includes(`"batch":"${id}"`) && r.args.includes(`"batch":"${id}"`)),
    ).toBe(true);
    const batch = audit.find(
      (r) => r.reason?.startsWith('audit.reason.batch ') && r.reason.includes(`"${id}"`),
    );
    expect(batch?.args).toContain('"set":"tag:proj"');
    expect(batch?.reason).toContain('"done":2');
    expect(batch?.chatId).toBeUndefined();

    await h.say('lead1', `/chat untag ${b} proj`);
    expect(await h.say('lead1', '/chat list tag:proj')).not.toContain('Proj B');
    expect(await h.say('lead1', `/chat untag ${b} proj`)).toContain('has no tag proj');
  });

  it('mine removes a person from every chat of the lead (one /confirm) and from no other lead’s', async () => {
    const m1 = await create('lead1', 'Mine One', 'alice dave');
    const m2 = await create('lead1', 'Mine Two', 'dave');
    const theirs = await create('lead2', 'Theirs', 'alice dave');
    const ask = await h.say('lead1', '/chat remove mine dave');
    expect(ask).toContain('/chat remove on mine');
    expect(ask).toContain('remove Dave (dave)');
    expect(ask).toContain('Mine One');
    expect(ask).toContain('nothing to change: Dave (dave) not in the chat');
    expect(ask).not.toContain('Theirs');
    expect(members(m1)).toContain('dave');
    const ledger = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(ledger).toContain('/chat remove on mine');
    expect(ledger).toMatch(/2 done/);
    expect(members(m1)).not.toContain('dave');
    expect(members(m2)).not.toContain('dave');
    expect(members(theirs)).toContain('dave');
  });

  it("another lead's set command touches none of the chats", async () => {
    const x = await create('lead1', 'Guarded X');
    const y = await create('lead1', 'Guarded Y');
    await h.say('lead1', `/chat tag ${x} guarded`);
    await h.say('lead1', `/chat tag ${y} guarded`);
    const t = track(h);
    const reply = await h.say('lead2', '/chat add tag:guarded mallory');
    expect(reply).toContain('0 done, 2 skipped');
    expect(reply).toContain('not yours: **Guarded X**');
    expect(writes(t.calls())).toEqual([]);
    expect(members(x)).not.toContain('mallory');
    // A removal is previewed first: nothing to change anywhere, no code.
    const rm = await h.say('lead2', `/chat remove ${x},${y} alice`);
    expect(rm).toContain('Nothing to change in any chat of the set');
    expect(rm).not.toMatch(/\/confirm [A-Z0-9]{6}/);
    expect(members(x)).toContain('alice');
  });

  it('a chat failing mid-batch is reported with its retry while the rest go on', async () => {
    const ids = [
      await create('lead1', 'Ops 1'),
      await create('lead1', 'Ops 2'),
      await create('lead1', 'Ops 3'),
    ];
    for (const id of ids) await h.say('lead1', `/chat tag ${id} ops`);
    const broken = ids[1] as string;
    h.emu.faults.inject('chat.update', 'busy', 50, { chat: broken });
    h.emu.faults.inject('im.group.update', 'busy', 50, { chat: broken });
    const ledger = await h.say('lead1', '/chat add tag:ops erin');
    h.emu.faults.clearInjections();
    expect(ledger).toContain('2 done, 0 skipped, 1 failed');
    expect(ledger).toContain('Failed (the other chats went on):');
    expect(ledger).toContain(`Retry just this chat: \`/chat add ${broken} erin\``);
    expect(members(ids[0] as string)).toContain('erin');
    expect(members(broken)).not.toContain('erin');
    expect(members(ids[2] as string)).toContain('erin');
    // The retry command does just that chat.
    expect(await h.say('lead1', `/chat add ${broken} erin`)).toContain('Added 1 to **Ops 2**');
  });

  it('one undo takes the whole batch back: one preview, one /confirm, its own ledger', async () => {
    const u1 = await create('lead1', 'Undo 1', 'alice');
    const u2 = await create('lead1', 'Undo 2', 'alice');
    const u3 = await create('lead1', 'Undo 3', 'alice dave');
    await h.say('lead1', `/chat admin add ${u1} alice`);
    const before = [u1, u2, u3].map(members);
    const ledger = await h.say('lead1', `/chat add ${u1},${u2},${u3} dave mallory`);
    expect(ledger).toContain('3 done');
    expect(members(u3)).toContain('mallory');
    const ask = await h.say('lead1', '/chat undo');
    expect(ask).toContain(`Undo your /chat add on ${u1},${u2},${u3}`.slice(0, 40));
    expect(ask).toContain('take out: Dave (dave), Mallory (mallory)');
    // u3 had dave before: only mallory leaves it.
    expect(ask).toContain(`**Undo 3** (\`${u3}\`): take out: Mallory (mallory)`);
    const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(done).toContain('3 chats: 3 done, 0 skipped, 0 failed');
    expect([u1, u2, u3].map(members)).toEqual(before);
    // The next undo goes one change further back: the admin add before the batch.
    expect(await h.say('lead1', '/chat undo')).toContain('no longer admins: Alice (alice)');
  });

  it('an undo of a batch goes on past a chat that fails and names the undo that retries it', async () => {
    const ids = [await create('lead1', 'Back 1', 'alice'), await create('lead1', 'Back 2', 'alice')];
    await h
      .say('lead1', `/chat remove ${ids.join(',')} alice`)
      .then((ask) => h.say('lead1', `/confirm ${confirmCode(ask)}`));
    expect(ids.map(members)).toEqual([['lead1'], ['lead1']]);
    // Adding back is no removal: no confirmation; the first chat's write fails.
    for (const endpoint of ['chat.update', 'im.group.update'])
      h.emu.faults.inject(endpoint, 'busy', 50, { chat: ids[0] as string });
    const undo = await h.say('lead1', '/chat undo');
    h.emu.faults.clearInjections();
    expect(undo).toContain('2 chats: 1 done, 0 skipped, 1 failed');
    expect(undo).toContain(`Retry just this chat: \`/chat undo ${ids[0]}\``);
    expect(members(ids[1] as string)).toContain('alice');
    expect(members(ids[0] as string)).not.toContain('alice');
    const retry = await h.say('lead1', `/chat undo ${ids[0]}`);
    expect(retry).toContain('Undone: your /chat remove on **Back 1**');
    expect(members(ids[0] as string)).toContain('alice');
  });

  it('admin and nick over a set: each chat judged on its own (not a member, the owner)', async () => {
    const a = await create('lead1', 'Staff A', 'alice bob');
    const b = await create('lead1', 'Staff B', 'bob');
    await h.say('lead1', `/chat tag ${a} staff`);
    await h.say('lead1', `/chat tag ${b} staff`);
    const admins = await h.say('lead1', '/chat admin add tag:staff alice');
    expect(admins).toContain('1 done, 1 skipped');
    expect(admins).toContain('Made admins of **Staff A**: Alice (alice)');
    expect(admins).toContain(
      `nothing to change: none of them is a member other than the owner: **Staff B** (\`${b}\`)`,
    );
    expect(h.emu.org.chat(a)?.admins).toContain('alice');
    const nick = await h.say('lead1', '/群昵称 标签:staff bob "Bobby"');
    expect(nick).toContain('2 个完成');
    expect(h.emu.org.chat(a)?.nicks.bob).toBe('Bobby');
    expect(h.emu.org.chat(b)?.nicks.bob).toBe('Bobby');
    const owner = await h.say('lead1', '/chat remove tag:staff lead1');
    expect(owner).toContain('Lee Lead (lead1) is the owner and cannot be removed');
    expect(owner).toContain('Nothing to change in any chat of the set');
  });

  it('more than 20 chats ask for /confirm first; more than 200 are refused before anything is read', async () => {
    const many = Array.from(
      { length: 25 },
      (_, i) =>
        h.emu.org.addChat({
          name: `Many ${i}`,
          owner: 'lead1',
          members: ['lead1', 'alice'],
          createdByApi: true,
          botInChat: true,
        }).chatId,
    );
    const t = track(h);
    const ask = await h.say('lead1', `/chat set ${many.join(',')} mute=on`);
    expect(ask).toContain('25 chats, 25 to change');
    expect(ask).toContain('mute: off → **on**');
    expect(writes(t.calls())).toEqual([]);
    const ledger = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(ledger).toContain('25 chats: 25 done, 0 skipped, 0 failed');
    expect(many.every((id) => h.emu.org.chat(id)?.settings.chatBannedType === 1)).toBe(true);
    // Long lists name chats by name alone, then count them.
    expect(ledger).toContain('**Many 0**, **Many 1**');
    expect(ledger).not.toContain(`\`${many[0]}\``);
    const tooMany = Array.from({ length: 201 }, (_, i) => `chat${String(i).padStart(8, '0')}ab`);
    const before = track(h);
    const refused = await h.say('lead1', `/chat add ${tooMany.join(',')} bob`);
    expect(refused).toContain('has 201 chats; a set may have at most 200. Nothing was changed.');
    expect(before.calls()).toEqual([]);
  });

  it('a batch that takes more than a few seconds says so when it starts, then sends the ledger', async () => {
    const many = Array.from(
      { length: 70 },
      (_, i) =>
        h.emu.org.addChat({
          name: `Long ${i}`,
          owner: 'lead1',
          members: ['lead1'],
          createdByApi: true,
          botInChat: true,
        }).chatId,
    );
    const ask = await h.say('lead1', `/chat add ${many.join(',')} bob`);
    const [notice, ledger] = await h.sayAll('lead1', `/confirm ${confirmCode(ask)}`, { expect: 2 });
    expect(notice?.text).toContain('Working on 70 chats');
    expect(notice?.text).toContain('about 4 s');
    expect(ledger?.text).toContain('70 chats: 70 done, 0 skipped, 0 failed');
    expect(ledger?.text).toContain('(+10 more)');
    expect(many.every((id) => h.emu.org.chat(id)?.members.includes('bob'))).toBe(true);
  });

  it('refuses sets where a command takes one chat, bad tags, empty sets, unknown chats in a list', async () => {
    expect(await h.say('lead1', '/chat rename tag:proj X')).toContain('/chat rename takes one chat');
    expect(await h.say('lead1', '/chat add tag:nosuch alice')).toContain('No chat I know has the tag nosuch');
    expect(await h.say('lead1', '/chat add tag:bad!tag alice')).toContain('is not a tag');
    expect(await h.say('lead1', '/chat add chatdeadbeef1,nonsense alice')).toContain(
      '"chatdeadbeef1,nonsense" is not a chat',
    );
    expect(await h.say('lead1', '/chat list tag:')).toContain('I can list by tag only');
    // Tagging is changing: only a chat you may change, and only a registered one.
    const mine = await create('lead1', 'Tag Guard');
    expect(await h.say('lead2', `/chat tag ${mine} x`)).toContain('you may not change');
    const unregistered = h.emu.org.addChat({
      name: 'Not Registered',
      owner: 'lead1',
      members: ['lead1'],
      createdByApi: true,
      botInChat: true,
    });
    expect(await h.say('lead1', `/chat tag ${unregistered.chatId} x`)).toContain(
      `is not registered. Register it with /chat link ${unregistered.chatId} first`,
    );
    expect(await h.say('lead1', `/chat tag ${mine} "two words"`)).toContain('is not a tag');
  });
});
