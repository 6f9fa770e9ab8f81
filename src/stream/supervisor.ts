/**
 * Keeps one live Stream connection: exponential backoff with jitter, one attempt at a time,
 * cancellable on shutdown; make-before-break on a `disconnect` frame; a heartbeat that detects a
 * dead link; bad credentials reported as such and, when `maxAuthFailures` is set, fatal.
 * (stream-protocol.md §6.2, §9 P5-P10, §9a.)
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { GuardedStreamClient, type RobotFrame, StreamAuthError } from './client.ts';

export interface SupervisorOptions {
  clientId: string;
  clientSecret: string;
  apiBase: string;
  logger: Logger;
  onRobotFrame: (frame: RobotFrame) => void;
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** ws ping every intervalMs; the link is dead after timeoutMs without any frame or pong */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  openTimeoutMs?: number;
  /** Give up (event `fatal`) after this many consecutive credential refusals; 0 = never. */
  maxAuthFailures?: number;
  /** How long an old connection may linger after `disconnect` before we close it ourselves. */
  drainMs?: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS = {
  backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2 },
  heartbeat: { intervalMs: 15_000, timeoutMs: 45_000 },
  openTimeoutMs: 10_000,
  maxAuthFailures: 0,
  drainMs: 15_000,
} satisfies Required<
  Omit<SupervisorOptions, 'clientId' | 'clientSecret' | 'apiBase' | 'logger' | 'onRobotFrame'>
>;

export type SupervisorState = 'idle' | 'connecting' | 'open' | 'backoff' | 'standby' | 'stopped';

/**
 * Events: `open` (a connection is live), `fatal` (Error; credentials refused too often),
 * `state` (SupervisorState), `displaced` (ms the connection had been open when DingTalk sent it
 * `disconnect`; emitted before the replacement is dialled, so a listener may call standBy()).
 */
