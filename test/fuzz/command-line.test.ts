/**
 * Whatever a user types: parse -> match -> bind -> user text -> render never throws and always
 * ends in a command with bound args or a UserError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import help from '../../commands/help.ts';
import whoami from '../../commands/whoami.ts';
import { bindArgs, completeArgs } from '../../src/bot/bind.ts';
import { createTranslator, userErrorText } from '../../src/bot/i18n.ts';
import { parseLine, stripControls } from '../../src/bot/parse.ts';
import { normaliseMobile } from '../../src/bot/people.ts';
import { loadCommands } from '../../src/bot/registry.ts';
import { renderReply } from '../../src/bot/render.ts';
import { type CommandSpec, type IncomingMessage, UserError } from '../../src/bot/types.ts';
import { message, seededRegistry } from '../unit/bot/fakes.ts';
import { audit, chatAdd, chatCreate, chatInfo, chatNick, chatRename } from '../unit/bot/sample-specs.ts';

const registry = loadCommands([help, whoami, chatInfo, chatRename, chatAdd, chatNick, chatCreate, audit]);
const store = seededRegistry();
const t = createTranslator('zh-CN', registry.messages);

/** Pieces the grammar gives a meaning to, mixed with arbitrary code points. */
const piece = fc.oneof(
  fc.constantFrom(
    '/',
    '／',
    ' ',
    '\u3000',
    '\u00a0',
    '\t',
    '\n',
    '\u0000',
    '\u202e',
    '\u200b',
    '"',
    "'",
    '“',
    '”',
    '‘',
    '’',
    '#',
    '＃',
    '@',
    '＠',
    '=',
    '＝',
    'chat',
    'CHAT',
    'create',
    'creat',
    'info',
    'add',
    'nick',
    'rename',
    'help',
    'whoami',
    '建群',
    '帮助',
    'here',
    'me',
    'audit',
    '12',
    '２',
    '-1',
    'owner=',
    'mute=',
    'mention-all=',
    'chatfaabe59a460527f5fb72fbbdfe3f061e',
    'cidGroupHere0001==',
    'cidUnknown12345==',
    '#Design',
    '#"Design Review"',
    'alice',
    '@Bob',
    'x'.repeat(70),
    // people by name, mobile and department
    'dept:',
    'DEPT:',
    '部门:',
    '部门：',
    'dept:"Design Team"',
    '+86',
    '+86-',
    '138',
    '0013',
    '8000',
    '13800138000',
    '1380013800a',
    '"Alice Wang"',
    '王小明',
    '@王小明',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const line = fc.array(piece, { maxLength: 14 }).map((ps) => ps.join(''));
const mentions = fc.array(
  fc.record({
    dingtalkId: fc.string({ maxLength: 8 }),
    userId: fc.option(fc.oneof(fc.constantFrom('alice', 'bob', 'ext user'), fc.string({ maxLength: 8 })), {
      nil: undefined,
    }),
  }),
  { maxLength: 3 },
);

type Outcome = { kind: 'error'; error: UserError } | { kind: 'bound'; spec: CommandSpec<unknown> };

async function run(text: string, msg: IncomingMessage): Promise<Outcome> {
  const parsed = parseLine(text, {
    conversationType: msg.conversationType,
    isCommandWord: registry.isCommandWord,
  });
  if (!parsed.ok) return { kind: 'error', error: parsed.error };
  expect(parsed.words.length).toBeGreaterThan(0);
  const found = registry.match(parsed.words);
  if (!found.ok) return { kind: 'error', error: found.error };
  const bound = await bindArgs(found.spec, found.rest, {
    message: msg,
    caller: { userId: msg.senderUserId },
    registry: store,
  });
  if (!bound.ok) return { kind: 'error', error: bound.error };
  if (bound.chat !== undefined) expect(typeof bound.chat.chatId).toBe('string');
  for (const ref of bound.pre.refs) expect(['userId', 'name', 'mobile', 'dept']).toContain(ref.kind);
  // Whatever the directory answers (one person, a department of several, nobody), completing never throws.
  const done = completeArgs(
    found.spec,
    bound.pre,
    bound.pre.refs.map((_, i) => (i % 3 === 0 ? ['alice'] : i % 3 === 1 ? ['bob', 'carol'] : [])),
  );
  if (!done.ok) return { kind: 'error', error: done.error };
  return { kind: 'bound', spec: found.spec };
}

describe('command line fuzz', () => {
  it('any string gives a bound command or a UserError, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        line,
        mentions,
        fc.constantFrom('direct', 'group') as fc.Arbitrary<'direct' | 'group'>,
        async (text, ms, type) => {
          const msg = message({ text, mentions: ms, conversationType: type });
          const out = await run(text, msg);
          if (out.kind === 'error') {
            expect(out.error).toBeInstanceOf(UserError);
            const said = userErrorText(out.error, t);
            expect(said.length).toBeGreaterThan(0);
            // No message key may reach the user untranslated.
            expect(said).not.toBe(out.error.code);
            renderReply({ text: said }, { conversationType: type, senderUserId: msg.senderUserId });
          } else {
            expect(registry.get(out.spec.name)).toBe(out.spec);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('arbitrary full Unicode strings (lone surrogates, controls) never throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        const out = await run(`/${text}`, message({ text }));
        expect(['error', 'bound']).toContain(out.kind);
      }),
      { numRuns: 10_000 },
    );
  });

  it('dept:"<name>" and 部门:<name> round-trip to the department name', async () => {
    const name = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((n) => !/["'“”‘’\s]/u.test(n) && stripControls(n) === n && n.trim() !== '');
    await fc.assert(
      fc.asyncProperty(
        name,
        fc.constantFrom('dept:', 'DEPT:', '部门:', '部门：'),
        fc.boolean(),
        async (n, prefix, quoted) => {
          const text = `/chat add here ${prefix}${quoted ? `"${n} x"` : n}`;
          const refs = await refsOf(text);
          expect(refs).toEqual([
            { kind: 'dept', text: quoted ? `${n} x`.trim() : n.trim(), raw: expect.any(String) },
          ]);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('a mainland mobile typed in groups, with +86 or not, round-trips to its 11 digits', async () => {
    const digits = fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 })
      .map((d) => `1${d.join('')}`);
    await fc.assert(
      fc.asyncProperty(
        digits,
        fc.constantFrom('', '+86', '+86-', '+86 ', '86'),
        fc.constantFrom('none', '3-4-4'),
        async (mobile, cc, grouping) => {
          const body =
            grouping === 'none' ? mobile : `${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`;
          // `86` without + only glues to an ungrouped number
          if (cc === '86' && grouping !== 'none') return;
          const refs = await refsOf(`/chat add here ${cc}${body} alice`);
          expect(refs).toHaveLength(2);
          expect(refs[0]?.kind).toBe('mobile');
          expect(normaliseMobile(refs[0]?.text ?? '')).toBe(mobile);
          expect(refs[1]).toMatchObject({ kind: 'userId', text: 'alice' });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

/** The typed people of a line (it must bind). */
async function refsOf(text: string) {
  const msg = message({ text });
  const parsed = parseLine(text, { conversationType: 'group' });
  if (!parsed.ok) throw parsed.error;
  const found = registry.match(parsed.words);
  if (!found.ok) throw found.error;
  const bound = await bindArgs(found.spec, found.rest, {
    message: msg,
    caller: { userId: msg.senderUserId },
    registry: store,
  });
  if (!bound.ok) throw bound.error;
  return bound.pre.refs;
}
