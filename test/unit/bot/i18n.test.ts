import { describe, expect, it } from 'vitest';
import help from '../../../commands/help.ts';
import whoami from '../../../commands/whoami.ts';
import {
  catalogueDiff,
  catalogues,
  commandName,
  commandNameMessages,
  createTranslator,
  formatMessage,
  roleName,
  usageSlots,
  userErrorText,
} from '../../../src/bot/i18n.ts';
import { UserError } from '../../../src/bot/types.ts';

/** The params a message uses: `{name}`, and `{name, plural, …}` (whose branches may repeat `{name}`). */
const placeholders = (s: string) =>
  [
    ...new Set(
      [...s.matchAll(/\{([A-Za-z0-9_|-]+)(?:\}|,\s*(?:plural|select|command))/g)].flatMap((m) =>
        (m[1] ?? '').split('|'),
      ),
    ),
  ].sort();

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

describe('words in the reader language', () => {
  it('select picks the branch the value names, else other', () => {
    const tpl = '{role, select, lead {负责人} other {“{role}”}}';
    expect(formatMessage(tpl, { role: 'lead' }, 'zh-CN')).toBe('负责人');
    expect(formatMessage(tpl, { role: 'auditor' }, 'zh-CN')).toBe('“auditor”');
    expect(formatMessage('a{p, select, - {} other {: {p}}}', { p: '-' })).toBe('a');
    expect(formatMessage('a{p, select, - {} other {: {p}}}', { p: 'x' })).toBe('a: x');
  });

  it('{a|b} takes the first param given', () => {
    expect(formatMessage('You ({user|userId})', { userId: 'bob' })).toBe('You (bob)');
    expect(formatMessage('You ({user|userId})', { userId: 'bob', user: 'Bob (bob)' })).toBe(
      'You (Bob (bob))',
    );
    expect(formatMessage('You ({user|userId})', {})).toBe('You ({user|userId})');
  });

  it('{command, command} names a command as the reader types it', () => {
    const spec = { name: 'chat add', aliases: ['拉人'] };
    const extra = [{ en: { k: 'Run /{command, command}' }, 'zh-CN': { k: '运行 /{command, command}' } }];
    const names = [commandNameMessages(spec)];
    expect(createTranslator('zh-CN', [...extra, ...names])('k', { command: 'chat add' })).toBe('运行 /拉人');
    expect(createTranslator('en', [...extra, ...names])('k', { command: 'chat add' })).toBe('Run /chat add');
    expect(commandName(spec, 'zh-CN')).toBe('拉人');
    expect(commandName({ name: 'chat cid' }, 'zh-CN')).toBe('chat cid');
  });

  it('role names by locale', () => {
    expect(roleName('lead', createTranslator('zh-CN'))).toBe('负责人');
    expect(roleName('lead', createTranslator('en'))).toBe('lead');
    expect(roleName('auditor', createTranslator('zh-CN'))).toBe('auditor');
  });

  it('a missing param is named in the usage line words', () => {
    const extra = [
      { en: { u: '/chat rename <chat> <new name>' }, 'zh-CN': { u: '/改群名 <群> <新群名>' } },
      {
        en: { a: '/chat admin add|remove <chat> <users…>' },
        'zh-CN': { a: '/群管理员 添加|移除 <群> <成员…>' },
      },
    ];
    const err = new UserError('args.missing', { param: 'name', paramAt: 1, usageKey: 'u' });
    expect(userErrorText(err, createTranslator('en', extra))).toBe(
      'Missing <new name>.\nUsage: /chat rename <chat> <new name>',
    );
    expect(userErrorText(err, createTranslator('zh-CN', extra))).toBe(
      '缺少 <新群名>。\n用法：/改群名 <群> <新群名>',
    );
    const choice = new UserError('args.choice-missing', {
      param: 'action',
      paramAt: 0,
      choices: 'add / remove',
      usageKey: 'a',
    });
    expect(userErrorText(choice, createTranslator('zh-CN', extra))).toContain('添加 / 移除');
    expect(usageSlots('/chat create "<name>" [users…] [owner=<user>]')).toEqual(['"<name>"', '[users…]']);
    expect(usageSlots('/审计 [条数] [<群>|<用户>]（条数 1–50，默认 10）')).toEqual([
      '[条数]',
      '[<群>|<用户>]',
    ]);
  });
});
