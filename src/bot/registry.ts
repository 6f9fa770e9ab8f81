/**
 * The command registry: checks every spec once at start-up (one {@link CommandSpecError} listing
 * every problem) and finds the command a line names.
 */
import { z } from 'zod';
import { clip } from './bind-kit.ts';
import { commandNameMessages } from './i18n.ts';
import type { Token } from './parse.ts';
import { suggest } from './suggest.ts';
import { type CommandSpec, type Locale, type MessageCatalogue, UserError } from './types.ts';

/** Start-up stops with this: every bad spec and every clash, one per line. */
export class CommandSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid command specs:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CommandSpecError';
  }
}

/** A command found for a line: the spec, the words after its name, and the locale its name implies. */
export interface CommandMatch {
  spec: CommandSpec<unknown>;
  rest: Token[];
  /** `zh-CN` when the typed name holds a CJK character (a Chinese alias), else undefined. */
  locale: Locale | undefined;
  /** The command words as typed, lower case (`chat create`, `建群`). */
  typed: string;
}

export type MatchResult = ({ ok: true } & CommandMatch) | { ok: false; error: UserError };

export interface CommandRegistry {
  /** Every spec, in load order. */
  all(): readonly CommandSpec<unknown>[];
  /** Finds the command named by the first one or two words (longest match, case-insensitive). */
  match(words: readonly Token[]): MatchResult;
  /** A spec by name or alias (one or two words, any case). */
  get(name: string): CommandSpec<unknown> | undefined;
  /** True for a one-word name or alias, or the first word of a two-word name (`chat`). */
  isCommandWord(word: string): boolean;
  /** Every spec's messages, for `createTranslator(locale, registry.messages)`. */
  readonly messages: readonly Record<Locale, MessageCatalogue>[];
}

const LOCALES: readonly Locale[] = ['en', 'zh-CN'];
const NAME = /^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)?$/;
/** One or two words without characters the tokenizer gives a meaning to. */
const ALIAS = /^[^\s/／@＠#＃"'“”‘’=＝]+( [^\s/／@＠#＃"'“”‘’=＝]+)?$/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const isFunction = (v: unknown): boolean => typeof v === 'function';

const ParamShape = z.object({
  name: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'must be a camelCase identifier'),
  kind: z.enum(['chat', 'user', 'users', 'text', 'word', 'int']),
  optional: z.boolean().optional(),
  choices: z.record(z.string(), z.string().min(1)).optional(),
});

const OptionShape = z.object({
  kind: z.enum(['onoff', 'enum', 'user', 'text']),
  values: z.array(z.string().min(1)).optional(),
});

const Catalogue = z.record(z.string(), z.string());

const SpecShape = z.object({
  name: z.string().regex(NAME, 'must be one or two lower-case words'),
  aliases: z
    .array(
      z
        .string()
        .regex(ALIAS, 'must be one or two words without / @ # = or quotes')
        .refine((a) => a === a.normalize('NFKC').toLowerCase(), 'must be lower case (NFKC)'),
    )
    .optional(),
  summary: z.string().min(1),
  usage: z.string().min(1),
  params: z.array(ParamShape),
  options: z.record(z.string(), OptionShape).optional(),
  args: z.custom<z.ZodType>(
    (v) => typeof v === 'object' && v !== null && isFunction((v as { safeParse?: unknown }).safeParse),
    'must be a zod schema',
  ),
  role: z.enum(['everyone', 'lead', 'admin']),
  ownership: z.literal('chat').optional(),
  changes: z.boolean(),
  risk: z.literal('confirm').optional(),
  messages: z.object({ en: Catalogue, 'zh-CN': Catalogue }),
  preview: z.custom<unknown>(isFunction, 'must be a function').optional(),
  handler: z.custom<unknown>(isFunction, 'must be a function'),
});

type Shape = z.infer<typeof SpecShape>;

