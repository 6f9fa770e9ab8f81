/**
 * `:as` in the sandbox takes the name DingTalk shows for a user (the directory name, which /whoami
 * calls the nick), and says it back: `:as 李伟` is lead1, and lead1 is shown as 李伟, not by the
 * one-word mention nick. A name two people share is listed, not guessed (issue 20).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replyTo, runScript, turns } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'dgb-sandbox-as-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sandbox :as by the name DingTalk shows', () => {
  it('accepts and shows the directory name; lists namesakes', { timeout: 60_000 }, async () => {
    const script = [
      ':as alice',
      ':as 李伟',
      '/whoami',
      ':as "Alice Wang"',
      ':as 张伟',
      ':as 陈可',
      ':as Fang Lin',
      ':as Lee',
      ':as nobody',
      ':as',
    ].join('\n');
    const r = await runScript(dir, `${script}\n`);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(replyTo(out, ':as alice')).toContain('[sandbox] now alice (Alice Wang, role everyone)');
    expect(replyTo(out, ':as 李伟')).toContain(
      '[sandbox] now lead1 (李伟, role lead), 1:1 chat with DemoBot',
    );
    // What /whoami calls the nick is what :as took and showed.
    expect(replyTo(out, '/whoami')).toContain('• nick: 李伟');
    const users = turns(out).map((t) => `${t.user}> ${t.line}`);
    expect(users).toEqual([
      'lead1> :as alice',
      'alice> :as 李伟',
      'lead1> /whoami',
      'lead1> :as "Alice Wang"',
      'lead1> :as 张伟',
      'lead1> :as 陈可',
      'carol> :as Fang Lin',
      'lead2> :as Lee',
      'lead1> :as nobody',
      'lead1> :as',
    ]);
    const alices = replyTo(out, ':as "Alice Wang"');
    expect(alices).toContain('Alice Wang is 2 users: alice (');
    expect(alices).toContain('; alice2 (');
    expect(alices).toContain(':as <userId> picks one');
    expect(replyTo(out, ':as 张伟')).toMatch(/张伟 is 2 users: zhangwei1 \(.*; zhangwei2 \(/);
    expect(replyTo(out, ':as 陈可')).toContain('now carol (陈可, role everyone)');
    expect(replyTo(out, ':as Fang Lin')).toContain('now lead2 (林芳, role lead)');
    // The one-word mention nick still works, and the reply shows the DingTalk name.
    expect(replyTo(out, ':as Lee')).toContain('now lead1 (李伟, role lead)');
    expect(replyTo(out, ':as nobody')).toContain('no user nobody; users: admin1 (Ada Zhao), lead1 (李伟)');
    expect(replyTo(out, ':as')).toContain('you are lead1 (李伟)');
  });
});
