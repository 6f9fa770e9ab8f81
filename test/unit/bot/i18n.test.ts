import { describe, expect, it } from 'vitest';
import help from '../../../commands/help.ts';
import whoami from '../../../commands/whoami.ts';
import {
  catalogueDiff,
  catalogues,
  createTranslator,
  formatMessage,
  userErrorText,
} from '../../../src/bot/i18n.ts';
import { UserError } from '../../../src/bot/types.ts';

/** The params a message uses: `{name}`, and `{name, plural, …}` (whose branches may repeat `{name}`). */
const placeholders = (s: string) =>
  [...new Set([...s.matchAll(/\{([A-Za-z0-9_-]+)(?:\}|,\s*plural)/g)].map((m) => m[1]))].sort();

describe('catalogues', () => {
  it('en and zh-CN have the same keys', () => {
    expect(catalogueDiff(catalogues.en, catalogues['zh-CN'])).toEqual({ onlyInA: [], onlyInB: [] });
  });

  it('en and zh-CN use the same placeholders in each message', () => {
    for (const [key, text] of Object.entries(catalogues.en)) {
      expect([key, placeholders(catalogues['zh-CN'][key] ?? '')]).toEqual([key, placeholders(text)]);
    }
  });

  it.each([help, whoami])(
    '$name: its messages have the same keys and placeholders in both locales',
    (spec) => {
      expect(catalogueDiff(spec.messages.en, spec.messages['zh-CN'])).toEqual({ onlyInA: [], onlyInB: [] });
      for (const [key, text] of Object.entries(spec.messages.en)) {
        expect([key, placeholders(spec.messages['zh-CN'][key] ?? '')]).toEqual([key, placeholders(text)]);
      }
    },
  );
});

describe('createTranslator', () => {
  const extra = [{ en: { 'x.only-en': 'Only {what}', 'x.both': 'Both' }, 'zh-CN': { 'x.both': '都有' } }];

  it('fills placeholders, and leaves unknown ones as they are', () => {
    expect(formatMessage('Hi {name}, {count} {missing}', { name: 'Ada', count: 3 })).toBe(
      'Hi Ada, 3 {missing}',
    );
  });

  it('reads the locale, then English, then the key itself', () => {
    const zh = createTranslator('zh-CN', extra);
    expect(zh('x.both')).toBe('都有');
    expect(zh('x.only-en', { what: 'me' })).toBe('Only me');
    expect(zh('no.such.key')).toBe('no.such.key');
    expect(zh('pipeline.internal-error', { incident: 'ab12' })).toBe('我这边出错了。事件编号：ab12。');
    expect(createTranslator('en')('pipeline.internal-error', { incident: 'ab12' })).toBe(
      'Something went wrong on my side. Incident id: ab12.',
    );
  });

  it('userErrorText translates *Key params and escapes the others', () => {
    const t = createTranslator('en', [{ en: { 'c.usage': '/c <x>' }, 'zh-CN': { 'c.usage': '/c <x>' } }]);
    const e = new UserError('args.too-many', { extra: '*boom*', usageKey: 'c.usage' });
    expect(userErrorText(e, t)).toBe('I did not expect "\\*boom\\*" here.\nUsage: /c <x>');
  });
});
