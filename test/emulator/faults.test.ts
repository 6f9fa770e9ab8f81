import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/emulator/index.ts';
import { http, legacy, startEmu, token, v1 } from './helpers.ts';

let emu: Emulator;
let tok: string;
let chatId: string;
beforeEach(async () => {
  emu = await startEmu();
  tok = await token(emu);
  chatId = emu.org.addChat({ name: 'g', owner: 'alice', members: ['bob'] }).chatId;
});
afterEach(async () => {
  await emu.stop();
});

const get = (): ReturnType<typeof legacy> => legacy(emu, `/chat/get?chatid=${chatId}`, tok);
const convert = (): ReturnType<typeof v1> =>
  v1(emu, `/v1.0/im/chat/${chatId}/convertToOpenConversationId`, tok);

describe('injected answers', () => {
  it('busy: legacy errcode -1 with HTTP 200, new API HTTP 500 system.error; then back to normal', async () => {
    emu.faults.inject('chat.get', 'busy', 2);
    emu.faults.inject('im.convertToOpenConversationId', 'busy');
    expect(await get()).toMatchObject({ status: 200, json: { errcode: -1 } });
    expect(await get()).toMatchObject({ status: 200, json: { errcode: -1 } });
    expect((await get()).json.errcode).toBe(0);
    const r = await convert();
    expect(r).toMatchObject({ status: 500, json: { code: 'system.error' } });
    expect((await convert()).status).toBe(200);
  });

  it('http502 / http503 / qps per family, and "*" for every endpoint', async () => {
    emu.faults.inject('*', 'http502');
    const r502 = await get();
    expect(r502.status).toBe(502);
    expect(r502.json).toBeUndefined();
    emu.faults.inject('*', 'http503');
    expect((await convert()).status).toBe(503);
    emu.faults.inject('*', 'qps', 2);
    expect((await get()).json.errcode).toBe(90018);
    expect(await convert()).toMatchObject({
      status: 403,
      json: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
    });
    emu.faults.inject('subadmin.update', 'busy');
    const top = await legacy(emu, '/topapi/chat/subadmin/update', tok, {
      chatid: chatId,
      userids: 'bob',
      role: 2,
    });
    expect(top.json).toMatchObject({ errcode: -1 });
    expect(top.json.request_id).toBeTypeOf('string');
    emu.faults.clearInjections();
    expect((await get()).json.errcode).toBe(0);
  });

  it('hang: the call is recorded and never answered', async () => {
    emu.faults.inject('chat.get', 'hang');
    const ac = new AbortController();
    const pending = fetch(`${emu.baseUrl}/chat/get?chatid=${chatId}&access_token=${tok}`, {
      signal: ac.signal,
    });
    await emu.waitFor(() => emu.requests.some((r) => r.endpoint === 'chat.get'));
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(emu.requests.find((r) => r.endpoint === 'chat.get')?.status).toBe(0);
  });
});

describe('latency', () => {
  it('holds the answer back', async () => {
    emu.faults.latencyMs = 60_000;
    const ac = new AbortController();
    const pending = fetch(`${emu.baseUrl}/chat/get?chatid=${chatId}&access_token=${tok}`, {
      signal: ac.signal,
    });
    await emu.waitFor(() => emu.requests.some((r) => r.endpoint === 'chat.get'));
    // the gateway is exempt from latency
    const gw = await http(emu, 'POST', '/v1.0/gateway/connections/open', {
      body: { clientId: emu.clientId, clientSecret: emu.clientSecret, subscriptions: [] },
    });
    expect(gw.status).toBe(200);
    expect(emu.requests.find((r) => r.endpoint === 'chat.get')?.status).toBe(0);
    ac.abort();
    await expect(pending).rejects.toThrow();
    emu.faults.latencyMs = 0;
    emu.faults.latencyByEndpoint['chat.get'] = 5;
    expect((await get()).json.errcode).toBe(0);
  });
});

describe('QPS limit', () => {
  it('per API: legacy 90018, new API 403 QpsLimitForAppkeyAndApi', async () => {
    emu.faults.qpsLimit = 2;
    emu.faults.qpsWindowMs = 60_000; // independent of timing
    expect((await get()).json.errcode).toBe(0);
    expect((await get()).json.errcode).toBe(0);
    expect((await get()).json).toMatchObject({ errcode: 90018 });
    expect((await convert()).status).toBe(200);
    expect((await convert()).status).toBe(200);
    expect(await convert()).toMatchObject({
      status: 403,
      json: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi' },
    });
    emu.faults.qpsLimit = null;
    expect((await get()).json.errcode).toBe(0);
  });

  it('defaults to 20 per second', async () => {
    const e2 = await Emulator.start();
    try {
      expect(e2.faults.qpsLimit).toBe(20);
    } finally {
      await e2.stop();
    }
  });
});

describe('recording', () => {
  it('records method, path, endpoint, query, body, status, response and token', async () => {
    await legacy(emu, '/chat/update', tok, { chatid: chatId, name: 'n' });
    const rec = emu.requests.at(-1);
    expect(rec).toMatchObject({
      method: 'POST',
      path: '/chat/update',
      endpoint: 'chat.update',
      query: { access_token: tok },
      body: { chatid: chatId, name: 'n' },
      status: 200,
      response: { errcode: 0, errmsg: 'ok' },
      token: tok,
    });
    expect(rec?.durationMs).toBeTypeOf('number');
    expect(emu.tcpConnections).toBeGreaterThan(0);
  });
});
