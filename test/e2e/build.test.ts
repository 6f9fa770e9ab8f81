/**
 * The production form: `npm run build` bundles the bot, and plain node runs the bundle (here in
 * sandbox mode through a pipe, which exercises main, config, the lazy sandbox import, the
 * emulator, the Stream path and a command).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run build', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-build-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('bundles the bot, and node runs the bundle without a TypeScript loader', async () => {
    await run('npm', ['run', 'build', '--silent']);
    const env: NodeJS.ProcessEnv = { ...process.env, BOT_DATA_DIR: dataDir, NODE_OPTIONS: '' };
    for (const k of Object.keys(env)) if (k.startsWith('DINGTALK_')) delete env[k];
    const child = spawn(process.execPath, ['dist/main.js'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stdin.end('/whoami\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('lead1@dm> /whoami');
    expect(out).toContain('userId: lead1');
  });
});
