/**
 * Wires the parts into one running bot: store, DingTalk client, command registry, authorization,
 * pipeline and the Stream supervisor. Used by `main.ts` (live and sandbox), the tests and the bench.
 */
import type { Logger } from 'pino';
import { allCommands } from '../commands/index.ts';
import { AuditTrail } from './bot/audit.ts';
import { Authorizer } from './bot/auth.ts';
import { Confirmations } from './bot/confirm.ts';
import { createTranslator } from './bot/i18n.ts';
import { Pipeline, type PipelineOptions } from './bot/pipeline.ts';
import { loadPolicy, type Policy, PolicyError, unknownPolicyCommands } from './bot/policy.ts';
import { loadCommands } from './bot/registry.ts';
import { renderReply } from './bot/render.ts';
import { type RenderedReply, Replier } from './bot/replier.ts';
import type { CommandSpec } from './bot/types.ts';
import type { Config } from './config.ts';
import { createDingTalk, type DingTalk } from './dingtalk/index.ts';
import { openStore } from './store/index.ts';
import type { IntentRecord, Store } from './store/types.ts';
import { StreamSupervisor, type SupervisorOptions } from './stream/index.ts';

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
}

export interface App {
  readonly store: Store;
  readonly dingtalk: DingTalk;
  readonly pipeline: Pipeline;
  readonly supervisor: StreamSupervisor;
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
  const policy = o.policy ?? loadPolicy(config.policyFile);
  const unknown = unknownPolicyCommands(
    policy,
    commands.all().map((s) => s.name),
  );
  if (unknown.length > 0) throw new PolicyError(config.policyFile ?? '(policy)', unknown);
  const store = o.store ?? openStore({ dataDir: config.dataDir });
  const dingtalk = createDingTalk({
    apiBase: config.apiBase,
    oapiBase: config.oapiBase,
    clientId,
    clientSecret,
    robotCode,
    groupApi: config.groupApi,
    logger,
    rememberFamily: {
      get: () => {
        const v = store.kv.get('groupApiFamily');
        return v === 'legacy' || v === 'v1' ? v : undefined;
      },
      set: (f) => store.kv.set('groupApiFamily', f),
    },
    ...o.dingtalk,
  });
  const replier = new Replier(dingtalk.robot, robotCode, logger, config.oapiBase);
  const pipeline = new Pipeline({
    logger,
    store,
    groups: dingtalk.groups,
    replier,
    commands,
    authorizer: new Authorizer({ admins: config.admins, leads: config.leads, policy }),
    confirmations: new Confirmations(store.confirmations),
    audit: new AuditTrail(store.audit, logger),
    defaultLocale: config.locale,
    robotCode,
    ...o.pipeline,
  });
  const supervisor = new StreamSupervisor({
    clientId,
    clientSecret,
    apiBase: config.apiBase,
    logger,
    onRobotFrame: (f) => pipeline.handleFrame(f),
    ...o.stream,
  });
  let pruneTimer: NodeJS.Timeout | undefined;

  return {
    store,
    dingtalk,
    pipeline,
    supervisor,
    async start() {
      store.dedupe.prune();
      store.confirmations.prune();
      pruneTimer = setInterval(() => {
        store.dedupe.prune();
        store.confirmations.prune();
      }, 10 * 60_000);
      pruneTimer.unref();
      // Before any frame arrives: a redelivery of an interrupted message must not be answered
      // a second time while its "uncertain" report is on the way.
      const interrupted = settleInterrupted(store, config);
      await supervisor.start();
      await reportInterrupted(interrupted, store, dingtalk, robotCode, logger);
    },
    async stop(opts = {}) {
      if (pruneTimer) clearInterval(pruneTimer);
      // Close the stream first: a frame that arrived now would be acked and then dropped.
      await supervisor.stop();
      const cut = await pipeline.drain(opts.drainMs ?? 10_000);
      if (cut > 0) logger.warn({ cut }, 'shutdown cut off commands still running');
      // A request still hanging must not hold the shutdown: give the pools a bounded close.
      await Promise.race([
        dingtalk.close().catch(() => {}),
        new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref()),
      ]);
      store.close();
    },
  };
}

/** How long closing the DingTalk connection pools may take at shutdown. */
const CLOSE_TIMEOUT_MS = 2_000;

interface InterruptedReport {
  intent: IntentRecord;
  rendered: RenderedReply;
}

/**
 * Crash safety, step 1 (synchronous, before the stream opens): each write that began but never
 * recorded an outcome gets its "uncertain" reply stored under its message's dedupe key, marked as
 * delivered because {@link reportInterrupted} sends it. A redelivery of that message then neither
 * runs the command again nor sends a second reply.
 */
function settleInterrupted(store: Store, config: Config): InterruptedReport[] {
  const t = createTranslator(config.locale);
  return store.intents.unfinished().map((intent) => {
    const text = t('pipeline.interrupted', {
      command: intent.command,
      chat: intent.chatId ?? '-',
      check: intent.chatId ? `/chat info ${intent.chatId}` : '/chat list',
    });
    const rendered = renderReply({ text }, { conversationType: 'direct', senderUserId: intent.userId });
    store.dedupe.finish(intent.msgKey, JSON.stringify(rendered));
    store.dedupe.markDelivered(intent.msgKey);
    return { intent, rendered };
  });
}

/**
 * Crash safety, step 2: writes that began but never recorded an outcome are reported to their
 * users (1:1) as uncertain, with a way to check. They are never replayed. One that cannot be
 * reported now stays unreported and is tried again at the next start.
 */
async function reportInterrupted(
  reports: InterruptedReport[],
  store: Store,
  dingtalk: DingTalk,
  robotCode: string,
  logger: Logger,
): Promise<void> {
  for (const { intent, rendered } of reports) {
    try {
      await dingtalk.robot.batchSendOTO({
        robotCode,
        userIds: [intent.userId],
        msgKey: rendered.openApi.msgKey,
        msgParam: rendered.openApi.msgParam,
      });
      store.intents.markReported(intent.id);
      logger.warn(
        { intent: intent.id, command: intent.command },
        'reported an interrupted write as uncertain',
      );
    } catch (err) {
      logger.error(
        { err: (err as Error).message, intent: intent.id },
        'could not report an interrupted write',
      );
    }
  }
}
