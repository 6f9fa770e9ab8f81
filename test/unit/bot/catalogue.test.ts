/**
 * Every message the bot can say, rendered in both languages: no key is missing from either
 * catalogue, every placeholder and plural is filled, no zh-CN text is English prose, and no
 * rendered text has doubled punctuation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import { catalogues, createTranslator, formatMessage } from '../../../src/bot/i18n.ts';
import type { Locale, MessageCatalogue } from '../../../src/bot/types.ts';
import { EXPLANATIONS } from '../../../src/dingtalk/explain.ts';

const sources: { name: string; messages: Record<Locale, MessageCatalogue> }[] = [
  { name: 'core (src/bot/i18n)', messages: catalogues },
  ...allCommands.map((c) => ({ name: `/${c.name}`, messages: c.messages })),
];
const extra = allCommands.map((c) => c.messages);
const translators = { en: createTranslator('en', extra), 'zh-CN': createTranslator('zh-CN', extra) };
const allKeys = new Set(
  sources.flatMap((s) => [...Object.keys(s.messages.en), ...Object.keys(s.messages['zh-CN'])]),
);

/** Plural params get a number that needs the plural form; the others a plain word. */
function sampleParams(template: string): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  for (const m of template.matchAll(/\{([A-Za-z0-9_-]+)(,\s*plural)?/g)) {
    params[m[1] ?? ''] = m[2] === undefined ? 'Xy' : 2;
  }
  return params;
}

/** Every command name and alias with its slash, longest first (they are not prose). */
const commandWords = allCommands
  .flatMap((c) => [c.name, ...(c.aliases ?? [])])
  .map((n) => `/${n}`)
  .sort((a, b) => b.length - a.length);

/**
 * English prose in a Chinese text: a run of 3+ ASCII words once placeholders, code spans,
 * command names, `key=value` options, `<params>` and userIds in examples are taken out.
 */
