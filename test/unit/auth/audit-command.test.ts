import { describe, expect, it } from 'vitest';
import auditCommand from '../../../commands/audit.ts';
import { bindArgs, completeArgs } from '../../../src/bot/bind.ts';
import { createTranslator } from '../../../src/bot/i18n.ts';
import { tokenize } from '../../../src/bot/parse.ts';
import { peopleView } from '../../../src/bot/people.ts';
import { typedPerson } from '../../../src/bot/person-word.ts';
import { loadCommands } from '../../../src/bot/registry.ts';
import type { HandlerContext, IncomingMessage, Locale } from '../../../src/bot/types.ts';
import { UserError } from '../../../src/bot/types.ts';
import { silentLogger } from '../../../src/log.ts';
import type { ChatRecord, RegistryStore } from '../../../src/store/types.ts';
import { MemoryAuditStore } from './fakes.ts';

const CHAT_A = 'chat0a1b2c3d4e5f';
const CHAT_B = 'chat9f8e7d6c5b4a';
const CID_A = 'cidAAAAaaaa1111xyz';

const rec = (chatId: string, name: string, cid?: string): ChatRecord => ({
  chatId,
  openConversationId: cid,
  name,
  createdFor: 'lead1',
  createdByBot: true,
  createdAt: 0,
  updatedAt: 0,
});
const chats = [rec(CHAT_A, 'Design team', CID_A), rec(CHAT_B, 'Ops'), rec('chat777777x', 'Ops')];

const registry = {
  get: async (id: string) => chats.find((c) => c.chatId === id),
  byOpenConversationId: async (cid: string) => chats.find((c) => c.openConversationId === cid),
  byName: async (name: string) => chats.filter((c) => c.name.toLowerCase() === name.toLowerCase()),
  list: async () => chats,
  listFor: async (u: string) => chats.filter((c) => c.createdFor === u),
} as unknown as RegistryStore;

function message(over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    msgId: 'm1',
    frameMessageId: 'f1',
    robotCode: 'bot',
    msgtype: 'text',
    text: '',
    senderUserId: 'boss',
    senderNick: 'Boss',
    senderIsOrgAdmin: false,
    conversationType: 'direct',
    conversationId: 'cidDirect000000',
    conversationTitle: undefined,
    mentions: [],
    sessionWebhook: 'https://example.invalid/hook',
    sessionWebhookExpiresAt: 0,
    createdAt: 0,
    ...over,
  };
}

async function seeded(): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore();
  const base = Date.UTC(2026, 0, 2, 3, 4, 5);
  for (let i = 0; i < 60; i++) {
    await store.append({
      at: base + i * 1000,
      userId: i % 2 === 0 ? 'lead1' : 'lead2',
      command: i % 3 === 0 ? 'chat rename' : 'chat info',
      chatId: i % 4 === 0 ? CHAT_A : i % 4 === 1 ? CHAT_B : undefined,
      args: '{}',
      outcome: i % 5 === 0 ? 'refused' : 'allowed',
      reason: i % 5 === 0 ? 'audit.reason.role-needed {"needed":"admin","role":"lead"}' : undefined,
      errcode: i === 59 ? '60011' : undefined,
      durationMs: 12,
    });
  }
  return store;
}

