import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bindArgs, completeArgs, expandArgs } from '../../../src/bot/bind.ts';
import { zUserIds } from '../../../src/bot/kit.ts';
import { parseLine } from '../../../src/bot/parse.ts';
import { loadCommands } from '../../../src/bot/registry.ts';
import { type CommandSpec, type IncomingMessage, UserError } from '../../../src/bot/types.ts';
import { DESIGN_ID, DESIGN2_ID, GROUP_CID, HERE_ID, message, OTHER_CID, seededRegistry } from './fakes.ts';
import { audit, chatAdd, chatCreate, chatInfo, chatNick, chatRename } from './sample-specs.ts';

const registry = loadCommands([chatInfo, chatRename, chatAdd, chatNick, chatCreate, audit]);

type Mentioned = IncomingMessage['mentions'];
const m = (...ids: (string | undefined)[]): Mentioned =>
  ids.map((userId, i) => ({ dingtalkId: `$:dt${i}`, userId }));

async function bind(line: string, over: Partial<IncomingMessage> = {}) {
  const msg = message({ text: line, ...over });
  const p = parseLine(line, { conversationType: msg.conversationType });
  if (!p.ok) throw new Error(p.error.code);
  const found = registry.match(p.words);
  if (!found.ok) throw new Error(found.error.code);
  const spec = found.spec as CommandSpec<unknown>;
  const r = await bindArgs(spec, found.rest, {
    message: msg,
    caller: { userId: msg.senderUserId },
    registry: seededRegistry(),
  });
  if (!r.ok) return r;
  // A typed userId stands for itself here (the directory is the pipeline's business).
  const done = completeArgs(
    spec,
    r.pre,
    r.pre.refs.map((ref) => [ref.kind === 'userId' ? ref.text : `${ref.kind}:${ref.text}`]),
  );
  return done.ok ? { ...r, args: done.args } : done;
}
async function args(line: string, over: Partial<IncomingMessage> = {}): Promise<Record<string, unknown>> {
  const r = await bind(line, over);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code} ${JSON.stringify(r.error.params)}`);
  return r.args as Record<string, unknown>;
}
async function error(line: string, over: Partial<IncomingMessage> = {}) {
  const r = await bind(line, over);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.args)}`);
  return { code: r.error.code, params: r.error.params };
}
const direct = { conversationType: 'direct', conversationId: 'cidDirectChat0001==' } as const;

describe('bindArgs: <chat>', () => {
  it('a chatId known to the registry', async () => {
    const r = await bind(`/chat info ${DESIGN_ID}`);
    expect(r.ok && r.chat).toMatchObject({
      chatId: DESIGN_ID,
      openConversationId: OTHER_CID,
      label: DESIGN_ID,
    });
    expect(r.ok && r.chat?.record?.name).toBe('Design');
    expect(r.ok && (r.args as { chat: unknown }).chat).toBe(r.ok && r.chat);
  });

  it('a chatId the registry does not know (DingTalk may)', async () => {
    const r = await bind('/chat info chat9999abcdef01', direct);
    expect(r.ok && r.chat).toEqual({
      chatId: 'chat9999abcdef01',
      openConversationId: undefined,
      record: undefined,
      label: 'chat9999abcdef01',
    });
  });

  it('an openConversationId known to the registry, or a hint to link it', async () => {
    expect((await args(`/chat info ${OTHER_CID}`)).chat).toMatchObject({
      chatId: DESIGN_ID,
      openConversationId: OTHER_CID,
    });
    expect(await error('/chat info cidUnknownChat77==')).toEqual({
      code: 'chat.cid-unknown',
      params: { cid: 'cidUnknownChat77==' },
    });
  });

  it('here: the linked group; unknown group; 1:1 chat', async () => {
    expect((await args('/chat info here')).chat).toMatchObject({
      chatId: HERE_ID,
      openConversationId: GROUP_CID,
      label: 'here',
    });
    expect((await args('/chat info HERE')).chat).toMatchObject({ chatId: HERE_ID });
    expect((await error('/chat info here', { conversationId: 'cidNotLinked0000==' })).code).toBe(
      'chat.here-unknown',
    );
    expect((await error('/chat info here', direct)).code).toBe('chat.here-direct');
  });

  it('#name and #"name with spaces"; not found; ambiguous lists candidates with chatIds', async () => {
    expect((await args('/chat info #"Design Review"')).chat).toMatchObject({
      label: '#"Design Review"',
      record: { name: 'Design Review' },
    });
    expect(await error('/chat info #Nope')).toEqual({
      code: 'chat.name-not-found',
      params: { name: 'Nope' },
    });
    expect(await error('/chat info #design')).toEqual({
      code: 'chat.name-ambiguous',
      params: { name: 'design', candidates: `Design (${DESIGN_ID}), design (${DESIGN2_ID})` },
    });
  });

  it('left out in a group means here; in a 1:1 chat an optional chat stays empty', async () => {
    expect(await bind('/chat info')).toMatchObject({ ok: true, chat: { chatId: HERE_ID, label: 'here' } });
    const r = await bind('/chat info', direct);
    expect(r).toMatchObject({ ok: true, args: {}, usedOptions: [] });
    expect(r.ok && r.chat).toBe(undefined);
    expect((await args('/chat rename Team Blue')).chat).toMatchObject({ chatId: HERE_ID });
    expect((await args('/chat rename Team Blue')).name).toBe('Team Blue');
  });

  it('a required chat in a 1:1 chat: missing or not a chat', async () => {
    expect(await error('/chat rename', direct)).toEqual({
      code: 'chat.missing-direct',
      params: { usageKey: 'chat.rename.usage' },
    });
    expect(await error('/chat rename Team', direct)).toEqual({
      code: 'chat.invalid',
      params: { value: 'Team' },
    });
  });

  it('only chat-shaped words count: words like chatroom or a quoted chatId are text', async () => {
    expect((await args('/chat rename chatroom')).name).toBe('chatroom');
    expect((await args('/chat rename "chat1234abcd"')).name).toBe('chat1234abcd');
  });
});

