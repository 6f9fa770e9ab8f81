/**
 * Names in replies (issue 11, item 4): every reply that lists people shows the directory's name
 * with the userId beside it, `/chat info` names at most the first 50 members, and without the
 * contact permissions the replies fall back to userIds and never fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeedUser } from '../../../src/emulator/index.ts';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';
import { confirmCode, seedChat, track } from './helpers.ts';

/** An org whose directory names differ from the nicks, with a long opaque userId. */
const NAMED: SeedUser[] = [
  ...TEST_USERS.filter((u) => !['alice', 'bob'].includes(u.userId)),
  { userId: 'alice', nick: 'Alice Wang', name: 'Alice Wang' },
  { userId: 'bob', nick: 'Bobby', name: '王小明' },
  { userId: '0147225041597041', nick: 'Zed', name: 'Zed Zhou' },
];

/** 120 people, all in the directory, none of whom has written to the bot. */
const CROWD: SeedUser[] = Array.from({ length: 120 }, (_, i) => {
  const n = String(i + 1).padStart(3, '0');
  return { userId: `m${n}`, nick: `M${n}`, name: `Member ${n}` };
});

/** Requests to the contact directory's user/get since `mark`. */
const userGets = (h: Harness, mark: number) =>
  h.emu.requests.slice(mark).filter((r) => r.endpoint === 'user.get');

describe('names in replies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: [...NAMED, ...CROWD] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/chat create names the members and the owner', async () => {
    const reply = await h.say('lead1', '/chat create Named alice bob 0147225041597041 owner=alice');
    expect(reply).toContain('owner Alice Wang (alice).');
    // A long userId is shortened beside its name.
    expect(reply).toContain(
      'Members: Lee Lead (lead1), Alice Wang (alice), 王小明 (bob), Zed Zhou (0147…041)',
    );
  });

  it('/chat info names owner, members and whom it was created for', async () => {
    const chatId = h.emu.org.chats().find((c) => c.name === 'Named')?.chatId;
    const reply = await h.say('lead1', `/chat info ${chatId}`);
    expect(reply).toContain('- owner: Alice Wang (alice)');
    // DingTalk lists the owner first.
    expect(reply).toContain(
      '- members (4): Alice Wang (alice), Lee Lead (lead1), 王小明 (bob), Zed Zhou (0147…041)',
    );
    expect(reply).toContain('Created by me for Lee Lead (lead1)');
  });

  it('/chat add, /chat admin and /chat nick name the people they changed, in both languages', async () => {
    const c = seedChat(h, 'Crew', 'lead1', ['lead1', 'alice']);
    expect(await h.say('lead1', `/chat add ${c.chatId} bob alice`)).toBe(
      'Added 1 to **Crew**: 王小明 (bob). Members now: 3.\n\nAlready in the chat: Alice Wang (alice).',
    );
    expect(await h.say('lead1', `/群管理员 add ${c.chatId} bob lead1 dave`)).toBe(
      '已设为 **Crew** 的管理员：王小明 (bob)。\n\n不在群里（已跳过，请先用 /拉人 拉进群）：Dave (dave)。\n\nLee Lead (lead1) 是群主，无需设为管理员（已跳过）。',
    );
    expect(await h.say('lead1', `/chat nick ${c.chatId} alice "PM"`)).toBe(
      'Alice Wang (alice) is now “PM” in **Crew**.',
    );
    // Not a member: the name in the sentence (a suggested command would keep the userId).
    expect(await h.say('lead1', `/chat owner ${c.chatId} 0147225041597041`)).toBe(
      `Zed Zhou (0147…041) is not a member of **Crew**; only a member can become the owner. /chat info ${c.chatId} lists its members.`,
    );
  });

  it('/chat remove and /chat owner name people in the preview and in the result', async () => {
    const c = seedChat(h, 'Shrink', 'lead1', ['lead1', 'alice', 'bob']);
    const ask = await h.say('lead1', `/chat remove ${c.chatId} bob dave`);
    expect(ask).toContain(`1 will leave **Shrink** (\`${c.chatId}\`): 王小明 (bob).`);
    expect(ask).toContain('Not in the chat (skipped): Dave (dave).');
    expect(await h.say('lead1', `/confirm ${confirmCode(ask)}`)).toContain(
      'Removed 1 from **Shrink**: 王小明 (bob). Members now: 2.',
    );
    const owner = await h.say('lead1', `/转让群主 ${c.chatId} alice`);
    expect(owner).toContain(`**Shrink**（\`${c.chatId}\`）的群主：Lee Lead (lead1) → Alice Wang (alice)。`);
    const code = /\/确认 ([A-Z0-9]{6})/.exec(owner)?.[1];
    expect(await h.say('lead1', `/确认 ${code}`)).toBe(
      '**Shrink** 的群主已转让：Lee Lead (lead1) → Alice Wang (alice)。Lee Lead (lead1) 仍是群成员。',
    );
    // lead1 no longer owns it; an admin tries to remove the new owner.
    expect(await h.say('admin1', `/chat remove ${c.chatId} alice`)).toContain(
      'Alice Wang (alice) owns the chat and cannot be removed',
    );
  });

  it('/audit names the user of each record and the user it is filtered by', async () => {
    await h.say('alice', '/chat create Nope');
    const all = await h.say('admin1', '/audit 3');
    expect(all).toMatch(/· Alice Wang \(alice\) · \/chat create · — · refused/);
    const mine = await h.say('admin1', '/audit 5 alice');
    expect(mine).toMatch(/^The latest audit records? for user Alice Wang \(alice\) \(times in [^)]+\):/);
    expect(mine).not.toContain(' · lead1 · ');
    // An admin's /chat list says whom each chat is for, by name.
    expect(await h.say('admin1', '/chat list')).toContain('for Lee Lead (lead1)');
  });

  it('/help lists the contact permission points for those who may name people', async () => {
    const help = await h.say('lead1', '/help');
    for (const point of [
      'qyapi_addresslist_search',
      'qyapi_get_member',
      'qyapi_get_member_by_mobile',
      'qyapi_get_department_list',
      'qyapi_get_department_member',
    ])
      expect(help).toContain(`\`${point}\``);
    expect(help).toContain('Without them typed userIds and @-picks still work');
    expect(await h.say('lead1', '/帮助')).toContain('未开通时，输入 userId 和 @ 选人照常可用');
    expect(await h.say('alice', '/help')).not.toContain('qyapi_');
  });

  it('/chat info on a chat of 120 names the first 50 and counts the rest', async () => {
    const members = CROWD.map((u) => u.userId);
    const c = seedChat(h, 'Crowd', 'm001', members);
    const mark = h.emu.requests.length;
    const reply = await h.say('lead1', `/chat info ${c.chatId}`);
    expect(reply).toContain('- owner: Member 001 (m001)');
    const line = reply.split('\n').find((l) => l.startsWith('- members (120): ')) ?? '';
    const shown = line.replace('- members (120): ', '').replace(/\s+$/, '').split(', ');
    expect(shown).toHaveLength(50);
    expect(shown[0]).toBe('Member 001 (m001)');
    expect(shown[49]).toBe('Member 050 (m050) (+70)');
    expect(line).not.toContain('m051');
    // Only the people shown were looked up, each once.
    const asked = userGets(h, mark).map((r) => (r.body as { userid?: string }).userid);
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.every((id) => members.slice(0, 50).includes(id ?? ''))).toBe(true);
    // Asked again, the names come from the cache.
    const again = h.emu.requests.length;
    expect(await h.say('lead1', `/chat info ${c.chatId}`)).toContain('Member 050 (m050) (+70)');
    expect(userGets(h, again)).toEqual([]);
  });
});

