/**
 * Info-level logs carry ids, not names or typed text (issue 19, item 8; README "Logs"): commands
 * that carry a chat name, a nickname and a typed person's name run through the bot, and no log
 * line at info (or below warn) holds any of them. The audit store still has them (`/audit`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

/** Distinctive strings, so that a hit is this test's text and nothing else. */
const CHAT_NAME = 'Zephyrquartz';
const RENAMED = 'Quillobsidian';
const NICK = 'Marmalune';
const TYPED_NAME = 'Velvetkoan';
const SECRET_CODE = 'Hushcobalt';
const TYPED_WORD = 'glimmerfeld';

/** pino's numeric levels: 30 info, 20 debug, 10 trace. */
const levelOf = (line: string): number => {
  try {
    return (JSON.parse(line) as { level?: number }).level ?? 0;
  } catch {
    return 0;
  }
};

describe('info-level logs carry ids, not names or typed text', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('create, rename, nick, an unknown typed name and a wrong code leave no name in an info line', async () => {
    const created = await h.say('lead1', `/chat create ${CHAT_NAME} alice bob`);
    const chatId = /chat[0-9a-f]{32}/.exec(created)?.[0];
    if (!chatId) throw new Error(`not created: ${created}`);
    await h.say('lead1', `/chat rename ${chatId} ${RENAMED}`);
    await h.say('lead1', `/chat nick ${chatId} alice ${NICK}`);
    // A person nobody is called: named back in the reply, never in a log line.
    expect(await h.say('lead1', `/chat add ${chatId} ${TYPED_NAME}`)).toContain(TYPED_NAME);
    await h.say('mallory', `/confirm ${SECRET_CODE}`);
    // A command-shaped line that names no command: audited, but its word is typed text.
    await h.say('lead1', `/${TYPED_WORD} now`);
    await h.say('lead1', `/chat info #${RENAMED}`);
    await h.say('lead1', `/chat qr ${chatId}`);

    const info = h.logs.filter((l) => levelOf(l) >= 30 && levelOf(l) < 40);
    expect(info.length).toBeGreaterThan(5);
    // The audit lines are there, by id.
    expect(info.some((l) => l.includes('"audit":true') && l.includes(chatId))).toBe(true);
    const leaks = info.filter((l) =>
      [CHAT_NAME, RENAMED, NICK, TYPED_NAME, SECRET_CODE, TYPED_WORD, 'Alice', 'Lee Lead'].some((s) =>
        l.includes(s),
      ),
    );
    expect(leaks).toEqual([]);
    // What the audit keeps is still there for /audit.
    expect(await h.say('admin1', `/audit 10 ${chatId}`)).toContain(RENAMED);
  });
});
