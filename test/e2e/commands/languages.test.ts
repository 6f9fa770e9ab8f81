import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import { catalogues, chineseAlias } from '../../../src/bot/i18n.ts';
import type { CommandSpec, Locale } from '../../../src/bot/types.ts';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';
import { seedChat } from './helpers.ts';

/**
 * The two-language sweep (issue 20, item 2): every command, and every refusal path a line can
 * reach, sent by an admin, a lead and someone with no role, in English and by Chinese alias. A
 * Chinese reply may hold no English word and no `/chat …` command name; an English reply no
 * Chinese. What a reader types stays as typed (userIds, chat ids, codes, `key=value` options,
 * `here`, `me`), and so do the names this test chose for people and chats.
 */

/**
 * Replies still built in src/bot/pipeline.ts with a param the lead has to pass (issue 20): the
 * text of these keys is left out of the check until then. Each is named with what is missing.
 * Empty now: every pipeline reply the sweep reaches reads in one language through the catalogue.
 */
const PIPELINE_TO_WIRE: readonly string[] = [];

/**
 * Catalogue keys of commands another engineer owns (chat-clone, chat-owner, chat-nick), whose
 * Chinese text still names commands in English; the changes are listed in the issue-20 report.
 */
const OTHER_OWNERS: readonly string[] = [];

/** Names this test chose: chats and people. */
const CHATS = ['Product Weekly', '产品周会', 'Sweep', '扫一遍'];
/** Words the sweep types that a reply may echo back. */
const TYPED_BY_TEST = [
  'NoSuchChat',
  'nosuchchat',
  'NoSuchPerson',
  'extra',
  'words',
  'nope',
  'frobnicate',
  'Ali',
];
const NAMES = TEST_USERS.flatMap((u) => [u.nick, u.userId]);

/** Words a Chinese reply may hold: what the reader types, and DingTalk's own field names. */
const TYPED = new Set([
  'here',
  'me',
  'mine',
  'on',
  'off',
  'everyone',
  'owner',
  'chatId',
  'userId',
  'userIds',
  'openConversationId',
  'cid',
  'errcode',
  'endpoint',
  'id',
  'ID',
  'Q3',
  'dept',
  'tag',
  'template',
  'searchable',
  'validation',
  'mention-all',
  'management',
  'mute',
  'history',
  'private-chat',
  // the policy file's section
  'templates',
]);

const ALIASES = allCommands.flatMap((c) => c.aliases ?? []);
const ENGLISH_COMMAND = /\/(?:chat(?:\s+[a-z]+)?|help|whoami|audit|confirm|cancel|pick)\b/;

/** A catalogue template as a pattern: its placeholders match anything. */
function templatePattern(template: string): RegExp {
  let s = template;
  for (let before = ''; before !== s; ) {
    before = s;
    s = s.replace(/\{[^{}]*\}/g, '\u0000');
  }
  const body = s
    .split('\u0000')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*?');
  return new RegExp(body);
}

/** The text of a reply as DingTalk shows it, back to plain text. */
function plain(text: string): string {
  return text.replaceAll('  \n', '\n').replaceAll('＜', '<').replaceAll('＞', '>');
}

/** The allowed messages, in the reply's language, taken out of `text`. */
function withoutAllowed(text: string, locale: Locale): string {
  let s = text;
  for (const key of [...PIPELINE_TO_WIRE, ...OTHER_OWNERS]) {
    const own = (catalogues[locale] as Record<string, string>)[key] ?? findCommandMessage(key, locale);
    if (own !== undefined) s = s.replace(templatePattern(own), ' ');
  }
  return s;
}

function findCommandMessage(key: string, locale: Locale): string | undefined {
  for (const c of allCommands) {
    const m = c.messages[locale][key];
    if (m !== undefined) return m;
  }
  return undefined;
}

