/** Sets of chats in the chat slot (issue 21): which words are sets, and what they bind to. */
import { describe, expect, it } from 'vitest';
import chatAddSpec from '../../../commands/chat-add.ts';
import chatRenameSpec from '../../../commands/chat-rename.ts';
import { bindArgs } from '../../../src/bot/bind.ts';
import { isSetForm, MAX_SET, normalizeTag, resolveSet } from '../../../src/bot/chat-ref.ts';
import { parseLine, type Token } from '../../../src/bot/parse.ts';
import type { CommandSpec } from '../../../src/bot/types.ts';
import { DESIGN_ID, GROUP_CID, HERE_ID, message, seededRegistry } from './fakes.ts';

const word = (text: string): Token => {
  const p = parseLine(`/x ${text}`, { conversationType: 'direct' });
  if (!p.ok) throw new Error(p.error.code);
  return p.words[1] as Token;
};

const tags = (table: Record<string, string[]>) => ({ chats: async (tag: string) => table[tag] ?? [] });

const ctx = (over: { userId?: string; tags?: Record<string, string[]> } = {}) => ({
  message: message({ conversationType: 'direct', conversationId: 'cidDirect0001==' }),
  caller: { userId: over.userId ?? 'lead1' },
  registry: seededRegistry(),
  tags: tags(over.tags ?? {}),
});

describe('isSetForm', () => {
  it('tag:, 标签:, mine, 我的群 and lists of chats are sets; one chat, people and quoted names are not', () => {
    for (const w of [
      'tag:proj',
      '标签:项目',
      'TAG：proj',
      'mine',
      'MINE',
      '我的群',
      `${DESIGN_ID},${HERE_ID}`,
      '#Ops,#Dev',
      `here,${DESIGN_ID}`,
    ])
      expect(isSetForm(word(w)), w).toBe(true);
    for (const w of [DESIGN_ID, '#Ops', 'here', 'alice,bob', 'alice', '#"a, b"', 'tag=proj', `${DESIGN_ID},`])
      expect(isSetForm(word(w)), w).toBe(false);
  });

  it('normalizeTag: lower case, letters, digits, - and _, at most 32', () => {
    expect(normalizeTag(' Proj-1_x ')).toBe('proj-1_x');
    expect(normalizeTag('项目')).toBe('项目');
    expect(normalizeTag('ＰＲＯＪ')).toBe('proj');
    for (const bad of ['', 'a b', 'a!', 'x'.repeat(33), 'tag:x'])
      expect(normalizeTag(bad), bad).toBeUndefined();
  });
});

describe('resolveSet', () => {
  it('a tag: its registered chats in tagging order; a chat no longer registered is left out', async () => {
    const r = await resolveSet(
      word('tag:Proj'),
      ctx({ tags: { proj: [HERE_ID, 'chatgone000001', DESIGN_ID] } }),
    );
    expect(r.ok && r.value.kind).toBe('tag');
    expect(r.ok && r.value.chats.map((c) => c.chatId)).toEqual([HERE_ID, DESIGN_ID]);
    expect(r.ok && r.value.chats[0]?.record?.name).toBe('Team Here');
    expect(r.ok && r.value.label).toBe('tag:Proj');
  });

  it('mine: the chats registered to the caller; empty is refused', async () => {
    const r = await resolveSet(word('mine'), ctx());
    expect(r.ok && r.value.chats.length).toBe(4);
    const none = await resolveSet(word('mine'), ctx({ userId: 'lead2' }));
    expect(!none.ok && none.error.code).toBe('set.mine-empty');
  });

  it('a list: each part a <chat>, duplicates once; a part that is no chat is refused', async () => {
    const r = await resolveSet(word(`${DESIGN_ID},#design`), ctx());
    // `#design` matches two chats (Design, design): ambiguous is the user's to fix.
    expect(!r.ok && r.error.code).toBe('chat.name-ambiguous');
    const ok = await resolveSet(word(`${DESIGN_ID},${HERE_ID},${DESIGN_ID}`), ctx());
    expect(ok.ok && ok.value.chats.map((c) => c.chatId)).toEqual([DESIGN_ID, HERE_ID]);
  });

  it('refuses an empty tag, a bad tag and more than MAX_SET chats', async () => {
    const empty = await resolveSet(word('tag:none'), ctx());
    expect(!empty.ok && empty.error.code).toBe('set.tag-empty');
    const bad = await resolveSet(word('tag:a!b'), ctx());
    expect(!bad.ok && bad.error.code).toBe('set.bad-tag');
    const ids = Array.from({ length: MAX_SET + 1 }, (_, i) => `chat${String(i).padStart(8, '0')}`);
    const big = await resolveSet(word('tag:big'), ctx({ tags: { big: ids } }));
    expect(!big.ok && big.error).toMatchObject({
      code: 'set.too-many',
      params: { count: MAX_SET + 1, max: MAX_SET },
    });
  });
});

describe('bindArgs with a set', () => {
  const bind = async (spec: CommandSpec<unknown>, line: string) => {
    const p = parseLine(line, { conversationType: 'group' });
    if (!p.ok) throw new Error(p.error.code);
    const words = p.words.slice(spec.name.split(' ').length);
    return bindArgs(spec, words, {
      message: message({ text: line, conversationType: 'group', conversationId: GROUP_CID }),
      caller: { userId: 'lead1' },
      registry: seededRegistry(),
      tags: tags({ proj: [DESIGN_ID, HERE_ID] }),
    });
  };

  it('a command that runs over sets binds the set, leaves `chat` unset and puts a stand-in in its place', async () => {
    const r = await bind(chatAddSpec as CommandSpec<unknown>, '/chat add tag:proj alice');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.chat).toBeUndefined();
    expect(r.set?.chats.map((c) => c.chatId)).toEqual([DESIGN_ID, HERE_ID]);
    expect(r.pre.values.chat).toEqual({
      chatId: '',
      openConversationId: undefined,
      record: undefined,
      label: 'tag:proj',
    });
  });

  it('in a group, people separated by commas are still people (the chat is here)', async () => {
    const r = await bind(chatAddSpec as CommandSpec<unknown>, '/chat add alice,bob');
    expect(r.ok && r.set).toBeUndefined();
    expect(r.ok && r.chat?.chatId).toBe(HERE_ID);
  });

  it('a command of one chat refuses a set and names the commands that take one', async () => {
    const r = await bind(chatRenameSpec as CommandSpec<unknown>, '/chat rename mine X');
    expect(!r.ok && r.error.code).toBe('set.not-here');
  });
});
