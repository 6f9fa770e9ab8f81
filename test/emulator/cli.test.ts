/**
 * `npm run emulator`: the settings it prints, and the examples of its `--help` and of README's
 * "The emulator on its own" run as written: the steps are read from those texts (only the port
 * and the demo group's chatId filled in), with the real bot started against the emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SentReply } from '../../src/emulator/index.ts';
import { type Child, READY, ROOT, start } from '../e2e/runtime/child.ts';

interface Step {
  method: 'GET' | 'POST';
  /** path and query, e.g. `/_emulator/say` */
  path: string;
  body: unknown;
}

/** Joins `\`-continued lines, as the shell does. */
function shellLines(text: string): string[] {
  return text.replace(/\\\n\s*/g, ' ').split('\n');
}

/** The curl commands of a text, in order, with `port` and `chatId` put in for their placeholders. */
function curlSteps(text: string, placeholders: Record<string, string>): Step[] {
  const steps: Step[] = [];
  for (let line of shellLines(text)) {
    for (const [k, v] of Object.entries(placeholders)) line = line.replaceAll(k, v);
    const m = /^\s*curl -s (-XPOST )?localhost:\d+(\/\S*)(?:\s+-H '[^']*')?(?:\s+-d '([^']*)')?/.exec(line);
    if (!m) continue;
    steps.push({
      method: m[1] ? 'POST' : 'GET',
      path: m[2] as string,
      body: m[3] === undefined ? undefined : JSON.parse(m[3]),
    });
  }
  return steps;
}

/** README's "The emulator on its own" section. */
function readmeSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('## The emulator on its own');
  expect(from).toBeGreaterThan(0);
  return readme.slice(from, readme.indexOf('\n## ', from + 1));
}

function settings(out: string[]): Record<string, string> {
  return Object.fromEntries(
    out
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

async function call(base: string, step: Step): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${step.path}`, {
    method: step.method,
    ...(step.body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(step.body) }),
  });
  return { status: res.status, json: await res.json() };
}

async function replyTo(base: string, msgId: string): Promise<SentReply> {
  for (let i = 0; i < 200; i++) {
    const all = (await (await fetch(`${base}/_emulator/replies`)).json()) as SentReply[];
    const found = all.find((r) => r.msgId === msgId);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no reply to ${msgId}`);
}

interface DemoChat {
  chatId: string;
  name: string;
  owner: string;
  members: string[];
  admins: string[];
  botInChat: boolean;
}

