/**
 * Stand-by for a DingTalk that kicks older Stream connections when a newer one opens for the
 * same app (stream-protocol.md §6.3, soimy PR #380, UNCONFIRMED). Two replicas would then
 * displace each other for ever. The connected replica renews a lease in the shared store; a
 * replica displaced soon after connecting, several times within a window, while it does not hold
 * the lease, stops reconnecting and watches the lease; when the lease lapses (the active replica
 * died) it takes the lease and connects. Without kicks nobody is displaced, so nothing changes.
 */
import type { Logger } from 'pino';
import type { ReplicaStore } from '../store/types.ts';
import type { StreamSupervisor } from './supervisor.ts';

export interface StandbyOptions {
  /** the lease's name in the store */
  leaseName: string;
  ttlMs: number;
  /** how often the connected replica renews; well below ttlMs */
  renewMs: number;
  /** how often a standing-by replica looks at the lease */
  pollMs: number;
  /** displacements within windowMs that make a replica stand by */
  displacements: number;
  windowMs: number;
  /** a displacement counts when the connection had been open at most this long */
  soonMs: number;
}

export const DEFAULT_STANDBY_OPTIONS: StandbyOptions = {
  leaseName: 'stream',
  ttlMs: 15_000,
  renewMs: 5_000,
  pollMs: 2_000,
  displacements: 3,
  windowMs: 60_000,
  soonMs: 10_000,
};

export type StandbyState = 'active' | 'standby';

/** Watches one supervisor; see the module comment. */
export class StandbyGuard {
  private state: StandbyState = 'active';
  private displacedAt: number[] = [];
  /** what the last lease call said; a lease holder never stands by */
  private holding = false;
  private standbySince = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private watching = false;
  private readonly log: Logger;
  private readonly cfg: StandbyOptions;
  private readonly onOpen = () => void this.renew();
  private readonly onDisplaced = (ageMs: number) => this.displaced(ageMs);

  constructor(
    private readonly supervisor: StreamSupervisor,
    private readonly replicas: ReplicaStore,
    private readonly holder: string,
    logger: Logger,
    opts: Partial<StandbyOptions> = {},
  ) {
    this.log = logger.child({ component: 'standby' });
    this.cfg = { ...DEFAULT_STANDBY_OPTIONS, ...opts };
  }

  get status(): StandbyState {
    return this.state;
  }

  /** Call before supervisor.start(), so the first open takes the lease. */
  start(): void {
    this.supervisor.on('open', this.onOpen);
    this.supervisor.on('displaced', this.onDisplaced);
    this.renewTimer = setInterval(() => void this.renew(), this.cfg.renewMs);
    this.renewTimer.unref();
  }

  /**
   * Gives the lease up (graceful stop), so a standing-by replica can take over at its next look
   * instead of waiting for the lease to lapse. Never throws.
   */
  async release(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    try {
      await this.replicas.release(this.cfg.leaseName, this.holder);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not release the stream lease');
    }
  }

  /** Stops renewing and watching. The lease is kept (see release): it lapses after ttlMs. */
  stop(): void {
    this.supervisor.off('open', this.onOpen);
    this.supervisor.off('displaced', this.onDisplaced);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.renewTimer = undefined;
    this.pollTimer = undefined;
  }

  private async renew(): Promise<void> {
    if (this.state !== 'active' || this.supervisor.status !== 'open') return;
    try {
      this.holding = await this.replicas.lease(this.cfg.leaseName, this.holder, this.cfg.ttlMs);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not renew the stream lease');
    }
  }

  private displaced(ageMs: number): void {
    if (this.state !== 'active' || this.holding || ageMs > this.cfg.soonMs) return;
    const now = Date.now();
    this.displacedAt = [...this.displacedAt.filter((t) => now - t < this.cfg.windowMs), now];
    this.log.info({ count: this.displacedAt.length, ageMs }, 'stream connection displaced by a newer one');
    if (this.displacedAt.length < this.cfg.displacements) return;
    this.state = 'standby';
    this.displacedAt = [];
    this.standbySince = now;
    this.log.warn(
      { lease: this.cfg.leaseName },
      'displaced repeatedly by another replica: standing by and watching its lease',
    );
    // Synchronous with the `displaced` event, so the replacement connection is never dialled.
    void this.supervisor.standBy();
    // Not unref'd: standing by, this timer is what keeps the process alive; stop() clears it.
    this.pollTimer = setInterval(() => void this.watch(), this.cfg.pollMs);
  }

  private async watch(): Promise<void> {
    // A full TTL first: a live active replica renews within renewMs < ttlMs, so a lease still
    // free after that has lapsed rather than not been taken yet.
    if (this.watching || Date.now() - this.standbySince < this.cfg.ttlMs) return;
    this.watching = true;
    try {
      const current = await this.replicas.leaseHolder(this.cfg.leaseName);
      if (current !== undefined && current !== this.holder) return;
      if (!(await this.replicas.lease(this.cfg.leaseName, this.holder, this.cfg.ttlMs))) return;
      if (this.state !== 'standby' || !this.pollTimer) return; // stopped meanwhile
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      this.holding = true;
      this.state = 'active';
      this.log.warn({ lease: this.cfg.leaseName }, 'the stream lease lapsed: taking over the connection');
      this.supervisor.resume();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not read the stream lease');
    } finally {
      this.watching = false;
    }
  }
}
