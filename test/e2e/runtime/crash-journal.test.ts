/**
 * The write journal, against a real bot process on SQLite killed with SIGKILL in the middle of
 * commands that make chats (`/chat create`, `/chat clone`): after the restart each message gets
 * one reply and DingTalk one create. A create whose answer the bot never heard is reported as
 * unknown; a command whose writes all finished is carried on and answered with its real result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { TEST_USERS } from '../../helpers/harness.ts';
import { type Child, READY, startBot } from './child.ts';

const CREATES = new Set(['chat.create', 'im.group.create']);

describe('SIGKILL while a chat is being made (SQLite, one replica)', () => {
  let emu: Emulator;
  let dataDir: string;
  let bot: Child | undefined;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
    dataDir = mkdtempSync(join(tmpdir(), 'dgb-crash-'));
  });
  afterEach(() => {
    emu.faults.latencyByEndpoint = {};
  });
  afterAll(async () => {
    bot?.proc.kill('SIGKILL');
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ ...emu.env(), BOT_DATA_DIR: dataDir, BOT_ADMINS: 'admin1', BOT_LEADS: 'lead1' });
  const createsNamed = (name: string) =>
    emu.requests.filter((r) => CREATES.has(r.endpoint) && (r.body as { name?: string }).name === name);
  const repliesTo = (msgId: string) => emu.replies.filter((r) => r.msgId === msgId);
  const restart = async () => {
    bot = startBot(env());
    await bot.line(READY);
  };
  const kill = async () => {
    bot?.kill('SIGKILL');
    expect((await bot?.exit())?.signal).toBe('SIGKILL');
  };

  it('killed while DingTalk makes the chat: one create, reported once as unknown after the restart', async () => {
    await restart();
    emu.faults.latencyByEndpoint = { 'im.group.create': 2_000, 'chat.create': 2_000 };
    const msg = emu.buildMessage('lead1', '/chat create Crash1 alice bob');
    emu.deliver(msg);
    await emu.waitFor(() => createsNamed('Crash1').find((r) => r.status === 0), 10_000);
    await kill();
    await emu.waitFor(() => emu.org.chats().find((c) => c.name === 'Crash1'), 5_000);
    expect(repliesTo(msg.msgId)).toEqual([]);
    emu.faults.latencyByEndpoint = {};

    await restart();
    const report = await emu.waitFor(() => repliesTo(msg.msgId)[0], 10_000);
    expect(report.text).toMatch(/do not know whether DingTalk did it/);
    expect(report.text).toContain('chat create');
    // Redelivered: neither run nor answered again.
    const copy = emu.deliver(msg);
    await emu.waitFor(() => emu.acks.find((a) => a.messageId === copy.messageId));
    expect((await emu.say('lead1', '/whoami'))[0]?.text).toContain('lead1');
    expect(repliesTo(msg.msgId)).toHaveLength(1);
    expect(createsNamed('Crash1')).toHaveLength(1);
    expect(emu.org.chats().filter((c) => c.name === 'Crash1')).toHaveLength(1);
    await kill();
  }, 60_000);

  it('killed after DingTalk made the chat: carried on from the journal, the real result, one create', async () => {
    await restart();
    // The create is answered; the join link after it hangs while the process dies.
    emu.faults.latencyByEndpoint = { 'qrcode.get': 3_000 };
    const msg = emu.buildMessage('lead1', '/chat create Crash2 alice bob');
    emu.deliver(msg);
    await emu.waitFor(() => emu.requests.find((r) => r.endpoint === 'qrcode.get' && r.status === 0), 10_000);
    await kill();
    emu.faults.latencyByEndpoint = {};
    const made = emu.org.chats().filter((c) => c.name === 'Crash2');
    expect(made).toHaveLength(1);

    await restart();
    const reply = await emu.waitFor(() => repliesTo(msg.msgId)[0], 10_000);
    expect(reply.text).toContain('Crash2');
    expect(reply.text).toContain(made[0]?.chatId);
    expect(reply.text).not.toMatch(/do not know whether/);
    expect(createsNamed('Crash2')).toHaveLength(1);
    expect((await emu.say('lead1', '/chat list'))[0]?.text).toContain('Crash2');
    expect(repliesTo(msg.msgId)).toHaveLength(1);
    await kill();
  }, 60_000);

  it('killed in the middle of a clone: one clone, one reply after the restart', async () => {
    const source = emu.org.addChat({
      name: 'Source1',
      owner: 'lead1',
      members: ['lead1', 'alice', 'bob'],
      createdByApi: true,
      botInChat: true,
    });
    await restart();
    emu.faults.latencyByEndpoint = { 'im.group.create': 2_000, 'chat.create': 2_000 };
    const msg = emu.buildMessage('lead1', `/chat clone ${source.chatId} Clone1`);
    emu.deliver(msg);
    await emu.waitFor(() => createsNamed('Clone1').find((r) => r.status === 0), 10_000);
    await kill();
    emu.faults.latencyByEndpoint = {};
    await emu.waitFor(() => emu.org.chats().find((c) => c.name === 'Clone1'), 5_000);

    await restart();
    const report = await emu.waitFor(() => repliesTo(msg.msgId)[0], 10_000);
    expect(report.text).toMatch(/do not know whether DingTalk did it/);
    expect((await emu.say('lead1', '/whoami'))[0]?.text).toContain('lead1');
    expect(repliesTo(msg.msgId)).toHaveLength(1);
    expect(createsNamed('Clone1')).toHaveLength(1);
    await kill();
  }, 60_000);
});
