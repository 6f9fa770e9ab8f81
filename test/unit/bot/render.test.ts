import { describe, expect, it } from 'vitest';
import { dtmdSendLink, MAX_TEXT_CHARS, mdEscape, mdLink, renderReply } from '../../../src/bot/render.ts';

const group = { conversationType: 'group', senderUserId: 'lead1' } as const;
const direct = { conversationType: 'direct', senderUserId: 'lead1' } as const;

describe('renderReply', () => {
  it('in a 1:1 chat: a markdown body without mentions', () => {
    const r = renderReply({ text: 'Done.', title: 'chat create' }, direct);
    expect(r.webhookBody).toEqual({
      msgtype: 'markdown',
      markdown: { title: 'chat create', text: 'Done.' },
      at: { atUserIds: [], isAtAll: false },
    });
    expect(r.openApi).toEqual({
      msgKey: 'sampleMarkdown',
      msgParam: JSON.stringify({ title: 'chat create', text: 'Done.' }),
    });
  });

  it('in a group: @-mentions the sender in at.atUserIds and in the text', () => {
    const r = renderReply({ text: 'Done.' }, group);
    expect(r.webhookBody.at).toEqual({ atUserIds: ['lead1'], isAtAll: false });
    expect(r.webhookBody.markdown.text).toBe('@lead1 Done.');
    // No @ support through the OpenAPI: the text has no mention there.
    expect(JSON.parse(r.openApi.msgParam)).toEqual({ title: 'Done.', text: 'Done.' });
  });

  it('keeps a leading heading a heading after the mention', () => {
    expect(renderReply({ text: '### Title\nbody' }, group).webhookBody.markdown.text).toBe(
      '@lead1 \n\n### Title  \nbody',
    );
  });

  it('does not mention a sender without a usable userId', () => {
    const r = renderReply({ text: 'x' }, { conversationType: 'group', senderUserId: '' });
    expect(r.webhookBody.at.atUserIds).toEqual([]);
    expect(r.webhookBody.markdown.text).toBe('x');
  });

  it('turns reply.link into a tappable markdown link line', () => {
    const r = renderReply(
      { text: 'Join:', link: { title: 'Join [Design]', url: 'https://qr.dingtalk.com/x?a=(1)' } },
      direct,
    );
    expect(r.webhookBody.markdown.text).toBe(
      'Join:\n\n[Join \\[Design\\]](https://qr.dingtalk.com/x?a=%281%29)',
    );
  });

  it('strips control characters, makes lone newlines hard breaks, shows <placeholders>', () => {
    const r = renderReply(
      { text: 'a\u0007b\u202e\nUsage: /chat info [<chat>]\n\n<font color=red>x</font>' },
      direct,
    );
    expect(r.webhookBody.markdown.text).toBe(
      'ab  \nUsage: /chat info [＜chat＞]\n\n<font color=red>x</font>',
    );
  });

  it('derives a title from the first line and clips long texts', () => {
    const long = `**Heading**\n${'x'.repeat(MAX_TEXT_CHARS * 2)}`;
    const r = renderReply({ text: long }, direct);
    expect(r.webhookBody.markdown.title).toBe('Heading');
    expect(Array.from(r.webhookBody.markdown.text).length).toBeLessThanOrEqual(MAX_TEXT_CHARS + 2);
    expect(r.webhookBody.markdown.text.endsWith('…')).toBe(true);
  });
});

describe('markdown helpers', () => {
  it('dtmdSendLink encodes the text so DingTalk sends it when tapped', () => {
    expect(dtmdSendLink('/confirm AB12')).toBe('dtmd://dingtalkclient/sendMessage?content=%2Fconfirm%20AB12');
    expect(dtmdSendLink('/确认 (x)!')).toBe(
      'dtmd://dingtalkclient/sendMessage?content=%2F%E7%A1%AE%E8%AE%A4%20%28x%29%21',
    );
    // A lone surrogate would make encodeURIComponent throw.
    expect(() => dtmdSendLink('a\ud800b')).not.toThrow();
  });

  it('mdLink puts a dtmd link in a markdown link that stays one link', () => {
    expect(mdLink('Confirm', dtmdSendLink('/confirm (1)'))).toBe(
      '[Confirm](dtmd://dingtalkclient/sendMessage?content=%2Fconfirm%20%281%29)',
    );
  });

  it('mdEscape neutralises what users type', () => {
    expect(mdEscape('*bold* _it_ [x](y) `c` a|b')).toBe('\\*bold\\* \\_it\\_ \\[x\\](y) \\`c\\` a\\|b');
    expect(mdEscape('# head\nline<b>')).toBe('\\# head line＜b＞');
    expect(mdEscape('manager_4220')).toBe('manager\\_4220');
  });
});