/** Binds `line` like the pipeline does, then runs the handler. */
async function run(
  line: string,
  opts: { msg?: Partial<IncomingMessage>; store?: MemoryAuditStore; locale?: Locale; timeZone?: string } = {},
) {
  const msg = message(opts.msg);
  const tokens = tokenize(line);
  if (!tokens.ok) throw tokens.error;
  const bound = await bindArgs(auditCommand, tokens.tokens, {
    message: msg,
    caller: { userId: 'boss' },
    registry,
  });
  if (!bound.ok) throw bound.error;
  const done = completeArgs(auditCommand, bound.pre, []);
  if (!done.ok) throw done.error;
  const store = opts.store ?? (await seeded());
  const calls: { n: number; filter: unknown }[] = [];
  const locale = opts.locale ?? 'en';
  const ctx = {
    message: msg,
    args: done.args,
    caller: { userId: 'boss', nick: 'Boss', role: 'admin' },
    registry,
    auditLog: {
      latest: (n: number, filter?: { chatId?: string; userId?: string }) => {
        calls.push({ n, filter });
        return store.latest(n, filter);
      },
    },
    log: silentLogger(),
    t: createTranslator(locale, [auditCommand.messages]),
    locale,
    visibleCommands: () => [],
    // A directory that names nobody: rows show userIds alone (names are the e2e tests' part).
    people: peopleView({ names: async (ids) => new Map(ids.map((id) => [id, undefined])) }),
    // A directory that knows every userId and no names (the e2e tests run the real one).
    findPerson: async (typed: string) => {
      const w = typedPerson(typed, 'boss');
      if (w instanceof UserError) throw w;
      if ('userId' in w) return w.userId;
      if (w.kind === 'userId') return w.text;
      throw new UserError('people.none', { word: typed });
    },
    signal: new AbortController().signal,
    timeZone: opts.timeZone ?? 'Asia/Shanghai',
  } as unknown as HandlerContext<typeof done.args>;
  const reply = await auditCommand.handler(ctx);
  return { reply, calls, lines: reply.text.split('\n').filter((l) => l.startsWith('- ')) };
}

