/**
 * Confirmation of risky commands (right user, wrong user, expired code, restart in between,
 * cancel) and the audit chain (every attempt recorded; tampering detected by audit:verify).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedAuditKey } from '../../../src/config.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

const run = promisify(execFile);
const CODE = /\/confirm ([A-Z0-9]{6})/;

function codeOf(reply: string): string {
  const m = CODE.exec(reply);
  if (!m?.[1]) throw new Error(`no confirmation code in: ${reply}`);
  return m[1];
}

describe('confirmation of risky commands', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const writesTo = (chatId: string, from: number) =>
    h.emu.requests
      .slice(from)
      .filter(
        (r) =>
          (r.endpoint === 'chat.update' || r.endpoint === 'im.group.update') &&
          JSON.stringify(r.body).includes(chatId),
      );

  it('previews the change, runs on /confirm by the same user, once', async () => {
    const chat = h.emu.org.addChat({ name: 'Risky', owner: 'lead1', members: ['lead1', 'alice', 'bob'] });
    const start = h.emu.requests.length;
    const ask = await h.say('lead1', `/chat remove ${chat.chatId} bob`);
    expect(ask).toContain('bob');
    const code = codeOf(ask);
    // The preview carries a tappable link that sends the confirm message.
    const sent = h.emu.replies.at(-1);
    expect(JSON.stringify(sent?.body)).toContain(encodeURIComponent(`/confirm ${code}`));
    expect(writesTo(chat.chatId, start)).toHaveLength(0);
    expect(h.emu.org.chat(chat.chatId)?.members).toContain('bob');

    const done = await h.say('lead1', `/confirm ${code.toLowerCase()}`);
    expect(done).not.toMatch(/expired|someone else|Nothing waits/);
    expect(h.emu.org.chat(chat.chatId)?.members).not.toContain('bob');
    expect(writesTo(chat.chatId, start)).toHaveLength(1);

    const again = await h.say('lead1', `/confirm ${code}`);
    expect(again).toContain('Nothing waits');
    expect(writesTo(chat.chatId, start)).toHaveLength(1);
  });

  it('refuses another user and leaves the code usable by its owner', async () => {
    const chat = h.emu.org.addChat({ name: 'Risky2', owner: 'lead1', members: ['lead1', 'alice', 'bob'] });
    const start = h.emu.requests.length;
    const code = codeOf(await h.say('lead1', `/chat owner ${chat.chatId} alice`));
    expect(await h.say('admin1', `/confirm ${code}`)).toContain('someone else');
    expect(writesTo(chat.chatId, start)).toHaveLength(0);
    await h.say('lead1', `/confirm ${code}`);
    expect(h.emu.org.chat(chat.chatId)?.owner).toBe('alice');
  });

  it('an expired code does nothing', async () => {
    const chat = h.emu.org.addChat({ name: 'Risky3', owner: 'lead1', members: ['lead1', 'alice', 'bob'] });
    const start = h.emu.requests.length;
    const code = codeOf(await h.say('lead1', `/chat remove ${chat.chatId} alice`));
    // Two minutes pass: move the expiry into the past, as the clock would.
    const db = new Database(join(h.dataDir, 'bot.sqlite'));
    db.prepare('UPDATE pending SET "expiresAt" = ? WHERE code = ?').run(Date.now() - 1, code);
    db.close();
    expect(await h.say('lead1', `/confirm ${code}`)).toMatch(/expired|Nothing waits/);
    expect(writesTo(chat.chatId, start)).toHaveLength(0);
    expect(h.emu.org.chat(chat.chatId)?.members).toContain('alice');
  });

  it('/cancel drops the pending command', async () => {
    const chat = h.emu.org.addChat({ name: 'Risky4', owner: 'lead1', members: ['lead1', 'alice', 'bob'] });
    const start = h.emu.requests.length;
    const code = codeOf(await h.say('lead1', `/chat remove ${chat.chatId} alice`));
    expect(await h.say('lead1', '/cancel')).toContain(code);
    expect(await h.say('lead1', `/confirm ${code}`)).toContain('Nothing waits');
    expect(writesTo(chat.chatId, start)).toHaveLength(0);
  });

  it('a restart in between neither loses nor replays the pending command', async () => {
    const chat = h.emu.org.addChat({ name: 'Risky5', owner: 'lead1', members: ['lead1', 'alice', 'bob'] });
    const start = h.emu.requests.length;
    const code = codeOf(await h.say('lead1', `/chat remove ${chat.chatId} bob`));
    await h.restart();
    expect(writesTo(chat.chatId, start)).toHaveLength(0);
    expect(h.emu.org.chat(chat.chatId)?.members).toContain('bob');
    await h.say('lead1', `/confirm ${code}`);
    expect(h.emu.org.chat(chat.chatId)?.members).not.toContain('bob');
    expect(writesTo(chat.chatId, start)).toHaveLength(1);
  });
});

describe('audit trail', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('records allowed and refused attempts with their arguments (not the message line), shows them to admins, and detects tampering', async () => {
    const chat = h.emu.org.addChat({ name: 'Audited', owner: 'lead1', members: ['lead1', 'alice'] });
    await h.say('lead1', `/chat rename ${chat.chatId} "Secret Project Name"`);
    await h.say('mallory', `/chat rename ${chat.chatId} Hacked`);
    const recs = await h.app.store.audit.latest(2);
    expect(recs.map((r) => [r.userId, r.command, r.outcome])).toEqual([
      ['mallory', 'chat rename', 'refused'],
      ['lead1', 'chat rename', 'allowed'],
    ]);
    expect(recs[1]?.chatId).toBe(chat.chatId);
    expect(recs[0]?.reason).toMatch(/role/);
    expect(JSON.parse(recs[1]?.args ?? '{}')).toMatchObject({ name: 'Secret Project Name' });
    expect(recs.map((r) => r.args).join('')).not.toContain('/chat rename');
    // The audit event also goes to the log.
    expect(h.logs.some((l) => l.includes('"audit":true') && l.includes('mallory'))).toBe(true);

    const shown = await h.say('admin1', '/audit 5');
    expect(shown).toContain('mallory');
    expect(shown).toContain('chat rename');

    // The verifier is given the key the bot sealed with (here derived from the client secret).
    const env = {
      ...process.env,
      BOT_DATA_DIR: h.dataDir,
      BOT_AUDIT_KEY: derivedAuditKey(h.config.credentials?.clientSecret ?? ''),
    };
    const ok = await run('npx', ['tsx', 'src/audit-verify.ts'], { env });
    expect(ok.stdout).toMatch(/audit chain OK: \d+ records/);

    // Someone with file access rewrites history: drop the guard triggers and change one record.
    const db = new Database(join(h.dataDir, 'bot.sqlite'));
    const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
      name: string;
    }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    db.prepare("UPDATE audit SET outcome = 'allowed' WHERE userId = 'mallory'").run();
    db.close();
    const bad = await run('npx', ['tsx', 'src/audit-verify.ts'], { env }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(bad?.code).toBe(1);
    expect(bad?.stdout).toMatch(/BROKEN at seq \d+/);
  });
});
