/**
 * Tokenizer and command-line parser for the grammar of architecture.md §3.
 *
 * Pure and total: every string gives either tokens or a {@link UserError}, never an exception.
 * It knows nothing of specs; the registry matches the first words and `bind.ts` reads the rest.
 */
import { UserError } from './types.ts';

export type TokenKind = 'word' | 'quoted' | 'option' | 'chatref' | 'mention' | 'dept';

/** One word of a command line. `raw` is the text as typed (after control characters are gone). */
export interface Token {
  kind: TokenKind;
  /**
   * word: the word; quoted: the text between the quotes; option: `key=value` as typed;
   * chatref: the name after `#` (unquoted); mention: the word after `@`; dept: the department
   * name after `dept:` / `部门:` (unquoted, maybe empty).
   */
  text: string;
  /** option only: the key, lower case */
  key?: string;
  /** option only: the value, unquoted */
  value?: string;
  raw: string;
}

export type ParseResult = { ok: true; words: Token[]; slash: boolean } | { ok: false; error: UserError };

export interface ParseOptions {
  conversationType: 'direct' | 'group';
  /** True when `word` (lower case) names a command or a command group; lets `help` work without `/` in 1:1 chats. */
  isCommandWord?: (word: string) => boolean;
}

/** Longest command line accepted; longer ones get a clear error instead of slow work. */
export const MAX_LINE_CHARS = 8000;

/** Opening quote -> closing quote. */
const QUOTES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
]);

const SLASHES = new Set(['/', '／']);
/** The first control character a command never holds (C0 and C1 but the whitespace ones, and DEL). */
function forbiddenControl(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const whitespace = (c >= 0x09 && c <= 0x0d) || c === 0x85;
    if ((c < 0x20 || (c >= 0x7f && c <= 0x9f)) && !whitespace) return c;
  }
  return undefined;
}
/** Whitespace control characters become spaces; other controls, format characters and lone surrogates go. */
const SPACE_CONTROLS = /[\t\n\v\f\r\u0085]/g;
// ZWJ (U+200D) is kept: it glues emoji sequences and cannot change how a line is read.
const INVISIBLE = /(?![\u200d])[\p{Cc}\p{Cf}\p{Cs}]/gu;
const SPACE = /\s/u;
const OPTION = /^([A-Za-z][A-Za-z0-9_-]*)[=＝]/;
/** An openConversationId ends in base64 padding (`cidAsXSBLnA==`): a word, not `key=`. */
const CID_PADDED = /^cid[A-Za-z0-9+/_-]+={1,2}$/;
/** `dept:` / `部门:` (ASCII or full-width colon) before a department name. */
const DEPT_PREFIX = /^(?:dept|部门)[:：]/i;
const DEPT_PREFIX_ONLY = /^(?:dept|部门)[:：]$/i;

/** Removes control and format characters (bidi overrides, zero-width marks); line breaks become spaces. */
export function stripControls(input: string): string {
  return input.replace(SPACE_CONTROLS, ' ').replace(INVISIBLE, '');
}

/** Counts the characters the tokenizer reads and copies, for tests of its cost. */
export interface TokenizeMeter {
  steps: number;
}

/**
 * Splits a line into tokens. Quotes open only at the start of a word, after `#`, `@`, `key=` or
 * `dept:`, so apostrophes inside words (`don't`) stay literal. There are no escapes: a quote of
 * another kind may be used to include a quote character. Linear in the length of the line: each
 * character is read a bounded number of times (`meter` counts them).
 */
