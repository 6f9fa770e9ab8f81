import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.ts';
import { http, startEmu, token, v1 } from './helpers.ts';

let emu: Emulator;
let tok: string;
beforeEach(async () => {
  emu = await startEmu();
  tok = await token(emu);
});
afterEach(async () => {
  await emu.stop();
});

function webhookPath(url: string): string {
  return new URL(url).pathname + new URL(url).search;
}

describe('sessionWebhook', () => {
  it('accepts text, markdown and actionCard and records them against the message', async () => {
    const p = emu.buildMessage('alice', 'hi');
    const path = webhookPath(p.sessionWebhook);
    expect(p.sessionWebhook.startsWith(`${emu.baseUrl}/robot/sendBySession?session=`)).toBe(true);
    expect(path).toMatch(/session=[0-9a-f]{32}$/);
    const text = await http(emu, 'POST', path, {
      body: { msgtype: 'text', text: { content: 'hello @alice' }, at: { atUserIds: ['alice'] } },
    });
    expect(text).toMatchObject({ status: 200, json: { errcode: 0, errmsg: 'ok' } });
    await http(emu, 'POST', path, { body: { msgtype: 'markdown', markdown: { title: 'T', text: '**b**' } } });
    await http(emu, 'POST', path, {
      body: {
        msgtype: 'actionCard',
        actionCard: { title: 'QR', text: 'join', singleTitle: 'Open', singleURL: 'https://x/y' },
      },
    });
    await http(emu, 'POST', path, {
      body: {
        msgtype: 'actionCard',
        actionCard: {
          title: 'B',
          text: 't',
          btns: [
            { title: 'a', actionURL: 'https://a' },
            { title: 'b', actionURL: 'https://b' },
          ],
        },
      },
    });
    expect(emu.replies).toHaveLength(4);
    expect(emu.replies[0]).toMatchObject({
      via: 'webhook',
      msgId: p.msgId,
      conversationId: p.conversationId,
      msgtype: 'text',
      text: 'hello @alice',
      atUserIds: ['alice'],
      title: undefined,
    });
    expect(emu.replies[1]).toMatchObject({ msgtype: 'markdown', title: 'T', text: '**b**' });
    expect(emu.replies[2]).toMatchObject({
      msgtype: 'actionCard',
      link: { title: 'Open', url: 'https://x/y' },
    });
    expect(emu.replies[3]?.links).toHaveLength(2);
  });

  it('validates shape: 40035 missing content, 400105 unknown msgtype, 43004 content-type', async () => {
    const path = webhookPath(emu.buildMessage('alice', 'hi').sessionWebhook);
    expect((await http(emu, 'POST', path, { body: { msgtype: 'text', text: {} } })).json.errcode).toBe(40035);
    expect(
      (await http(emu, 'POST', path, { body: { msgtype: 'markdown', markdown: { text: 'x' } } })).json
        .errcode,
    ).toBe(40035);
    expect((await http(emu, 'POST', path, { body: { msgtype: 'video' } })).json.errcode).toBe(400105);
    expect(
      (await http(emu, 'POST', path, { raw: '{"msgtype":"text","text":{"content":"x"}}' })).json.errcode,
    ).toBe(43004);
    expect(emu.replies).toHaveLength(0);
  });

  it('accepts feedCard and msgtype empty (dingtalk-api.md §4.1); empty shows nothing', async () => {
    const path = webhookPath(emu.buildMessage('alice', 'hi').sessionWebhook);
    const feed = await http(emu, 'POST', path, {
      body: {
        msgtype: 'feedCard',
        feedCard: {
          links: [
            { title: 'One', messageURL: 'https://one', picURL: 'https://one/p.png' },
            { title: 'Two', messageURL: 'https://two' },
          ],
        },
      },
    });
    expect(feed.json).toMatchObject({ errcode: 0, errmsg: 'ok' });
    const empty = await http(emu, 'POST', path, { body: { msgtype: 'empty' } });
    expect(empty.json).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(emu.replies).toHaveLength(1);
    expect(emu.replies[0]).toMatchObject({
      msgtype: 'feedCard',
      title: 'One',
      links: [
        { title: 'One', url: 'https://one' },
        { title: 'Two', url: 'https://two' },
      ],
    });
    const bad = await http(emu, 'POST', path, { body: { msgtype: 'feedCard', feedCard: { links: [] } } });
    expect(bad.json.errcode).toBe(40035);
  });

  it('unknown or expired session → 300001', async () => {
    const unknown = await http(emu, 'POST', `/robot/sendBySession?session=${'0'.repeat(32)}`, {
      body: { msgtype: 'text', text: { content: 'x' } },
    });
    expect(unknown).toMatchObject({ status: 200, json: { errcode: 300001, errmsg: 'session 不存在' } });
    const path = webhookPath(emu.buildMessage('alice', 'hi').sessionWebhook);
    emu.faults.expireSessions();
    expect(
      (await http(emu, 'POST', path, { body: { msgtype: 'text', text: { content: 'x' } } })).json.errcode,
    ).toBe(300001);
    // a message after expireSessions gets a fresh, live session
    const fresh = webhookPath(emu.buildMessage('alice', 'again').sessionWebhook);
    expect(
      (await http(emu, 'POST', fresh, { body: { msgtype: 'text', text: { content: 'x' } } })).json.errcode,
    ).toBe(0);
  });

  it('expires at sessionWebhookExpiredTime', async () => {
    await emu.stop();
    emu = await startEmu({ webhookTtlMs: 30 });
    const p = emu.buildMessage('alice', 'hi');
    expect(p.sessionWebhookExpiredTime - p.createAt).toBe(30);
    await emu.waitFor(() => Date.now() > p.sessionWebhookExpiredTime + 5);
    const r = await http(emu, 'POST', webhookPath(p.sessionWebhook), {
      body: { msgtype: 'text', text: { content: 'x' } },
    });
    expect(r.json.errcode).toBe(300001);
  });
});

