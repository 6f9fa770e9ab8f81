/**
 * Item 1 of issue 19: text from a user or from DingTalk never reaches a reply as markdown or
 * HTML. Every message of every catalogue (the generic one and each command's, both locales) is
 * rendered as a body, as a title and as a link label, with hostile strings in every parameter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../commands/index.ts';
import { catalogues, createTranslator, LOCALES, userErrorText } from '../../src/bot/i18n.ts';
import { ECHO_MAX, renderReply } from '../../src/bot/render.ts';
import { type Locale, UserError } from '../../src/bot/types.ts';

const HOSTILE = [
  '<a href=//ev.il>x',
  '**b** <b>',
  '](//ev.il)[',
  '![x](https://evil.example/p.png)',
  '<font color=#ff0000>urgent</font>',
  '[Confirm K7PQ2M](dtmd://dingtalkclient/sendMessage?content=%2Fchat%20remove)',
  'dtmd://dingtalkclient/sendMessage?content=x',
  '\n# Heading\n> quote\n- item\n1. one',
  '<br>**Please confirm**',
  '`code` _em_ ~~s~~ | a | b |',
  '\\](//ev.il)',
  '\u0000\u202e<img src=x onerror=alert(1)>',
  // Past the 80 characters a template's own `<…>` is turned full-width for: no `<dtmd:…>` autolink.
  `dtmd://dingtalkclient/sendMessage?content=${'x'.repeat(100)}`,
];

/** The markup a hostile string could bring, looked for once escaped pairs (`\*`) are hidden. */
const MARKUP: readonly RegExp[] = [
  /<[A-Za-z/!?]/, // an HTML tag or comment
  /\]\(/, // the end of a link or an image
  /!\[/, // an image
  /\*\*b/, // the bold of `**b**`
  /`code`/, // a code span
  /_em_/, // emphasis
  /~~s~~/, // strike-through
];

/** Lines that start a heading, quote or list; the hostile text must not add any. */
const BLOCKS = /(^|\n)[ \t]*(#|>|[-*+][ \t]|\d+[.)][ \t])/g;

/** A title is plain text: no tag, bracket, emphasis or code character at all. */
const TITLE_MARKUP = /[<>[\]*`_~|]/;

/** Backslash-escaped characters become one inert character, so `\]\(` is not `](`. */
const hideEscapes = (s: string): string => s.replace(/\\[\s\S]/g, '\uE000');

const LINK_URL = 'https://qr.dingtalk.com/ok';

function leaks(text: string, benign: string): RegExp | undefined {
  const hidden = hideEscapes(text.replace(`(${LINK_URL})`, ''));
  const blocks = (s: string): number => s.match(BLOCKS)?.length ?? 0;
  if (blocks(hidden) !== blocks(hideEscapes(benign))) return BLOCKS;
  return MARKUP.find((re) => re.test(hidden));
}

interface Message {
  locale: Locale;
  key: string;
  template: string;
}

const messages: Message[] = [];
for (const locale of LOCALES) {
  for (const [key, template] of Object.entries(catalogues[locale])) messages.push({ locale, key, template });
  for (const spec of allCommands)
    for (const [key, template] of Object.entries(spec.messages[locale] ?? {}))
      messages.push({ locale, key, template });
}

/** Placeholders of a template; plural ones take numbers. */
function placeholders(template: string): { text: string[]; plural: string[] } {
  const plural = [...template.matchAll(/\{([A-Za-z0-9_-]+),\s*plural,/g)].map((m) => m[1] ?? '');
  const all = [...template.matchAll(/\{([A-Za-z0-9_-]+)[},]/g)].map((m) => m[1] ?? '');
  return { plural, text: [...new Set(all.filter((n) => !plural.includes(n)))] };
}

/** Parameters the pipeline still fills with its own markdown as strings (see i18n.ts). */
const TRUSTED = new Set([
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

const translators = new Map(
  LOCALES.map(
    (l) =>
      [
        l,
        createTranslator(
          l,
          allCommands.map((s) => s.messages),
        ),
      ] as const,
  ),
);

/** Every place a translated text goes: the body, the title, the link's label, in a group. */
function renderAll(m: Message, hostile: string, titles: string[] = []): string[] {
  const t = translators.get(m.locale);
  if (t === undefined) throw new Error('no translator');
  const { text, plural } = placeholders(m.template);
  const params: Record<string, string | number> = {};
  for (const p of plural) params[p] = 2;
  for (const p of text) params[p] = TRUSTED.has(`${m.key}:${p}`) ? 'ok' : hostile;
  const filled = t(m.key, params);
  const viaError = userErrorText(new UserError(m.key, params), t);
  const out: string[] = [];
  for (const body of [filled, viaError]) {
    const r = renderReply(
      { text: body, title: body, link: { title: body, url: LINK_URL } },
      { conversationType: 'group', senderUserId: 'lead1' },
    );
    out.push(r.webhookBody.markdown.text, JSON.parse(r.openApi.msgParam).text);
    titles.push(r.webhookBody.markdown.title);
  }
  return out;
}

describe('hostile text in every reply kind', () => {
  it('the catalogues are all walked', () => {
    expect(messages.length).toBeGreaterThan(300);
    expect(messages.some((m) => m.key === 'confirm.unknown')).toBe(true);
    expect(messages.some((m) => m.key === 'chat.create.join')).toBe(true);
  });

  it('every message with every known attack: nothing reads as markdown or HTML', () => {
    const found: string[] = [];
    for (const m of messages) {
      if (placeholders(m.template).text.length === 0) continue;
      for (const h of HOSTILE) {
        const titles: string[] = [];
        const benign = renderAll(m, 'ok');
        for (const [i, out] of renderAll(m, h, titles).entries()) {
          const re = leaks(out, benign[i] ?? '');
          if (re !== undefined) found.push(`${m.locale} ${m.key} ${JSON.stringify(h)} ${re}: ${out}`);
        }
        for (const title of titles)
          if (TITLE_MARKUP.test(title))
            found.push(`${m.locale} ${m.key} ${JSON.stringify(h)} title: ${title}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('any mix of hostile pieces in any message (fast-check)', () => {
    const piece = fc.oneof(
      fc.constantFrom(...HOSTILE),
      fc.string({
        unit: fc.constantFrom('<', '>', '[', ']', '(', ')', '*', '_', '`', '!', '#', '\n', '\\', 'a', ' '),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...messages),
        fc.array(piece, { minLength: 1, maxLength: 5 }),
        (m, parts) => {
          const titles: string[] = [];
          const benign = renderAll(m, 'ok');
          for (const [i, out] of renderAll(m, parts.join(''), titles).entries())
            expect(leaks(out, benign[i] ?? '')).toBeUndefined();
          for (const title of titles) expect(title).not.toMatch(TITLE_MARKUP);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a typed code is echoed short, with the explanation after it', () => {
    const t = createTranslator('en');
    const code = `<br>**Please confirm** ${'x'.repeat(4000)}`;
    const text = t('confirm.unknown', { code });
    expect(text.length).toBeLessThan(200);
    expect(text).toContain('…');
    expect(text).toMatch(/…"?: it is wrong or was used already\.$/);
    expect(Array.from(text.split('"')[1] ?? '').length).toBeLessThanOrEqual(ECHO_MAX + 10);
    const zh = createTranslator('zh-CN')('confirm.unknown', { code });
    expect(zh.length).toBeLessThan(200);
    expect(zh).toContain('确认码有误或已使用');
  });

  it('the join link label escapes the chat name (was `[Join <a href=//ev.il>x](…)`)', () => {
    const t = translators.get('en');
    if (t === undefined) throw new Error('no translator');
    for (const name of ['<a href=//ev.il>x', '**b** <b>', '](//ev.il)[']) {
      const r = renderReply(
        {
          text: t('chat.qr.done', { name, chatId: 'chat1' }),
          link: { title: t('chat.qr.join', { name }), url: LINK_URL },
        },
        { conversationType: 'direct', senderUserId: 'lead1' },
      );
      const last = r.webhookBody.markdown.text.split('\n').at(-1) ?? '';
      expect(last.endsWith(`](${LINK_URL})`)).toBe(true);
      expect(leaks(last, '')).toBeUndefined();
      expect(r.webhookBody.markdown.title).not.toMatch(/[<[\]*]/);
    }
  });
});
