/**
 * `npm start` without credentials, as a script would use it: lines piped in, replies printed,
 * exit 0 at end of input; the demo org kept between runs and forgotten with --reset.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replyTo, runScript, spawnSandbox, turns } from './run.ts';

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dgb-sandbox-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const CHAT_ID = /chat[0-9a-f]{32}/;
/** Each run starts node, tsx, the emulator and the bot: about 2 s, more on a busy machine. */
const SPAWN_TIMEOUT = { timeout: 60_000 };

describe('sandbox through a pipe', () => {
  it('runs a script of commands as several users, in 1:1 and in a group', SPAWN_TIMEOUT, async () => {
    const dir = dataDir();
    const script = [
      '# a comment, then a blank line: both skipped',
      '',
      '/help',
      '/whoami',
      '/chat create "Design Review" alice bob',
      '/chat add #"Design Review" carol',
      '/chat qr #"Design Review"',
      ':as alice',
      '/chat add #"Design Review" dave',
      ':as lead1',
      ':group Design Review',
      '/whoami',
      '/chat admin add here @alice',
      '/拉人 here dave',
      '/群信息',
      ':dm',
      '/我的群',
      ':quit',
      '/whoami',
    ].join('\n');
    const r = await runScript(dir, `${script}\n`);
    expect(r.code, r.stderr).toBe(0);
    const { stdout } = r;

    // Two lines on stderr say what this is and how to leave; stdout is only the transcript.
    expect(r.stderr).toContain('dingtalk-group-bot sandbox');
    expect(r.stderr).toContain(':quit or Ctrl-D to leave');
    expect(stdout).not.toContain('sandbox: no DINGTALK');
    // The bot's logs go to a file, not the terminal.
    expect(stdout).not.toContain('"level"');
    const log = readFileSync(join(dir, 'sandbox', 'sandbox.log'), 'utf8');
    expect(log).toContain('"command":"chat create"');

    const t = turns(stdout);
    expect(t.map((x) => x.line)).toEqual([
      '/help',
      '/whoami',
      '/chat create "Design Review" alice bob',
      '/chat add #"Design Review" carol',
      '/chat qr #"Design Review"',
      ':as alice',
      '/chat add #"Design Review" dave',
      ':as lead1',
      ':group Design Review',
      '/whoami',
      '/chat admin add here @alice',
      '/拉人 here dave',
      '/群信息',
      ':dm',
      '/我的群',
      ':quit',
    ]);
    expect(t[0]).toMatchObject({ user: 'lead1', where: 'dm' });

    const help = replyTo(stdout, '/help');
    expect(help).toContain('/chat create "<name>"');
    expect(help).toContain('• /whoami');
    expect(help).not.toContain('/audit');
    expect(help).not.toContain('**');

    expect(replyTo(stdout, '/whoami')).toMatch(/userId: lead1[\s\S]*role: lead/);

    const created = replyTo(stdout, '/chat create "Design Review" alice bob');
    expect(created).toContain('Created Design Review with 3 members; owner 李伟 (lead1).');
    const chatId = CHAT_ID.exec(created)?.[0] as string;
    expect(chatId).toBeDefined();
    expect(created).toMatch(/Join Design Review <https:\/\/qr\.dingtalk\.com\/\S+>/);

    expect(replyTo(stdout, '/chat add #"Design Review" carol')).toContain(
      'Added 1 to Design Review: 陈可 (carol).',
    );
    expect(replyTo(stdout, '/chat qr #"Design Review"')).toMatch(
      /Join Design Review <https:\/\/qr\.dingtalk\.com\/action\/joingroup\?\S+>/,
    );

    expect(replyTo(stdout, ':as alice')).toContain('now alice');
    const refused = t.find((x) => x.user === 'alice' && x.line.startsWith('/chat add'));
    expect(refused?.out).toContain('needs the role lead');

    expect(replyTo(stdout, ':group Design Review')).toContain('lead1 in Design Review');
    const inGroup = t.filter((x) => x.where === 'Design Review').map((x) => x.line);
    expect(inGroup).toEqual(['/whoami', '/chat admin add here @alice', '/拉人 here dave', '/群信息', ':dm']);
    expect(replyTo(stdout, '/whoami', 1)).toContain(`chatId: ${chatId} (Design Review)`);

    // @alice became a DingTalk mention of alice (a member), not a typed word.
    const admin = replyTo(stdout, '/chat admin add here @alice');
    expect(admin).toContain('Made admins of Design Review: Alice Wang (alice).');
    expect(admin).not.toContain('Not in the chat');

    // A Chinese alias answers in Chinese.
    expect(replyTo(stdout, '/拉人 here dave')).toContain('已把 1 人拉进 Design Review：Dave Zhou (dave)');
    expect(replyTo(stdout, '/群信息')).toContain(
      '成员（5 人）：李伟 (lead1), Alice Wang (alice), Bob Li (bob), 陈可 (carol), Dave Zhou (dave)',
    );
    const mine = replyTo(stdout, '/我的群');
    expect(mine).toContain('你的群（2 个）');
    expect(mine).toContain('Design Review');
    expect(mine).toContain('Platform Team');
  });

  it('keeps the demo org between runs, and --reset forgets it', SPAWN_TIMEOUT, async () => {
    const dir = dataDir();
    const first = await runScript(
      dir,
      [
        '/chat create "Keep Me" alice bob',
        '/chat set #"Keep Me" searchable=on',
        '/chat nick #"Keep Me" alice Ali',
        '/chat add #"Platform Team" dave',
      ].join('\n'),
    );
    expect(first.code, first.stderr).toBe(0);
    const chatId = CHAT_ID.exec(replyTo(first.stdout, '/chat create "Keep Me" alice bob'))?.[0] as string;
    expect(replyTo(first.stdout, '/chat nick #"Keep Me" alice Ali')).not.toMatch(/error|incident/i);
    const saved = readFileSync(join(dir, 'sandbox', 'sandbox-org.json'), 'utf8');
    expect(saved).toContain(chatId);
    expect(saved).toContain('"Ali"');

    const second = await runScript(
      dir,
      ['/chat info #"Keep Me"', ':group Keep Me', '/whoami', ':dm', '/chat info #"Platform Team"'].join('\n'),
    );
    expect(second.code, second.stderr).toBe(0);
    const info = replyTo(second.stdout, '/chat info #"Keep Me"');
    expect(info).toContain(`chatId: ${chatId}`);
    expect(info).toContain('searchable: on');
    expect(info).toContain('members (3): 李伟 (lead1), Alice Wang (alice), Bob Li (bob)');
    // The org and the bot's registry still agree on the chat's ids, so `here` works in it.
    expect(replyTo(second.stdout, '/whoami')).toContain(`chatId: ${chatId} (Keep Me)`);
    expect(replyTo(second.stdout, '/chat info #"Platform Team"')).toContain('dave');

    const reset = await runScript(dir, ['/chat list', ':group Keep Me'].join('\n'), { args: ['--reset'] });
    expect(reset.code, reset.stderr).toBe(0);
    const list = replyTo(reset.stdout, '/chat list');
    expect(list).toContain('Platform Team');
    expect(list).not.toContain('Keep Me');
    expect(replyTo(reset.stdout, ':group Keep Me')).toContain('no group Keep Me');
  });

  it('saves the org and exits 0 on SIGTERM', SPAWN_TIMEOUT, async () => {
    const dir = dataDir();
    const child = spawnSandbox(dir);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const until = async (ok: () => boolean): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => stderr.includes(':quit or Ctrl-D'));
      child.stdin.write('/chat create "Signal Test" bob\n');
      await until(() => stdout.includes('Created Signal Test'));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    expect(readFileSync(join(dir, 'sandbox', 'sandbox-org.json'), 'utf8')).toContain('Signal Test');
  });
});
