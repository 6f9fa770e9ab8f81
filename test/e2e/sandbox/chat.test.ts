/** The terminal chat against a scripted driver: mentions, the `:` commands, where replies went, timeouts. */
import { describe, expect, it } from 'vitest';
import { Org, type SayOptions, type SentReply } from '../../../src/emulator/index.ts';
import { type ChatDriver, pickMentions, TerminalChat } from '../../../src/sandbox/chat.ts';

function fakeOrg() {
  const org = new Org('corp');
  for (const id of ['lead1', 'alice', 'bob', 'dave']) org.addUser({ userId: id, nick: id.toUpperCase() });
  const team = org.addChat({ name: 'Team', owner: 'lead1', members: ['alice', 'bob'] });
  const other = org.addChat({ name: 'Other', owner: 'bob', members: ['dave'], botInChat: false });
  return { org, team, other };
}

type Said = { from: string; text: string; opts: SayOptions | undefined };

function setup(answer: (s: Said, d: ChatDriver & { replies: SentReply[] }) => SentReply[] | Error) {
  const { org, team, other } = fakeOrg();
  const said: Said[] = [];
  let out = '';
  const driver: ChatDriver & { replies: SentReply[] } = {
    org,
    botName: 'DemoBot',
    replies: [],
    dmConversationId: (u) => `cid-dm-${u}`,
    async say(from, text, opts) {
      const s = { from, text, opts };
      said.push(s);
      const r = answer(s, driver);
      if (r instanceof Error) throw r;
      driver.replies.push(...r);
      return r;
    },
  };
  const chat = new TerminalChat({
    driver,
    roles: { admins: [], leads: ['lead1'] },
    startUser: 'lead1',
    write: (s) => {
      out += s;
    },
    interactive: false,
    replyTimeoutMs: 1000,
    qr: false,
    logFile: '/data/sandbox/sandbox.log',
  });
  return { chat, said, org, team, other, output: () => out };
}

function reply(over: Partial<SentReply>): SentReply {
  return {
    via: 'webhook',
    msgId: 'm',
    conversationId: 'cid-dm-lead1',
    msgtype: 'markdown',
    title: 't',
    text: 'ok',
    atUserIds: [],
    body: {},
    at: 0,
    ...over,
  };
}

describe('pickMentions', () => {
  it('picks members named as @userId in a group, once each, in order', () => {
    const { org, team } = fakeOrg();
    expect(pickMentions('/chat add here @bob, @alice @bob @dave @nobody x@alice', org, team)).toEqual([
      'bob',
      'alice',
    ]);
  });

  it('picks nobody in a 1:1 chat (DingTalk has no @ picker there)', () => {
    const { org } = fakeOrg();
    expect(pickMentions('/chat add #Team @alice', org, undefined)).toEqual([]);
  });
});

describe('TerminalChat', () => {
  it('sends lines as the current user and prints the reply indented under the echoed line', async () => {
    const { chat, said, output } = setup(() => [reply({ text: '**Hi** there' })]);
    await chat.handle('/whoami');
    expect(said).toEqual([{ from: 'lead1', text: '/whoami', opts: { expect: 1, timeoutMs: 1000 } }]);
    expect(output()).toBe('lead1@dm> /whoami\n  Hi there\n\n');
  });

  it('skips blank and # lines', async () => {
    const { chat, said, output } = setup(() => []);
    await chat.handle('   ');
    await chat.handle('# note');
    expect(said).toEqual([]);
    expect(output()).toBe('');
  });

  it('talks in a group with mentions, strips a typed bot mention, and comes back with :dm', async () => {
    const { chat, said, team } = setup((s) => [
      reply({ conversationId: team.openConversationId, text: `@${s.from} done` }),
    ]);
    await chat.handle(':group team');
    expect(chat.prompt()).toBe('lead1@Team> ');
    await chat.handle('@DemoBot /chat add here @alice @dave');
    expect(said[0]).toEqual({
      from: 'lead1',
      text: '/chat add here @alice @dave',
      opts: { expect: 1, timeoutMs: 1000, chat: team.chatId, mentions: ['alice'] },
    });
    await chat.handle(':dm');
    expect(chat.prompt()).toBe('lead1@dm> ');
  });

  it('refuses groups the user or the bot is not in, and unknown names', async () => {
    const { chat, output } = setup(() => []);
    await chat.handle(':as dave');
    await chat.handle(':group Team');
    expect(output()).toContain('dave is not a member of Team');
    await chat.handle(':group Other');
    expect(output()).toContain('DemoBot is not in Other');
    await chat.handle(':group Nope');
    expect(output()).toContain('no group Nope');
    expect(chat.prompt()).toBe('dave@dm> ');
  });

  it(':as finds users by userId or nick, and leaves a group the new user is not in', async () => {
    const { chat, output } = setup(() => []);
    await chat.handle(':group Team');
    await chat.handle(':as ALICE');
    expect(chat.prompt()).toBe('alice@Team> ');
    await chat.handle(':as dave');
    expect(chat.prompt()).toBe('dave@dm> ');
    expect(output()).toContain('not a member of Team');
    await chat.handle(':as zed');
    expect(output()).toContain('no user zed');
  });

  it('labels replies that went to another conversation', async () => {
    const { chat, output } = setup(() => [
      reply({ via: 'oto', conversationId: '', userIds: ['bob'], text: 'psst' }),
    ]);
    await chat.handle('/x');
    expect(output()).toContain('[sent 1:1 to bob]\n  psst');
  });

  it('prints a clear line when no reply comes, and goes on', async () => {
    const { chat, output } = setup(
      () => new Error('emulator.say: 0/1 replies to "/x" from lead1 within 1000 ms'),
    );
    await chat.handle('/x');
    expect(output()).toContain("[sandbox] no reply within 1 s; the bot's log is /data/sandbox/sandbox.log");
  });

  it('reports a message the emulator would not send', async () => {
    const { chat, output } = setup(() => new Error('emulator: bob is not a member of chat1'));
    await chat.handle('/x');
    expect(output()).toContain('[sandbox] not sent: bob is not a member of chat1');
  });

  it(':users shows the directory entry: name, English name, title, departments, mobile', async () => {
    const { chat, org, output } = setup(() => []);
    const eng = org.addDepartment({ name: 'Engineering' });
    org.addUser({
      userId: 'zw',
      nick: 'Zhang',
      name: '张伟',
      englishName: 'David Zhang',
      title: 'QA',
      mobile: '13800138000',
      deptIds: [eng.deptId],
    });
    await chat.handle(':users');
    expect(output()).toMatch(/zw\s+Zhang\s+.*· 张伟 \/ David Zhang · QA · Engineering · 13800138000/);
  });

  it('knows :help, :users, :chats and :quit, and hints at unknown commands', async () => {
    const { chat, output } = setup(() => []);
    await chat.handle(':help');
    expect(output()).toContain(':as <user>');
    await chat.handle(':users');
    expect(output()).toMatch(/lead1\s+LEAD1\s+lead/);
    expect(output()).not.toMatch(/BOB .*·/); // no directory entry beyond the nick: nothing added
    await chat.handle(':chats');
    expect(output()).toContain('Other');
    expect(output()).toContain('(bot not in it)');
    await chat.handle(':frob');
    expect(output()).toContain('no sandbox command :frob');
    expect(await chat.handle(':quit')).toBe('quit');
  });
});