describe('bindArgs: users', () => {
  it('picked mentions with the visible @Name left in the text', async () => {
    expect((await args('/chat add here @Alice @Bob carol', { mentions: m('alice', 'bob') })).users).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
  });

  it('a multi-word visible @Name does not turn its other words into userIds', async () => {
    expect(
      (await args('/chat add here @Alice Wang @Bob Li Jr carol', { mentions: m('alice', 'bob') })).users,
    ).toEqual(['alice', 'bob', 'carol']);
    expect((await args('/chat add here @张 三 dave', { mentions: m('zhangsan') })).users).toEqual([
      'zhangsan',
      'dave',
    ]);
    // Without picked mentions there is no name to continue: a capitalised word is a typed userId.
    expect((await args('/chat add here Wang')).users).toEqual(['Wang']);
  });

  it('a quoted text after a multi-word visible @Name is the text', async () => {
    expect(await args('/chat nick here @Alice Wang "Ally"', { mentions: m('alice') })).toMatchObject({
      user: 'alice',
      nickname: 'Ally',
    });
  });

  it('picked mentions stripped from the text by DingTalk', async () => {
    expect((await args('/chat add here carol', { mentions: m('alice', 'bob') })).users).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect(await args('/chat add', { mentions: m('alice') })).toMatchObject({
      users: ['alice'],
      chat: { chatId: HERE_ID },
    });
  });

  it('typed userIds with or without @, and me; duplicates dropped keeping order', async () => {
    expect((await args('/chat add here @manager4220 bob me lead1 bob')).users).toEqual([
      'manager4220',
      'bob',
      'lead1',
    ]);
  });

  it('an @word beyond the picked mentions is a typed userId', async () => {
    expect((await args('/chat add here @Alice @zed', { mentions: m('alice') })).users).toEqual([
      'alice',
      'zed',
    ]);
  });

  it('a mention without a userId (outside the org) is refused', async () => {
    expect((await error('/chat add here @Ext', { mentions: m(undefined) })).code).toBe('user.external');
  });

  it('a chat reference is not a person', async () => {
    expect(await error('/chat add here #team')).toEqual({ code: 'user.invalid', params: { value: '#team' } });
  });

  it('one user: visible and stripped mention, then the text after it', async () => {
    expect(await args('/chat nick here @Bob Bobby B', { mentions: m('bob') })).toMatchObject({
      user: 'bob',
      nickname: 'Bobby B',
    });
    expect(await args('/chat nick here Bobby', { mentions: m('bob') })).toMatchObject({
      user: 'bob',
      nickname: 'Bobby',
    });
    expect(await args('/chat nick here me "The Boss"')).toMatchObject({
      user: 'lead1',
      nickname: 'The Boss',
    });
  });

  it('more picked people than the command takes is an error, not a silent drop', async () => {
    expect(await error('/chat nick here Bobby', { mentions: m('bob', 'carol') })).toEqual({
      code: 'args.mentions-left',
      params: { usageKey: 'chat.nick.usage' },
    });
  });

  it('a missing users param gives the usage', async () => {
    expect(await error('/chat add here')).toEqual({
      code: 'args.missing',
      params: { param: 'users', paramAt: 1, usageKey: 'chat.add.usage' },
    });
  });
});

