/**
 * The DingTalk client: one HTTP layer (pool, timeouts, retry policy, limiter), the token cache,
 * the raw chat endpoints, the GroupApi commands use, the robot send API and the contact API.
 */
import type { Logger } from '../log.ts';
import { ChatApiRaw } from './chat.ts';
import { ContactApi } from './contact.ts';
import { type FamilyMemory, type GroupApiMode, Groups } from './groups.ts';
import {
  HttpClient,
  type HttpObserver,
  type RetryOptions,
  type SharedRateBudget,
  type WriteJournalHook,
} from './http.ts';
import { type LimiterKeyStats, RateLimiter } from './limiter.ts';
import { type RobotApi, RobotClient } from './robot.ts';
import { TokenCache } from './token.ts';
import type { GroupApi } from './types.ts';

export { ChatApiRaw } from './chat.ts';
export {
  ContactApi,
  type ContactUser,
  type DepartmentInfo,
  isDepartmentNotFound,
  isMobileNotFound,
  isOutOfContactRange,
  isUserNotFound,
  type MemberPage,
  type SearchPage,
} from './contact.ts';
export * from './errors.ts';
export { type Explanation, explainDingTalkError } from './explain.ts';
export type { FamilyMemory, GroupApiMode } from './groups.ts';
export type { HttpObserver, RetryOptions, SharedRateBudget, WriteJournalHook } from './http.ts';
export type { RobotApi, SessionMessage } from './robot.ts';
export { TokenCache } from './token.ts';

/** Tunables with their defaults. */
export interface ClientOptions {
  /** Calls per second per API (DingTalk's standard-edition limit is 20, §5). */
  qps: number;
  /** Limiter window, counted from each call's answer (see limiter.ts). */
  limiterWindowMs: number;
  retry: RetryOptions;
  /** Per attempt. */
  timeoutMs: number;
  /** Keep-alive sockets per origin. */
  connectionsPerHost: number;
  /** Refresh the token this long before it expires. */
  tokenRefreshMarginMs: number;
}

/** Defaults: 1 s, 2 s, 4 s back-off with up to 250 ms jitter; 10 s per attempt; 8 sockets. */
export const DEFAULT_CLIENT_OPTIONS = {
  qps: 20,
  limiterWindowMs: 1_000,
  retry: { retries: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, jitterMs: 250 },
  timeoutMs: 10_000,
  connectionsPerHost: 8,
  tokenRefreshMarginMs: 300_000,
} as const satisfies ClientOptions;

export interface CreateDingTalkOptions {
  apiBase: string;
  oapiBase: string;
  clientId: string;
  clientSecret: string;
  robotCode: string;
  groupApi: GroupApiMode;
  logger: Logger;
  qps?: number;
  limiterWindowMs?: number;
  retry?: Partial<RetryOptions>;
  timeoutMs?: number;
  connectionsPerHost?: number;
  tokenRefreshMarginMs?: number;
  /** Where `auto` remembers the family it fell back to (the store persists it). */
  rememberFamily?: FamilyMemory;
  /** Clock for the token cache and limiter (tests). */
  now?: () => number;
  /**
   * The budget shared by replicas (PostgreSQL): every call also reserves a slot in it, spaced
   * for `qps` with a small margin, on top of the in-process limiter.
   */
  sharedBudget?: SharedRateBudget | undefined;
  /** Told about every attempt and limiter wait (metrics). */
  observe?: HttpObserver | undefined;
  /** The bot's write journal: every journaled write goes through it (endpoints.ts). */
  journal?: WriteJournalHook | undefined;
}

/**
 * Shared slots are spaced this much wider than 1/qps: slots are timed at the database, calls at
 * DingTalk, and network jitter between the two may bunch a few of them into one window.
 */
export const SHARED_BUDGET_MARGIN = 1.05;

export interface DingTalkStats {
  tokenFetches: number;
  connectionsOpened: number;
  /** Attempts put on the wire (token fetches included). */
  calls: number;
  retries: number;
  rateLimitWaits: number;
  limiter: Record<string, LimiterKeyStats>;
}

export interface DingTalk {
  groups: GroupApi & { family(): 'legacy' | 'v1' };
  robot: RobotApi;
  chat: ChatApiRaw;
  contact: ContactApi;
  tokens: TokenCache;
  robotCode: string;
  stats(): DingTalkStats;
  close(): Promise<void>;
}

/** Builds the client. Nothing touches the network until the first call. */
export function createDingTalk(opts: CreateDingTalkOptions): DingTalk {
  const d = DEFAULT_CLIENT_OPTIONS;
  const qps = opts.qps ?? d.qps;
  const windowMs = opts.limiterWindowMs ?? d.limiterWindowMs;
  const observe = opts.observe;
  const limiter = new RateLimiter({
    qps,
    windowMs,
    ...(opts.now ? { now: opts.now } : {}),
    ...(observe?.limiterWait ? { onQueued: (key: string) => observe.limiterWait?.(key) } : {}),
  });
  const http = new HttpClient({
    apiBase: opts.apiBase,
    oapiBase: opts.oapiBase,
    logger: opts.logger.child({ component: 'dingtalk' }),
    limiter,
    budget:
      opts.sharedBudget === undefined
        ? undefined
        : { shared: opts.sharedBudget, intervalMs: (windowMs / qps) * SHARED_BUDGET_MARGIN },
    observe,
    retry: { ...d.retry, ...opts.retry },
    timeoutMs: opts.timeoutMs ?? d.timeoutMs,
    connectionsPerHost: opts.connectionsPerHost ?? d.connectionsPerHost,
    secrets: [opts.clientSecret],
    journal: opts.journal,
  });
  const tokens = new TokenCache({
    http,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    refreshMarginMs: opts.tokenRefreshMarginMs ?? d.tokenRefreshMarginMs,
    ...(opts.now ? { now: opts.now } : {}),
  });
  http.useTokens(tokens);
  const chat = new ChatApiRaw(http);
  const groups = new Groups({ chat, mode: opts.groupApi, remember: opts.rememberFamily });
  return {
    groups,
    robot: new RobotClient(http),
    chat,
    contact: new ContactApi(http),
    tokens,
    robotCode: opts.robotCode,
    stats() {
      const h = http.stats();
      return {
        tokenFetches: tokens.fetches,
        connectionsOpened: h.connectionsOpened,
        calls: h.calls,
        retries: h.retries,
        rateLimitWaits: h.rateLimitWaits,
        limiter: limiter.stats(),
      };
    },
    async close() {
      limiter.close();
      await http.close();
    },
  };
}
