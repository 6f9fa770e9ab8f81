/**
 * Message catalogues and the translator. Commands bring their own catalogues (`spec.messages`);
 * the registry hands them over as `registry.messages`.
 */
import { en } from './i18n/en.ts';
import { zhCN } from './i18n/zh-CN.ts';
import { clipEcho, escapeText, Markdown, md } from './render.ts';
import type { CommandSpec, Locale, MessageCatalogue, Translate, UserError } from './types.ts';

export type { MessageKey } from './i18n/en.ts';

/** The generic catalogues. */
export const catalogues: Readonly<Record<Locale, MessageCatalogue>> = { en, 'zh-CN': zhCN };

export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'zh-CN';
}

/** A translator's parameter: a number, text from a user or DingTalk (escaped), or bot {@link Markdown}. */
export type Param = string | number | Markdown;

/** What may come before a placeholder on its line for it to start a block (a list item, a quote). */
const BLOCK_START = /^(?:\s*(?:[>*+-]|\d+[.)])(?=\s|$))*\s*$/;

/** Quotes around a placeholder mark an echo of what someone typed: `"{value}"`, `“{word}”`, `「{name}」`. */
const OPEN_QUOTES: Readonly<Record<string, string>> = { '"': '"', '“': '”', '「': '」', "'": "'" };

/**
 * Fills a template: `{name}` becomes `params.name` (unknown placeholders stay as they are);
 * `{user|userId}` is the first of those params that is given (a text written for a richer param
 * still reads right while a caller passes only the plainer one);
 * `{count, plural, one {# chat} other {# chats}}` picks the branch `Intl.PluralRules` gives for
 * `params.count` in `locale` (`=0`-style exact branches first, `other` as the fallback; `#` is
 * the number; Chinese has only `other`); `{role, select, admin {管理员} other {{role}}}` picks
 * the branch named by the param's value, else `other`.
 */
export function formatMessage(
  template: string,
  params: Record<string, Param> = {},
  locale: Locale = 'en',
): string {
  return fillPlurals(template, params, locale).replace(
    /\{([A-Za-z0-9_-]+(?:\|[A-Za-z0-9_-]+)*)\}/g,
    (whole, names: string, at: number, filled: string) => {
      const name = names.split('|').find((n) => Object.hasOwn(params, n));
      if (name === undefined) return whole;
      const value = params[name];
      if (typeof value === 'number') return String(value);
      if (value instanceof Markdown) return value.text;
      if (typeof value !== 'string') return whole;
      const before = filled[at - 1];
      const close = before === undefined ? undefined : OPEN_QUOTES[before];
      const quoted = close !== undefined && close === filled[at + whole.length];
      const lineStart = filled.lastIndexOf('\n', at - 1) + 1;
      return escapeText(quoted ? clipEcho(value) : value, BLOCK_START.test(filled.slice(lineStart, at)));
    },
  );
}

