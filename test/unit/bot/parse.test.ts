import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLine, type Token, tokenize } from '../../../src/bot/parse.ts';
import { UserError } from '../../../src/bot/types.ts';

const group = { conversationType: 'group' } as const;
const direct = {
  conversationType: 'direct',
  isCommandWord: (w: string) => ['whoami', 'chat', '帮助'].includes(w),
} as const;

function words(text: string, opts: Parameters<typeof parseLine>[1] = group): Token[] {
  const r = parseLine(text, opts);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}`);
  return r.words;
}
const texts = (ts: Token[]) => ts.map((t) => t.text);
const errorOf = (text: string, opts: Parameters<typeof parseLine>[1] = group): UserError => {
  const r = parseLine(text, opts);
  if (r.ok) throw new Error('expected an error');
  return r.error;
};

describe('parseLine', () => {
  it('splits a slash command into words', () => {
    const ws = words('/chat create Design alice bob');
    expect(texts(ws)).toEqual(['chat', 'create', 'Design', 'alice', 'bob']);
    expect(ws.every((w) => w.kind === 'word')).toBe(true);
  });

  it('accepts the full-width slash and full-width / other Unicode spaces', () => {
    expect(texts(words('／chat\u3000info\u00a0here\u2003now'))).toEqual(['chat', 'info', 'here', 'now']);
  });

  it('trims the leading space DingTalk leaves after removing the bot mention', () => {
    expect(texts(words('   /whoami  '))).toEqual(['whoami']);
  });

  it('drops leading @Name words before the slash (the bot name some clients leave in the text)', () => {
    expect(texts(words('@GroupBot /help'))).toEqual(['help']);
  });

  it.each([
    ['"Design Review"', 'Design Review'],
    ["'Design Review'", 'Design Review'],
    ['“设计 评审”', '设计 评审'],
    ['‘设计 评审’', '设计 评审'],
  ])('reads %s as one quoted token', (quoted, inner) => {
    const ws = words(`/chat create ${quoted} alice`);
    expect(ws[2]).toEqual({ kind: 'quoted', text: inner, raw: quoted });
    expect(ws[3]?.text).toBe('alice');
  });

  it('keeps an apostrophe inside a word literal', () => {
    expect(texts(words("/chat rename here Bob's team"))).toEqual(['chat', 'rename', 'here', "Bob's", 'team']);
  });

  it('allows the other quote kinds inside a quoted string', () => {
    expect(words(`/chat rename here "Bob's 'team'"`)[3]?.text).toBe("Bob's 'team'");
  });

  it('reads key=value options, with quoted values of every kind', () => {
    const ws = words('/chat create x name="Design Review" mute=on note=“值 一” Mention-All=owner');
    expect(ws.slice(2)).toEqual([
      { kind: 'word', text: 'x', raw: 'x' },
      {
        kind: 'option',
        key: 'name',
        value: 'Design Review',
        text: 'name="Design Review"',
        raw: 'name="Design Review"',
      },
      { kind: 'option', key: 'mute', value: 'on', text: 'mute=on', raw: 'mute=on' },
      { kind: 'option', key: 'note', value: '值 一', text: 'note=“值 一”', raw: 'note=“值 一”' },
      {
        kind: 'option',
        key: 'mention-all',
        value: 'owner',
        text: 'Mention-All=owner',
        raw: 'Mention-All=owner',
      },
    ]);
  });

  it('reads an empty option value and the full-width equals sign', () => {
    expect(words('/x owner=')[1]).toMatchObject({ kind: 'option', key: 'owner', value: '' });
    expect(words('/x mute＝off')[1]).toMatchObject({ kind: 'option', key: 'mute', value: 'off' });
  });

  it('reads an openConversationId with base64 padding as a word, not an option', () => {
    expect(words('/chat info cidAsXSBLnA==')[2]).toEqual({
      kind: 'word',
      text: 'cidAsXSBLnA==',
      raw: 'cidAsXSBLnA==',
    });
    expect(words('/x chat=cidAsXSBLnA==')[1]).toMatchObject({
      kind: 'option',
      key: 'chat',
      value: 'cidAsXSBLnA==',
    });
  });

  it('does not read a quoted "a=b" as an option', () => {
    expect(words('/x "a=b"')[1]).toMatchObject({ kind: 'quoted', text: 'a=b' });
  });

  it('reads #name and #"name with spaces" as chat refs', () => {
    const ws = words('/chat info #Design #"Design Review" ＃设计');
    expect(ws.slice(2)).toEqual([
      { kind: 'chatref', text: 'Design', raw: '#Design' },
      { kind: 'chatref', text: 'Design Review', raw: '#"Design Review"' },
      { kind: 'chatref', text: '设计', raw: '＃设计' },
    ]);
  });

  it('reads @word as a mention token and a lone @ or # as a word', () => {
    const ws = words('/chat add here @manager4220 ＠bob @ #');
    expect(ws.slice(3)).toEqual([
      { kind: 'mention', text: 'manager4220', raw: '@manager4220' },
      { kind: 'mention', text: 'bob', raw: '＠bob' },
      { kind: 'word', text: '@', raw: '@' },
      { kind: 'word', text: '#', raw: '#' },
    ]);
  });

  it('removes bidi and zero-width characters; line breaks separate words', () => {
    expect(texts(words('/chat info\u202e\u200b\nhere\r\n#x'))).toEqual(['chat', 'info', 'here', 'x']);
  });

  it('answers an unterminated quote with a clear error', () => {
    const e = errorOf('/chat create "Design Review alice');
    expect(e).toBeInstanceOf(UserError);
    expect(e.code).toBe('parse.unclosed-quote');
    expect(e.params).toEqual({ quote: '"' });
    expect(errorOf('/chat set here name=“abc').params).toEqual({ quote: '“' });
    expect(errorOf('/chat info #"abc').code).toBe('parse.unclosed-quote');
  });

  it('answers an empty line or a bare slash', () => {
    expect(errorOf('').code).toBe('parse.empty');
    expect(errorOf('  \u200b ').code).toBe('parse.empty');
    expect(errorOf('/').code).toBe('parse.empty');
  });

  it('refuses over-long lines without tokenizing them', () => {
    expect(errorOf(`/x ${'a'.repeat(9000)}`).code).toBe('parse.too-long');
  });

  it('in a group, text without a slash is not a command', () => {
    expect(errorOf('help').code).toBe('parse.no-slash');
    expect(errorOf('hello there').code).toBe('parse.no-slash');
  });

  it('in a 1:1 chat, help or a known command word works without the slash', () => {
    const r = parseLine('Help chat', direct);
    expect(r).toMatchObject({ ok: true, slash: false });
    expect(texts(words('whoami', direct))).toEqual(['whoami']);
    expect(texts(words('chat list', direct))).toEqual(['chat', 'list']);
    expect(texts(words('帮助', direct))).toEqual(['帮助']);
    expect(errorOf('hello', direct).code).toBe('parse.no-slash');
    // Ordinary chat with an odd quote is not a command either, rather than a quote error.
    expect(errorOf("'sup", direct).code).toBe('parse.no-slash');
  });
});

describe('tokenize', () => {
  it('ends a quoted token at its closing quote', () => {
    const r = tokenize('"ab"cd');
    expect(r.ok && r.tokens.map((t) => [t.kind, t.text])).toEqual([
      ['quoted', 'ab'],
      ['word', 'cd'],
    ]);
  });

  it('keeps an empty quoted string', () => {
    const r = tokenize('""');
    expect(r.ok && r.tokens).toEqual([{ kind: 'quoted', text: '', raw: '""' }]);
  });
});

describe('@ before a quoted name (issue 20)', () => {
  it('@"Dave Zhou" is one mention word, also full-width and as an option value', () => {
    expect(words('/chat add here @"Dave Zhou" bob').map((t) => [t.kind, t.text])).toEqual([
      ['word', 'chat'],
      ['word', 'add'],
      ['word', 'here'],
      ['mention', 'Dave Zhou'],
      ['word', 'bob'],
    ]);
    expect(words('/chat add here ＠“王 小明”').at(-1)).toMatchObject({ kind: 'mention', text: '王 小明' });
    expect(words('/chat create X owner="Dave Zhou"').at(-1)).toMatchObject({
      kind: 'option',
      key: 'owner',
      value: 'Dave Zhou',
    });
  });

  it("a quote later in a word stays literal (don't, a=b'c, a=='x')", () => {
    expect(texts(words("/help don't"))).toEqual(['help', "don't"]);
    expect(words("/x a=b'c").at(-1)).toMatchObject({ kind: 'option', key: 'a', value: "b'c" });
    expect(words("/x a=='y z'").map((t) => t.raw)).toEqual(['x', "a=='y", "z'"]);
    expect(errorOf("/x @'open").code).toBe('parse.unclosed-quote');
  });
});

describe('tokenizer cost (issue 19 item 6)', () => {
  const cost = (line: string): number => {
    const meter = { steps: 0 };
    tokenize(line, meter);
    return meter.steps;
  };
  /** Steps per character stay under a small constant, whatever the line. */
  const PER_CHAR = 8;

  it("the pathological lines of the issue are linear: \"a'\" repeated, key=' repeated, #' and @' runs", () => {
    for (const unit of ["a'", "a='", "#'", "@'", 'dept:"', "'", 'a "', "= '", '＃“', 'x=“']) {
      const small = cost(unit.repeat(500));
      const big = cost(unit.repeat(4000));
      expect(big).toBeLessThanOrEqual(PER_CHAR * unit.length * 4000);
      // Eight times the text, at most about eight times the work (generous: 10).
      expect(big).toBeLessThanOrEqual(10 * Math.max(small, 1));
    }
    expect(cost(`help ${"a'".repeat(3990)}`)).toBeLessThan(PER_CHAR * 8000);
  });

  it('any line: work grows linearly with its length (fast-check)', () => {
    const alphabet = fc.constantFrom(
      'a',
      "'",
      '"',
      '“',
      '”',
      '=',
      '#',
      '@',
      ':',
      'dept:',
      ' ',
      '＝',
      '部门：',
    );
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 2, max: 60 }),
        (parts, n) => {
          const unit = parts.join('');
          const line = unit.repeat(n);
          expect(cost(line)).toBeLessThanOrEqual(PER_CHAR * Array.from(line).length + PER_CHAR);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('control characters (issue 19 item 8)', () => {
  it('a C0/C1 control or DEL in a command is refused with its code point; whitespace controls are spaces', () => {
    for (const [text, code] of [
      ['/chat rename here "a\u0000b"', 'U+0000'],
      ['/chat create X\u0007', 'U+0007'],
      ['/whoami \u007f', 'U+007F'],
      ['/help \u009b', 'U+009B'],
    ] as const) {
      const e = errorOf(text);
      expect(e.code).toBe('parse.control');
      expect(e.params).toEqual({ code });
    }
    expect(texts(words('/chat\tinfo\nhere\r'))).toEqual(['chat', 'info', 'here']);
  });
});
