/**
 * Wires the parts into one running bot: store, DingTalk client, command registry, authorization,
 * pipeline and the Stream supervisor. Used by `main.ts` (live and sandbox), the tests and the bench.
 */
import type { Logger } from 'pino';
import { allCommands } from '../commands/index.ts';
import { AuditTrail } from './bot/audit.ts';
import { Authorizer } from './bot/auth.ts';
import { Confirmations } from './bot/confirm.ts';
import { Directory } from './bot/directory.ts';
import { Jobs } from './bot/jobs.ts';
import { WriteJournal } from './bot/journal.ts';
import { Pipeline, type PipelineOptions, PROCESS_REPLICA_ID } from './bot/pipeline.ts';
import { loadPolicy, type Policy, PolicyError, unknownPolicyCommands } from './bot/policy.ts';
import { loadCommands } from './bot/registry.ts';
import { Replier } from './bot/replier.ts';
import { JobScheduler, type SchedulerOptions } from './bot/scheduler.ts';
import type { CommandSpec } from './bot/types.ts';
import type { Config } from './config.ts';
import { createDingTalk, type DingTalk, type FamilyMemory } from './dingtalk/index.ts';
import { type HealthServer, Metrics, startHealthServer } from './health.ts';
import { fileHolder, holdSqliteFile, SQLITE_FILE_LEASE, SQLITE_FILE_LEASE_MS } from './store/file-lock.ts';
import { auditKeys, openStore, storePath } from './store/index.ts';
import type { Store } from './store/types.ts';
import {
  StandbyGuard,
  type StandbyOptions,
  StreamSupervisor,
  type SupervisorOptions,
} from './stream/index.ts';

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** Defaults to the SQLite store in config.dataDir. */
  store?: Store;
  policy?: Policy;
  commands?: readonly CommandSpec<unknown>[];
  stream?: Partial<
    Pick<SupervisorOptions, 'backoff' | 'heartbeat' | 'openTimeoutMs' | 'maxAuthFailures' | 'drainMs'>
  >;
  pipeline?: Partial<Pick<PipelineOptions, 'concurrency' | 'commandTimeoutMs'>>;
  dingtalk?: Partial<Parameters<typeof createDingTalk>[0]>;
  /** This replica's id (claims, journal runs, heartbeat). Default: one random id per process. */
  replicaId?: string;
  /** Prometheus counters; default a fresh set (served at /metrics with BOT_HTTP_PORT). */
  metrics?: Metrics;
  /** Timing of the stand-by when DingTalk kicks older connections (PostgreSQL only). */
  standby?: Partial<StandbyOptions>;
  /** The job scheduler's poll interval and concurrency (tests and the bench shorten them). */
  jobs?: Partial<Pick<SchedulerOptions, 'pollMs' | 'concurrency'>>;
}

export interface App {
  readonly store: Store;
  readonly replicaId: string;
  readonly dingtalk: DingTalk;
  readonly pipeline: Pipeline;
  readonly supervisor: StreamSupervisor;
  /** Runs scheduled changes (`at=`, `until=`) when they fall due. */
  readonly scheduler: JobScheduler;
  readonly metrics: Metrics;
  /** The /healthz /readyz /metrics server, once started (BOT_HTTP_PORT set). */
  health(): HealthServer | undefined;
  /** Connects; resolves when the first Stream connection is open. */
  start(): Promise<void>;
  /** Graceful: stop taking messages, let in-flight ones finish (bounded), close everything. */
  stop(opts?: { drainMs?: number }): Promise<void>;
}

