/**
 * Message catalogues and the translator. Commands bring their own catalogues (`spec.messages`);
 * the registry hands them over as `registry.messages`.
 */
import { en } from './i18n/en.ts';
import { zhCN } from './i18n/zh-CN.ts';
import { clipEcho, escapeText, Markdown, md } from './render.ts';
import type { Locale, MessageCatalogue, Translate, UserError } from './types.ts';

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
 * Fills a template: `{name}` becomes `params.name` (unknown placeholders stay as they are), and
 * `{count, plural, one {# chat} other {# chats}}` picks the branch `Intl.PluralRules` gives for
 * `params.count` in `locale` (`=0`-style exact branches first, `other` as the fallback; `#` is
 * the number). Chinese has only `other`.
 */
export function formatMessage(
  template: string,
  params: Record<string, Param> = {},
  locale: Locale = 'en',
): string {
  return fillPlurals(template, params, locale).replace(
    /\{([A-Za-z0-9_-]+)\}/g,
    (whole, name: string, at: number, filled: string) => {
      if (!Object.hasOwn(params, name)) return whole;
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

const PLURAL_HEAD = /\{([A-Za-z0-9_-]+),\s*plural,\s*/g;
const pluralRules = new Map<Locale, Intl.PluralRules>();

/** Replaces every `{x, plural, …}` block whose param is a number; others are left as typed. */
function fillPlurals(template: string, params: Record<string, Param>, locale: Locale): string {
  let out = '';
  let from = 0;
  PLURAL_HEAD.lastIndex = 0;
  for (let m = PLURAL_HEAD.exec(template); m !== null; m = PLURAL_HEAD.exec(template)) {
    const block = readBranches(template, PLURAL_HEAD.lastIndex);
    const value = params[m[1] ?? ''];
    if (block === undefined || typeof value !== 'number') continue;
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
    const sel = /^(=\d+|[a-z]+)\s*\{/.exec(s.slice(i));
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
 * Parameters that src/bot/pipeline.ts still fills with markdown it built as a plain string
 * (`key:param`). Transitional: once the pipeline passes these as `md(…)`, this set goes.
 */
const PIPELINE_MARKDOWN: ReadonlySet<string> = new Set([
  'confirm.ask:preview',
  'people.resolved:list',
  'people.big:list',
  'people.ambiguous:candidates',
  'pick.how:example',
  'usage.example:example',
  'pipeline.dingtalk-error:cause',
  'pipeline.dingtalk-error:next',
  'pipeline.dingtalk-error:permission',
  'people.denied:permission',
]);

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
  return (key, given) => {
    let params = given;
    if (given !== undefined)
      for (const [name, value] of Object.entries(given))
        if (typeof value === 'string' && PIPELINE_MARKDOWN.has(`${key}:${name}`))
          params = { ...params, [name]: md(value) };
    const own = primary.get(key);
    // An English fallback text is also counted by English rules.
    return formatMessage(own ?? english.get(key) ?? key, params, own === undefined ? 'en' : locale);
  };
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
  return t(err.code, params);
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
