/**
 * What the bench (emulator side, bench/run.ts and bench/soak.ts) and the bot under test
 * (bench/bot.ts, in a worker thread or a child process) say to each other. Types only, plus the
 * clock both sides stamp with.
 *
 * Every time stamp that crosses the boundary is absolute: `performance.timeOrigin +
 * performance.now()`, milliseconds since the epoch with sub-millisecond resolution. They do not
 * depend on whether a worker's `performance.now()` counts from the process's origin (it does on
 * Node 20) or from its own start (as the HR-time spec has it). bench/run.ts checks the offset
 * between the two threads with a ping-pong before it measures (`clockCheck` in bench/remote.ts).
 */
import type { AppOptions } from '../src/app.ts';
import type { Pipeline } from '../src/bot/pipeline.ts';
import type { DingTalkStats } from '../src/dingtalk/index.ts';
import type { StreamSupervisor } from '../src/stream/index.ts';
import type { NaiveStats } from './naive.ts';

/** Absolute ms with sub-ms resolution, comparable across threads. */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * ours: the real bot (createApp); naive: bench/naive.ts; idle: nothing at all (the floor of the
 * runtime: node + tsx + this entry file).
 */
export type BotKind = 'ours' | 'naive' | 'idle';

export interface BotStart {
  kind: BotKind;
  /** emulator env (DINGTALK_*), BOT_ADMINS, BOT_LEADS, LOG_LEVEL; the bot adds BOT_DATA_DIR */
  env: Record<string, string>;
  /** plain data only (it is cloned across the boundary): qps, backoff, ... */
  app?: Partial<Pick<AppOptions, 'stream' | 'pipeline' | 'dingtalk'>>;
  logLevel?: string;
  /** false for long runs: the stamp lists would grow with every message */
  stamp?: boolean;
  /** PostgreSQL instead of SQLite (bench/replicas.ts): the store src/entry.ts opens for DATABASE_URL */
  databaseUrl?: string;
  /** this replica's id (claims, heartbeat); one per bot when several share `databaseUrl` */
  replicaId?: string;
}

/** One frame as the bot saw it: RobotFrame stamps made absolute. */
export interface AckStamp {
  messageId: string;
  receivedAt: number;
  ackedAt: number;
  /** pipeline work done inside the socket's message event (ms) */
  handledMs: number;
}

export interface Stamps {
  acks: AckStamp[];
  /** session key → when robot.sendBySession resolved in the bot (absolute) */
  replies: [string, number][];
}

export interface MemorySample {
  /** settled when `gc` is true (two full collections first) */
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
  /** peak resident set of the bot's process so far (getrusage maxrss), bytes */
  peakRss: number;
  gc: boolean;
}

export interface OurStats {
  pipeline: Pipeline['stats'];
  dingtalk: DingTalkStats;
  stream: StreamSupervisor['stats'];
}

/** op → argument and answer. */
export interface BotOps {
  start: { arg: BotStart; value: { pid: number; threadId: number } };
  clock: { arg: null; value: number };
  /** the stamps taken since the last call with clear: true */
  stamps: { arg: { clear: boolean }; value: Stamps };
  /** waits (up to timeoutMs) until the reply of session `key` was sent, and forgets it */
  replySent: { arg: { key: string; timeoutMs: number }; value: number };
  stats: { arg: null; value: OurStats };
  naiveStats: { arg: null; value: NaiveStats };
  memory: { arg: { settle: boolean }; value: MemorySample };
  stop: { arg: null; value: null };
}

export type Op = keyof BotOps;

export interface Request {
  id: number;
  op: Op;
  arg: unknown;
}

export type Response = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
