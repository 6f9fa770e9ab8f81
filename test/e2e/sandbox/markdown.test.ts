import { describe, expect, it } from 'vitest';
import { ANSI, joinLinks, renderMarkdown } from '../../../src/sandbox/markdown.ts';

describe('renderMarkdown (plain)', () => {
  it('drops markup but keeps the words', () => {
    expect(renderMarkdown('## Title\n**bold** and `chat123`  \nnext')).toBe('Title\nbold and chat123\nnext');
  });

  it('bullets list items and keeps their indent', () => {
    expect(renderMarkdown('- one  \n  - two\n* three')).toBe('• one\n  • two\n• three');
  });

  it('shows links as title <url> and send-links as what to type', () => {
    expect(renderMarkdown('[Join A](https://qr.dingtalk.com/x?code=1)')).toBe(
      'Join A <https://qr.dingtalk.com/x?code=1>',
    );
    expect(
      renderMarkdown('[Confirm AB12](dtmd://dingtalkclient/sendMessage?content=%2Fconfirm%20AB12)'),
    ).toBe('Confirm AB12 (type: /confirm AB12)');
  });

  it('undoes escapes and the full-width brackets the bot uses for <placeholders>', () => {
    expect(renderMarkdown('a\\_b \\*c\\* \\[d\\] /chat add ＜chat＞')).toBe('a_b *c* [d] /chat add <chat>');
  });

  it('leaves code spans alone', () => {
    expect(renderMarkdown('`**x**` **y**')).toBe('**x** y');
  });

  it('removes font tags, turns <br> into breaks, collapses blank runs', () => {
    expect(renderMarkdown('<font color=#f00>red</font><br>x\n\n\n\ny')).toBe('red\nx\n\ny');
  });

  it('drops table rules and draws quotes and rules', () => {
    expect(renderMarkdown('> note\n---\n|a|b|\n|---|---|\n|1|2|')).toBe('│ note\n────────\n|a|b|\n|1|2|');
  });
});

describe('renderMarkdown (ANSI)', () => {
  it('uses bold, cyan code and underlined links', () => {
    const out = renderMarkdown('**b** `c` [t](https://x.y)', ANSI);
    expect(out).toBe('\u001b[1mb\u001b[22m \u001b[36mc\u001b[39m t <\u001b[4mhttps://x.y\u001b[24m>');
  });
});

describe('joinLinks', () => {
  it('finds each DingTalk join link once', () => {
    const url = 'https://qr.dingtalk.com/action/joingroup?code=v1,k1,abc&origin=11';
    expect(joinLinks(`[Join](${url})\n${url} and https://example.com`)).toEqual([url]);
  });
});
