/**
 * A job checks the role again when it runs: a lead who is no longer one when the job falls due
 * (the bot restarted with other BOT_LEADS) has it dropped, and is told why in a 1:1 message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

describe('a job whose lead lost the role', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dgb-jobs-role-'));
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is dropped when it falls due, and the lead is told', async () => {
    const first = await startHarness({ dataDir, app: { jobs: { pollMs: 100 } } });
    await first.say('lead1', '/chat create "Role Gone" alice');
    const chat = first.emu.org.chats().find((c) => c.name === 'Role Gone');
    if (!chat) throw new Error('not created');
    const reply = await first.say('lead1', `/chat rename ${chat.chatId} "Never" at=2s`);
    const job = /\*\*(J\d+)\*\*/.exec(reply)?.[1];
    if (job === undefined) throw new Error(`no job in ${reply}`);
    await first.stop();
    // The same database, and lead1 is no lead any more.
    h = await startHarness({ dataDir, leads: ['lead2'], app: { jobs: { pollMs: 100 } } });
    const notice = await h.emu.waitFor(
      () => h?.emu.otoTo('lead1').find((r) => r.text.includes(`**${job}**`)),
      8_000,
    );
    expect(notice.text).toContain('was dropped; nothing was changed');
    expect(notice.text).toMatch(
      /\/chat rename(?:\*\*)? needs the role lead; you, .*lead1.*, have the role everyone/,
    );
    expect(h.emu.requests.some((r) => JSON.stringify(r.body ?? '').includes('"Never"'))).toBe(false);
    expect(await h.say('admin1', '/audit 1')).toMatch(/chat rename/);
  });
});