describe('bindArgs: options', () => {
  it('binds every kind, under camelCase names, and reports the keys used', async () => {
    const r = await bind('/chat create Design alice owner=bob mute=开 Mention-All=OWNER note="a b"');
    expect(r).toMatchObject({
      ok: true,
      args: { name: 'Design', users: ['alice'], owner: 'bob', mute: true, mentionAll: 'owner', note: 'a b' },
      usedOptions: ['owner', 'mute', 'mention-all', 'note'],
    });
  });

  it.each([
    ['on', true],
    ['TRUE', true],
    ['yes', true],
    ['1', true],
    ['off', false],
    ['false', false],
    ['no', false],
    ['0', false],
    ['关', false],
  ])('onoff %s', async (value, expected) => {
    expect((await args(`/chat create X mute=${value}`)).mute).toBe(expected);
  });

  it('owner=@Name takes its mention in text order, whatever the option position', async () => {
    expect(await args('/chat create X owner=@Bob @Alice', { mentions: m('bob', 'alice') })).toMatchObject({
      owner: 'bob',
      users: ['alice'],
    });
    expect(await args('/chat create X @Alice owner=@Bob', { mentions: m('alice', 'bob') })).toMatchObject({
      owner: 'bob',
      users: ['alice'],
    });
  });

  it('a stripped owner=@Name (empty value) takes the last picked mention', async () => {
    expect(await args('/chat create X owner=', { mentions: m('alice', 'bob') })).toMatchObject({
      owner: 'bob',
      users: ['alice'],
    });
  });

  it('bad values and keys', async () => {
    expect(await error('/chat create X mute=maybe')).toEqual({
      code: 'args.bad-onoff',
      params: { option: 'mute', value: 'maybe' },
    });
    expect(await error('/chat create X mention-all=all')).toEqual({
      code: 'args.bad-enum',
      params: { option: 'mention-all', value: 'all', values: 'everyone|owner' },
    });
    expect(await error('/chat create X mutee=on')).toEqual({
      code: 'args.unknown-option-suggest',
      params: { option: 'mutee', suggestion: 'mute', valid: 'owner, mute, mention-all, note' },
    });
    expect((await error('/chat create X zzz=1')).code).toBe('args.unknown-option');
    expect(await error('/chat create X mute=on mute=off')).toEqual({
      code: 'args.option-twice',
      params: { option: 'mute' },
    });
    expect(await error('/chat info here a=b')).toEqual({
      code: 'args.no-options',
      params: { command: 'chat info', option: 'a' },
    });
  });
});

describe('bindArgs: text, int, counts, validation', () => {
  it('text: one quoted token or the rest joined by single spaces', async () => {
    expect((await args('/chat rename here "  Spaced  Out "')).name).toBe('  Spaced  Out ');
    expect((await args('/chat rename here  Team\u3000Blue   2')).name).toBe('Team Blue 2');
    expect((await args('/chat rename here Team "A B"')).name).toBe('Team A B');
  });

  it('int: a number, full-width digits; an optional int is skipped for other words', async () => {
    expect(await args('/audit 20', direct)).toEqual({ n: 20 });
    expect(await args('/audit ２０', direct)).toEqual({ n: 20 });
    expect(await args(`/audit ${DESIGN_ID}`, direct)).toMatchObject({ chat: { chatId: DESIGN_ID } });
    expect(await args('/audit 5 #"Design Review"', direct)).toMatchObject({
      n: 5,
      chat: { label: '#"Design Review"' },
    });
  });

  it('too many words gives the usage', async () => {
    expect(await error('/chat info here extra words')).toEqual({
      code: 'args.too-many',
      params: { extra: 'extra words', usageKey: 'chat.info.usage' },
    });
    expect((await error('/audit abc', direct)).code).toBe('args.too-many');
  });

  it('zod problems become a readable list with the usage key', async () => {
    const e = await error('/chat create ThisNameIsFarTooLongForDingTalk');
    expect(e.code).toBe('args.invalid');
    expect(e.params.usageKey).toBe('chat.create.usage');
    expect(e.params.problems).toMatch(/^name: .*20/);
    expect(await error('/audit -3', direct)).toMatchObject({
      code: 'args.invalid',
      params: { problems: expect.stringMatching(/^n: /) },
    });
  });
});