export function tokenize(
  input: string,
  meter: TokenizeMeter = { steps: 0 },
): { ok: true; tokens: Token[] } | { ok: false; error: UserError } {
  const s = Array.from(stripControls(input));
  const tokens: Token[] = [];
  const text = (from: number, to: number): string => {
    meter.steps += to - from;
    return s.slice(from, to).join('');
  };
  let i = 0;
  while (i < s.length) {
    meter.steps++;
    const c = s[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    const start = i;
    // A quoted string (at the start of a word).
    const close = QUOTES.get(c);
    if (close !== undefined) {
      const end = s.indexOf(close, i + 1);
      meter.steps += (end < 0 ? s.length : end) - i;
      if (end < 0) return { ok: false, error: new UserError('parse.unclosed-quote', { quote: c }) };
      tokens.push({ kind: 'quoted', text: text(i + 1, end), raw: text(start, end + 1) });
      i = end + 1;
      continue;
    }
    // A bare word, possibly followed by a quoted part after `#`, `@`, `key=` or `dept:`. Whether
    // the word so far is an option key is kept as it grows, so a quote costs O(1) to judge.
    let quotedTail: Token | undefined;
    let keySoFar = true;
    while (i < s.length && !SPACE.test(s[i]!)) {
      meter.steps++;
      const ch = s[i]!;
      const q = QUOTES.get(ch);
      if (q !== undefined) {
        const n = i - start;
        const prev = s[i - 1];
        const kind: TokenKind | undefined =
          n === 1 && (prev === '#' || prev === '＃')
            ? 'chatref'
            : n === 1 && (prev === '@' || prev === '＠')
              ? 'mention'
              : n > 1 && keySoFar && (prev === '=' || prev === '＝')
                ? 'option'
                : (n === 5 || n === 3) && DEPT_PREFIX_ONLY.test(text(start, i))
                  ? 'dept'
                  : undefined;
        if (kind !== undefined) {
          const end = s.indexOf(q, i + 1);
          meter.steps += (end < 0 ? s.length : end) - i;
          if (end < 0) return { ok: false, error: new UserError('parse.unclosed-quote', { quote: ch }) };
          const inner = text(i + 1, end);
          const raw = text(start, end + 1);
          quotedTail =
            kind === 'option' ? optionToken(text(start, i), inner, raw) : { kind, text: inner, raw };
          i = end + 1;
          break;
        }
      }
      // `key=` is a letter, then letters, digits, `_` or `-`, then one `=`.
      if (keySoFar && i > start && (s[i - 1] === '=' || s[i - 1] === '＝')) keySoFar = false;
      else if (keySoFar && !(i === start ? /[A-Za-z]/ : /[A-Za-z0-9_=＝-]/).test(ch)) keySoFar = false;
      i++;
    }
    tokens.push(quotedTail ?? classify(text(start, i)));
  }
  return { ok: true, tokens };
}

function optionToken(prefix: string, value: string, raw: string): Token {
  const key = prefix.slice(0, -1).toLowerCase();
  return { kind: 'option', text: raw, key, value, raw };
}

function classify(word: string): Token {
  const dept = DEPT_PREFIX.exec(word);
  if (dept !== null) return { kind: 'dept', text: word.slice(dept[0].length), raw: word };
  const opt = CID_PADDED.test(word) ? null : OPTION.exec(word);
  if (opt !== null) return optionToken(opt[0], word.slice(opt[0].length), word);
  const first = word[0];
  if (word.length > 1 && (first === '#' || first === '＃'))
    return { kind: 'chatref', text: word.slice(1), raw: word };
  if (word.length > 1 && (first === '@' || first === '＠'))
    return { kind: 'mention', text: word.slice(1), raw: word };
  return { kind: 'word', text: word, raw: word };
}

/**
 * Parses a message text into its words, the first being the command word (slash removed).
 *
 * - A line starts with `/` or `／` (leading `@Name` words before the slash are dropped: some
 *   clients leave the bot's own `@Name` in the text).
 * - In a 1:1 chat a line whose first word is a known command word also counts (friendly);
 *   anything else is answered with `parse.no-slash`.
 */
export function parseLine(text: string, opts: ParseOptions): ParseResult {
  if (text.length > MAX_LINE_CHARS) {
    return { ok: false, error: new UserError('parse.too-long', { max: MAX_LINE_CHARS }) };
  }
  // Refused, not stripped: a NUL is no typing slip, and PostgreSQL text cannot hold it anyway.
  const control = forbiddenControl(text);
  if (control !== undefined) {
    const code = `U+${control.toString(16).toUpperCase().padStart(4, '0')}`;
    return { ok: false, error: new UserError('parse.control', { code }) };
  }
  const line = stripControls(text).trim();
  if (line === '') return { ok: false, error: new UserError('parse.empty') };

  const slashAt = findSlash(line);
  if (slashAt >= 0) {
    const body = line.slice(slashAt + 1);
    const result = tokenize(body);
    if (!result.ok) return result;
    if (result.tokens.length === 0) return { ok: false, error: new UserError('parse.empty') };
    return { ok: true, words: result.tokens, slash: true };
  }

  const result = tokenize(line);
  if (opts.conversationType === 'direct' && result.ok) {
    const first = result.tokens[0];
    if (first?.kind === 'word') {
      const w = first.text.normalize('NFKC').toLowerCase();
      if (w === 'help' || opts.isCommandWord?.(w) === true)
        return { ok: true, words: result.tokens, slash: false };
    }
  }
  return { ok: false, error: new UserError('parse.no-slash') };
}

/**
 * The first words of a command line as typed (after the slash, or from the start without one),
 * read without tokenizing, so that a line the parser refuses still shows which command it meant
 * (for the reply's language, its example and the audit). Empty for a line without words.
 */
export function leadingWords(text: string, max = 2): string[] {
  const line = stripControls(text.slice(0, MAX_LINE_CHARS)).trim();
  const slashAt = findSlash(line);
  const body = slashAt >= 0 ? line.slice(slashAt + 1) : line;
  return body
    .split(/\s+/u)
    .filter((w) => w !== '')
    .slice(0, max);
}

/** Index of the command slash: at the start, or after leading `@Name` words. -1 when none. */
function findSlash(line: string): number {
  let i = 0;
  for (;;) {
    const c = line[i];
    if (c === undefined) return -1;
    if (SLASHES.has(c)) return i;
    if (c !== '@' && c !== '＠') return -1;
    // Skip the `@word` and the spaces after it.
    while (i < line.length && !SPACE.test(line[i]!)) i++;
    while (i < line.length && SPACE.test(line[i]!)) i++;
  }
}