export class StreamSupervisor extends EventEmitter {
  private current: GuardedStreamClient | undefined;
  private readonly draining = new Set<GuardedStreamClient>();
  private state: SupervisorState = 'idle';
  private attempt = 0;
  private authFailures = 0;
  private connecting: Promise<void> | undefined;
  /** The client of the attempt in `connecting`, so that stop() can cancel it. */
  private pending: GuardedStreamClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastActivity = 0;
  private openedAt = 0;
  private readonly log: Logger;
  private readonly cfg: typeof DEFAULT_SUPERVISOR_OPTIONS;
  /** Counters for tests and the bench. */
  readonly stats = { connects: 0, failures: 0, reconnects: 0, heartbeatKills: 0, disconnectFrames: 0 };

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.log = opts.logger.child({ component: 'stream' });
    this.cfg = {
      backoff: { ...DEFAULT_SUPERVISOR_OPTIONS.backoff, ...opts.backoff },
      heartbeat: { ...DEFAULT_SUPERVISOR_OPTIONS.heartbeat, ...opts.heartbeat },
      openTimeoutMs: opts.openTimeoutMs ?? DEFAULT_SUPERVISOR_OPTIONS.openTimeoutMs,
      maxAuthFailures: opts.maxAuthFailures ?? DEFAULT_SUPERVISOR_OPTIONS.maxAuthFailures,
      drainMs: opts.drainMs ?? DEFAULT_SUPERVISOR_OPTIONS.drainMs,
    };
  }

  get status(): SupervisorState {
    return this.state;
  }

  /** Starts connecting; resolves once, when the first connection is open (or rejects on `fatal`). */
  start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('supervisor already started');
    const ready = new Promise<void>((resolve, reject) => {
      const onOpen = () => {
        this.off('fatal', onFatal);
        resolve();
      };
      const onFatal = (err: Error) => {
        this.off('open', onOpen);
        reject(err);
      };
      this.once('open', onOpen);
      this.once('fatal', onFatal);
    });
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(), this.cfg.heartbeat.intervalMs);
    this.heartbeatTimer.unref();
    void this.connectNow();
    return ready;
  }

  /** Stops for good: cancels any pending reconnect and closes every socket. */
  async stop(): Promise<void> {
    this.setState('stopped');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.retryTimer = undefined;
    this.heartbeatTimer = undefined;
    // Cancel an attempt in flight rather than wait for it: a hanging gateway must not hold
    // the shutdown for openTimeoutMs.
    this.pending?.disconnect();
    await this.connecting?.catch(() => {});
    for (const c of [this.current, ...this.draining]) c?.disconnect();
    this.current = undefined;
    this.draining.clear();
  }

  /**
   * Stops reconnecting and closes every socket until {@link resume}: another replica holds the
   * app's connection (see standby.ts).
   */
  async standBy(): Promise<void> {
    if (this.halted) return;
    this.setState('standby');
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pending?.disconnect();
    await this.connecting?.catch(() => {});
    for (const c of [this.current, ...this.draining]) c?.disconnect();
    this.current = undefined;
    this.draining.clear();
  }

  /** Connects again after {@link standBy}. */
  resume(): void {
    if (this.state !== 'standby') return;
    this.attempt = 0;
    this.setState('idle');
    void this.connectNow();
  }

  private get halted(): boolean {
    return this.state === 'stopped' || this.state === 'standby';
  }

  private setState(s: SupervisorState): void {
    if (this.state === 'stopped' && s !== 'stopped') return;
    this.state = s;
    this.emit('state', s);
  }

  /** One attempt at a time: a second call while connecting joins the first. */
  private connectNow(): Promise<void> {
    if (this.halted) return Promise.resolve();
    if (this.connecting) return this.connecting;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.setState('connecting');
    const client = new GuardedStreamClient({
      clientId: this.opts.clientId,
      clientSecret: this.opts.clientSecret,
      apiBase: this.opts.apiBase,
      logger: this.log,
      openTimeoutMs: this.cfg.openTimeoutMs,
      onRobotFrame: (f) => this.deliver(f),
      onDisconnectFrame: (c) => this.onDisconnectFrame(c),
      onClose: (c, code) => this.onClientClosed(c, code),
      onActivity: () => {
        this.lastActivity = Date.now();
      },
    });
    this.pending = client;
    this.connecting = client
      .connect()
      .then(() => {
        if (this.halted) {
          client.disconnect();
          return;
        }
        const previous = this.current;
        this.current = client;
        this.attempt = 0;
        this.authFailures = 0;
        this.lastActivity = Date.now();
        this.openedAt = this.lastActivity;
        this.stats.connects++;
        this.setState('open');
        this.log.info({ conn: client.label }, 'stream connected');
        if (previous && previous !== client) this.drain(previous);
        this.emit('open');
      })
      .catch((err: unknown) => {
        client.disconnect();
        if (this.halted) return; // cancelled by stop() or standBy()
        this.stats.failures++;
        if (err instanceof StreamAuthError) {
          this.authFailures++;
          this.log.error(
            { status: err.status, code: err.code, failures: this.authFailures },
            'DingTalk rejected the client id or secret: check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET',
          );
          if (this.cfg.maxAuthFailures > 0 && this.authFailures >= this.cfg.maxAuthFailures) {
            this.emit('fatal', err);
            void this.stop();
            return;
          }
        } else {
          this.log.warn({ err: (err as Error).message, attempt: this.attempt + 1 }, 'stream connect failed');
        }
        this.scheduleRetry();
      })
      .finally(() => {
        this.connecting = undefined;
        if (this.pending === client) this.pending = undefined;
      });
    return this.connecting;
  }

  private scheduleRetry(): void {
    if (this.halted || this.retryTimer) return;
    const { initialMs, maxMs, factor } = this.cfg.backoff;
    const base = Math.min(maxMs, initialMs * factor ** this.attempt);
    // Full jitter on top of half the base: spreads reconnects without ever retrying in a tight loop.
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt++;
    this.setState('backoff');
    this.log.info({ delayMs: delay, attempt: this.attempt }, 'stream reconnect scheduled');
    // Not unref'd: while we wait to reconnect this timer is the only thing keeping a live bot's
    // process alive (no socket is open), and stop() clears it.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connectNow();
    }, delay);
  }

  private deliver(frame: RobotFrame): void {
    try {
      this.opts.onRobotFrame(frame);
    } catch (err) {
      this.log.error({ err }, 'robot frame handler threw');
    }
  }

  /** Make-before-break: the old socket stays to drain while the new one opens. */
  private onDisconnectFrame(client: GuardedStreamClient): void {
    this.stats.disconnectFrames++;
    if (client !== this.current || this.halted) return;
    this.stats.reconnects++;
    this.current = undefined;
    this.drain(client);
    this.emit('displaced', Date.now() - this.openedAt);
    void this.connectNow();
  }

  private drain(client: GuardedStreamClient): void {
    this.draining.add(client);
    const t = setTimeout(() => {
      this.draining.delete(client);
      client.disconnect();
    }, this.cfg.drainMs);
    t.unref();
  }

  private onClientClosed(client: GuardedStreamClient, code: number): void {
    if (this.draining.delete(client)) return;
    if (client !== this.current || this.halted) return;
    this.log.warn({ conn: client.label, code }, 'stream connection closed; reconnecting');
    this.current = undefined;
    this.stats.reconnects++;
    this.scheduleRetry();
  }

  private checkHeartbeat(): void {
    const c = this.current;
    if (!c || this.state !== 'open') return;
    if (Date.now() - this.lastActivity > this.cfg.heartbeat.timeoutMs) {
      this.stats.heartbeatKills++;
      this.log.warn({ conn: c.label }, 'no frame or pong in time; the link is dead, reconnecting');
      c.kill();
      return;
    }
    c.ping();
  }
}