describe('names without the contact permissions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: NAMED });
    h.emu.faults.contact.deny();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('replies show userIds and every command still works', async () => {
    const c = seedChat(h, 'Plain', 'lead1', ['lead1', 'alice']);
    const t = track(h);
    const info = await h.say('admin1', `/chat info ${c.chatId}`);
    expect(info).toMatch(/- owner: lead1\s/);
    expect(info).toContain('- members (2): lead1, alice');
    expect(t.endpoints()).toEqual(['chat.get']);
    expect(await h.say('admin1', `/chat add ${c.chatId} bob`)).toBe(
      'Added 1 to **Plain**: bob. Members now: 3.',
    );
    expect(await h.say('admin1', `/chat admin add ${c.chatId} bob`)).toBe('Made admins of **Plain**: bob.');
    expect(await h.say('admin1', `/chat nick ${c.chatId} alice A`)).toBe('alice is now “A” in **Plain**.');
    const ask = await h.say('admin1', `/chat remove ${c.chatId} bob`);
    expect(ask).toContain(`1 will leave **Plain** (\`${c.chatId}\`): bob.`);
    expect(await h.say('admin1', `/confirm ${confirmCode(ask)}`)).toContain('Removed 1 from **Plain**: bob.');
    const owner = await h.say('admin1', `/chat owner ${c.chatId} alice`);
    expect(owner).toContain('lead1 → alice');
    expect(await h.say('admin1', `/confirm ${confirmCode(owner)}`)).toContain('changed: lead1 → alice.');
    expect(await h.say('admin1', '/audit 3 lead1')).toBe('No audit records for user lead1.');
    // The refusals were DingTalk's answers to user/get, not errors shown to anyone.
    expect(h.emu.requests.some((r) => r.endpoint === 'user.get')).toBe(true);
    expect(h.logs.some((l) => l.includes('"level":50'))).toBe(false);
  });
});
