/**
 * The README's sample sandbox session, replayed as written: every line typed there is typed
 * into a fresh sandbox, and every reply must read as the README prints it (ids, codes, links and
 * dates aside). The session confirms a removal, and a confirmation code is random, so it runs in
 * two sandbox starts on one data folder: up to the `/confirm`, then (the code read from the first
 * run's reply, the group entered again) the rest.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runScript } from './run.ts';

interface Step {
  prompt: string;
  input: string;
  output: string;
}

const PROMPT = /^(\S+@[^>\n]+)> (.*)$/;

/** The transcript as steps: each typed line with what followed it up to the next prompt. */
function steps(transcript: string): { banner: string; steps: Step[] } {
  const out: Step[] = [];
  const banner: string[] = [];
  for (const line of transcript.split('\n')) {
    const m = PROMPT.exec(line);
    if (m) out.push({ prompt: m[1] ?? '', input: m[2] ?? '', output: '' });
    else if (out.length === 0) banner.push(line);
    else (out.at(-1) as Step).output += `${line}\n`;
  }
  for (const s of out) s.output = s.output.trim();
  return { banner: banner.join('\n').trim(), steps: out };
}

/** What differs from run to run: ids, confirmation codes, join links, dates, the data folder. */
function normal(text: string): string {
  return text
    .replace(/chat[0-9a-f]{32}/g, 'CHATID')
    .replace(/cid[A-Za-z0-9+/]{10,}={0,2}/g, 'CID')
    .replace(/code=v1,k1,[^&\s>]+/g, 'code=JOIN')
    .replace(/(confirm |Confirm )[A-Z0-9]{6}/g, '$1CODE')
    .replace(/\d{4}-\d{2}-\d{2}/g, 'DATE')
    .replace(/State: \S+ \(/g, 'State: DIR (');
}

function readmeSession(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('### A sandbox session');
  const start = readme.indexOf('```text\n', at) + '```text\n'.length;
  return readme.slice(start, readme.indexOf('\n```', start));
}

describe("the README's sandbox session", () => {
  const dir = mkdtempSync(join(tmpdir(), 'readme-session-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as written', async () => {
    const readme = steps(readmeSession());
    const confirmAt = readme.steps.findIndex((s) => s.input.startsWith('/confirm '));
    expect(confirmAt).toBeGreaterThan(0);
    const before = readme.steps.slice(0, confirmAt);
    const after = readme.steps.slice(confirmAt);
    const group = [...before].reverse().find((s) => s.input.startsWith(':group '));
    expect(group).toBeDefined();

    const first = await runScript(dir, `${before.map((s) => s.input).join('\n')}\n:quit\n`, {
      args: ['--reset'],
      timeoutMs: 60_000,
    });
    expect(first.code).toBe(0);
    const run1 = steps(first.stdout);
    const code = /\/confirm ([A-Z0-9]{6})/.exec(run1.steps.at(-2)?.output ?? '')?.[1];
    expect(code).toBeDefined();

    const script = [group?.input, ...after.map((s) => s.input.replace(/^\/confirm \S+/, `/confirm ${code}`))];
    const second = await runScript(dir, `${script.join('\n')}\n`, { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    const run2 = steps(second.stdout);

    // Run 1 without its :quit, run 2 without its re-entering of the group.
    const actual = [...run1.steps.slice(0, -1), ...run2.steps.slice(1)];
    // The banner goes to stderr (with the logs), the chat to stdout.
    const banner = first.stderr
      .split('\n')
      .filter((l) => l.startsWith('dingtalk-group-bot sandbox:') || l.startsWith('Type :help'))
      .join('\n');
    expect(normal(banner)).toBe(normal(readme.banner));
    expect(run1.banner).toBe('');
    expect(actual.map((s) => `${s.prompt}> ${s.input}\n${normal(s.output)}`)).toEqual(
      readme.steps.map(
        (s) => `${s.prompt}> ${s.input.replace(/^\/confirm \S+/, `/confirm ${code}`)}\n${normal(s.output)}`,
      ),
    );
  }, 150_000);
});