/** The English words left in a Chinese reply, once typed things and chosen names are out. */
function englishIn(reply: string): string[] {
  let s = withoutAllowed(plain(reply), 'zh-CN');
  const found: string[] = [];
  const cmd = ENGLISH_COMMAND.exec(s);
  if (cmd) found.push(cmd[0]);
  for (const n of [...CHATS, ...NAMES, ...TYPED_BY_TEST].sort((a, b) => b.length - a.length))
    s = s.split(n).join(' ');
  s = s
    .replace(/\]\([^)]*\)/g, ']') // link targets
    .replace(/\bchat[0-9a-f]{8,}\b/g, ' ')
    .replace(/\bchat…/g, ' ') // how a chatId starts
    .replace(/\bcid[A-Za-z0-9+/=_-]{8,}/g, ' ')
    .replace(/\b[A-Z0-9]{6}\b/g, ' ') // confirmation codes
    .replace(/\bJ\d+\b/g, ' ') // job ids
    .replace(/[A-Za-z][\w-]*[=＝][^\s，。；、）)]*/g, ' ') // key=value
    .replace(/@\w+/g, ' ')
    .replace(/\bqyapi_[a-z_]+/g, ' ') // DingTalk permission codes
    .replace(/\b(?:dept|tag|部门|标签):/g, ' ');
  for (const w of s.match(/[A-Za-z][A-Za-z'-]*/g) ?? []) if (!TYPED.has(w)) found.push(w);
  return found;
}

/** The Chinese left in an English reply, once Chinese aliases and chosen names are out. */
function chineseIn(reply: string): string[] {
  let s = withoutAllowed(plain(reply), 'en');
  for (const n of [...CHATS, ...NAMES, ...TYPED_BY_TEST].sort((a, b) => b.length - a.length))
    s = s.split(n).join(' ');
  for (const a of [...ALIASES].sort((x, y) => y.length - x.length)) s = s.split(`/${a}`).join(' ');
  // `/help` shows each command's aliases after a middle dot.
  s = s.replace(/·\s*(?:\/?[^\s,·]+)(?:,\s*\/?[^\s,·]+)*/g, (m) => (/\p{Script=Han}/u.test(m) ? ' ' : m));
  return s.match(/[\p{Script=Han}，。；：！？（）、]+/gu) ?? [];
}

/** A line that runs `spec` successfully (or as far as it goes) for a lead of `chat`. */
function fullLine(spec: CommandSpec<unknown>, word: string, chat: string, n: number): string {
  const name = `Sweep ${n}`;
  switch (spec.name) {
    case 'help':
      return `/${word} ${word}`;
    case 'chat create':
      return `/${word} "${name}" alice`;
    case 'chat clone':
      return `/${word} ${chat} "${name}" carol`;
    case 'chat rename':
      return `/${word} ${chat} "${name}"`;
    case 'chat add':
      return `/${word} ${chat} dave`;
    case 'chat remove':
      return `/${word} ${chat} bob`;
    case 'chat owner':
      return `/${word} ${chat} alice`;
    case 'chat set':
      return `/${word} ${chat} mute=on`;
    case 'chat admin':
      return `/${word} add ${chat} alice`;
    case 'chat nick':
      return `/${word} ${chat} alice Ali`;
    case 'chat link':
      return `/${word} ${chat}`;
    case 'audit':
      return `/${word} 5`;
    case 'confirm':
      return `/${word} ZZZZZZ`;
    case 'pick':
      return `/${word} 1`;
    default:
      return spec.params.some((p) => p.kind === 'chat') ? `/${word} ${chat}` : `/${word}`;
  }
}

interface Heard {
  who: string;
  line: string;
  reply: string;
}

async function sweep(
  h: Harness,
  locale: Locale,
  defaultLocale: Locale,
  chat: string,
  group: string,
): Promise<Heard[]> {
  const heard: Heard[] = [];
  const say = async (who: string, line: string, opts: { chat?: string } = {}) => {
    const replies = await h.sayAll(who, line, { ...opts, expect: 1, timeoutMs: 5_000 });
    for (const r of replies) heard.push({ who, line, reply: r.text });
  };
  let n = 0;
  const people = ['admin1', 'lead1', 'alice'];
  for (const spec of allCommands) {
    const word = locale === 'zh-CN' ? (chineseAlias(spec) ?? spec.name) : spec.name;
    for (const who of people) {
      await say(who, `/${word}`); // nothing after it
      await say(who, `/${word} #NoSuchChat extra words`); // a wrong chat and too much
      await say(who, fullLine(spec, word, chat, ++n)); // as it should be
      await say(who, `/${word} nope=1`); // an option it does not take
    }
    await say('lead2', fullLine(spec, word, chat, ++n)); // a lead who does not own the chat
    await say('lead1', `/${word}`, { chat: group }); // in a group the bot does not know
  }
  // Confirmations and picks, started and dropped in the reader's language.
  const cmd = (name: string) => {
    const spec = allCommands.find((c) => c.name === name)!;
    return locale === 'zh-CN' ? (chineseAlias(spec) ?? spec.name) : spec.name;
  };
  for (const line of [
    `/${cmd('chat remove')} ${chat} carol`,
    `/${cmd('cancel')}`,
    `/${cmd('chat remove')} ${chat} carol`,
    `/${cmd('confirm')}`,
    `/${cmd('cancel')} ABCDEF`,
    `/${cmd('pick')} 9`,
    `/${cmd('chat undo')}`,
    `/${cmd('chat add')} ${chat} NoSuchPerson`,
    ...(locale === 'en' ? ['/chat', '/chat frob'] : []),
    ...(locale === 'en' ? [] : ['/建裙']),
    // Without a Chinese command word a reply is in BOT_LOCALE: these only where that is the locale.
    ...(locale === defaultLocale ? ['/frobnicate', 'hello'] : []),
  ]) {
    await say('lead1', line);
  }
  // A chat the bot made for lead1 in the sweep: a second of its name asks first (dropped), and
  // an admin who links it is told whom it was made for, by name.
  const created = heard.find(
    (x) =>
      x.who === 'lead1' &&
      x.line.startsWith(`/${cmd('chat create')} "Sweep `) &&
      /chat[0-9a-f]{32}/.test(x.reply),
  );
  const made = h.emu.org.chat(/chat[0-9a-f]{32}/.exec(created?.reply ?? '')?.[0] ?? '');
  if (made === undefined) throw new Error('the sweep made no chat for lead1');
  await say('lead1', `/${cmd('chat create')} "${made.name}" alice`);
  await say('lead1', `/${cmd('cancel')}`);
  await say('admin1', `/${cmd('chat link')} ${made.chatId}`);
  return heard;
}

describe.each([
  ['en', {}],
  ['zh-CN', {}],
  ['zh-CN', { BOT_LOCALE: 'zh-CN' }],
] as [Locale, { BOT_LOCALE?: Locale }][])('every reply in one language: %s %j', (locale, env) => {
  let h: Harness;
  let chat: string;
  let group: string;
  beforeAll(async () => {
    h = await startHarness({ env });
    chat = seedChat(h, locale === 'en' ? 'Product Weekly' : '产品周会', 'lead1', [
      'lead1',
      'alice',
      'bob',
      'carol',
    ]).chatId;
    group = seedChat(h, locale === 'en' ? 'Sweep' : '扫一遍', 'lead2', ['lead2', 'lead1']).chatId;
    await h.say('lead1', `/chat link ${chat}`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('holds on every command and refusal', { timeout: 120_000 }, async () => {
    const heard = await sweep(h, locale, env.BOT_LOCALE ?? 'en', chat, group);
    expect(heard.length).toBeGreaterThan(allCommands.length * 10);
    // The lines added for issue 20 reach the replies they are there for.
    const en = locale === 'en';
    const ask = heard.at(-3);
    expect(ask?.reply).toContain(en ? 'You already have a chat named' : '你已经有 1 个名为');
    expect(heard.at(-1)?.reply).toContain(
      en ? 'I created it for Lee Lead (lead1)' : '它是我为 Lee Lead (lead1) 创建的',
    );
    const wrong = heard
      .map((x) => ({ ...x, words: locale === 'en' ? chineseIn(x.reply) : englishIn(x.reply) }))
      .filter((x) => x.words.length > 0)
      .map(
        (x) => `${x.who}: ${x.line}\n  → ${x.reply.replaceAll('\n', '\n    ')}\n  ✗ ${x.words.join(', ')}`,
      );
    expect(wrong.join('\n\n')).toBe('');
  });
});

describe('the sweep check itself', () => {
  it('catches English and English command names in Chinese, and Chinese in English', () => {
    expect(englishIn('/chat add 需要负责人角色')).toContain('/chat add');
    expect(englishIn('缺少 <name>。')).toEqual(['name']);
    expect(englishIn('已取消 /拉人（ABC123）。lead1 的 here')).toEqual([]);
    expect(englishIn('可搜索 searchable 已经是开，mute=on')).toEqual([]);
    expect(chineseIn('Missing <群>.')).toEqual(['群']);
    expect(chineseIn('**/chat add** · /拉人')).toEqual([]);
    expect(chineseIn('Renamed **产品周会**')).toEqual([]);
  });
});
