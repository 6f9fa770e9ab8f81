/**
 * A batch (a command over a set of chats) against a real bot process on SQLite, killed with
 * SIGKILL while one chat's write is on its way: after the restart the batch is carried on from
 * the journal. A chat whose write finished is not written again, the one in flight is reported as
 * unknown, the rest are done, and the lead gets one ledger. (A write DingTalk answered in the very
 * moment of the kill, before the journal noted the answer, is unknown too: four chats run at once.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, startBot } from './child.ts';

const UPDATES = new Set(['chat.update', 'im.group.update']);

describe('SIGKILL in the middle of a batch (SQLite, one replica)', () => {
  let emu: Emulator;
  let dataDir: string;
  let bot: Child | undefined;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
    dataDir = mkdtempSync(join(tmpdir(), 'dgb-batch-crash-'));
  });
  afterAll(async () => {
    bot?.proc.kill('SIGKILL');
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_ADMINS: 'admin1', BOT_LEADS: 'lead1' });
  const restart = async () => {
    bot = startBot(env());
    await bot.line(READY);
  };
  /** The update calls that named `chat` (by chatId or openConversationId) and added `user`. */
  const addsTo = (chat: { chatId: string; openConversationId: string }, user: string) =>
    emu.requests.filter((r) => {
      if (!UPDATES.has(r.endpoint)) return false;
      const body = JSON.stringify(r.body ?? {});
      return (body.includes(chat.chatId) || body.includes(chat.openConversationId)) && body.includes(user);
    });

  it('every chat changed once, the one in flight reported as unknown, one ledger', async () => {
    const chats = Array.from({ length: 6 }, (_, i) =>
      emu.org.addChat({
        name: `Crash Batch ${i + 1}`,
        owner: 'lead1',
        members: ['lead1', 'alice'],
        createdByApi: true,
        botInChat: true,
      }),
    );
    const inFlight = chats[2]!;
    await restart();
    // Chat 3's write hangs; the reads are slow, so the chats after the first four have not begun.
    for (const endpoint of UPDATES)
      for (const id of [inFlight.chatId, inFlight.openConversationId])
        emu.faults.inject(endpoint, 'hang', 1, { chat: id });
    emu.faults.latencyByEndpoint = { 'chat.get': 400 };
    const msg = emu.buildMessage('lead1', `/chat add ${chats.map((c) => c.chatId).join(',')} erin`);
    emu.deliver(msg);
    await emu.waitFor(() => addsTo(inFlight, 'erin').find((r) => r.status === 0), 15_000);
    bot?.kill('SIGKILL');
    expect((await bot?.exit())?.signal).toBe('SIGKILL');
    emu.faults.clearInjections();
    emu.faults.latencyByEndpoint = {};
    expect(emu.replies.filter((r) => r.msgId === msg.msgId)).toEqual([]);
    const writtenBefore = chats.filter((c) => addsTo(c, 'erin').length > 0).length;
    expect(writtenBefore).toBeLessThan(chats.length);

    await restart();
    const ledger = await emu.waitFor(() => emu.replies.find((r) => r.msgId === msg.msgId), 20_000);
    expect(ledger.text).toContain('/chat add on');
    expect(ledger.text).toContain('Outcome unknown:');
    expect(ledger.text).toContain(`**Crash Batch 3** (\`${inFlight.chatId}\`)`);
    expect(ledger.text).toContain(`/chat info ${inFlight.chatId}`);
    // Each chat written at most once; every chat but the unknown one(s) has erin now.
    for (const c of chats) expect(addsTo(c, 'erin').length).toBeLessThanOrEqual(1);
    expect(addsTo(inFlight, 'erin')).toHaveLength(1);
    const unknown = chats.filter((c) => ledger.text.split('Done:')[0]?.includes(`\`${c.chatId}\``));
    for (const c of chats.filter((x) => !unknown.includes(x)))
      expect(emu.org.chat(c.chatId)?.members).toContain('erin');
    expect(emu.org.chat(chats[5]!.chatId)?.members).toContain('erin');
    // One ledger, also when the message is delivered again.
    const copy = emu.deliver(msg);
    await emu.waitFor(() => emu.acks.find((a) => a.messageId === copy.messageId));
    expect((await emu.say('lead1', '/whoami'))[0]?.text).toContain('lead1');
    expect(emu.replies.filter((r) => r.msgId === msg.msgId)).toHaveLength(1);
    // One undo takes back what the batch did, before and after the restart.
    const ask = (await emu.say('lead1', '/chat undo'))[0]?.text ?? '';
    expect(ask).toContain('Undo your /chat add on');
    const code = /\/confirm ([A-Z0-9]{6})/.exec(ask)?.[1];
    const undone = (await emu.say('lead1', `/confirm ${code}`))[0]?.text ?? '';
    expect(undone).toMatch(/0 failed/);
    // Chats reported as unknown are the user's to check (their write may have landed: no undo
    // was recorded for it); every chat reported done is back as it was.
    // A chat done in the moment of the kill, before its undo was noted, says so in the ledger.
    const noUndo = chats.filter((c) =>
      ledger.text.includes(`\`${c.chatId}\`): done before I was stopped, but I was stopped before I noted`),
    );
    for (const c of chats.filter((x) => !unknown.includes(x) && !noUndo.includes(x)))
      expect(emu.org.chat(c.chatId)?.members).not.toContain('erin');
    bot?.kill('SIGKILL');
    await bot?.exit();
  }, 90_000);
});
