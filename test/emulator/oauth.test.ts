import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.ts';
import { http, legacy, startEmu, UUID_UPPER, v1 } from './helpers.ts';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmu();
});
afterEach(async () => {
  await emu.stop();
});

describe('tokens', () => {
  it('legacy gettoken returns a 32-hex token, the same one while valid', async () => {
    const a = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(a.json.access_token).toMatch(/^[0-9a-f]{32}$/);
    const b = await http(emu, 'POST', '/v1.0/oauth2/accessToken', {
      body: { appKey: emu.clientId, appSecret: emu.clientSecret },
    });
    expect(b.status).toBe(200);
    expect(b.json).toEqual({ accessToken: a.json.access_token, expireIn: 7200 });
    expect(emu.tokenFetches).toBe(2);
    expect(emu.requests.map((r) => r.endpoint)).toEqual(['gettoken', 'oauth2.accessToken']);
  });

  it('legacy gettoken: wrong secret 40096, form body 40035', async () => {
    const bad = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=nope`);
    expect(bad.json).toEqual({ errcode: 40096, errmsg: '不合法的appKey或appSecret' });
    expect(bad.status).toBe(200);
    const form = await http(emu, 'POST', '/gettoken', {
      raw: `appkey=${emu.clientId}&appsecret=${emu.clientSecret}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.json).toEqual({ errcode: 40035, errmsg: '缺少参数 corpid or appkey' });
    expect(emu.tokenFetches).toBe(0);
  });

  it('new accessToken: bad credentials 400 invalidClientIdOrSecret, form body 400', async () => {
    const bad = await http(emu, 'POST', '/v1.0/oauth2/accessToken', {
      body: { appKey: emu.clientId, appSecret: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('invalidClientIdOrSecret');
    expect(bad.json.requestid).toMatch(UUID_UPPER);
    const form = await http(emu, 'POST', '/v1.0/oauth2/accessToken', {
      raw: `appKey=${emu.clientId}&appSecret=${emu.clientSecret}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(400);
    expect(form.json.message).toBe('body is mandatory');
  });

  it('a token expires after its TTL and a new one is issued', async () => {
    await emu.stop();
    emu = await startEmu({ tokenTtlSec: 0.05 });
    const first = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
    await emu.waitFor(() => emu.currentToken() === undefined, 2000);
    const chat = await legacy(emu, '/chat/get?chatid=chatx', first.json.access_token);
    expect(chat.json.errcode).toBe(40014);
    const second = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
    expect(second.json.access_token).not.toBe(first.json.access_token);
  });

  it('invalid token answers per family', async () => {
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] });
    const nonTop = await legacy(emu, `/chat/get?chatid=${chat.chatId}`, 'deadbeef');
    expect(nonTop.json).toEqual({ errcode: 40014, errmsg: '不合法的access_token' });
    const top = await legacy(emu, '/topapi/chat/qrcode/get', 'deadbeef', {
      chatid: chat.chatId,
      userid: 'alice',
    });
    expect(top.status).toBe(200);
    expect(top.json).toMatchObject({ errcode: 88, sub_code: '40014', sub_msg: '不合法的access_token' });
    expect(top.json.request_id).toMatch(/^[0-9a-z]{12,14}$/);
    const topMissing = await http(emu, 'POST', '/topapi/chat/qrcode/get', { body: { chatid: chat.chatId } });
    expect(topMissing.json).toMatchObject({ errcode: 88, sub_code: '40000' });
    const missingLegacy = await http(emu, 'GET', `/chat/get?chatid=${chat.chatId}`);
    expect(missingLegacy.json.errcode).toBe(41001);
    const newBad = await v1(emu, `/v1.0/im/chat/${chat.chatId}/convertToOpenConversationId`, 'deadbeef');
    expect(newBad.status).toBe(400);
    expect(newBad.json.code).toBe('InvalidAuthentication');
    const newMissing = await http(emu, 'POST', `/v1.0/im/chat/${chat.chatId}/convertToOpenConversationId`);
    expect(newMissing.status).toBe(400);
    expect(newMissing.json.code).toBe('AuthenticationFailed.MissingParameter');
    expect(newMissing.headers.get('x-acs-request-id')).toBe(newMissing.json.requestid);
  });

  it('unknown /topapi path → errcode 22 with the dotted api name', async () => {
    const r = await http(emu, 'POST', '/topapi/chat/transform?access_token=x', { body: {} });
    expect(r.status).toBe(200);
    expect(r.json.errcode).toBe(22);
    expect(r.json.sub_msg).toBe('不合法ApiName，ApiName = dingtalk.oapi.chat.transform');
    expect(r.json.request_id).toBeTypeOf('string');
  });

  it('revokeToken: the old token stops working, a new fetch gets a new token', async () => {
    const r1 = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
    const t1 = r1.json.access_token as string;
    emu.faults.revokeToken();
    const chat = emu.org.addChat({ name: 'g', owner: 'alice', members: [] });
    expect((await legacy(emu, `/chat/get?chatid=${chat.chatId}`, t1)).json.errcode).toBe(40014);
    const r2 = await http(emu, 'GET', `/gettoken?appkey=${emu.clientId}&appsecret=${emu.clientSecret}`);
    expect(r2.json.access_token).not.toBe(t1);
    expect((await legacy(emu, `/chat/get?chatid=${chat.chatId}`, r2.json.access_token)).json.errcode).toBe(0);
    const rec = emu.requests.at(-1);
    expect(rec?.token).toBe(r2.json.access_token);
    expect(rec?.endpoint).toBe('chat.get');
    expect(rec?.durationMs).toBeGreaterThanOrEqual(0);
  });
});
