/**
 * The dedupe claim on `robotCode:msgId` (stream-protocol.md §6.1: a redelivery keeps data.msgId
 * and gets a new headers.messageId): a redelivered message never runs its command again; a
 * finished one has its stored reply sent again only when it was not delivered; a running one
 * makes the copy wait for it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RobotPayload } from '../../../src/emulator/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

const WRITES = new Set(['chat.update', 'im.group.update']);

describe('fault injection: redelivered messages', () => {
  let h: Harness;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
    h.emu.faults.latencyByEndpoint = {};
  });

  /** A chat lead1 owns and a rename of it, built but not sent. */
  function renameMessage(): { chatId: string; payload: RobotPayload; newName: string } {
    const c = h.emu.org.addChat({ name: `dd ${++n}`, owner: 'lead1', members: ['lead1'], botInChat: true });
    const newName = `dd ${n} new`;
    return {
      chatId: c.chatId,
      newName,
      payload: h.emu.buildMessage('lead1', `/chat rename ${c.chatId} "${newName}"`),
    };
  }

  const writesTo = (chatId: string) =>
    h.emu.requests.filter((r) => WRITES.has(r.endpoint) && (r.body as { chatid?: string }).chatid === chatId);
  const repliesTo = (p: RobotPayload) => h.emu.replies.filter((r) => r.msgId === p.msgId);

  it('a copy that arrives while the first is still running waits for it: one rename, one reply', async () => {
    const m = renameMessage();
    h.emu.faults.latencyByEndpoint = { 'chat.get': 600 };
    const first = h.emu.deliver(m.payload);
    await h.emu.waitFor(() => h.emu.requests.find((r) => r.endpoint === 'chat.get' && r.status === 0));
    const second = h.emu.deliver(m.payload);
    expect(second.messageId).not.toBe(first.messageId);
    await h.emu.waitFor(() => repliesTo(m.payload).length > 0, 10_000);
    await h.app.pipeline.idle();
    expect(repliesTo(m.payload)).toHaveLength(1);
    expect(repliesTo(m.payload)[0]?.text).toContain('Renamed');
    expect(writesTo(m.chatId)).toHaveLength(1);
    expect(h.emu.org.chat(m.chatId)?.name).toBe(m.newName);
    // Both copies were acked at once.
    const acked = new Set(h.emu.acks.map((a) => a.messageId));
    expect(acked.has(first.messageId) && acked.has(second.messageId)).toBe(true);
  });

  it('a copy of a finished and delivered message is neither run nor answered again', async () => {
    const m = renameMessage();
    h.emu.deliver(m.payload);
    await h.emu.waitFor(() => repliesTo(m.payload).length > 0);
    await h.app.pipeline.idle();
    const dup = h.app.pipeline.stats.duplicates;
    h.emu.deliver(m.payload);
    await h.emu.waitFor(() => h.app.pipeline.stats.duplicates > dup);
    await h.app.pipeline.idle();
    expect(repliesTo(m.payload)).toHaveLength(1);
    expect(writesTo(m.chatId)).toHaveLength(1);
  });

  it('a copy of a finished message whose reply was lost gets the stored reply, without running again', async () => {
    const m = renameMessage();
    // The reply's webhook post answers 500: it may or may not have been posted, so it is not
    // repeated then; the message stays "done, not delivered".
    h.emu.faults.inject('robot.sendBySession', 'http500', 1);
    h.emu.deliver(m.payload);
    await h.emu.waitFor(() =>
      h.emu.requests.find((r) => r.endpoint === 'robot.sendBySession' && r.status === 500),
    );
    await h.app.pipeline.idle();
    expect(repliesTo(m.payload)).toHaveLength(0);
    expect(h.emu.org.chat(m.chatId)?.name).toBe(m.newName);
    h.emu.deliver(m.payload);
    const [reply] = await h.emu.waitFor(() =>
      repliesTo(m.payload).length > 0 ? repliesTo(m.payload) : undefined,
    );
    await h.app.pipeline.idle();
    expect(reply?.text).toContain('Renamed');
    expect(reply?.text).toContain(m.newName);
    expect(repliesTo(m.payload)).toHaveLength(1);
    expect(writesTo(m.chatId)).toHaveLength(1);
    // A third copy now finds it delivered.
    h.emu.deliver(m.payload);
    await new Promise((r) => setTimeout(r, 100));
    await h.app.pipeline.idle();
    expect(repliesTo(m.payload)).toHaveLength(1);
  });

  it('a message claimed by a process that died before any write is run, once', async () => {
    const m = renameMessage();
    // What a crash leaves: a claim without an outcome, and no run in the write journal.
    expect((await h.app.store.dedupe.claim(`${h.emu.robotCode}:${m.payload.msgId}`)).state).toBe('claimed');
    h.emu.deliver(m.payload);
    const [reply] = await h.emu.waitFor(() =>
      repliesTo(m.payload).length > 0 ? repliesTo(m.payload) : undefined,
    );
    expect(reply?.text).toContain('Renamed');
    expect(writesTo(m.chatId)).toHaveLength(1);
    await h.app.pipeline.idle();
    expect(repliesTo(m.payload)).toHaveLength(1);
  });

  it('a message whose write began without an answer is answered "uncertain", never run again', async () => {
    const m = renameMessage();
    const key = `${h.emu.robotCode}:${m.payload.msgId}`;
    // What a crash in the middle of a write leaves: the claim, the run, a write with no answer.
    expect((await h.app.store.dedupe.claim(key)).state).toBe('claimed');
    await h.app.store.journal.startRun({
      key,
      userId: 'lead1',
      conversationId: 'cid-x',
      command: 'chat rename',
      chatId: m.chatId,
      plan: '{}',
      replicaId: 'a-dead-process',
      startedAt: Date.now(),
    });
    await h.app.store.journal.begin({
      runKey: key,
      endpoint: 'im.group.update',
      chatId: m.chatId,
      request: '{}',
      startedAt: Date.now(),
    });
    h.emu.deliver(m.payload);
    const [reply] = await h.emu.waitFor(() =>
      repliesTo(m.payload).length > 0 ? repliesTo(m.payload) : undefined,
    );
    expect(reply?.text).toContain('do not know whether DingTalk did it');
    expect(reply?.text).toContain(`/chat info ${m.chatId}`);
    expect(writesTo(m.chatId)).toHaveLength(0);
    expect(h.emu.org.chat(m.chatId)?.name).toBe(`dd ${n}`);
  });

  it('the same msgId from another robot is a different message', async () => {
    const m = renameMessage();
    // Its webhook session is recorded under the msgId it was built with.
    const base = h.emu.buildMessage('lead1', '/whoami');
    const other = { ...base, msgId: m.payload.msgId, robotCode: 'dingotherrobot' };
    h.emu.deliver(m.payload);
    await h.emu.waitFor(() => repliesTo(m.payload).length > 0);
    h.emu.deliver(other);
    const [reply] = await h.emu.waitFor(() => (repliesTo(base).length > 0 ? repliesTo(base) : undefined));
    expect(reply?.text).toContain('Who you are');
    expect(repliesTo(m.payload)).toHaveLength(1);
  });

  it('claims are kept for 24 h, then pruned', async () => {
    const now = Date.now();
    const key = `${h.emu.robotCode}:prune-check-${n}`;
    await h.app.store.dedupe.claim(key, now);
    await h.app.store.dedupe.finish(key, '{}', now);
    expect(await h.app.store.dedupe.prune(now + 23 * 3_600_000)).toBe(0);
    expect((await h.app.store.dedupe.claim(key, now + 23 * 3_600_000)).state).toBe('done');
    expect(await h.app.store.dedupe.prune(now + 25 * 3_600_000)).toBeGreaterThanOrEqual(1);
    expect((await h.app.store.dedupe.claim(key, now + 25 * 3_600_000)).state).toBe('claimed');
  });
});