describe('robot OpenAPI sends', () => {
  const text = (content: string): string => JSON.stringify({ content });

  it('oToMessages/batchSend: processQueryKey, invalid users listed, reply recorded', async () => {
    const r = await v1(emu, '/v1.0/robot/oToMessages/batchSend', tok, {
      robotCode: emu.robotCode,
      userIds: ['alice', 'ghost'],
      msgKey: 'sampleText',
      msgParam: text('hi'),
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ invalidStaffIdList: ['ghost'], flowControlledStaffIdList: [] });
    expect(r.json.processQueryKey).toBeTypeOf('string');
    expect(emu.replies).toEqual([
      expect.objectContaining({
        via: 'oto',
        userIds: ['alice'],
        msgtype: 'text',
        text: 'hi',
        conversationId: emu.dmConversationId('alice'),
      }),
    ]);
  });

  it('batchSend errors', async () => {
    const base = { robotCode: emu.robotCode, userIds: ['alice'], msgKey: 'sampleText', msgParam: text('x') };
    const cases: [Record<string, unknown>, string][] = [
      [{ robotCode: undefined }, 'invalidParameter.robotCode.empty'],
      [{ robotCode: 'dingother' }, 'invalidParameter.robotCode.notExsit'],
      [{ userIds: [] }, 'invalidParameter.userIds.empty'],
      [{ userIds: Array.from({ length: 21 }, () => 'alice') }, 'invalidParameter.userIds.overMax'],
      [{ msgKey: undefined }, 'invalidParameter.msgKey.empty'],
      [{ msgKey: 'sampleNope' }, 'invalidParameter.msgKey.invalid'],
      [{ msgParam: { content: 'x' } }, 'invalidParameter.msgParam.invalid'],
      [{ msgParam: 'not json' }, 'invalidParameter.msgParam.invalid'],
      [{ msgParam: '{}' }, 'miss.param.contentOfText'],
      [{ msgKey: 'sampleMarkdown', msgParam: '{"title":"t"}' }, 'miss.param.markdownTotext'],
    ];
    for (const [patch, code] of cases) {
      const r = await v1(emu, '/v1.0/robot/oToMessages/batchSend', tok, { ...base, ...patch });
      expect(r.status, code).toBe(400);
      expect(r.json.code).toBe(code);
    }
    expect(emu.replies).toHaveLength(0);
  });

  it('groupMessages/send: needs the bot in the group', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const body = {
      robotCode: emu.robotCode,
      openConversationId: chat.openConversationId,
      msgKey: 'sampleMarkdown',
      msgParam: JSON.stringify({ title: 'T', text: 'md' }),
    };
    const ok = await v1(emu, '/v1.0/robot/groupMessages/send', tok, body);
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.json)).toEqual(['processQueryKey']);
    expect(emu.replies[0]).toMatchObject({
      via: 'group',
      conversationId: chat.openConversationId,
      msgtype: 'markdown',
      title: 'T',
      text: 'md',
    });
    expect(
      (await v1(emu, '/v1.0/robot/groupMessages/send', tok, { ...body, openConversationId: undefined })).json
        .code,
    ).toBe('miss.openConversationId');
    expect(
      (await v1(emu, '/v1.0/robot/groupMessages/send', tok, { ...body, openConversationId: 'cidx==' })).json
        .code,
    ).toBe('invalid.openConversationId');
    const long = await v1(emu, '/v1.0/robot/groupMessages/send', tok, {
      ...body,
      msgKey: 'sampleText',
      msgParam: text('x'.repeat(15_001)),
    });
    expect(long.json.code).toBe('invalidParameter.msgParam.tooLong');
    chat.botInChat = false;
    const out = await v1(emu, '/v1.0/robot/groupMessages/send', tok, body);
    expect(out.status).toBe(400);
    chat.botInChat = true;
    chat.status = 2;
    expect((await v1(emu, '/v1.0/robot/groupMessages/send', tok, body)).json.code).toBe('group.disbanded');
    expect(emu.replies).toHaveLength(1);
  });

  it('OpenAPI sends need the token header', async () => {
    const r = await http(emu, 'POST', '/v1.0/robot/oToMessages/batchSend', { body: {} });
    expect(r).toMatchObject({ status: 400, json: { code: 'AuthenticationFailed.MissingParameter' } });
  });
});
