import { describe, expect, it } from 'vitest';
import { normalizeRobotPayload } from '../../../src/bot/normalize.ts';
import { DM_SAMPLE, GROUP_SAMPLE } from './samples.ts';

const BOT = GROUP_SAMPLE.chatbotUserId;

function ok(data: unknown, opts?: Parameters<typeof normalizeRobotPayload>[2]) {
  const r = normalizeRobotPayload(data, 'frame-1', opts);
  if (!r.ok) throw new Error(`expected ok: ${r.reason}`);
  return r.message;
}

describe('normalizeRobotPayload', () => {
  it('reads the DM sample', () => {
    expect(ok(DM_SAMPLE)).toEqual({
      msgId: 'msgBjXREkdlZkfTfrIiQomjAw==',
      frameMessageId: 'frame-1',
      robotCode: 'dingf0apw4ibx5u5ktba',
      msgtype: 'text',
      text: 'hello',
      senderUserId: '032615015535634423',
      senderNick: '...',
      senderIsOrgAdmin: false,
      conversationType: 'direct',
      conversationId: 'cidh6ez...=',
      conversationTitle: undefined,
      mentions: [],
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=3dc99...',
      sessionWebhookExpiresAt: 1774086394522,
      createdAt: 1774080994334,
    });
  });

  it('reads the group sample: trimmed text, title, admin flag', () => {
    const m = ok(GROUP_SAMPLE);
    expect(m).toMatchObject({
      conversationType: 'group',
      conversationTitle: '测试群',
      text: '测试数据',
      senderUserId: '16650***698',
      senderIsOrgAdmin: true,
      createdAt: 1690362101894,
    });
  });

  it("leaves the bot's own atUsers entry out (the doc masks the two ids differently; real ones are equal)", () => {
    const m = ok({
      ...GROUP_SAMPLE,
      text: { content: ' /chat add here @Alice' },
      atUsers: [
        { dingtalkId: BOT },
        { dingtalkId: '$:LWCP_v1:$alice', staffId: 'alice' },
        { dingtalkId: '$:ext', staffId: '' },
      ],
    });
    expect(m.mentions).toEqual([
      { dingtalkId: '$:LWCP_v1:$alice', userId: 'alice' },
      { dingtalkId: '$:ext', userId: undefined },
    ]);
    expect(m.text).toBe('/chat add here @Alice');
  });

  it('also leaves out the bot id given by the caller', () => {
    const m = ok(
      {
        ...GROUP_SAMPLE,
        chatbotUserId: undefined,
        atUsers: [{ dingtalkId: 'botX' }, { dingtalkId: 'u', staffId: 'bob' }],
      },
      { botDingtalkId: 'botX' },
    );
    expect(m.mentions).toEqual([{ dingtalkId: 'u', userId: 'bob' }]);
  });

  it('reads createAt and the expiry as numeric strings, and conversationType as a number', () => {
    const m = ok({
      ...DM_SAMPLE,
      createAt: '1774080994334',
      sessionWebhookExpiredTime: '1774086394522',
      conversationType: 2,
    });
    expect(m.createdAt).toBe(1774080994334);
    expect(m.sessionWebhookExpiresAt).toBe(1774086394522);
    expect(m.conversationType).toBe('group');
  });

  it('joins the text parts of richText and turns its at parts into mentions', () => {
    const m = ok({
      ...GROUP_SAMPLE,
      atUsers: undefined,
      msgtype: 'richText',
      text: undefined,
      content: {
        richText: [
          { type: 'picture', downloadCode: 'x' },
          { text: '/chat add here' },
          { type: 'at', atName: 'Alice', atUserId: 'alice' },
          { type: 'at', atName: 'Bot', atUserId: BOT },
          { type: 'text', text: '\nbob' },
          42,
        ],
      },
    });
    expect(m.msgtype).toBe('richText');
    expect(m.text).toBe('/chat add here  \nbob');
    expect(m.mentions).toEqual([{ dingtalkId: 'alice', userId: 'alice' }]);
  });

  it('keeps other msgtypes with empty text', () => {
    const m = ok({ ...DM_SAMPLE, msgtype: 'picture', text: undefined, content: { downloadCode: 'abc' } });
    expect(m.msgtype).toBe('picture');
    expect(m.text).toBe('');
  });

  it('gives an empty senderUserId when senderStaffId is missing (never senderId)', () => {
    const { senderStaffId: _, ...rest } = DM_SAMPLE;
    expect(ok(rest).senderUserId).toBe('');
  });

  it('tolerates extra fields and wrongly typed optional ones', () => {
    const m = ok(
      {
        ...DM_SAMPLE,
        extra: { deep: [1] },
        senderNick: 12,
        atUsers: 'nope',
        isAdmin: 'true',
        createAt: 'soon',
      },
      { now: () => 5 },
    );
    expect(m.senderNick).toBe('');
    expect(m.mentions).toEqual([]);
    expect(m.senderIsOrgAdmin).toBe(true);
    expect(m.createdAt).toBe(5);
  });

  it('defaults a missing webhook to empty (the pipeline replies through the OpenAPI)', () => {
    const { sessionWebhook: _, sessionWebhookExpiredTime: __, ...rest } = DM_SAMPLE;
    expect(ok(rest)).toMatchObject({ sessionWebhook: '', sessionWebhookExpiresAt: 0 });
  });

  it.each([
    [null, 'payload is not an object'],
    ['text', 'payload is not an object'],
    [[DM_SAMPLE], 'payload is not an object'],
    [{ ...DM_SAMPLE, msgId: '' }, 'msgId'],
    [{ ...DM_SAMPLE, conversationType: '3' }, 'conversationType'],
    [{ ...DM_SAMPLE, conversationId: undefined }, 'conversationId'],
  ])('refuses an unusable payload %# with a reason', (data, reason) => {
    const r = normalizeRobotPayload(data, 'f');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });

  it('never throws, even for a throwing proxy', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const r = normalizeRobotPayload(hostile, 'f');
    expect(r.ok).toBe(false);
  });
});
