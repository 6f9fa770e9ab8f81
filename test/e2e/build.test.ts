/**
 * The production form: `npm run build` bundles `src/prod.ts` into `dist/main.js`, and plain node
 * runs the bundle. It is live mode only: against the emulator it answers a command and stops
 * cleanly on SIGTERM; without credentials it exits 1 with one line instead of running the sandbox.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/emulator/index.ts';
import { TEST_USERS } from '../helpers/harness.ts';

const run = promisify(execFile);

/** The child's environment: this one without any DINGTALK_* or BOT_* from the outside. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const k of Object.keys(env)) if (k.startsWith('DINGTALK_') || k.startsWith('BOT_')) delete env[k];
  return { ...env, ...extra };
}

describe('npm run build', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-build-'));
  beforeAll(async () => {
    await run('npm', ['run', 'build', '--silent']);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('bundles the live bot only: neither the sandbox nor the emulator is in dist/main.js', () => {
    const bundle = readFileSync('dist/main.js', 'utf8');
    expect(bundle).toContain('// src/app.ts');
    expect(bundle).not.toContain('// src/sandbox/');
    expect(bundle).not.toContain('// src/emulator/');
  });

  it('without credentials exits 1 with one line naming the missing variables and npm start', async () => {
    // cwd is a fresh folder so that no .env of the developer's supplies credentials.
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/main.js')], {
      cwd: dataDir,
      env: cleanEnv({ BOT_DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(out).toBe('');
    const lines = err.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are not set');
    expect(lines[0]).toContain('`npm start` runs the sandbox');
  });

  describe('with credentials', () => {
    let emu: Emulator;
    beforeAll(async () => {
      emu = await Emulator.start({ users: TEST_USERS });
    });
    afterAll(() => emu.stop());

    it('node runs the bundle without a TypeScript loader: it answers, and exits 0 on SIGTERM', async () => {
      const child = spawn(process.execPath, ['dist/main.js'], {
        env: cleanEnv({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_LEADS: 'lead1' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
      });
      await emu.waitFor(() => out.includes('bot is ready'), 20_000);
      const [reply] = await emu.say('lead1', '/whoami');
      expect(reply?.text).toContain('userId: lead1');
      expect(reply?.text).toContain('lead');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('"msg":"stopped"');
    });
  });
});