/** The typed people of a line, as the directory will get them. */
async function refsOf(line: string, over: Partial<IncomingMessage> = {}) {
  const msg = message({ text: line, ...over });
  const p = parseLine(line, { conversationType: msg.conversationType });
  if (!p.ok) throw new Error(p.error.code);
  const found = registry.match(p.words);
  if (!found.ok) throw new Error(found.error.code);
  const r = await bindArgs(found.spec as CommandSpec<unknown>, found.rest, {
    message: msg,
    caller: { userId: msg.senderUserId },
    registry: seededRegistry(),
  });
  if (!r.ok) throw new Error(`${r.error.code} ${JSON.stringify(r.error.params)}`);
  return r.pre.refs.map((x) => [x.kind, x.text]);
}

describe('bindArgs: people typed by name, mobile or department', () => {
  it('names: bare non-ASCII, quoted, typed @ without a pick, an ASCII word that is no userId', async () => {
    expect(await refsOf('/chat add here 王小明 "Alice Wang" “李雷” @张伟 o\'brien')).toEqual([
      ['name', '王小明'],
      ['name', 'Alice Wang'],
      ['name', '李雷'],
      ['name', '张伟'],
      ['name', "o'brien"],
    ]);
  });

  it('userId-shaped words, typed or with @, go to the directory as userIds', async () => {
    expect(await refsOf('/chat add here alice @manager4220 0147225041597041')).toEqual([
      ['userId', 'alice'],
      ['userId', 'manager4220'],
      ['userId', '0147225041597041'],
    ]);
  });

  it('mobiles in one word, with +86 and a dash, and spread over several words', async () => {
    expect(await refsOf('/chat add here 13800138000 +86-13800138001 +86 138 0013 8002 alice')).toEqual([
      ['mobile', '13800138000'],
      ['mobile', '+86-13800138001'],
      ['mobile', '+8613800138002'],
      ['userId', 'alice'],
    ]);
    // a mistyped mobile is still read as one, for a clear answer
    expect(await refsOf('/chat add here 1380013800O +86138abc')).toEqual([
      ['mobile', '1380013800O'],
      ['mobile', '+86138abc'],
    ]);
  });

  it('departments: dept:, 部门: with either colon, quoted names', async () => {
    expect(
      await refsOf('/chat add here dept:Design 部门:设计 部门：平台组 dept:"Design Team" DEPT:x'),
    ).toEqual([
      ['dept', 'Design'],
      ['dept', '设计'],
      ['dept', '平台组'],
      ['dept', 'Design Team'],
      ['dept', 'x'],
    ]);
  });

  it('an empty dept: is refused before any lookup', async () => {
    expect((await error('/chat add here dept:')).code).toBe('people.dept-empty-name');
    expect((await error('/chat add here 部门:""')).code).toBe('people.dept-empty-name');
  });

  it('options: owner="Alice Wang", owner=王小明, owner=dept:x; owner= alone is an error', async () => {
    expect(await refsOf('/chat create X owner="Alice Wang"')).toEqual([['name', 'Alice Wang']]);
    expect(await refsOf('/chat create X owner=王小明')).toEqual([['name', '王小明']]);
    expect(await refsOf('/chat create X owner=13800138000')).toEqual([['mobile', '13800138000']]);
    expect(await error('/chat create X owner=')).toEqual({
      code: 'args.option-empty',
      params: { option: 'owner' },
    });
    // a stripped picked mention still fills owner=
    expect(await args('/chat create X owner=', { mentions: m('bob') })).toMatchObject({ owner: 'bob' });
  });

  it('me and picked mentions need no lookup', async () => {
    expect(await refsOf('/chat add here me @Bob', { mentions: m('bob') })).toEqual([]);
  });

  it('a single-user slot must come to exactly one person', async () => {
    const msg = message({ text: '/chat nick here dept:Design Bob' });
    const p = parseLine(msg.text, { conversationType: 'group' });
    if (!p.ok) throw new Error(p.error.code);
    const found = registry.match(p.words);
    if (!found.ok) throw new Error(found.error.code);
    const spec = found.spec as CommandSpec<unknown>;
    const r = await bindArgs(spec, found.rest, {
      message: msg,
      caller: { userId: 'lead1' },
      registry: seededRegistry(),
    });
    if (!r.ok) throw new Error(r.error.code);
    const done = completeArgs(spec, r.pre, [['a', 'b']]);
    expect(done.ok ? 'ok' : done.error.code).toBe('people.one-expected');
    const one = completeArgs(spec, r.pre, [['carol']]);
    expect(one.ok && one.args).toMatchObject({ user: 'carol', nickname: 'Bob' });
  });
});

