import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseLine } from '../../../src/bot/parse.ts';
import { CommandSpecError, loadCommands, type MatchResult } from '../../../src/bot/registry.ts';
import { spec } from './fakes.ts';

const registry = () =>
  loadCommands([
    spec({ name: 'help', aliases: ['帮助'] }),
    spec({ name: 'whoami', aliases: ['我是谁'] }),
    spec({ name: 'chat create', aliases: ['建群'] }),
    spec({ name: 'chat info', aliases: ['群信息'] }),
    spec({ name: 'chat add', aliases: ['拉人'] }),
    spec({ name: 'chat list', aliases: ['我的群'] }),
  ]);

function match(line: string): MatchResult {
  const p = parseLine(line, { conversationType: 'group' });
  if (!p.ok) throw new Error(p.error.code);
  return registry().match(p.words);
}

function problemsOf(specs: unknown[]): readonly string[] {
  try {
    loadCommands(specs);
  } catch (e) {
    if (e instanceof CommandSpecError) return e.problems;
    throw e;
  }
  throw new Error('expected a CommandSpecError');
}

describe('registry.match', () => {
  it('finds one- and two-word commands, case-insensitively, and returns the rest', () => {
    const m = match('/CHAT Create "Design Review" alice');
    expect(m.ok && m.spec.name).toBe('chat create');
    expect(m.ok && m.rest.map((t) => t.text)).toEqual(['Design Review', 'alice']);
    expect(m.ok && m.locale).toBeUndefined();
    expect(
      m.ok &&
        match('/Help chat create').ok &&
        (match('/Help chat create') as { spec: { name: string } }).spec.name,
    ).toBe('help');
  });

  it('accepts full-width letters in command words', () => {
    const m = match('／ｗｈｏａｍｉ');
    expect(m.ok && m.spec.name).toBe('whoami');
  });

  it('a Chinese alias answers in Chinese', () => {
    const m = match('/建群 设计评审 alice');
    expect(m.ok && m.spec.name).toBe('chat create');
    expect(m.ok && m.locale).toBe('zh-CN');
    expect(m.ok && m.rest.map((t) => t.text)).toEqual(['设计评审', 'alice']);
  });

  it('suggests the closest subcommand for a typo', () => {
    const m = match('/chat creat x');
    expect(m.ok).toBe(false);
    expect(!m.ok && m.error.code).toBe('command.unknown-suggest');
    expect(!m.ok && m.error.params.suggestions).toBe('/chat create');
  });

  it('suggests across names for a misspelt group or command', () => {
    const a = match('/caht create');
    expect(!a.ok && a.error.params.suggestions).toContain('/chat create');
    const b = match('/whoamii');
    expect(!b.ok && b.error).toMatchObject({
      code: 'command.unknown-suggest',
      params: { suggestions: '/whoami' },
    });
  });

  it('lists the subcommands for /chat alone', () => {
    const m = match('/chat');
    expect(!m.ok && m.error.code).toBe('command.group');
    expect(!m.ok && m.error.params).toEqual({
      group: 'chat',
      list: '/chat create, /chat info, /chat add, /chat list',
    });
  });

  it('lists the group when a subcommand is far from any', () => {
    const m = match('/chat zzzzzzzz');
    expect(!m.ok && m.error.code).toBe('command.group-unknown');
  });

  it('answers an unknown command without suggestions', () => {
    const m = match('/qqqqqqqq');
    expect(!m.ok && m.error).toMatchObject({ code: 'command.unknown', params: { command: 'qqqqqqqq' } });
  });

  it('knows command words for 1:1 chats without a slash', () => {
    const r = registry();
    expect(r.isCommandWord('whoami')).toBe(true);
    expect(r.isCommandWord('chat')).toBe(true);
    expect(r.isCommandWord('我是谁')).toBe(true);
    expect(r.isCommandWord('hello')).toBe(false);
  });

  it('gets specs by name or alias and exposes their messages', () => {
    const r = registry();
    expect(r.get('Chat  Create')?.name).toBe('chat create');
    expect(r.get('建群')?.name).toBe('chat create');
    expect(r.all()).toHaveLength(6);
    expect(r.messages[0]?.en['help.summary']).toBe('help summary');
  });
});

