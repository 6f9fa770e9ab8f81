import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run emulator', () => {
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
    const env = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
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
});