const PLURAL_HEAD = /\{([A-Za-z0-9_-]+),\s*(plural|select),\s*/g;
const pluralRules = new Map<Locale, Intl.PluralRules>();

/** Replaces every `{x, plural, …}` block whose param is a number; others are left as typed. */
function fillPlurals(template: string, params: Record<string, Param>, locale: Locale): string {
  let out = '';
  let from = 0;
  PLURAL_HEAD.lastIndex = 0;
  for (let m = PLURAL_HEAD.exec(template); m !== null; m = PLURAL_HEAD.exec(template)) {
    const block = readBranches(template, PLURAL_HEAD.lastIndex);
    const value = params[m[1] ?? ''];
    if (block === undefined) continue;
    if (m[2] === 'select') {
      if (value === undefined) continue;
      const branch = block.branches.get(String(value)) ?? block.branches.get('other');
      out += template.slice(from, m.index) + (branch ?? '');
      from = block.end;
      PLURAL_HEAD.lastIndex = block.end;
      continue;
    }
    if (typeof value !== 'number') continue;
    let rules = pluralRules.get(locale);
    if (rules === undefined) {
      rules = new Intl.PluralRules(locale);
      pluralRules.set(locale, rules);
    }
    const branch =
      block.branches.get(`=${value}`) ??
      block.branches.get(rules.select(value)) ??
      block.branches.get('other');
    out += template.slice(from, m.index) + (branch ?? '').replaceAll('#', String(value));
    from = block.end;
    PLURAL_HEAD.lastIndex = block.end;
  }
  return out + template.slice(from);
}

/** Reads `one {…} other {…}}` from `at`; branch bodies may hold `{name}` placeholders. */
function readBranches(s: string, at: number): { branches: Map<string, string>; end: number } | undefined {
  const branches = new Map<string, string>();
  let i = at;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return branches.size > 0 ? { branches, end: i + 1 } : undefined;
    const sel = /^(=\d+|[A-Za-z][A-Za-z0-9_-]*|-)\s*\{/.exec(s.slice(i));
    if (sel === null) return undefined;
    i += sel[0].length;
    let depth = 1;
    const start = i;
    for (; i < s.length && depth > 0; i++) {
      if (s[i] === '{') depth++;
      else if (s[i] === '}') depth--;
    }
    if (depth > 0) return undefined;
    branches.set(sel[1] ?? '', s.slice(start, i - 1));
  }
}

/**
 * A translator for `locale`: the generic catalogue, then each of `extra` (command messages).
 * A key missing in `locale` falls back to English, then to the key itself. String parameters are
 * escaped (see {@link formatMessage}); bot markdown is passed as `md(…)`.
 */
export function createTranslator(
  locale: Locale,
  extra: readonly Record<Locale, MessageCatalogue>[] = [],
): Translate {
  const merged = (l: Locale): Map<string, string> => {
    const m = new Map(Object.entries(catalogues[l]));
    for (const c of extra) for (const [k, v] of Object.entries(c[l] ?? {})) m.set(k, v);
    return m;
  };
  const primary = merged(locale);
  const english = locale === 'en' ? primary : merged('en');
  return (key, params) => {
    const own = primary.get(key);
    // An English fallback text is also counted by English rules.
    const template = withCommandNames(own ?? english.get(key) ?? key, params, primary);
    return formatMessage(template, params, own === undefined ? 'en' : locale);
  };
}

/**
 * `{command, command}`: the command `params.command` names (its English name, `chat add`) as
 * the reader types it, from the `command.name.<name>` entries the registry adds (`拉人` in
 * Chinese); a name without an entry is shown as given.
 */
function withCommandNames(
  template: string,
  params: Record<string, Param> | undefined,
  catalogue: ReadonlyMap<string, string>,
): string {
  return template.replace(/\{([A-Za-z0-9_-]+),\s*command\s*\}/g, (whole, name: string, offset: number) => {
    const value = params?.[name];
    if (value === undefined) return whole;
    const given = value instanceof Markdown ? value.text : String(value);
    // A name without an entry (typed text, say) is escaped like any param; at the start of a
    // line its `#`, `>` or `-` would start a block, so those are escaped there too.
    const atLineStart = /(^|\n)[ \t]*$/.test(template.slice(0, offset));
    return (catalogue.get(`command.name.${given}`) ?? escapeText(given, atLineStart)).replace(/[{}]/g, '');
  });
}

/** The Chinese alias of a command, when it has one (`拉人` for `chat add`). */
export function chineseAlias(spec: Pick<CommandSpec<unknown>, 'aliases'>): string | undefined {
  return (spec.aliases ?? []).find((a) => /[^\p{ASCII}]/u.test(a));
}

/** A command as a reader of `locale` types it, without the slash: `拉人` in Chinese, else `chat add`. */
export function commandName(spec: Pick<CommandSpec<unknown>, 'name' | 'aliases'>, locale: Locale): string {
  return locale === 'zh-CN' ? (chineseAlias(spec) ?? spec.name) : spec.name;
}

/**
 * The `command.name.<name>` entries of a command's catalogue: what `{command, command}` shows
 * for it in each language.
 */
export function commandNameMessages(
  spec: Pick<CommandSpec<unknown>, 'name' | 'aliases'>,
): Record<Locale, MessageCatalogue> {
  const key = `command.name.${spec.name}`;
  return { en: { [key]: commandName(spec, 'en') }, 'zh-CN': { [key]: commandName(spec, 'zh-CN') } };
}

/** A role's name in the reader's language (`lead` → `负责人`); a policy's own role as named. */
export function roleName(role: string, t: Translate): string {
  const key = `role.${role}`;
  const text = t(key);
  return text === key ? role : text;
}

/**
 * The text of a {@link UserError}. Params are plain text (the translator escapes them) or bot
 * {@link Markdown}; a param whose name ends in `Key` holds a message key and is translated into
 * the param without the suffix (`usageKey: 'chat.create.usage'` fills `{usage}`).
 */
export function userErrorText(err: UserError, t: Translate): string {
  const params: Record<string, Param> = {};
  for (const [name, value] of Object.entries(err.params)) {
    if (name.endsWith('Key') && typeof value === 'string') params[name.slice(0, -3)] = md(t(value));
    else params[name] = value;
  }
  // A param named by its place (`paramAt`): in the usage line's own words, `<new name>`.
  const at = err.params.paramAt;
  const usage = params.usage instanceof Markdown ? params.usage.text : params.usage;
  if (typeof at === 'number' && typeof usage === 'string') {
    const slot = usageSlots(usage)[at];
    if (slot !== undefined) {
      // The usage line's own words: bot text, not an echo.
      const bare = slot.replace(/^\[|\]$/g, '').replace(/"/g, '');
      if (bare.includes('|') && !bare.includes('<')) params.choices = md(bare.split('|').join(' / '));
      params.slot = md(bare);
    }
  }
  if (typeof params.param === 'string') params.slot ??= md(`<${params.param}>`);
  return t(err.code, params);
}

/**
 * The param slots of a usage line, in order: `/chat rename <chat> <new name>` → `<chat>`,
 * `<new name>`. The command's name (plain words after the slash) and `key=value` options are
 * left out, and so is a closing note in brackets.
 */
export function usageSlots(usage: string): string[] {
  const line = usage
    .split('\n', 1)[0]!
    .replace(/\s[(（].*$/u, '')
    .replace(/（.*$/u, '');
  const tokens = line.match(/\[[^\]]*\]|"[^"]*"|<[^<>]*>…?|\S+/gu) ?? [];
  let i = 0;
  while (i < tokens.length && /^\/?[\p{L}\p{N}-]+$/u.test(tokens[i]!)) i++;
  return tokens.slice(i).filter((tok) => !tok.includes('=') && !tok.includes('＝'));
}

/** Keys present in one catalogue and not the other (for parity tests and start-up checks). */
export function catalogueDiff(
  a: MessageCatalogue,
  b: MessageCatalogue,
): { onlyInA: string[]; onlyInB: string[] } {
  return {
    onlyInA: Object.keys(a).filter((k) => !Object.hasOwn(b, k)),
    onlyInB: Object.keys(b).filter((k) => !Object.hasOwn(a, k)),
  };
}