describe('loadCommands', () => {
  it('lists every problem of every spec in one error', () => {
    const problems = problemsOf([
      spec({ name: 'help', aliases: ['帮助'] }),
      spec({ name: 'Help' }),
      spec({ name: 'chat create', aliases: ['帮助'] }),
      spec({ name: 'chat  add' }),
      { name: 'broken' },
      spec({ name: 'too many words here' }),
      spec({ name: 'x', handler: 'nope' as never }),
      spec({ name: 'y', role: 'root' as never, ownership: 'sometimes' as never }),
    ]);
    const text = problems.join('\n');
    expect(text).toContain('commands[1] (Help): name: must be one or two lower-case words');
    expect(text).toContain('commands[2] (chat create): "帮助" is already used by commands[0] (help)');
    expect(text).toContain('commands[3] (chat  add): name');
    expect(text).toContain('commands[4] (broken): summary');
    expect(text).toContain('commands[4] (broken): handler: must be a function');
    expect(text).toContain('commands[5] (too many words here): name');
    expect(text).toContain('commands[6] (x): handler: must be a function');
    expect(text).toContain('commands[7] (y): role');
    expect(text).toContain('commands[7] (y): ownership');
  });

  it('rejects duplicates case-insensitively across names and aliases', () => {
    expect(problemsOf([spec({ name: 'whoami' }), spec({ name: 'me', aliases: ['whoami'] })])).toEqual([
      'commands[1] (me): "whoami" is already used by commands[0] (whoami)',
    ]);
    // Aliases must be written lower case (NFKC), so a clash cannot hide behind case or width.
    expect(problemsOf([spec({ name: 'me', aliases: ['WHOAMI', 'ｗｈｏ'] })])).toEqual([
      'commands[0] (me): aliases.0: must be lower case (NFKC)',
      'commands[0] (me): aliases.1: must be lower case (NFKC)',
    ]);
  });

  it('checks message keys in both locales', () => {
    const s = spec({ name: 'x' });
    const problems = problemsOf([
      { ...s, messages: { en: s.messages.en, 'zh-CN': { 'x.summary': '摘要', 'x.extra': '多' } } },
    ]);
    expect(problems).toEqual([
      'commands[0] (x): usage key "x.usage" is missing in messages.zh-CN',
      'commands[0] (x): message "x.usage" is missing in messages.zh-CN',
      'commands[0] (x): message "x.extra" is missing in messages.en',
    ]);
  });

  it('checks params: one rest param, last; no required after optional; args a zod schema', () => {
    const problems = problemsOf([
      spec({
        name: 'a',
        params: [
          { name: 'who', kind: 'users' },
          { name: 'note', kind: 'text' },
        ],
      }),
      spec({
        name: 'b',
        params: [
          { name: 'n', kind: 'int', optional: true },
          { name: 'w', kind: 'word' },
        ],
      }),
      spec({ name: 'c', params: [{ name: 'Bad Name', kind: 'word' }], args: {} as never }),
      spec({ name: 'd', ownership: 'chat', changes: true }),
      spec({ name: 'e', options: { Mute: { kind: 'onoff' }, level: { kind: 'enum' } } }),
    ]);
    expect(problems).toEqual([
      'commands[0] (a): params[0] "who" (users) takes the rest of the line, so it must be last',
      'commands[1] (b): params[1] "w" is required but follows an optional param',
      'commands[2] (c): params.0.name: must be a camelCase identifier',
      'commands[2] (c): args: must be a zod schema',
      'commands[3] (d): ownership "chat" needs a <chat> param (ownership is checked on it)',
      'commands[4] (e): options.Mute: must be kebab-case',
      'commands[4] (e): options.level: an enum option needs values',
    ]);
  });

  it('allows a required param after an optional <chat> (a chat is recognised by its form)', () => {
    expect(() =>
      loadCommands([
        spec({
          name: 'chat rename',
          ownership: 'chat',
          changes: true,
          params: [
            { name: 'chat', kind: 'chat', optional: true },
            { name: 'name', kind: 'text' },
          ],
          args: z.object({ chat: z.unknown(), name: z.string() }),
        }),
      ]),
    ).not.toThrow();
  });

  it('flags the same message key defined differently by two commands', () => {
    const a = spec({ name: 'a' });
    const b = spec({ name: 'b' });
    const problems = problemsOf([
      {
        ...a,
        messages: {
          en: { ...a.messages.en, shared: 'one' },
          'zh-CN': { ...a.messages['zh-CN'], shared: '一' },
        },
      },
      {
        ...b,
        messages: {
          en: { ...b.messages.en, shared: 'two' },
          'zh-CN': { ...b.messages['zh-CN'], shared: '二' },
        },
      },
    ]);
    expect(problems).toEqual([
      'commands[1] (b): message "shared" is also defined, differently, by commands[0] (a)',
    ]);
  });

  it('the error message names every problem', () => {
    expect(() => loadCommands([null])).toThrow(/commands\[0\]: spec/);
  });
});