/** `mention-all` -> `mentionAll`: the key an option gets in the args object. */
export function optionArgName(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `zh-CN` when a command word holds a CJK character (a Chinese alias, or a mistyped one). */
export function impliedLocale(word: string): Locale | undefined {
  return CJK.test(word) ? 'zh-CN' : undefined;
}

/** How command words are compared: NFKC (full-width letters) and lower case. */
export function commandKey(word: string): string {
  return word.normalize('NFKC').toLowerCase();
}

/**
 * Checks every spec and builds the registry. Throws one {@link CommandSpecError} naming every
 * problem: bad shapes, message keys missing in a locale, misplaced params, duplicate names or aliases.
 */
export function loadCommands(specs: readonly unknown[]): CommandRegistry {
  const problems: string[] = [];
  const good: CommandSpec<unknown>[] = [];
  const owners = new Map<string, string>();
  const messageOwners = new Map<string, { label: string; text: string }>();

  specs.forEach((raw, index) => {
    const rawName = (raw as { name?: unknown } | null)?.name;
    const label = `commands[${index}]${typeof rawName === 'string' ? ` (${rawName})` : ''}`;
    const parsed = SpecShape.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${label}: ${issue.path.length > 0 ? issue.path.join('.') : 'spec'}: ${issue.message}`);
      }
      return;
    }
    const spec = parsed.data;
    const before = problems.length;
    checkMessages(spec, label, problems, messageOwners);
    checkParams(spec, label, problems);
    for (const key of [spec.name, ...(spec.aliases ?? [])]) {
      const k = commandKey(key);
      const owner = owners.get(k);
      if (owner !== undefined) problems.push(`${label}: "${key}" is already used by ${owner}`);
      else owners.set(k, label);
    }
    if (problems.length === before) good.push(raw as CommandSpec<unknown>);
  });

  if (problems.length > 0) throw new CommandSpecError(problems);
  return buildRegistry(good);
}

function checkMessages(
  spec: Shape,
  label: string,
  problems: string[],
  messageOwners: Map<string, { label: string; text: string }>,
): void {
  for (const locale of LOCALES) {
    for (const [what, key] of [
      ['summary', spec.summary],
      ['usage', spec.usage],
    ] as const) {
      if (spec.messages[locale][key] === undefined) {
        problems.push(`${label}: ${what} key "${key}" is missing in messages.${locale}`);
      }
    }
  }
  const en = new Set(Object.keys(spec.messages.en));
  const zh = new Set(Object.keys(spec.messages['zh-CN']));
  for (const k of en) if (!zh.has(k)) problems.push(`${label}: message "${k}" is missing in messages.zh-CN`);
  for (const k of zh) if (!en.has(k)) problems.push(`${label}: message "${k}" is missing in messages.en`);
  for (const [k, text] of Object.entries(spec.messages.en)) {
    const owner = messageOwners.get(k);
    if (owner !== undefined && owner.text !== text) {
      problems.push(`${label}: message "${k}" is also defined, differently, by ${owner.label}`);
    } else if (owner === undefined) messageOwners.set(k, { label, text });
  }
}

function checkParams(spec: Shape, label: string, problems: string[]): void {
  const names = new Set<string>();
  let sawOptional = false;
  spec.params.forEach((p, i) => {
    if (names.has(p.name)) problems.push(`${label}: params[${i}] "${p.name}" is declared twice`);
    names.add(p.name);
    const rest = p.kind === 'users' || p.kind === 'text';
    if (rest && i !== spec.params.length - 1) {
      problems.push(
        `${label}: params[${i}] "${p.name}" (${p.kind}) takes the rest of the line, so it must be last`,
      );
    }
    // A left-out optional param is only recognisable when it is a <chat> (by its form).
    if (!p.optional && sawOptional) {
      problems.push(`${label}: params[${i}] "${p.name}" is required but follows an optional param`);
    }
    if (p.optional && p.kind !== 'chat') sawOptional = true;
    if (p.choices !== undefined && p.kind !== 'word') {
      problems.push(`${label}: params[${i}] "${p.name}": only a word param takes choices`);
    }
  });
  for (const [key, o] of Object.entries(spec.options ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(key)) problems.push(`${label}: options.${key}: must be kebab-case`);
    if (o.kind === 'enum' && (o.values === undefined || o.values.length === 0)) {
      problems.push(`${label}: options.${key}: an enum option needs values`);
    }
    if (names.has(optionArgName(key))) {
      problems.push(`${label}: options.${key} has the same args name as a param (${optionArgName(key)})`);
    }
  }
  if (spec.ownership === 'chat' && !spec.params.some((p) => p.kind === 'chat')) {
    problems.push(`${label}: ownership "chat" needs a <chat> param (ownership is checked on it)`);
  }
}

function buildRegistry(commands: CommandSpec<unknown>[]): CommandRegistry {
  const byKey = new Map<string, CommandSpec<unknown>>();
  const groups = new Map<string, CommandSpec<unknown>[]>();
  for (const spec of commands) {
    for (const key of [spec.name, ...(spec.aliases ?? [])]) byKey.set(commandKey(key), spec);
    const [group, sub] = spec.name.split(' ');
    if (group !== undefined && sub !== undefined) groups.set(group, [...(groups.get(group) ?? []), spec]);
  }
  const allKeys = [...byKey.keys()];
  const slashList = (names: readonly string[]): string => names.map((n) => `/${n}`).join(', ');

  const found = (spec: CommandSpec<unknown>, typed: string, rest: Token[]): MatchResult => ({
    ok: true,
    spec,
    rest,
    typed,
    locale: impliedLocale(typed),
  });

  function match(words: readonly Token[]): MatchResult {
    const w0 = words[0];
    if (w0 === undefined || w0.kind !== 'word') {
      return { ok: false, error: new UserError('command.unknown', { command: clip(w0?.raw ?? '') }) };
    }
    const k0 = commandKey(w0.text);
    const w1 = words[1];
    const k1 = w1?.kind === 'word' ? commandKey(w1.text) : undefined;
    if (k1 !== undefined) {
      const two = byKey.get(`${k0} ${k1}`);
      if (two !== undefined) return found(two, `${k0} ${k1}`, words.slice(2));
    }
    const one = byKey.get(k0);
    if (one !== undefined) return found(one, k0, words.slice(1));

    const subs = groups.get(k0);
    if (subs !== undefined) {
      const list = slashList(subs.map((s) => s.name));
      if (k1 === undefined) return { ok: false, error: new UserError('command.group', { group: k0, list }) };
      const close = suggest(
        `${k0} ${k1}`,
        subs.map((s) => s.name),
      );
      if (close.length > 0) {
        return {
          ok: false,
          error: new UserError('command.unknown-suggest', {
            command: clip(`${k0} ${k1}`),
            suggestions: slashList(close),
          }),
        };
      }
      return {
        ok: false,
        error: new UserError('command.group-unknown', { command: clip(`${k0} ${k1}`), group: k0, list }),
      };
    }
    const close = [
      ...suggest(k0, [...allKeys, ...groups.keys()]),
      ...(k1 !== undefined ? suggest(`${k0} ${k1}`, allKeys) : []),
    ];
    const typed = clip(k1 !== undefined && close.some((c) => c.includes(' ')) ? `${k0} ${k1}` : k0);
    if (close.length > 0) {
      return {
        ok: false,
        error: new UserError('command.unknown-suggest', {
          command: typed,
          suggestions: slashList([...new Set(close)].slice(0, 3)),
        }),
      };
    }
    return { ok: false, error: new UserError('command.unknown', { command: typed }) };
  }

  return {
    all: () => commands,
    match,
    get: (name) => byKey.get(commandKey(name.trim().split(/\s+/u).join(' '))),
    isCommandWord: (word) => {
      const k = commandKey(word);
      return byKey.has(k) || groups.has(k);
    },
    // Each spec's own messages, then how `{command, command}` names it in each language.
    messages: [...commands.map((c) => c.messages), ...commands.map(commandNameMessages)],
  };
}
