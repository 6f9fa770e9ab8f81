/** Access tokens: legacy `GET /gettoken` and new `POST /v1.0/oauth2/accessToken` (dingtalk-api.md §1). */
import { newToken } from './ids.ts';
import {
  asObject,
  asString,
  legacyErr,
  legacyOk,
  type Reply,
  type Route,
  type TokenCheck,
  v1Err,
} from './server.ts';

/**
 * One token per app. A fetch within validity returns the same token and renews its lifetime;
 * after expiry or revocation a new one is issued (dingtalk-api.md §1.1, §1.2).
 */
export class TokenStore implements TokenCheck {
  private current: { value: string; expiresAt: number } | undefined;
  /** successful issues + renewals */
  fetches = 0;

  constructor(private readonly ttlSec: number) {}

  issue(): { value: string; ttlSec: number } {
    const now = Date.now();
    if (!this.current || this.current.expiresAt <= now) this.current = { value: newToken(), expiresAt: 0 };
    this.current.expiresAt = now + this.ttlSec * 1000;
    this.fetches += 1;
    return { value: this.current.value, ttlSec: this.ttlSec };
  }

  isValid(token: string): boolean {
    return this.current !== undefined && this.current.value === token && this.current.expiresAt > Date.now();
  }

  revoke(): void {
    this.current = undefined;
  }

  /** The token currently valid, if any. */
  peek(): string | undefined {
    return this.current && this.current.expiresAt > Date.now() ? this.current.value : undefined;
  }
}

export function oauthRoutes(app: { clientId: string; clientSecret: string; tokens: TokenStore }): Route[] {
  const good = (key: unknown, secret: unknown): boolean =>
    key === app.clientId && secret === app.clientSecret;
  const gettoken = (method: 'GET' | 'POST'): Route => ({
    method,
    path: '/gettoken',
    endpoint: 'gettoken',
    family: 'legacy',
    qps: false,
    handle(ctx): Reply {
      const key = ctx.query.get('appkey');
      const secret = ctx.query.get('appsecret');
      // dingtalk-api.md §1.1: params only count in the query string; a form body → 40035
      if (key === null || secret === null) return legacyErr('legacy', 40035, '缺少参数 corpid or appkey');
      if (!good(key, secret)) return legacyErr('legacy', 40096, '不合法的appKey或appSecret');
      const t = app.tokens.issue();
      return legacyOk('legacy', { access_token: t.value, expires_in: t.ttlSec });
    },
  });
  return [
    // A form body is sent with POST; params only count in the query (dingtalk-api.md §1.1)
    gettoken('GET'),
    gettoken('POST'),
    {
      method: 'POST',
      path: '/v1.0/oauth2/accessToken',
      endpoint: 'oauth2.accessToken',
      family: 'v1',
      qps: false,
      handle(ctx): Reply {
        // dingtalk-api.md §1.2: JSON only, a form body → 400 "body is mandatory"
        const body = ctx.bodyKind === 'json' ? asObject(ctx.body) : undefined;
        if (!body) return v1Err(400, 'MissingBody', 'body is mandatory');
        const key = asString(body.appKey);
        const secret = asString(body.appSecret);
        if (key === undefined) return v1Err(400, 'MissingappKey', 'appKey is mandatory for this action.');
        if (secret === undefined)
          return v1Err(400, 'MissingappSecret', 'appSecret is mandatory for this action.');
        if (!good(key, secret))
          return v1Err(400, 'invalidClientIdOrSecret', '无效的clientId或者clientSecret');
        const t = app.tokens.issue();
        return { status: 200, body: { accessToken: t.value, expireIn: t.ttlSec } };
      },
    },
  ];
}