/** Builds the bot. Throws a clear error for a bad command spec or policy file. */
export function createApp(o: AppOptions): App {
  const { config, logger } = o;
  if (!config.credentials) throw new Error('createApp needs DingTalk credentials (live or emulator)');
  const { clientId, clientSecret } = config.credentials;
  const robotCode = config.robotCode ?? clientId;
  const commands = loadCommands(o.commands ?? allCommands);
  const policy =
    o.policy ??
    loadPolicy(
      config.policyFile,
      commands.all().map((s) => s.name),
    );
  const unknown = unknownPolicyCommands(
    policy,
    commands.all().map((s) => s.name),
  );
  if (unknown.length > 0) throw new PolicyError(config.policyFile ?? '(policy)', unknown);
  const store = o.store ?? openStore({ dataDir: config.dataDir, auditKeys: auditKeysOf(config) });
  const replicaId = o.replicaId ?? PROCESS_REPLICA_ID;
  const family = familyMemory(store, logger);
  const metrics = o.metrics ?? new Metrics();
  const journal = new WriteJournal(store.journal, store, replicaId, logger.child({ component: 'journal' }));
  const dingtalk = createDingTalk({
    apiBase: config.apiBase,
    oapiBase: config.oapiBase,
    clientId,
    clientSecret,
    robotCode,
    groupApi: config.groupApi,
    logger,
    rememberFamily: family,
    // Several replicas spend one per-app budget: each call also reserves a slot in PostgreSQL.
    sharedBudget: store.rateBudget,
    observe: {
      call: (api, outcome) => metrics.dingtalkCalls.inc({ api, outcome }),
      limiterWait: () => metrics.limiterWaits.inc(),
    },
    journal,
    ...o.dingtalk,
  });
  const confirmations = new Confirmations(store.pending);
  const replier = new Replier(dingtalk.robot, robotCode, logger, config.oapiBase);
  const audit = new AuditTrail(store.audit, logger, {
    knownCommand: (name) => commands.get(name) !== undefined,
  });
  const jobs = new Jobs(store);
  const pipeline = new Pipeline({
    logger,
    store,
    groups: dingtalk.groups,
    replier,
    commands,
    authorizer: new Authorizer({ admins: config.admins, leads: config.leads, policy }),
    confirmations,
    journal,
    audit,
    jobs,
    defaultLocale: config.locale,
    userRate: config.userRate,
    timeZone: config.timeZone,
    robotCode,
    directory: new Directory({ contact: dingtalk.contact }),
    replicaId,
    metrics,
    ...o.pipeline,
  });
  const scheduler = new JobScheduler({
    deps: pipeline.stepDeps,
    store,
    commands,
    audit,
    robot: { api: dingtalk.robot, robotCode },
    translator: (l) => pipeline.translatorFor(l),
    logger,
    replicaId,
    ...o.jobs,
  });
  const supervisor = new StreamSupervisor({
    clientId,
    clientSecret,
    apiBase: config.apiBase,
    logger,
    onRobotFrame: (f) => pipeline.handleFrame(f),
    ...o.stream,
  });
  // One replica on SQLite is never displaced by another: only a shared store needs the stand-by.
  const standby =
    store.kind === 'postgres'
      ? new StandbyGuard(supervisor, store.replicas, replicaId, logger, o.standby)
      : undefined;
  let opened = 0;
  supervisor.on('open', () => {
    if (opened++ > 0) metrics.streamReconnects.inc();
  });
  let pruneTimer: NodeJS.Timeout | undefined;
  let headTimer: NodeJS.Timeout | undefined;
  // The audit chain's head, published outside the database: a log line and a metric.
  const publishHead = async () => {
    const [last] = await store.audit.latest(1);
    if (last === undefined) return;
    metrics.auditHead.reset();
    metrics.auditHead.set({ seal: last.hash.slice(0, 16) }, last.seq);
    logger.info({ auditHead: { seq: last.seq, seal: last.hash } }, 'audit chain head');
  };
  let beatTimer: NodeJS.Timeout | undefined;
  let takeoverTimer: NodeJS.Timeout | undefined;
  let health: HealthServer | undefined;
  let scanning = false;
  // Shared store only: claims of replicas that stopped beating are answered by a survivor.
  const takeOver = async () => {
    if (store.kind !== 'postgres' || scanning) return;
    scanning = true;
    try {
      await pipeline.takeOverOrphans(TAKEOVER_DEAD_AFTER_MS);
      await scheduler.takeOverOrphans(TAKEOVER_DEAD_AFTER_MS);
    } finally {
      scanning = false;
    }
  };
  // Timers must not reject unobserved: a failing store is logged and tried again next time.
  const prune = async () => {
    await store.dedupe.prune();
    await confirmations.prune();
    await store.journal.prune(Date.now() - JOURNAL_KEEP_MS);
    await store.jobs.prune(Date.now() - JOURNAL_KEEP_MS);
    // A batch's chats are kept as long as its journal run (undo reaches back 24 h).
    await store.batches.prune(Date.now() - JOURNAL_KEEP_MS);
  };
  // On SQLite the file is this process's alone (see file-lock.ts); the lease is renewed with the beat.
  const fileHolderId = fileHolder(replicaId);
  const beat = async () => {
    await store.replicas.beat(replicaId);
    if (store.kind === 'sqlite')
      await store.replicas.lease(SQLITE_FILE_LEASE, fileHolderId, SQLITE_FILE_LEASE_MS);
  };

  return {
    store,
    replicaId,
    dingtalk,
    pipeline,
    supervisor,
    scheduler,
    metrics,
    health: () => health,
    async start() {
      if (config.httpPort !== undefined) {
        health = await startHealthServer({
          port: config.httpPort,
          host: config.httpHost,
          metrics,
          checks: {
            streamConnected: () => supervisor.status === 'open',
            storeReachable: () => store.ping().then(() => true),
          },
        });
        logger.info({ host: health.host, port: health.port }, 'health endpoints listening');
      }
      if (store.kind === 'sqlite')
        await holdSqliteFile(store.replicas, fileHolderId, storePath(config.dataDir));
      await family.load();
      await prune();
      pruneTimer = setInterval(() => {
        prune().catch((err: unknown) => logger.error({ err }, 'pruning the store failed'));
      }, 10 * 60_000);
      pruneTimer.unref();
      await publishHead().catch((err: unknown) => logger.warn({ err }, 'could not read the audit head'));
      headTimer = setInterval(() => {
        publishHead().catch((err: unknown) => logger.warn({ err }, 'could not read the audit head'));
      }, AUDIT_HEAD_EVERY_MS);
      headTimer.unref();
      await beat();
      beatTimer = setInterval(() => {
        beat().catch((err: unknown) => logger.warn({ err }, 'replica heartbeat failed'));
      }, HEARTBEAT_MS);
      beatTimer.unref();
      // Before any frame arrives: the messages an earlier process of this file left running are
      // taken over (the write journal decides how), so a redelivery of one waits for that.
      if (store.kind === 'sqlite') await pipeline.takeOverOrphans(0);
      // Jobs that fell due while no bot ran run now; those a dead process left running are adopted.
      scheduler.start();
      if (store.kind === 'sqlite') await scheduler.takeOverOrphans(0);
      standby?.start();
      await supervisor.start();
      if (store.kind === 'postgres') {
        takeoverTimer = setInterval(() => {
          takeOver().catch((err: unknown) => logger.warn({ err }, 'looking for orphaned claims failed'));
        }, TAKEOVER_EVERY_MS);
        takeoverTimer.unref();
      }
    },
    async stop(opts = {}) {
      if (pruneTimer) clearInterval(pruneTimer);
      if (headTimer) clearInterval(headTimer);
      if (beatTimer) clearInterval(beatTimer);
      if (takeoverTimer) clearInterval(takeoverTimer);
      standby?.stop();
      // No new job is claimed from now on; the running ones finish (bounded) beside the messages.
      const jobsStopped = scheduler.stop(opts.drainMs ?? 10_000);
      // Close the stream first: a frame that arrived now would be acked and then dropped.
      await supervisor.stop();
      // A standing-by replica may take the stream over now rather than when the lease lapses.
      await standby?.release();
      const cut = await pipeline.drain(opts.drainMs ?? 10_000);
      if (cut > 0) logger.warn({ cut }, 'shutdown cut off commands still running');
      await jobsStopped;
      // A request still hanging must not hold the shutdown: give the pools a bounded close.
      await Promise.race([
        dingtalk.close().catch(() => {}),
        new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref()),
      ]);
      await family.flush();
      await store.replicas
        .forget(replicaId)
        .catch((err: unknown) => logger.warn({ err }, 'could not remove the replica heartbeat'));
      if (store.kind === 'sqlite')
        await store.replicas.release(SQLITE_FILE_LEASE, fileHolderId).catch(() => {});
      await store.close();
      await health?.stop();
    },
  };
}