async function refusal(line: string, msg?: Partial<IncomingMessage>): Promise<UserError> {
  try {
    await run(line, msg === undefined ? {} : { msg });
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error('expected a UserError');
}

describe('/audit', () => {
  it('is a valid spec for admins with both locales', () => {
    expect(() => loadCommands([auditCommand])).not.toThrow();
    expect(auditCommand).toMatchObject({ name: 'audit', aliases: ['审计'], role: 'admin', changes: false });
    expect(Object.keys(auditCommand.messages['zh-CN']).sort()).toEqual(
      Object.keys(auditCommand.messages.en).sort(),
    );
  });

  it('shows the latest 10 records by default, newest first', async () => {
    const { calls, lines, reply } = await run('');
    expect(calls).toEqual([{ n: 10, filter: {} }]);
    expect(lines).toHaveLength(10);
    expect(reply.text).toContain('The latest 10 audit records (times in China Standard Time):');
    // Newest: i = 59 -> 03:04:05 + 59 s = 03:05:04 UTC (11:05:04 in Shanghai), lead2, chat info, no chat, errcode shown.
    expect(lines[0]).toBe(
      '- Jan 2, 2026, 11:05:04 · lead2 · /chat info · — · allowed (errcode 60011) · 12 ms',
    );
    // i = 55: refused, with its reason in words.
    expect(lines[4]).toBe(
      '- Jan 2, 2026, 11:05:00 · lead2 · /chat info · — · refused (needs the role admin, has lead) · 12 ms',
    );
    // Chats by name, with the chatId beside it.
    expect(lines[3]).toBe(
      `- Jan 2, 2026, 11:05:01 · lead1 · /chat info · Design team (${CHAT_A}) · allowed · 12 ms`,
    );
  });

  it('shows times in BOT_TIMEZONE, in the reader format', async () => {
    const utc = await run('1', { timeZone: 'UTC' });
    expect(utc.reply.text).toContain('(times in Coordinated Universal Time)');
    expect(utc.lines[0]).toMatch(/^- Jan 2, 2026, 03:05:04 · /);
    const zh = await run('1', { locale: 'zh-CN' });
    expect(zh.reply.text).toContain('（时间为中国标准时间）');
    expect(zh.lines[0]).toMatch(
      /^- 2026\/1\/2 11:05:04 · lead2 · \/chat info · — · 已执行（errcode 60011） · 12 毫秒$/,
    );
  });

  it('takes n, says when it shows fewer than asked, and names the range for 0', async () => {
    expect((await run('3')).lines).toHaveLength(3);
    const big = await run('500');
    expect(big.calls[0]?.n).toBe(50);
    expect(big.lines).toHaveLength(50);
    expect(big.reply.text.split('\n')[0]).toBe('You asked for 500 records; I show at most 50.');
    const huge = await run('100000', { store: new MemoryAuditStore() });
    expect(huge.reply.text).toBe('You asked for 100000 records; I show at most 50.\n\nNo audit records.');
    await expect(run('0')).rejects.toMatchObject({ code: 'audit.range', params: { n: 0, max: 50 } });
    await expect(run('-3')).rejects.toMatchObject({ code: 'audit.range', params: { n: -3, max: 50 } });
  });

  it('filters by chatId, cid, #name and here', async () => {
    expect((await run(`5 ${CHAT_A}`)).calls[0]).toEqual({ n: 5, filter: { chatId: CHAT_A } });
    expect((await run(CID_A)).calls[0]?.filter).toEqual({ chatId: CHAT_A });
    expect((await run('#"Design team"')).calls[0]?.filter).toEqual({ chatId: CHAT_A });
    const here = await run('here', { msg: { conversationType: 'group', conversationId: CID_A } });
    expect(here.calls[0]?.filter).toEqual({ chatId: CHAT_A });
    const { lines, reply } = await run(CHAT_B);
    expect(reply.text).toContain(`for chat Ops (${CHAT_B})`);
    expect(lines.every((l) => l.includes(CHAT_B))).toBe(true);
  });

  it('filters by a typed userId, @userId, me, or a picked mention', async () => {
    const typed = await run('lead1');
    expect(typed.calls[0]?.filter).toEqual({ userId: 'lead1' });
    expect(typed.lines.every((l) => l.includes(' · lead1 · '))).toBe(true);
    expect((await run('2 @lead2')).calls[0]).toEqual({ n: 2, filter: { userId: 'lead2' } });
    expect((await run('me')).calls[0]?.filter).toEqual({ userId: 'boss' });
    const picked = await run('@Alice', { msg: { mentions: [{ dingtalkId: 'x', userId: 'alice01' }] } });
    expect(picked.calls[0]?.filter).toEqual({ userId: 'alice01' });
    // DingTalk stripped the @Name from the text: the mention still names the user.
    const stripped = await run('', { msg: { mentions: [{ dingtalkId: 'x', userId: 'alice01' }] } });
    expect(stripped.calls[0]?.filter).toEqual({ userId: 'alice01' });
  });

  it('refuses unknown chats and bad targets with the generic messages', async () => {
    expect((await refusal('cidUNKNOWN000000')).code).toBe('chat.cid-unknown');
    expect((await refusal('#Nowhere')).code).toBe('chat.name-not-found');
    const ambiguous = await refusal('#Ops');
    expect(ambiguous.code).toBe('chat.name-ambiguous');
    expect(ambiguous.params.candidates).toBe(`${CHAT_B}, chat777777x`);
    expect((await refusal('here')).code).toBe('chat.here-direct');
    expect((await refusal('here', { conversationType: 'group', conversationId: 'cidOther00000' })).code).toBe(
      'chat.here-unknown',
    );
    expect((await refusal('"not a user"')).code).toBe('people.none');
    expect((await refusal('@x', { mentions: [{ dingtalkId: 'x', userId: undefined }] })).code).toBe(
      'user.external',
    );
  });

  it('says so when there is nothing, and answers in Chinese', async () => {
    const empty = await run('', { store: new MemoryAuditStore() });
    expect(empty.reply.text).toBe('No audit records.');
    const zh = await run('2 lead1', { locale: 'zh-CN' });
    expect(zh.reply.text).toContain('最近 2 条审计记录（用户 lead1）（时间为中国标准时间）：');
    expect(zh.lines[0]).toMatch(/已拒绝|已执行/);
  });

  it('escapes markdown in stored values', async () => {
    const store = new MemoryAuditStore();
    await store.append({
      at: 0,
      userId: 'a_b*c',
      command: 'chat info',
      chatId: undefined,
      args: '{}',
      outcome: 'failed',
      reason: 'x_[y]',
      errcode: undefined,
      durationMs: 1,
    });
    const { lines } = await run('', { store });
    expect(lines[0]).toBe(
      '- Jan 1, 1970, 08:00:00 · a\\_b\\*c · /chat info · — · failed (x\\_\\[y\\]) · 1 ms',
    );
  });
});
