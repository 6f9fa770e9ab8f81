/**
 * Sandbox mode, what `npm start` runs without DingTalk credentials: the emulator in-process with a
 * demo org, the real bot connected to it through the real Stream path, and a terminal chat.
 * The org and the bot's database live in `<BOT_DATA_DIR>/sandbox/` between runs.
 */
import type { Readable, Writable } from 'node:stream';
import { pino } from 'pino';
import { type App, createApp } from '../app.ts';
import { policySchema } from '../bot/policy.ts';
import type { Config } from '../config.ts';
import { Emulator } from '../emulator/index.ts';
import { importOrg } from '../emulator/snapshot.ts';
import { createLogger } from '../log.ts';
import { auditKeys, openStore } from '../store/index.ts';
import { sandboxAuditKey } from './audit-key.ts';
import { ChatLoop, TerminalChat } from './chat.ts';
import { DEMO_ADMINS, DEMO_LEADS, DEMO_POLICY, START_USER, seedDemo } from './demo.ts';
import { ANSI, PLAIN } from './markdown.ts';
import { loadOrg, resetState, sandboxPaths, saveOrg, setAsideBroken } from './state.ts';

export interface SandboxOptions {
  config: Config;
  /** Forget the saved demo org and the bot's sandbox database first. */
  reset?: boolean;
  /** Defaults: process.stdin / process.stdout; `interactive` = both are terminals. */
  input?: Readable & { isTTY?: boolean };
  output?: Writable & { isTTY?: boolean };
  /** Where the two start-up lines go when not interactive (default stderr, keeping stdout a transcript). */
  errorOutput?: Writable;
  /** Colours; default: interactive and NO_COLOR unset. */
  color?: boolean;
  /** Default 30 s. */
  replyTimeoutMs?: number;
  /**
   * The sandbox owns the process (default true): SIGINT/SIGTERM end it gracefully (a second one at
   * once), and it exits even if a closing socket would keep it alive.
   */
  ownProcess?: boolean;
}

/** Runs the sandbox until end of input, `:quit` or a signal. Resolves to the exit code. */
export async function runSandbox(o: SandboxOptions): Promise<number> {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stdout;
  const errorOutput = o.errorOutput ?? process.stderr;
  const interactive = input.isTTY === true && output.isTTY === true;
  const color = o.color ?? (interactive && !o.config.noColor);
  const style = color ? ANSI : PLAIN;
  const paths = sandboxPaths(o.config.dataDir);
  // A reader that goes away (`npm start | head`) ends the session like end of input does.
  let outputGone = false;
  let onOutputGone = (): void => {};
  const outputError = (): void => {
    outputGone = true;
    onOutputGone();
  };
  output.on('error', outputError);
  const write = (s: string): void => {
    if (!outputGone) output.write(s);
  };
  const info = (s: string): void => void (interactive ? output : errorOutput).write(s);
  const ownProcess = o.ownProcess !== false;

  if (o.reset) resetState(paths);
  const saved = loadOrg(paths);
  if (saved.kind === 'unreadable') {
    const aside = setAsideBroken(paths);
    info(
      `sandbox: ${paths.org} could not be read (${saved.reason}); kept as ${aside}, starting a new demo org\n`,
    );
  }
  // Without a saved org the registry would name chats that no longer exist: start both afresh.
  if (saved.kind !== 'loaded') resetState(paths);

  const destination = pino.destination({ dest: paths.log, mkdir: true, sync: true });
  let emu: Emulator | undefined;
  let app: App | undefined;
  let started = false;
  try {
    emu = await Emulator.start({
      botJoinsCreatedChats: true,
      ...(saved.kind === 'loaded' ? { corpId: saved.snapshot.corpId } : {}),
    });
    const logger = createLogger({ level: o.config.logLevel, destination, secrets: [emu.clientSecret] });
    const admins = o.config.admins.length > 0 ? o.config.admins : [...DEMO_ADMINS];
    const leads = o.config.leads.length > 0 ? o.config.leads : [...DEMO_LEADS];
    // The sandbox seals its audit records with a key of its own, kept beside its database.
    const auditKey = sandboxAuditKey(paths.dir);
    const store = openStore({ dataDir: paths.dir, auditKeys: auditKeys(auditKey) });
    if (saved.kind === 'loaded') importOrg(emu.org, saved.snapshot);
    else await seedDemo(emu.org, store.registry);
    const config: Config = {
      ...o.config,
      credentials: { clientId: emu.clientId, clientSecret: emu.clientSecret },
      apiBase: emu.baseUrl,
      oapiBase: emu.baseUrl,
      robotCode: emu.robotCode,
      admins,
      leads,
      dataDir: paths.dir,
      auditKey,
    };
    try {
      app = createApp({
        config,
        logger,
        store,
        // A policy file given wins; otherwise the demo's, which ships a chat template.
        ...(config.policyFile === undefined ? { policy: policySchema.parse(DEMO_POLICY) } : {}),
        stream: { drainMs: 1_000, backoff: { initialMs: 200, maxMs: 2_000 } },
        pipeline: { commandTimeoutMs: 20_000 },
      });
    } catch (err) {
      await store.close();
      throw err;
    }
    await app.start();
    started = true;
    saveOrg(paths, emu.org);

    const startUser = emu.org.user(START_USER) ? START_USER : (emu.org.users()[0]?.userId ?? START_USER);
    const chat = new TerminalChat({
      driver: emu,
      roles: { admins, leads },
      startUser,
      write,
      style,
      interactive,
      replyTimeoutMs: o.replyTimeoutMs ?? 30_000,
      qr: interactive,
      logFile: paths.log,
      afterMessage: () => saveOrg(paths, (emu as Emulator).org),
    });
    info(
      `${style.bold('dingtalk-group-bot sandbox')}: no DINGTALK_CLIENT_ID set, so the bot talks to an in-process DingTalk; you are ${startUser} in a 1:1 chat, try /help.\n` +
        `Type :help for sandbox commands, :quit or Ctrl-D to leave. State: ${paths.dir} (npm start -- --reset forgets it).\n\n`,
    );
    let interrupts = 0;
    const onSignal = (): void => {
      interrupts += 1;
      if (interrupts === 1) {
        loop.stop();
        return;
      }
      saveOrg(paths, (emu as Emulator).org);
      destination.flushSync();
      process.exit(1);
    };
    const loop = new ChatLoop(chat, { input, output, interactive, onInterrupt: onSignal });
    onOutputGone = () => loop.stop();
    if (ownProcess) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    try {
      await loop.run();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  } catch (err) {
    const what = started ? 'stopped on an error' : 'could not start';
    info(`sandbox: ${what}: ${(err as Error).message} (log: ${paths.log})\n`);
    return 1;
  } finally {
    await app?.stop({ drainMs: 2_000 }).catch(() => {});
    if (emu) {
      try {
        saveOrg(paths, emu.org);
      } catch (err) {
        info(`sandbox: could not save ${paths.org}: ${(err as Error).message}\n`);
      }
      await emu.stop().catch(() => {});
    }
    destination.flushSync();
    // Whatever still holds the event loop (a socket closing slowly) must not keep us alive.
    if (ownProcess) setTimeout(() => process.exit(process.exitCode ?? 0), 1_000).unref();
  }
}
