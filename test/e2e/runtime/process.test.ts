/**
 * The bot as an operator runs it: a child process started like `npm start`, against the
 * emulator. Start-up, refused credentials, SIGTERM (graceful: finish, close, exit 0), SIGKILL in
 * the middle of a write (crash safety: reported as uncertain, never replayed), and a gateway that
 * is down when the bot starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Emulator, type SentReply } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, start, startBot } from './child.ts';

const WRITES = new Set(['chat.update', 'im.group.update']);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dgb-proc-'));
}

describe('the bot process: npm start against the standalone emulator', () => {
  const children: Child[] = [];
  afterAll(() => {
    for (const c of children) c.killGroup('SIGKILL');
  });

  it('starts, answers a message sent through /_emulator/say, and shuts down cleanly on SIGTERM', async () => {
    const emu = start(
      process.execPath,
      ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0'],
      {},
      { group: true },
    );
    children.push(emu);
    await emu.line(/^# emulator on/);
    const env = Object.fromEntries(
      emu.out
        .filter((l) => l.startsWith('DINGTALK_'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(env).sort()).toEqual([
      'DINGTALK_API_BASE',
      'DINGTALK_CLIENT_ID',
      'DINGTALK_CLIENT_SECRET',
      'DINGTALK_OAPI_BASE',
    ]);
    const base = env.DINGTALK_API_BASE;
    const dataDir = tempDir();
    const bot = start(
      'npm',
      ['start', '--silent'],
      { ...env, BOT_DATA_DIR: dataDir, BOT_LEADS: 'alice' },
      { group: true },
    );
    children.push(bot);
    await bot.line(READY);

    const said = await fetch(`${base}/_emulator/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'alice', text: '/whoami' }),
    });
    expect(said.status).toBe(200);
    const { msgId } = (await said.json()) as { msgId: string };
    let reply: SentReply | undefined;
    for (let i = 0; i < 400 && !reply; i++) {
      const all = (await (await fetch(`${base}/_emulator/replies`)).json()) as SentReply[];
      reply = all.find((r) => r.msgId === msgId);
      if (!reply) await new Promise((r) => setTimeout(r, 50));
    }
    expect(reply?.text).toContain('alice');
    expect(reply?.text).toContain('lead');

    // As a terminal (Ctrl-C) or a container stop does: the signal goes to npm, tsx and the bot.
    // npm itself then exits 143 whatever the script does (npm's behaviour), so the bot's own
    // graceful exit is checked by its log here and by its exit code in the tests below.
    bot.killGroup('SIGTERM');
    await bot.exit();
    // npm may exit before the bot has finished: wait until the bot's output closes too.
    await bot.closed();
    expect(bot.out.join('\n')).toContain('"msg":"shutting down"');
    expect(bot.out.join('\n')).toContain('"msg":"stopped"');
    expect(bot.out.join('\n')).not.toContain('exiting now');
    // The secret never reaches the log.
    expect(bot.out.join('\n')).not.toContain(env.DINGTALK_CLIENT_SECRET);
    emu.killGroup('SIGTERM');
    await emu.exit();
    rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('the bot process against an in-process emulator', () => {
  let emu: Emulator;
  let dataDir: string;
  let bot: Child | undefined;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
  });
  afterAll(async () => {
    await emu?.stop();
  });
  afterEach(() => {
    bot?.proc.kill('SIGKILL');
    bot = undefined;
    emu.faults.gateway = 'ok';
    emu.faults.latencyByEndpoint = {};
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    ...emu.env(),
    BOT_DATA_DIR: dataDir,
    BOT_ADMINS: 'admin1',
    BOT_LEADS: 'lead1,lead2',
    ...extra,
  });
  const writesTo = (chatId: string) =>
    emu.requests.filter((r) => WRITES.has(r.endpoint) && (r.body as { chatid?: string }).chatid === chatId);
  const liveConnections = () => emu.connections().filter((c) => c.open && !c.goingAway);

  it('a wrong secret: exits 1 after a bounded number of tries, saying the credentials were refused', async () => {
    dataDir = tempDir();
    const opens = emu.requests.filter((r) => r.endpoint === 'gateway.open').length;
    bot = startBot(env({ DINGTALK_CLIENT_SECRET: 'not-the-secret-123456' }));
    expect((await bot.exit()).code).toBe(1);
    // main.ts MAX_AUTH_FAILURES = 3
    expect(emu.requests.filter((r) => r.endpoint === 'gateway.open').length - opens).toBe(3);
    const fatal = bot.out.find((l) => l.includes('"level":60'));
    expect(fatal).toContain('DINGTALK_CLIENT_SECRET');
    expect(bot.out.join('\n')).not.toContain('not-the-secret-123456');
  });

  it('SIGTERM: stops taking messages, finishes the running command, exits 0; the next start answers what waited', async () => {
    dataDir = tempDir();
    const c = emu.org.addChat({ name: 'Graceful', owner: 'lead1', members: ['lead1'], botInChat: true });
    bot = startBot(env());
    await bot.line(READY);
    emu.faults.latencyByEndpoint = { 'im.group.update': 1_500, 'chat.update': 1_500 };
    const rename = emu.buildMessage('lead1', `/chat rename ${c.chatId} Graceful2`);
    emu.deliver(rename);
    await emu.waitFor(() => writesTo(c.chatId).find((r) => r.status === 0));
    bot.kill('SIGTERM');
    // It lets go of the Stream first: a message sent now waits at DingTalk instead of being
    // acked by a process that is going away.
    await emu.waitFor(() => liveConnections().length === 0);
    const waiting = emu.buildMessage('bob', '/whoami');
    emu.deliver(waiting);
    expect(emu.stream.queued()).toBe(1);
    expect(await bot.exit()).toEqual({ code: 0, signal: null });
    // The running rename finished and was answered before the exit.
    const done = emu.replies.filter((r) => r.msgId === rename.msgId);
    expect(done).toHaveLength(1);
    expect(done[0]?.text).toContain('Renamed');
    expect(emu.org.chat(c.chatId)?.name).toBe('Graceful2');
    expect(bot.out.some((l) => l.includes('"msg":"stopped"'))).toBe(true);

    const replies = emu.replies.length;
    bot = startBot(env());
    await bot.line(READY);
    await emu.waitFor(() => emu.replies.find((r) => r.msgId === waiting.msgId), 10_000);
    bot.kill('SIGTERM');
    expect((await bot.exit()).code).toBe(0);
    // Nothing was reported as interrupted: the rename had finished.
    expect(emu.replies.slice(replies).filter((r) => r.via === 'oto')).toEqual([]);
    expect(writesTo(c.chatId)).toHaveLength(1);
  });

  it('SIGKILL during a write: after a restart the user is told it is uncertain, and DingTalk never gets it twice', async () => {
    dataDir = tempDir();
    const c = emu.org.addChat({ name: 'Crashy', owner: 'lead1', members: ['lead1'], botInChat: true });
    bot = startBot(env());
    await bot.line(READY);
    // Long enough that the kill surely lands while the write is at DingTalk.
    emu.faults.latencyByEndpoint = { 'im.group.update': 2_000, 'chat.update': 2_000 };
    const rename = emu.buildMessage('lead1', `/chat rename ${c.chatId} Crashed`);
    emu.deliver(rename);
    await emu.waitFor(() => writesTo(c.chatId).find((r) => r.status === 0));
    bot.kill('SIGKILL');
    expect((await bot.exit()).signal).toBe('SIGKILL');
    // DingTalk did the rename; the bot never heard back.
    await emu.waitFor(() => emu.org.chat(c.chatId)?.name === 'Crashed');
    expect(emu.replies.filter((r) => r.msgId === rename.msgId)).toEqual([]);

    const replies = emu.replies.length;
    bot = startBot(env());
    await bot.line(READY);
    // The message is answered (its webhook, still valid) with the uncertain outcome.
    const report = await emu.waitFor(() => emu.replies.slice(replies).find((r) => r.msgId === rename.msgId));
    expect(report.text).toContain('chat rename');
    expect(report.text).toContain(`/chat info ${c.chatId}`);
    expect(report.text).toMatch(/do not know whether/);
    // DingTalk redelivers the message: it is neither run again nor answered a second time.
    const copy = emu.deliver(rename);
    await emu.waitFor(() => emu.acks.find((a) => a.messageId === copy.messageId));
    expect((await emu.say('lead1', '/whoami'))[0]?.text).toContain('lead1');
    bot.kill('SIGTERM');
    expect((await bot.exit()).code).toBe(0);
    expect(writesTo(c.chatId)).toHaveLength(1);
    expect(emu.replies.slice(replies).filter((r) => r.text.includes('chat rename'))).toHaveLength(1);

    // Reported once: the next start does not report it again.
    const later = emu.replies.length;
    bot = startBot(env());
    await bot.line(READY);
    expect((await emu.say('lead1', '/whoami'))[0]?.text).toContain('lead1');
    expect(emu.replies.slice(later).filter((r) => r.text.includes('do not know whether'))).toEqual([]);
    bot.kill('SIGTERM');
    expect((await bot.exit()).code).toBe(0);
  });

  it('gateway down when the bot starts: the process waits and retries (does not exit), then answers', async () => {
    dataDir = tempDir();
    emu.faults.gateway = 'down';
    bot = startBot(env());
    await bot.line(/"attempt":2,"msg":"stream connect failed"/);
    expect(bot.proc.exitCode).toBe(null);
    emu.faults.gateway = 'ok';
    await bot.line(READY);
    expect((await emu.say('alice', '/whoami'))[0]?.text).toContain('alice');
    bot.kill('SIGINT');
    expect(await bot.exit()).toEqual({ code: 0, signal: null });
  });
});