function englishProse(text: string): string | undefined {
  // Placeholders, innermost first (a select's branches hold placeholders of their own).
  let s = text;
  for (let before = ''; before !== s; ) {
    before = s;
    s = s.replace(/\{[^{}]*\}/g, ' ');
  }
  s = s.replace(/`[^`]*`/g, ' ');
  for (const w of commandWords) s = s.split(w).join(' ');
  s = s
    .replace(/[A-Za-z][\w-]*[=＝][^\s，。；）)]*/g, ' ')
    .replace(/<[^<>]*>/g, ' ')
    .replace(/@\w+/g, ' ');
  return /[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){2,}/.exec(s)?.[0];
}

const DOUBLED = /([.。,，;；:：])\1|[.。][,，;；]|[,，;；][.。]|\.[。]|。\./;

describe('message catalogues', () => {
  it.each(sources)('$name: every key is in both catalogues', ({ messages }) => {
    const en = Object.keys(messages.en).sort();
    const zh = Object.keys(messages['zh-CN']).sort();
    expect(zh.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !zh.includes(k))).toEqual([]);
  });

  it.each(sources)('$name: every message renders fully in both languages', ({ messages }) => {
    for (const [key, template] of Object.entries(messages.en)) {
      const params = sampleParams(template);
      for (const locale of ['en', 'zh-CN'] as const) {
        const text = translators[locale](key, params);
        expect([locale, key, text]).not.toEqual([locale, key, key]);
        // A leftover brace is an unknown placeholder or a plural block that did not parse.
        expect([locale, key, /[{}]/.test(text)]).toEqual([locale, key, false]);
        expect([locale, key, DOUBLED.exec(text)?.[0]]).toEqual([locale, key, undefined]);
      }
    }
  });

  it.each(sources)('$name: no zh-CN text is English prose', ({ messages }) => {
    const prose = Object.entries(messages['zh-CN'])
      .map(([key, text]) => [key, englishProse(text)])
      .filter(([, p]) => p !== undefined);
    expect(prose).toEqual([]);
  });

  it("DingTalk's explanations: every Chinese text is Chinese", () => {
    const prose = Object.entries(EXPLANATIONS).flatMap(([code, e]) =>
      [e.cause[1], e.next[1]].map((zh) => [code, englishProse(zh)]).filter(([, p]) => p !== undefined),
    );
    expect(prose).toEqual([]);
  });

  it('every key the code names literally is in the catalogues', () => {
    const files = [
      ...readdirSync('src/bot').map((f) => join('src/bot', f)),
      ...readdirSync('commands').map((f) => join('commands', f)),
    ].filter((f) => f.endsWith('.ts'));
    const named = new Set<string>();
    for (const f of files) {
      const code = readFileSync(f, 'utf8');
      for (const m of code.matchAll(/(?:\bt|UserError|fail)\(\s*'([a-z][\w-]*(?:\.[\w-]+)+)'/g))
        named.add(m[1] ?? '');
      for (const m of code.matchAll(/\bkey: '([a-z][\w-]*(?:\.[\w-]+)+)'/g)) named.add(m[1] ?? '');
    }
    expect(named.size).toBeGreaterThan(50);
    expect([...named].filter((k) => !allKeys.has(k))).toEqual([]);
  });

  it('the keys the code builds at run time exist', () => {
    const built = [
      ...['unknown', 'expired', 'wrong-user'].map((r) => `confirm.${r}`),
      ...['allowed', 'refused', 'failed', 'confirmed', 'pending'].map((o) => `audit.outcome.${o}`),
      ...['everyone', 'lead', 'admin'].map((r) => `role.${r}`),
      ...['direct', 'group'].map((c) => `conversation.${c}`),
      ...['searchable', 'validation', 'mention-all', 'management', 'mute', 'history'].map(
        (s) => `settings.${s}`,
      ),
      ...allCommands.flatMap((c) => [c.summary, c.usage]),
    ];
    expect(built.filter((k) => !allKeys.has(k))).toEqual([]);
  });

  it('the prose check catches English and lets Chinese with names through', () => {
    expect(englishProse('Send me a command, e.g. /help.')).toBe('Send me a command, e');
    expect(englishProse('例如 /帮助 chat create。')).toBeUndefined(); // a command name
    expect(englishProse('发送 /帮助 <命令> 查看详情，例如 see the list now。')).toBe('see the list now');
    expect(englishProse('/建群 "设计评审" @alice bob validation=on mute=off')).toBeUndefined();
  });
});

describe('plural forms', () => {
  const chats = '{count, plural, one {# chat} other {# chats}}';

  it('pick one or other by the count, in English', () => {
    expect(formatMessage(`Created with ${chats}.`, { count: 1 })).toBe('Created with 1 chat.');
    expect(formatMessage(`Created with ${chats}.`, { count: 0 })).toBe('Created with 0 chats.');
    expect(formatMessage(`Created with ${chats}.`, { count: 3 })).toBe('Created with 3 chats.');
  });

  it('take exact branches first and fill placeholders inside a branch', () => {
    const t = '{n, plural, =0 {no {what}} one {one {what}} other {# {what}s}}';
    expect(formatMessage(t, { n: 0, what: 'chat' })).toBe('no chat');
    expect(formatMessage(t, { n: 1, what: 'chat' })).toBe('one chat');
    expect(formatMessage(t, { n: 7, what: 'chat' })).toBe('7 chats');
  });

  it('use only other in Chinese', () => {
    expect(formatMessage('{count, plural, one {一个} other {# 个}}', { count: 1 }, 'zh-CN')).toBe('1 个');
  });

  it('leave a block alone when its param is not a number or the block is broken', () => {
    expect(formatMessage(chats, {})).toBe(chats);
    expect(formatMessage('{count, plural, one {x}', { count: 2 })).toBe('{count, plural, one {x}');
  });

  it('count the real replies right: one member, one audit record', () => {
    const t = translators.en;
    expect(t('chat.create.done', { name: 'Val', count: 1, owner: 'lead1' })).toBe(
      'Created **Val** with 1 member; owner lead1.',
    );
    expect(t('audit.header', { count: 1, scope: '', zone: 'UTC' })).toBe(
      'The latest audit record (times in UTC):',
    );
    expect(t('audit.header', { count: 4, scope: '', zone: 'UTC' })).toBe(
      'The latest 4 audit records (times in UTC):',
    );
  });
});
