/**
 * What the bot shows is what it does: a confirmation and a pick hold the plan (the chat pinned by
 * chatId, people as userIds), `/confirm` never looks a name up again, pending actions are kept
 * per conversation, undo pins the change it undoes, and what a template set is recorded from the
 * write journal so a clone copies it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/bot/policy.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode } from './helpers.ts';

const POLICY = policySchema.parse({
  templates: {
    squad: {
      members: ['alice', 'bob', 'carol'],
      admins: ['carol'],
      'private-chat': 'off',
      nicks: { alice: 'Ally' },
    },
  },
});

describe('one plan from preview to run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null }, policy: POLICY });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const members = (chatId: string) => [...(h.emu.org.chat(chatId)?.members ?? [])].sort();
  const chatNamed = (name: string) => {
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`no chat named ${name}`);
    return c;
  };
  const contactCalls = (from: number) =>
    h.emu.requests
      .slice(from)
      .filter((r) => r.endpoint.startsWith('contact.') || r.endpoint.startsWith('user.'));

  it('a confirmation acts on the chat it previewed, even after a rename and a new chat of that name', async () => {
    await h.say('lead1', '/chat create A1 alice bob');
    const first = chatNamed('A1');
    const ask = await h.say('lead1', '/chat remove #A1 Bob');
    expect(ask).toContain(first.chatId);
    await h.say('lead1', `/chat rename ${first.chatId} A1-old`);
    await h.say('lead1', '/chat create A1 bob carol');
    const second = chatNamed('A1');
    expect(second.chatId).not.toBe(first.chatId);
    const mark = h.emu.requests.length;
    const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(done).toContain('Removed 1');
    expect(members(first.chatId)).toEqual(['alice', 'lead1']);
    expect(members(second.chatId)).toEqual(['bob', 'carol', 'lead1']);
    // The name was looked up once, for the preview; the confirmed plan holds the userId.
    expect(contactCalls(mark)).toEqual([]);
  });

  it('a confirmed plan whose chat is gone is refused, and nothing is written', async () => {
    await h.say('lead1', '/chat create Gone1 alice bob');
    const c = chatNamed('Gone1');
    const ask = await h.say('lead1', `/chat remove ${c.chatId} bob`);
    h.emu.org.chat(c.chatId)!.status = 2;
    const mark = h.emu.requests.length;
    const reply = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(reply).toBe(`The chat \`${c.chatId}\` has been dissolved since; nothing was done.`);
    expect(
      h.emu.requests
        .slice(mark)
        .filter((r) => r.endpoint === 'chat.update' || r.endpoint === 'im.group.update'),
    ).toEqual([]);
  });

  it('ownership of the pinned chat is checked again on /confirm', async () => {
    const c = h.emu.org.addChat({
      name: 'Handed',
      owner: 'lead1',
      members: ['lead1', 'alice', 'bob'],
      createdByApi: true,
      botInChat: true,
    });
    const ask = await h.say('lead1', `/chat remove ${c.chatId} bob`);
    h.emu.org.chat(c.chatId)!.owner = 'lead2';
    const reply = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(reply).toContain('may not change');
    expect(members(c.chatId)).toContain('bob');
  });

  it('/cancel in a group drops what waits there and leaves the 1:1 confirmation alone', async () => {
    await h.say('lead1', '/chat create Pend1 alice bob carol');
    const c = chatNamed('Pend1');
    c.botInChat = true;
    const direct = await h.say('lead1', `/chat remove ${c.chatId} bob`);
    const inGroup = await h.say('lead1', `/chat remove ${c.chatId} carol`, { chat: c.chatId });
    const cancelled = await h.say('lead1', '/cancel', { chat: c.chatId });
    expect(cancelled).toBe(`@lead1 Cancelled /chat remove (${confirmCode(inGroup)}).`);
    expect(await h.say('lead1', `/confirm ${confirmCode(inGroup)}`)).toContain('Nothing waits for the code');
    // One code waiting in this conversation needs no code.
    expect(await h.say('lead1', '/confirm')).toContain('Removed 1');
    expect(members(c.chatId)).toEqual(['alice', 'carol', 'lead1']);
    expect(confirmCode(direct)).not.toBe(confirmCode(inGroup));
    expect(await h.say('lead1', '/cancel')).toBe('Nothing of yours waits for confirmation.');
  });

  it('/confirm with several codes waiting lists them; /cancel <code> works from anywhere', async () => {
    await h.say('lead1', '/chat create Pend2 alice bob carol');
    const c = chatNamed('Pend2');
    c.botInChat = true;
    const a = confirmCode(await h.say('lead1', `/chat remove ${c.chatId} bob`));
    const b = confirmCode(await h.say('lead1', `/chat remove ${c.chatId} carol`));
    const which = await h.say('lead1', '/confirm');
    expect(which).toContain(`${a}: /chat remove`);
    expect(which).toContain(`${b}: /chat remove`);
    expect(await h.say('lead1', `/cancel ${a}`, { chat: c.chatId })).toBe(
      `@lead1 Cancelled /chat remove (${a}).`,
    );
    expect(await h.say('lead1', '/confirm')).toContain('Removed 1');
    expect(members(c.chatId)).toEqual(['alice', 'bob', 'lead1']);
  });

  it('undo pins its change: a second /chat undo gives no second code, and the next reaches the change before', async () => {
    await h.say('lead1', '/chat create Undo2 alice');
    const c = chatNamed('Undo2');
    await h.say('lead1', `/chat rename ${c.chatId} Undo2b`);
    await h.say('lead1', `/chat add ${c.chatId} carol`);
    const ask = await h.say('lead1', `/chat undo ${c.chatId}`);
    const code = confirmCode(ask);
    const again = await h.say('lead1', `/chat undo ${c.chatId}`);
    expect(again).toContain(`send /confirm ${code}`);
    expect(again).toContain('I made no second code');
    expect(await h.say('lead1', `/confirm ${code}`)).toContain('Undone: your /chat add');
    expect(members(c.chatId)).toEqual(['alice', 'lead1']);
    expect(await h.say('lead1', `/confirm ${code}`)).toContain('Nothing waits for the code');
    const next = await h.say('lead1', `/chat undo ${c.chatId}`);
    expect(next).toContain('Undone: your /chat rename');
    expect(h.emu.org.chat(c.chatId)?.name).toBe('Undo2');
  });

  it('an undo that can restore nothing says so, writes nothing, and sets the change aside', async () => {
    await h.say('lead1', '/chat create Undo3 alice');
    const c = chatNamed('Undo3');
    await h.say('lead1', `/chat rename ${c.chatId} Undo3b`);
    await h.say('lead1', `/chat nick ${c.chatId} alice "Ally"`);
    const mark = h.emu.requests.length;
    const reply = await h.say('lead1', `/chat undo ${c.chatId}`);
    expect(reply).toContain('I cannot take back your /chat nick');
    expect(reply).toContain('nothing was changed');
    expect(reply).not.toContain('Undone');
    expect(h.emu.requests.slice(mark).filter((r) => r.endpoint === 'updategroupnick')).toEqual([]);
    expect(h.emu.org.chat(c.chatId)?.nicks.alice).toBe('Ally');
    const next = await h.say('lead1', `/chat undo ${c.chatId}`);
    expect(next).toContain('Undone: your /chat rename');
  });

  it('a clone of a template-made chat copies its admins, nicknames and private-chat switch', async () => {
    const made = await h.say('lead1', '/chat create Squad1 template=squad');
    expect(made).toContain('Squad1');
    const source = chatNamed('Squad1');
    expect(source.admins).toEqual(['carol']);
    expect(source.nicks.alice).toBe('Ally');
    expect(source.privateChatProhibited).toBe(true);
    await h.say('lead1', `/chat clone ${source.chatId} "Squad2"`);
    const clone = chatNamed('Squad2');
    expect(clone.admins).toEqual(['carol']);
    expect(clone.nicks.alice).toBe('Ally');
    expect(clone.privateChatProhibited).toBe(true);
  });

  it('what the bot set is read from the write journal, whichever command set it', async () => {
    await h.say('lead1', '/chat create Facts1 alice bob');
    const c = chatNamed('Facts1');
    await h.say('lead1', `/chat admin add ${c.chatId} bob`);
    await h.say('lead1', `/chat set ${c.chatId} private-chat=off`);
    const facts = await h.app.store.changes.facts(c.chatId);
    expect(facts.map((f) => [f.kind, f.userId, f.value])).toEqual([
      ['admin', 'bob', '1'],
      ['private-chat', '', 'off'],
    ]);
  });

  it('/pick, /confirm and /cancel with nothing pending are refused and audited', async () => {
    expect(await h.say('mallory', '/pick 1')).toBe('Nothing of yours waits for a pick.');
    expect(await h.say('mallory', '/cancel')).toBe('Nothing of yours waits for confirmation.');
    expect(await h.say('mallory', '/confirm')).toBe('Nothing of yours waits for confirmation here.');
    expect(await h.say('mallory', '/confirm K7PQ2M')).toContain('Nothing waits for the code');
    const records = (await h.app.store.audit.latest(4, { userId: 'mallory' })).reverse();
    expect(records.map((r) => [r.command, r.outcome, r.reason?.split(' ')[0]])).toEqual([
      ['pick', 'refused', 'pick.nothing'],
      ['cancel', 'refused', 'confirm.nothing-to-cancel'],
      ['confirm', 'refused', 'confirm.nothing-waits'],
      ['confirm', 'refused', 'confirm.unknown'],
    ]);
  });
});