describe('expandArgs', () => {
  const spec = {
    ...chatCreate,
    args: z.object({ name: z.string(), extra: zUserIds().optional(), nicks: zUserIds().optional() }),
  } as unknown as CommandSpec<unknown>;
  const pre = { values: { name: 'X' }, slots: [], refs: [] };

  it('adds people as typed, after the typed ones, for the directory; `me` is the caller', () => {
    const out = expandArgs(
      pre,
      {
        values: { n: 1 },
        people: [{ name: 'extra', typed: ['dept:Design', 'Alice Wang', 'me', '13800138000'] }],
      },
      'lead_1',
    );
    if (out instanceof UserError) throw out;
    expect(out.values.n).toBe(1);
    expect(out.refs).toEqual([
      { kind: 'dept', text: 'Design', raw: 'dept:Design' },
      { kind: 'name', text: 'Alice Wang', raw: 'Alice Wang' },
      { kind: 'mobile', text: '13800138000', raw: '13800138000' },
    ]);
    const done = completeArgs(spec, out, [['d1', 'd2'], ['alice'], ['bob']]);
    expect(done.ok && (done.args as { extra: string[] }).extra).toEqual([
      'd1',
      'd2',
      'alice',
      'lead_1',
      'bob',
    ]);
  });

  it('`each`: every entry is one person, order and repeats kept', () => {
    const out = expandArgs(
      pre,
      { people: [{ name: 'nicks', typed: ['a', 'b', 'a'], each: true }] },
      'lead_1',
    );
    if (out instanceof UserError) throw out;
    const done = completeArgs(spec, out, [['a'], ['b'], ['a']]);
    expect(done.ok && (done.args as { nicks: string[] }).nicks).toEqual(['a', 'b', 'a']);
    const dept = completeArgs(spec, out, [['a'], ['b1', 'b2'], ['a']]);
    expect(dept.ok ? 'ok' : dept.error.code).toBe('people.one-expected');
  });

  it('a person that cannot be read is the error', () => {
    const out = expandArgs(pre, { people: [{ name: 'extra', typed: ['dept:'] }] }, 'lead_1');
    expect(out instanceof UserError && out.code).toBe('people.dept-empty-name');
  });
});

describe('issue 19: hostile arguments', () => {
  it('options are own keys only: constructor=, __proto__=, toString= are unknown options', async () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      // chat create has options; chat info has none.
      expect((await error(`/chat create "X" ${key}=1`)).code, key).toMatch(/^args\.unknown-option/);
      expect((await error(`/chat info ${DESIGN_ID} ${key}=x`)).code, key).toBe('args.no-options');
    }
    // `__proto__=` is no option word at all (a key starts with a letter): an extra word.
    expect((await error(`/chat info ${DESIGN_ID} __proto__=x`)).code).toBe('args.too-many');
  });

  it('more than 50 people to look up in one message is refused before any lookup', async () => {
    const names = Array.from({ length: 51 }, (_, i) => `Person${i}`).join(' ');
    const e = await error(`/chat add ${DESIGN_ID} ${names}`);
    expect(e).toEqual({ code: 'people.too-many', params: { count: 51, max: 50 } });
    const fifty = Array.from({ length: 50 }, (_, i) => `Person${i}`).join(' ');
    expect((await args(`/chat add ${DESIGN_ID} ${fifty}`)).users).toHaveLength(50);
  });

  it('a template that brings more than 50 people to look up is refused too', () => {
    const pre = { values: {}, slots: [], refs: [] };
    const typed = Array.from({ length: 51 }, (_, i) => `Name ${i}`);
    const r = expandArgs(pre, { people: [{ name: 'templateMembers', typed }] }, 'lead1');
    expect(r).toBeInstanceOf(UserError);
    expect((r as UserError).code).toBe('people.too-many');
  });
});
