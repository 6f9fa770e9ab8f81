/**
 * In the sandbox, a join link is the sharer's: two leads sharing the same chat get two links
 * (DingTalk's link carries the sharer), each stable for its sharer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replyTo, runScript } from './run.ts';

const LINK = /https:\/\/qr\.dingtalk\.com\/action\/joingroup\?code=v1,k1,[\w-]+&_dt_no_comment=1&origin=11/;

describe('sandbox join links', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dgb-sandbox-qr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('differ per sharer of one chat and stay the same for one sharer', { timeout: 60_000 }, async () => {
    const script = [
      '/chat create "Q3" lead2',
      '/chat qr #Q3',
      ':as lead2',
      '/chat qr #Q3',
      '/chat qr #Q3',
      '',
    ];
    const run = await runScript(dir, script.join('\n'));
    expect(run.code).toBe(0);
    const link = (line: string, nth = 0): string => {
      const out = replyTo(run.stdout, line, nth);
      expect(out).toContain('shared by you');
      const m = LINK.exec(out);
      expect(m).not.toBeNull();
      return m?.[0] ?? '';
    };
    const lead1 = link('/chat qr #Q3', 0);
    const lead2 = link('/chat qr #Q3', 1);
    expect(lead2).not.toBe(lead1);
    expect(link('/chat qr #Q3', 2)).toBe(lead2);
    // The creator's link in the /chat create answer is lead1's share too.
    expect(replyTo(run.stdout, '/chat create "Q3" lead2')).toContain(lead1);
  });
});