/** How long closing the DingTalk connection pools may take at shutdown. */
const CLOSE_TIMEOUT_MS = 2_000;
/** How often a running app records that its replica is alive. */
export const HEARTBEAT_MS = 5_000;
/** A replica whose heartbeat is older than this is dead (several beats missed). */
export const REPLICA_DEAD_AFTER_MS = 6 * HEARTBEAT_MS;
/**
 * A claim whose replica has not beaten for this long is taken over. With the scan every
 * {@link TAKEOVER_EVERY_MS}, a survivor answers within about 25 s of the death (the issue asks 60).
 */
export const TAKEOVER_DEAD_AFTER_MS = 4 * HEARTBEAT_MS;
export const TAKEOVER_EVERY_MS = HEARTBEAT_MS;
const FAMILY_KEY = 'groupApiFamily';
/** How often the audit chain's head is published (log line, metric). */
const AUDIT_HEAD_EVERY_MS = 5 * 60_000;

/** The keys of the audit seal: BOT_AUDIT_KEY (or the derived one) seals, old ones verify. */
export function auditKeysOf(config: Pick<Config, 'auditKey' | 'auditOldKeys'>) {
  return auditKeys(config.auditKey, config.auditOldKeys);
}

/** Finished runs of the write journal are kept this long (for looking into an incident). */
const JOURNAL_KEEP_MS = 7 * 24 * 60 * 60_000;

/**
 * The remembered endpoint family (DINGTALK_GROUP_API=auto). {@link FamilyMemory} is synchronous,
 * the store is not: the family is read once at start and written through in the background;
 * `flush` waits for the last write (at stop, before the store closes).
 */
function familyMemory(
  store: Store,
  logger: Logger,
): FamilyMemory & { load(): Promise<void>; flush(): Promise<void> } {
  let family: 'legacy' | 'v1' | undefined;
  let writing: Promise<void> = Promise.resolve();
  return {
    get: () => family,
    set(f) {
      family = f;
      writing = writing
        .then(() => store.kv.set(FAMILY_KEY, f))
        .catch((err: unknown) => logger.error({ err }, 'could not remember the group API family'));
    },
    async load() {
      const v = await store.kv.get(FAMILY_KEY);
      // A switch made before the load finished is newer than what was stored.
      family ??= v === 'legacy' || v === 'v1' ? v : undefined;
    },
    flush: () => writing,
  };
}
