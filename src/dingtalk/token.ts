/**
 * The access-token cache (dingtalk-api.md §1.2): `POST /v1.0/oauth2/accessToken` with a JSON
 * body, one fetch shared by every concurrent caller, refreshed before it expires. The same
 * token serves both hosts (§0.2).
 */
import { z } from 'zod';
import type { HttpClient, TokenSource } from './http.ts';

const accessTokenSchema = z.object({
  accessToken: z.string().min(1),
  expireIn: z.coerce.number().positive(),
});

export interface TokenCacheOptions {
  http: HttpClient;
  clientId: string;
  clientSecret: string;
  /** Refresh this long before expiry (capped at half the lifetime). Default 5 min. */
  refreshMarginMs?: number;
  now?: () => number;
}

/** Single-flight token cache. */
export class TokenCache implements TokenSource {
  readonly #opts: TokenCacheOptions;
  readonly #now: () => number;
  #token: string | undefined;
  /** When to stop using the cached token (expiry minus the margin). */
  #refreshAt = 0;
  #pending: Promise<string> | undefined;
  #fetches = 0;

  constructor(opts: TokenCacheOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Tokens fetched from DingTalk so far. */
  get fetches(): number {
    return this.#fetches;
  }

  /**
   * A valid token: the cached one, or a fresh one. Concurrent callers share one fetch. The
   * caller's signal only stops its own wait, never the shared fetch.
   */
  async get(signal?: AbortSignal): Promise<string> {
    if (this.#token !== undefined && this.#now() < this.#refreshAt) return this.#token;
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    const shared = this.#pending;
    if (!signal) return shared;
    signal.throwIfAborted();
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Drops `token` if it is still cached (DingTalk called it invalid); the next get() refetches. */
  invalidate(token: string): void {
    if (this.#token === token) {
      this.#token = undefined;
      this.#refreshAt = 0;
    }
  }

  async #fetch(): Promise<string> {
    this.#fetches++;
    const res = await this.#opts.http.call({
      endpoint: 'oauth2.accessToken',
      host: 'api',
      method: 'POST',
      path: '/v1.0/oauth2/accessToken',
      body: { appKey: this.#opts.clientId, appSecret: this.#opts.clientSecret },
      auth: 'none',
      schema: accessTokenSchema,
    });
    const lifeMs = res.expireIn * 1000;
    const margin = Math.min(this.#opts.refreshMarginMs ?? 300_000, lifeMs / 2);
    this.#token = res.accessToken;
    this.#refreshAt = this.#now() + lifeMs - margin;
    return res.accessToken;
  }
}
