/**
 * Two real bot processes on one PostgreSQL and one emulator, with each message steered to the
 * replica the test names: they behave as one bot. A confirmation asked on one is given on the
 * other, names and lists are shared, a message reaching both (redelivered, or delivered to both
 * at once) runs once and is answered once, the app's rate budget holds across both, and /audit
 * on one sees what the other did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, RecordedRequest, RobotPayload } from '../../../src/emulator/index.ts';
import { type Replicas, startReplicas } from '../../helpers/replicas.ts';
import { confirmCode } from '../commands/helpers.ts';

/** DingTalk's "too many calls" answers (dingtalk-api.md §5), legacy and new API. */
function isRateLimited(r: RecordedRequest): boolean {
  const body = r.response as { errcode?: unknown; code?: unknown } | null | undefined;
  return body?.errcode === 90018 || body?.code === 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi';
}

describe('two replicas on one PostgreSQL behave as one bot', () => {
  let rs: Replicas;
  let emu: Emulator;
  let conn: string[];

  const repliesTo = (p: RobotPayload) => emu.replies.filter((r) => r.msgId === p.msgId);
  const creates = () =>
    emu.requests.filter((r) => r.endpoint === 'chat.create' || r.endpoint === 'im.group.create');

  beforeAll(async () => {
    // DingTalk's 20 QPS per app and API, explicitly on (dingtalk-api.md §5).
    rs = await startReplicas({ emulator: { qpsLimit: 20 } });
    emu = rs.emu;
    conn = rs.conn;
  }, 60_000);
  afterAll(async () => {
    await rs?.stop();
  });
  const sayTo: Replicas['sayTo'] = (...a) => rs.sayTo(...a);
  const replyTo: Replicas['replyTo'] = (...a) => rs.replyTo(...a);

  it('has two distinct live connections, one per replica', () => {
    expect(conn).toHaveLength(2);
    expect(new Set(conn).size).toBe(2);
    expect(emu.liveConnectionIds().sort()).toEqual([...conn].sort());
  });

  it('a confirmation asked on one replica is given on the other', async () => {
    const c = emu.org.addChat({
      name: 'Shared Confirm',
      owner: 'lead1',
      members: ['lead1', 'alice', 'bob'],
      createdByApi: true,
      botInChat: true,
    });
    const ask = await sayTo(0, 'lead1', `/chat remove ${c.chatId} bob`);
    expect(emu.org.chat(c.chatId)?.members).toContain('bob');
    const done = await sayTo(1, 'lead1', `/confirm ${confirmCode(ask)}`);
    expect(done).toContain('Removed 1 from **Shared Confirm**: Bob (bob).');
    expect(emu.org.chat(c.chatId)?.members).not.toContain('bob');
    // Taken once: the first replica no longer knows the code either.
    expect(await sayTo(0, 'lead1', `/confirm ${confirmCode(ask)}`)).toMatch(/Nothing waits for the code/);
  });

  it('#name and /chat list see a chat created on the other replica', async () => {
    const created = await sayTo(0, 'lead1', '/chat create "Cross Replica" alice');
    const chatId = /`(chat[0-9a-zA-Z]+)`/.exec(created)?.[1];
    expect(chatId, created).toBeDefined();
    expect(await sayTo(1, 'lead1', '/chat list')).toContain(`**Cross Replica** \`${chatId}\``);
    expect(await sayTo(1, 'lead1', '/chat info #"Cross Replica"')).toContain(
      'Created by me for Lee Lead (lead1)',
    );
  });

  it('a message redelivered to the other replica runs once and is answered once', async () => {
    const before = creates().length;
    const p = emu.buildMessage('lead1', '/chat create "Redelivered Once" alice');
    emu.deliver(p, { connectionId: conn[0] ?? '' });
    await replyTo(p);
    const again = emu.redeliver(p.msgId, { connectionId: conn[1] ?? '' }).messageId;
    // The second replica acks the redelivery: it has seen it and done nothing more.
    await emu.waitFor(
      () => emu.acks.find((a) => a.messageId === again && a.connectionId === conn[1]),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(creates().length - before).toBe(1);
    expect(repliesTo(p)).toHaveLength(1);
  });

  it('a copy reaching the other replica while the reply is on its way is not answered again', async () => {
    // The reply is shown 1.5 s before replica 0 hears that it went out (and records it so):
    // meanwhile replica 1 finds the message done, its reply not yet recorded as delivered.
    emu.faults.answerLatencyByEndpoint = { 'robot.sendBySession': 1_500 };
    try {
      const p = emu.buildMessage('lead1', '/whoami');
      emu.deliver(p, { connectionId: conn[0] ?? '' });
      await replyTo(p);
      const again = emu.redeliver(p.msgId, { connectionId: conn[1] ?? '' }).messageId;
      await emu.waitFor(
        () => emu.acks.find((a) => a.messageId === again && a.connectionId === conn[1]),
        10_000,
      );
      await new Promise((r) => setTimeout(r, 2_500));
      expect(repliesTo(p)).toHaveLength(1);
    } finally {
      emu.faults.answerLatencyByEndpoint = {};
    }
  });

  it('a message delivered to both at once runs once and is answered once', async () => {
    const before = creates().length;
    const p = emu.buildMessage('lead1', '/chat create "Both At Once" alice');
    const { messageIds } = emu.deliverToAll(p);
    expect(messageIds).toHaveLength(2);
    await replyTo(p);
    await emu.waitFor(() => messageIds.every((m) => emu.acks.some((a) => a.messageId === m)), 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(creates().length - before).toBe(1);
    expect(repliesTo(p)).toHaveLength(1);
    expect(emu.org.chats().filter((c) => c.name === 'Both At Once')).toHaveLength(1);
  });

  it('60 creates at once over both replicas: one 20 QPS budget, at most a few rate-limit answers', async () => {
    const mark = emu.requests.length;
    const sent: RobotPayload[] = [];
    // All at once, half to each: twice what one app may call per second if each replica spent
    // the 20 QPS on its own; the shared budget spreads them over about 3 s instead.
    for (let i = 0; i < 60; i += 1) {
      const p = emu.buildMessage('lead2', `/chat create "Load ${i}" alice`);
      emu.deliver(p, { connectionId: conn[i % 2] ?? '' });
      sent.push(p);
    }
    await emu.waitFor(() => sent.every((p) => repliesTo(p).length > 0), 40_000);
    const calls = emu.requests.slice(mark);
    const limited = calls.filter(isRateLimited);
    const byApi: Record<string, number> = {};
    for (const r of limited) byApi[r.endpoint] = (byApi[r.endpoint] ?? 0) + 1;
    expect(limited.length, `rate-limit answers by API: ${JSON.stringify(byApi)}`).toBeLessThanOrEqual(3);
    for (const p of sent) expect(repliesTo(p)[0]?.text).toMatch(/^Created \*\*Load \d+\*\*/);
    expect(
      calls.filter((r) => r.endpoint === 'chat.create' || r.endpoint === 'im.group.create').length,
    ).toBeGreaterThanOrEqual(60);
    expect(emu.org.chats().filter((c) => c.name.startsWith('Load '))).toHaveLength(60);
    // Both replicas did part of the work.
    const byConn = new Set(
      emu.deliveries.filter((d) => sent.some((p) => p.msgId === d.msgId)).map((d) => d.connectionId),
    );
    expect(byConn.size).toBe(2);
  }, 60_000);

  it("/audit on one replica sees the other replica's actions", async () => {
    const c = emu.org.addChat({
      name: 'Audited',
      owner: 'lead1',
      members: ['lead1', 'alice'],
      createdByApi: true,
      botInChat: true,
    });
    expect(await sayTo(1, 'lead1', `/chat rename ${c.chatId} "Audited Renamed"`)).toContain(
      'Audited Renamed',
    );
    const audit = await sayTo(0, 'admin1', '/audit 5');
    const row = audit.split('\n').find((l) => l.includes(c.chatId));
    expect(row, audit).toMatch(/Lee Lead \(lead1\) · \/chat rename · chat[0-9a-f]+ · allowed/);
    // And what the first replica did earlier, from the same chain.
    expect(audit).toContain('Li Lead (lead2) · /chat create');
  });
});
