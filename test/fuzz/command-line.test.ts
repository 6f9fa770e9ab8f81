/**
 * Whatever a user types: parse -> match -> bind -> user text -> render never throws and always
 * ends in a command with bound args or a UserError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import help from '../../commands/help.ts';
import whoami from '../../commands/whoami.ts';
import { bindArgs } from '../../src/bot/bind.ts';
import { createTranslator, userErrorText } from '../../src/bot/i18n.ts';
import { parseLine } from '../../src/bot/parse.ts';
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
});
