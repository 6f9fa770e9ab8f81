/**
 * The HTTP layer against a scripted 127.0.0.1 server: token cache, retry policy, write safety,
 * rate-limit waits, defensive parsing, and secrets kept out of errors and logs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DingTalkApiError,
  DingTalkAuthError,
  DingTalkHttpError,
  DingTalkRateLimitedError,
  isSessionExpired,
} from '../../src/dingtalk/errors.ts';
import type { DingTalk } from '../../src/dingtalk/index.ts';
import { CLIENT_SECRET, captureLogger, caught, errorText, makeClient } from './helpers.ts';
import { type Stub, type StubReply, startStub, tokenReply } from './stub-server.ts';

const CHAT_INFO = {
  errcode: 0,
  errmsg: 'ok',
  chat_info: { name: 'Design', owner: 'alice', useridlist: ['alice', 'bob'], chatid: 'chat1', searchable: 1 },
};
const CREATED = { errcode: 0, errmsg: 'ok', chatid: 'chatabc', openConversationId: 'cidabc==' };

let stub: Stub | undefined;
let dt: DingTalk | undefined;
afterEach(async () => {
  await dt?.close();
  await stub?.close();
  dt = undefined;
  stub = undefined;
});

describe('token cache', () => {
  it('fetches once for many concurrent callers and sends it on both hosts', async () => {
    stub = await startStub({
      '/chat/get': () => ({ body: CHAT_INFO }),
      '/v1.0/im/chat/': () => ({ body: { openConversationId: 'cid1==' } }),
    });
    dt = makeClient(stub.baseUrl);
    const c = dt.chat;
    await Promise.all([
      ...Array.from({ length: 10 }, () => c.chatGet('chat1')),
      ...Array.from({ length: 5 }, () => c.convertToOpenConversationId('chat1')),
    ]);
    expect(stub.hits('/v1.0/oauth2/accessToken')).toHaveLength(1);
    expect(dt.stats().tokenFetches).toBe(1);
    const tokenReq = stub.hits('/v1.0/oauth2/accessToken')[0];
    expect(tokenReq?.method).toBe('POST');
    expect(tokenReq?.headers['content-type']).toContain('application/json');
    expect(tokenReq?.body).toEqual({ appKey: 'dingtestclient0001', appSecret: CLIENT_SECRET });
    const token = tokenReply(1).body as { accessToken: string };
    for (const r of stub.hits('/chat/get')) expect(r.query.access_token).toBe(token.accessToken);
    for (const r of stub.hits('/v1.0/im/chat/')) {
      expect(r.headers['x-acs-dingtalk-access-token']).toBe(token.accessToken);
      expect(r.query.access_token).toBeUndefined();
    }
  });

  it('refreshes before expiry (5 min margin), not after every call', async () => {
    let now = 1_000_000;
    stub = await startStub({ '/chat/get': () => ({ body: CHAT_INFO }) });
    dt = makeClient(stub.baseUrl, { now: () => now });
    await dt.chat.chatGet('chat1');
    now += (7200 - 301) * 1000; // still outside the margin
    await dt.chat.chatGet('chat1');
    expect(dt.stats().tokenFetches).toBe(1);
    now += 2_000; // now inside the 5-minute margin, token not yet expired
    await dt.chat.chatGet('chat1');
    expect(dt.stats().tokenFetches).toBe(2);
    const tokens = stub.hits('/chat/get').map((r) => r.query.access_token);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[1]);
  });

  it.each([
    ['legacy 40014', '/chat/get', { errcode: 40014, errmsg: '不合法的access_token' }, 200],
    [
      'topapi 88/40014',
      '/topapi/chat/qrcode/get',
      { errcode: 88, sub_code: '40014', sub_msg: '不合法的access_token', errmsg: 'x', request_id: 'r1' },
      200,
    ],
    [
      'v1 400 InvalidAuthentication',
      '/v1.0/im/chat/',
      { code: 'InvalidAuthentication', requestid: 'R' },
      400,
    ],
  ])('refreshes and retries once on %s', async (_n, path, bad, status) => {
    const good: Record<string, unknown> = {
      '/chat/get': CHAT_INFO,
      '/topapi/chat/qrcode/get': { errcode: 0, result: 'https://qr.example/join', success: true },
      '/v1.0/im/chat/': { openConversationId: 'cid==' },
    };
    stub = await startStub({
      [path]: (_r, nth) => (nth === 1 ? { status, body: bad } : { body: good[path] }),
    });
    dt = makeClient(stub.baseUrl);
    if (path === '/chat/get') await dt.chat.chatGet('chat1');
    else if (path === '/v1.0/im/chat/') await dt.chat.convertToOpenConversationId('chat1');
    else await dt.chat.qrcodeGet({ chatid: 'chat1', userid: 'alice' });
    const hits = stub.hits(path);
    expect(hits).toHaveLength(2);
    const tok = (r: (typeof hits)[number]) =>
      r.query.access_token ?? r.headers['x-acs-dingtalk-access-token'];
    expect(tok(hits[1] as (typeof hits)[number])).not.toBe(tok(hits[0] as (typeof hits)[number]));
    expect(dt.stats().tokenFetches).toBe(2);
  });

  it('repeats a write after an invalid-token answer (proof it was not done), but only once', async () => {
    stub = await startStub({ '/chat/update': () => ({ body: { errcode: 40014, errmsg: 'bad token' } }) });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatUpdate({ chatid: 'chat1', name: 'x' }));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).errcode).toBe(40014);
    expect(stub.hits('/chat/update')).toHaveLength(2);
  });

  it('bad credentials give a DingTalkAuthError that says so, without the secret', async () => {
    stub = await startStub({
      '/v1.0/oauth2/accessToken': () => ({
        status: 400,
        body: {
          requestid: 'REQ-1',
          code: 'invalidClientIdOrSecret',
          message: '无效的clientId或者clientSecret',
        },
      }),
    });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatGet('chat1'));
    expect(err).toBeInstanceOf(DingTalkAuthError);
    expect((err as Error).message).toMatch(/DINGTALK_CLIENT_SECRET/);
    expect(errorText(err)).not.toContain(CLIENT_SECRET);
    expect(stub.hits('/v1.0/oauth2/accessToken')).toHaveLength(1);
  });
});

describe('retry policy', () => {
  it.each<[string, StubReply]>([
    ['legacy -1 busy', { body: { errcode: -1, errmsg: '系统繁忙' } }],
    ['legacy 400001', { body: { errcode: 400001, errmsg: '系统错误' } }],
    ['legacy 88 without sub_code', { body: { errcode: 88, errmsg: 'timeout' } }],
    ['HTTP 502 page', { status: 502, body: '<html>Bad Gateway</html>' }],
    ['HTTP 500 system.error', { status: 500, body: { code: 'system.error', message: 'x' } }],
    ['HTTP 429', { status: 429, body: { code: 'system.busy', message: 'x' } }],
  ])('retries a read on %s', async (_n, fault) => {
    stub = await startStub({ '/chat/get': (_r, nth) => (nth <= 2 ? fault : { body: CHAT_INFO }) });
    dt = makeClient(stub.baseUrl);
    const info = await dt.chat.chatGet('chat1');
    expect(info.name).toBe('Design');
    expect(stub.hits('/chat/get')).toHaveLength(3);
    expect(dt.stats().retries).toBe(2);
  });

  it('gives up on a read after the retry budget with the last answer', async () => {
    stub = await startStub({ '/chat/get': () => ({ body: { errcode: -1, errmsg: '系统繁忙' } }) });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatGet('chat1'));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).errcode).toBe(-1);
    expect(stub.hits('/chat/get')).toHaveLength(4);
  });

  it('retries a read after a read timeout', async () => {
    stub = await startStub({ '/chat/get': (_r, nth) => (nth === 1 ? { hang: true } : { body: CHAT_INFO }) });
    dt = makeClient(stub.baseUrl, { timeoutMs: 300 });
    await dt.chat.chatGet('chat1');
    expect(stub.hits('/chat/get')).toHaveLength(2);
  });

  it('never repeats a write after a read timeout: exactly one request reaches the server', async () => {
    stub = await startStub({ '/chat/create': () => ({ hang: true }) });
    dt = makeClient(stub.baseUrl, { timeoutMs: 300 });
    const err = await caught(dt.chat.chatCreate({ name: 'Design', owner: 'alice', useridlist: ['alice'] }));
    expect(err).toBeInstanceOf(DingTalkHttpError);
    expect((err as DingTalkHttpError).mayHaveReached).toBe(true);
    expect((err as DingTalkHttpError).endpoint).toBe('chat.create');
    expect(stub.hits('/chat/create')).toHaveLength(1);
  });

  it.each<[string, StubReply]>([
    ['HTTP 500', { status: 500, body: { code: 'system.error', message: 'x' } }],
    ['legacy 15 gateway timeout', { body: { errcode: 15, errmsg: 'isp.top-remote-connection-timeout' } }],
    ['legacy 400001', { body: { errcode: 400001, errmsg: '系统错误' } }],
  ])('does not repeat a write after %s and says it may have taken effect', async (_n, fault) => {
    stub = await startStub({ '/v1.0/im/group/create': () => fault, '/chat/create': () => fault });
    dt = makeClient(stub.baseUrl);
    const p =
      fault.status === 500
        ? dt.chat.groupCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] })
        : dt.chat.chatCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] });
    const err = await caught(p);
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).mayHaveTakenEffect).toBe(true);
    expect(stub.hits('/v1.0/im/group/create').length + stub.hits('/chat/create').length).toBe(1);
  });

  it('repeats a write on legacy -1 (DingTalk documents it as retryable: the call was turned away)', async () => {
    stub = await startStub({
      '/chat/create': (_r, nth) =>
        nth === 1 ? { body: { errcode: -1, errmsg: '系统繁忙' } } : { body: CREATED },
    });
    dt = makeClient(stub.baseUrl);
    const res = await dt.chat.chatCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] });
    expect(res.chatid).toBe('chatabc');
    expect(stub.hits('/chat/create')).toHaveLength(2);
  });

  it('repeats a write when the connection was refused (it never left)', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    stub = await startStub({});
    dt = makeClient(stub.baseUrl, { oapiBase: `http://127.0.0.1:${port}` });
    const err = await caught(dt.chat.chatCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] }));
    expect(err).toBeInstanceOf(DingTalkHttpError);
    expect((err as DingTalkHttpError).mayHaveReached).toBe(false);
    expect((err as DingTalkHttpError).reason).toBe('ECONNREFUSED');
    // 1 token fetch + 4 attempts (first + 3 retries) at the refused host
    expect(dt.stats().calls).toBe(5);
    expect(dt.stats().retries).toBe(3);
  });
});

describe('rate limits', () => {
  it('waits and retries a write on legacy 90018, then succeeds', async () => {
    stub = await startStub({
      '/chat/create': (_r, nth) =>
        nth <= 2 ? { body: { errcode: 90018, errmsg: 'qps' } } : { body: CREATED },
    });
    dt = makeClient(stub.baseUrl);
    const res = await dt.chat.chatCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] });
    expect(res.openConversationId).toBe('cidabc==');
    expect(stub.hits('/chat/create')).toHaveLength(3);
    expect(dt.stats().rateLimitWaits).toBe(2);
  });

  it('waits and retries on 403 QpsLimitForAppkeyAndApi, then succeeds', async () => {
    stub = await startStub({
      '/v1.0/im/group/create': (_r, nth) =>
        nth === 1
          ? { status: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: 'qps' } }
          : { body: { openConversationId: 'cid2==', chatid: 'chat2', conversationTag: 2 } },
    });
    dt = makeClient(stub.baseUrl);
    const res = await dt.chat.groupCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] });
    expect(res.chatid).toBe('chat2');
    expect(stub.hits('/v1.0/im/group/create')).toHaveLength(2);
    expect(dt.stats().rateLimitWaits).toBe(1);
  });

  it('throws DingTalkRateLimitedError when the throttle outlasts the retries', async () => {
    stub = await startStub({ '/chat/get': () => ({ body: { errcode: 90002, errmsg: 'all disabled' } }) });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatGet('chat1'));
    expect(err).toBeInstanceOf(DingTalkRateLimitedError);
    expect((err as DingTalkRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((err as DingTalkRateLimitedError).last?.errcode).toBe(90002);
    expect(stub.hits('/chat/get')).toHaveLength(4);
  });

  it('does not retry a permission refusal', async () => {
    stub = await startStub({
      '/v1.0/im/group/create': () => ({
        status: 403,
        body: { code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', message: 'no', requestid: 'RQ' },
      }),
    });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.groupCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] }));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).requestId).toBe('RQ');
    expect((err as DingTalkApiError).status).toBe(403);
    expect(stub.hits('/v1.0/im/group/create')).toHaveLength(1);
  });
});

describe('defensive parsing', () => {
  it('an HTML page with HTTP 200 is a non-json-response error', async () => {
    stub = await startStub({ '/chat/get': () => ({ body: '<html><body>blocked</body></html>' }) });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatGet('chat1'));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).code).toBe('non-json-response');
  });

  it('a success body missing what we rely on is malformed-response', async () => {
    stub = await startStub({ '/chat/create': () => ({ body: { errcode: 0, errmsg: 'ok' } }) });
    dt = makeClient(stub.baseUrl);
    const err = await caught(dt.chat.chatCreate({ name: 'D', owner: 'alice', useridlist: ['alice'] }));
    expect(err).toBeInstanceOf(DingTalkApiError);
    expect((err as DingTalkApiError).code).toBe('malformed-response');
    expect((err as DingTalkApiError).message).toMatch(/chatid/);
    expect(stub.hits('/chat/create')).toHaveLength(1);
  });

  it('accepts errcode "0" as a string and subAdministrators success "true" and true', async () => {
    stub = await startStub({
      '/chat/update': () => ({ body: { errcode: '0', errmsg: 'ok' } }),
      '/v1.0/im/subAdministrators': (_r, nth) => ({ body: { success: nth === 1 ? 'true' : true } }),
    });
    dt = makeClient(stub.baseUrl);
    await dt.chat.chatUpdate({ chatid: 'c', name: 'n' });
    await dt.chat.subAdministrators({ openConversationId: 'cid', userIds: ['a'], role: 2 });
    await dt.chat.subAdministrators({ openConversationId: 'cid', userIds: ['a'], role: 3 });
    expect(stub.hits('/v1.0/im/subAdministrators')).toHaveLength(2);
  });

  it('subadmin/update sends userids comma-joined and scalars as numbers', async () => {
    stub = await startStub({
      '/topapi/chat/subadmin/update': () => ({ body: { errcode: 0, success: true } }),
    });
    dt = makeClient(stub.baseUrl);
    await dt.chat.subadminUpdate({ chatid: 'c', userids: ['a', 'b'], role: 2 });
    expect(stub.hits('/topapi/chat/subadmin/update')[0]?.body).toEqual({
      chatid: 'c',
      userids: 'a,b',
      role: 2,
    });
  });
});

describe('secrets stay out of errors and logs', () => {
  it('no token, secret or sessionWebhook key in any error message or debug log line', async () => {
    const SESSION = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
    stub = await startStub({
      '/robot/sendBySession': (r) =>
        r.query.session === SESSION
          ? { body: { errcode: 300001, errmsg: 'session 不存在' } }
          : { hang: true },
      '/chat/get': () => ({ body: { errcode: 43007, errmsg: '需要授权' } }),
      '/v1.0/im/group/create': () => ({ status: 400, body: { code: 'parameter.invalid', message: 'bad' } }),
      '/chat/update': () => ({ hang: true }),
    });
    const { logger, lines } = captureLogger();
    dt = makeClient(stub.baseUrl, { logger, timeoutMs: 300 });
    const errors: unknown[] = [];
    const webhook = `${stub.baseUrl}/robot/sendBySession?session=${SESSION}`;
    errors.push(await caught(dt.robot.sendBySession(webhook, { msgtype: 'text', text: { content: 'hi' } })));
    errors.push(
      await caught(
        dt.robot.sendBySession(`${stub.baseUrl}/robot/sendBySession?session=other${SESSION}`, {
          msgtype: 'text',
          text: { content: 'hi' },
        }),
      ),
    );
    errors.push(await caught(dt.chat.chatGet('chat1')));
    errors.push(await caught(dt.chat.groupCreate({ name: 'D', owner: 'a', useridlist: ['a'] })));
    errors.push(await caught(dt.chat.chatUpdate({ chatid: 'c', name: 'n' })));
    expect(isSessionExpired(errors[0])).toBe(true);
    expect(errors[1]).toBeInstanceOf(DingTalkHttpError);
    const token = stub.hits('/chat/get')[0]?.query.access_token as string;
    expect(token.length).toBeGreaterThan(10);
    expect(lines.length).toBeGreaterThan(5);
    const haystack = [...errors.map(errorText), ...lines].join('\n');
    for (const secret of [token, CLIENT_SECRET, SESSION]) expect(haystack).not.toContain(secret);
    // the debug lines carry the call metadata
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.some((l) => l.endpoint === 'chat.get' && l.status === 200 && l.attempt === 1)).toBe(true);
    expect(parsed.every((l) => l.endpoint === undefined || typeof l.endpoint === 'string')).toBe(true);
  });
});
