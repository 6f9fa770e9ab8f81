/** The error explanation table: coverage of the reference's codes, both locales, ids. */
import { describe, expect, it } from 'vitest';
import {
  DingTalkApiError,
  DingTalkAuthError,
  DingTalkHttpError,
  DingTalkRateLimitedError,
  type EndpointName,
} from '../../src/dingtalk/errors.ts';
import { ENDPOINT_PERMISSION, EXPLANATIONS, explainDingTalkError } from '../../src/dingtalk/explain.ts';

const GENERIC_EN = explainDingTalkError(
  new DingTalkApiError({ endpoint: 'chat.get', status: 200, errcode: 987654, message: 'x' }),
  'en',
).cause;
const GENERIC_ZH = explainDingTalkError(
  new DingTalkApiError({ endpoint: 'chat.get', status: 200, errcode: 987654, message: 'x' }),
  'zh-CN',
).cause;

function errorFor(key: string, endpoint: EndpointName = 'chat.create'): DingTalkApiError {
  const [kind, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'errcode') {
    return new DingTalkApiError({
      endpoint,
      status: 200,
      errcode: Number(value),
      message: 'm',
      requestId: 'rq1',
    });
  }
  const code = kind === 'prefix' ? `${value}something` : value;
  return new DingTalkApiError({ endpoint, status: 400, code, message: 'm', requestId: 'rq1' });
}

/** Every code dingtalk-api.md §1-§5 names for the endpoints the bot uses. */
const REFERENCE_CODES = [
  40031, 40035, 49013, 49010, 49011, 49004, 49015, 49026, 40016, 34001, 40003, 60124, 60011, 43007, 1002,
  90018, 90002, 90020, 300001, 43009, 400002, -1, 49000, 40001, 70001, 49009, 49023, 71010, 400001, 40036,
  41049, 40014, 42001, 40096, 60020,
].map((n) => `errcode:${n}`);
const REFERENCE_STRINGS = [
  'invalideChatId',
  'permession.checkFailed',
  'Forbidden.AccessDenied.AccessTokenPermissionDenied',
  'Forbidden.AccessDenied.IpNotInWhiteList',
  'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.QpsLimitForApi',
  'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
  'Forbidden.AccessDenied.ApiCountLimitForOrg',
  'staff.not.found',
  'subadmin.exceed',
  'invalidParameter.openConversationId.invalid',
  'invalidParameter.orgId.invalid',
  'invalid.staffid',
  'invalidParamter.role',
  'group.diaband',
  'parameter.invalid',
  'system.error',
  'InvalidAuthentication',
  'invalidClientIdOrSecret',
  'send.too.fast',
  'invalidParameter.robotCode.notExsit',
  'invalidParameter.userIds.overMax',
  'miss.param.contentOfText',
].map((c) => `code:${c}`);

describe('explainDingTalkError', () => {
  it('has a table row for every code the reference lists', () => {
    for (const key of [...REFERENCE_CODES, ...REFERENCE_STRINGS]) {
      const ex = explainDingTalkError(errorFor(key), 'en');
      expect(ex.cause, key).not.toBe(GENERIC_EN);
    }
  });

  it('every row yields a non-generic explanation in both locales, with the ids', () => {
    for (const key of Object.keys(EXPLANATIONS)) {
      const err = errorFor(key);
      const en = explainDingTalkError(err, 'en');
      const zh = explainDingTalkError(err, 'zh-CN');
      expect(en.cause, key).not.toBe(GENERIC_EN);
      expect(zh.cause, key).not.toBe(GENERIC_ZH);
      expect(zh.cause, key).toMatch(/[\u4e00-\u9fff]/);
      expect(en.next.length, key).toBeGreaterThan(5);
      expect(en.ids).toContain('requestId rq1');
      expect(en.ids).toContain('endpoint chat.create');
    }
  });

  it('names each permission point for the endpoint that was refused', () => {
    const seen = new Set<string>();
    for (const endpoint of Object.keys(ENDPOINT_PERMISSION) as EndpointName[]) {
      const ex = explainDingTalkError(
        new DingTalkApiError({
          endpoint,
          status: 403,
          code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
          message: 'no',
        }),
        'en',
      );
      expect(ex.permission).toBe(ENDPOINT_PERMISSION[endpoint]);
      if (ex.permission) seen.add(ex.permission);
    }
    for (const p of ['qyapi_chat_manage', 'qyapi_chat_read', 'qyapi_chat_base_read'])
      expect(seen).toContain(p);
    const legacy = explainDingTalkError(errorFor('errcode:60011', 'qrcode.get'), 'zh-CN');
    expect(legacy.permission).toBe('qyapi_chat_base_read');
  });

  it('unknown codes get the generic text with the ids', () => {
    const ex = explainDingTalkError(
      new DingTalkApiError({
        endpoint: 'chat.get',
        status: 400,
        code: 'brand.new',
        message: 'x',
        requestId: 'R9',
      }),
      'en',
    );
    expect(ex.cause).toBe(GENERIC_EN);
    expect(ex.ids).toBe('brand.new · requestId R9 · endpoint chat.get');
    expect(explainDingTalkError(new Error('boom'), 'en').cause).toBe(GENERIC_EN);
  });

  it('topapi 88 with sub_code 40014 reads as a token problem; other kinds are explained too', () => {
    const tok = new DingTalkApiError({
      endpoint: 'qrcode.get',
      status: 200,
      errcode: 88,
      subCode: '40014',
      message: 'x',
    });
    expect(explainDingTalkError(tok, 'en').ids).toContain('errcode 88/40014');
    expect(explainDingTalkError(tok, 'en').cause).toMatch(/token/);
    const timeout = new DingTalkHttpError('chat.create', 'timeout after 10000 ms', true, undefined);
    expect(explainDingTalkError(timeout, 'en').next).toMatch(/may have reached/);
    const refused = new DingTalkHttpError('chat.create', 'ECONNREFUSED', false, undefined);
    expect(explainDingTalkError(refused, 'zh-CN').next).toMatch(/没有执行/);
    const rl = new DingTalkRateLimitedError('chat.get', 4200, errorFor('errcode:90018', 'chat.get'));
    expect(explainDingTalkError(rl, 'en').next).toMatch(/5 s/);
    const auth = new DingTalkAuthError('oauth2.accessToken', 'invalidClientIdOrSecret', 'R1');
    expect(explainDingTalkError(auth, 'en').next).toMatch(/DINGTALK_CLIENT_SECRET/);
  });
});
