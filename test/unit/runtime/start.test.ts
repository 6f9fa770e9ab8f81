/**
 * Start-up mistakes answered in words (issue 20, item 3): an unknown flag is refused with the
 * known ones, and `npm run start:prod` before a build says what to run.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { unknownFlags } from '../../../src/entry.ts';

const run = promisify(execFile);

describe('start-up flags', () => {
  it('refuses a typo of --reset with the list of known flags', () => {
    expect(unknownFlags(['--rest'], true)).toBe('Unknown option --rest. Known: --reset, --help, -h.\n');
    expect(unknownFlags(['--reset'], true)).toBeUndefined();
    expect(unknownFlags([], false)).toBeUndefined();
    // the production bundle has no sandbox, so no --reset
    expect(unknownFlags(['--reset', '-x'], false)).toBe('Unknown options --reset -x. Known: --help, -h.\n');
  });
});

describe('npm run start:prod without a build', () => {
  it('says to run the build first, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgb-prod-'));
    try {
      copyFileSync(join(process.cwd(), 'package.json'), join(dir, 'package.json'));
      const err = await run('npm', ['run', '--silent', 'start:prod'], { cwd: dir }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr.trim()).toBe(
        'dist/main.js is missing: run npm run build first, then npm run start:prod.',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
