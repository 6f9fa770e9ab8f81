/**
 * Message catalogues and the translator. Commands bring their own catalogues (`spec.messages`);
 * the registry hands them over as `registry.messages`.
 */
import { en } from './i18n/en.ts';
import { zhCN } from './i18n/zh-CN.ts';
import { mdEscape } from './render.ts';
import type { Locale, MessageCatalogue, Translate, UserError } from './types.ts';

export type { MessageKey } from './i18n/en.ts';

/** The generic catalogues. */
export const catalogues: Readonly<Record<Locale, MessageCatalogue>> = { en, 'zh-CN': zhCN };

export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];

export function isLocale(value: unknown): value is Locale {
  return value === 'en' || value === 'zh-CN';
}

/** Replaces `{name}` with `params.name`; unknown placeholders stay as they are. */
export function formatMessage(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([A-Za-z0-9_-]+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/**
 * A translator for `locale`: the generic catalogue, then each of `extra` (command messages).
 * A key missing in `locale` falls back to English, then to the key itself.
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
  return (key, params) => formatMessage(primary.get(key) ?? english.get(key) ?? key, params);
}

/**
 * The text of a {@link UserError}. Params are plain text and are markdown-escaped; a param whose
 * name ends in `Key` holds a message key and is translated into the param without the suffix
 * (`usageKey: 'chat.create.usage'` fills `{usage}`).
 */
export function userErrorText(err: UserError, t: Translate): string {
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(err.params)) {
    if (name.endsWith('Key') && typeof value === 'string') params[name.slice(0, -3)] = t(value);
    else params[name] = typeof value === 'string' ? mdEscape(value) : value;
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