describe('npm run emulator', () => {
  const children: Child[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.killGroup('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** The emulator CLI on a free port: its base URL, printed settings and demo group. */
  async function startEmulator(): Promise<{
    emu: Child;
    base: string;
    env: Record<string, string>;
    chatId: string;
  }> {
    const emu = start(
      process.execPath,
      ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0'],
      {},
      { group: true },
    );
    children.push(emu);
    const banner = await emu.line(/^# emulator on/);
    const env = settings(emu.out);
    const chatId =
      /demo group (chat[0-9a-f]{32}) \(Demo group, owner alice, members alice, bob, carol\)/.exec(
        banner,
      )?.[1];
    expect(chatId).toBeDefined();
    return { emu, base: env.DINGTALK_API_BASE as string, env, chatId: chatId as string };
  }

  /** `npm start` with `env` (a fresh data folder) until it is connected. */
  async function startBot(env: Record<string, string>): Promise<Child> {
    const dataDir = mkdtempSync(join(tmpdir(), 'dgb-emucli-'));
    dirs.push(dataDir);
    const bot = start('npm', ['start', '--silent'], { ...env, BOT_DATA_DIR: dataDir }, { group: true });
    children.push(bot);
    await bot.line(READY, 30_000);
    return bot;
  }

  /** Runs the documented `say` steps and checks each reply; returns the demo group as it ends. */
  async function runSays(base: string, steps: Step[], chatId: string): Promise<DemoChat> {
    const says = steps.filter((s) => s.path === '/_emulator/say');
    expect(says.map((s) => (s.body as { text: string }).text)).toEqual([
      '/whoami',
      `/chat link ${chatId}`,
      '/chat admin add @bob',
    ]);
    const texts: string[] = [];
    for (const step of says) {
      const said = await call(base, step);
      expect(said.status).toBe(200);
      texts.push((await replyTo(base, (said.json as { msgId: string }).msgId)).text ?? '');
    }
    expect(texts[0]).toContain('userId: alice');
    expect(texts[0]).toContain('role: lead');
    expect(texts[1]).toContain('Linked **Demo group**');
    expect(texts[1]).not.toContain('I do not know this group yet');
    expect(texts[2]).toContain('bob');
    expect(texts[2]).not.toContain('I do not know this group yet');
    const replies = await call(base, steps.find((s) => s.path === '/_emulator/replies') as Step);
    expect((replies.json as SentReply[]).length).toBeGreaterThanOrEqual(3);
    const state = await call(base, steps.find((s) => s.path === '/_emulator/state') as Step);
    const demo = (state.json as { chats: DemoChat[] }).chats.find((c) => c.chatId === chatId) as DemoChat;
    expect(demo.admins).toEqual(['bob']);
    return demo;
  }

  it('prints the settings, injects a message through /_emulator/say and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('# emulator on') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const env = settings(out.split('\n'));
    expect(Object.keys(env)).toEqual([
      'DINGTALK_CLIENT_ID',
      'DINGTALK_CLIENT_SECRET',
      'DINGTALK_API_BASE',
      'DINGTALK_OAPI_BASE',
    ]);
    expect(env.DINGTALK_API_BASE).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${env.DINGTALK_API_BASE}/_emulator/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'alice', text: '/help' }),
    });
    const json = (await res.json()) as { msgId: string; payload: { text: { content: string } } };
    expect(res.status).toBe(200);
    expect(json.payload.text.content).toBe('/help');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it("README's steps work as written: a bot with BOT_LEADS=alice links the demo group and changes it", async () => {
    const section = readmeSection();
    const { base, chatId } = await startEmulator();
    const port = new URL(base).port;
    // The bot's command line, with the README's port 8788 replaced by the one the emulator got.
    const botLine = shellLines(section).find((l) => l.trim().endsWith('npm start'));
    expect(botLine).toBeDefined();
    const env = Object.fromEntries(
      (botLine as string)
        .trim()
        .replace(/ npm start$/, '')
        .split(/\s+/)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1).replaceAll('8788', port)]),
    );
    expect(env.BOT_LEADS).toBe('alice');
    await startBot(env);
    const steps = curlSteps(section, { CHATID: chatId });
    await runSays(base, steps, chatId);
  }, 90_000);

  it("--help's steps work as written, and /_emulator/bot takes the bot out of a chat and puts it back", async () => {
    const help = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', '--help'], { cwd: ROOT });
      let out = '';
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      c.on('close', () => resolve(out));
    });
    expect(help).toContain('BOT_LEADS=alice');
    const { base, env, chatId } = await startEmulator();
    await startBot({ ...env, BOT_LEADS: 'alice' });
    const steps = curlSteps(help, { PORT: new URL(base).port, CHATID: chatId });
    const demo = await runSays(base, steps, chatId);
    expect(demo.botInChat).toBe(true);

    const out = steps.find((s) => s.path === '/_emulator/bot') as Step;
    expect(out.body).toEqual({ chat: chatId, in: false });
    expect(await call(base, out)).toEqual({ status: 200, json: { chatId, botInChat: false } });
    const refused = await call(base, {
      method: 'POST',
      path: '/_emulator/say',
      body: { from: 'alice', text: '/whoami', chat: chatId },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('the bot is not in chat');
    const back = await call(base, { ...out, body: { chat: chatId, in: true } });
    expect(back).toEqual({ status: 200, json: { chatId, botInChat: true } });
    const bad = await call(base, { ...out, body: { chat: chatId, in: 'yes' } });
    expect(bad.status).toBe(400);
    expect((await call(base, { ...out, body: { chat: 'chatnope', in: true } })).status).toBe(400);

    // A chat the bot creates contains the bot: a group message into it is answered.
    const created = await call(base, {
      method: 'POST',
      path: '/_emulator/say',
      body: { from: 'alice', text: '/chat create "Team" bob' },
    });
    const createdReply = await replyTo(base, (created.json as { msgId: string }).msgId);
    const newId = /chat[0-9a-f]{32}/.exec(createdReply.text ?? '')?.[0] as string;
    expect(newId).toBeDefined();
    const inNew = await call(base, {
      method: 'POST',
      path: '/_emulator/say',
      body: { from: 'alice', text: '/chat info', chat: newId },
    });
    expect(inNew.status).toBe(200);
    expect((await replyTo(base, (inNew.json as { msgId: string }).msgId)).text).toContain('Team');
  }, 90_000);
});
