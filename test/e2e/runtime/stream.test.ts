/**
 * The runtime issue's Stream checks: every fault of the socket or the gateway is either answered
 * or survived, and the bot answers the next message. Real SDK, real sockets, the emulator.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Emulator } from '../../../src/emulator/index.ts';
import { createLogger } from '../../../src/log.ts';
import { StreamAuthError } from '../../../src/stream/index.ts';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';

type LogLine = { level: number; msg: string; [k: string]: unknown };

function parsed(logs: string[], from = 0): LogLine[] {
  return logs.slice(from).map((l) => JSON.parse(l) as LogLine);
}

function openConnections(h: Harness) {
  return h.emu.connections().filter((c) => c.open);
}

/** The bot is still the same process and still answers. */
async function answers(h: Harness, from = 'alice'): Promise<void> {
  expect(await h.say(from, '/whoami')).toContain(from);
}

describe('stream faults: frames, drops, disconnect, credentials', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.gateway = 'ok';
    h.emu.faults.latencyMs = 0;
    h.emu.faults.latencyByEndpoint = {};
    h.emu.faults.clearInjections();
  });

  for (const kind of [
    'nonJson',
    'noHeaders',
    'binary',
    'unknownType',
    'unknownTopic',
    'unknownSystem',
    'dataNotJson',
  ] as const) {
    it(`survives a ${kind} frame on the same connection and answers the next message`, async () => {
      const [before] = openConnections(h);
      const mark = h.logs.length;
      h.emu.sendBadFrame(kind);
      await answers(h);
      // Not crashed, and not even reconnected: the bad frame was dropped, nothing more.
      expect(openConnections(h).map((c) => c.id)).toEqual([before?.id]);
      expect(parsed(h.logs, mark).filter((l) => l.level >= 50)).toEqual([]);
    });
  }

  it('a non-JSON frame is reported in the logs without its content', async () => {
    const mark = h.logs.length;
    h.emu.sendRawFrame('{"secret-looking": nope');
    await answers(h);
    const dropped = parsed(h.logs, mark).find((l) => l.msg === 'dropped a stream frame that is not JSON');
    expect(dropped).toBeDefined();
    expect(JSON.stringify(dropped)).not.toContain('secret-looking');
  });

  it('reconnects with backoff after the socket is dropped without `disconnect`, then answers', async () => {
    const [before] = openConnections(h);
    const mark = h.logs.length;
    h.emu.dropConnections();
    await h.emu.waitFor(() => openConnections(h).some((c) => c.id !== before?.id));
    await answers(h);
    const lines = parsed(h.logs, mark);
    expect(lines.some((l) => l.msg === 'stream connection closed; reconnecting')).toBe(true);
    expect(lines.some((l) => l.msg === 'stream reconnect scheduled')).toBe(true);
  });

  it('backs off exponentially while the gateway is down, and recovers when it is back', async () => {
    const mark = h.logs.length;
    h.emu.faults.gateway = 'down';
    h.emu.dropConnections();
    const scheduled = () => parsed(h.logs, mark).filter((l) => l.msg === 'stream reconnect scheduled');
    await h.emu.waitFor(() => scheduled().length >= 4, 10_000);
    h.emu.faults.gateway = 'ok';
    await h.emu.waitForConnection(5_000);
    await answers(h);
    const plan = scheduled().map((l) => ({ attempt: l.attempt as number, delayMs: l.delayMs as number }));
    expect(plan.slice(0, 4).map((p) => p.attempt)).toEqual([1, 2, 3, 4]);
    // Harness backoff: 50 ms doubling; each delay lies in [base/2, base], so attempt 4 (base 400)
    // waits longer than attempt 1 (base 50) whatever the jitter.
    const first = plan[0]?.delayMs ?? Number.NaN;
    const fourth = plan[3]?.delayMs ?? Number.NaN;
    expect(first).toBeLessThanOrEqual(50);
    expect(fourth).toBeGreaterThanOrEqual(200);
    // Each failure is reported with the gateway's answer.
    expect(
      parsed(h.logs, mark).some((l) => l.msg === 'stream connect failed' && String(l.err).includes('503')),
    ).toBe(true);
  });

  it('on a `disconnect` frame opens the new connection before the old one closes (make-before-break)', async () => {
    const [old] = openConnections(h);
    expect(old).toBeDefined();
    h.emu.sendDisconnect();
    // The replacement is open while the old socket still is: no window without a connection.
    const both = await h.emu.waitFor(() => {
      const open = openConnections(h);
      return open.length === 2 && open.some((c) => c.id === old?.id) ? open : undefined;
    });
    const fresh = both.find((c) => c.id !== old?.id);
    expect(fresh?.goingAway).toBe(false);
    // A message sent right away goes to the new connection and is answered.
    const p = h.emu.buildMessage('bob', '/whoami');
    h.emu.deliver(p);
    await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === p.msgId));
    expect(h.emu.deliveries.filter((d) => d.msgId === p.msgId).map((d) => d.connectionId)).toEqual([
      fresh?.id,
    ]);
    // The bot lets the old one go (harness drainMs 2 s; the emulator would close it after 10 s).
    await h.emu.waitFor(() => !openConnections(h).some((c) => c.id === old?.id), 8_000);
    expect(openConnections(h).map((c) => c.id)).toEqual([fresh?.id]);
  });

  it('reports refused credentials as such on every try (not silently retried), and recovers', async () => {
    const mark = h.logs.length;
    h.emu.faults.gateway = '401';
    h.emu.dropConnections();
    const refused = () =>
      parsed(h.logs, mark).filter(
        (l) => l.level === 50 && String(l.msg).includes('rejected the client id or secret'),
      );
    await h.emu.waitFor(() => refused().length >= 2, 10_000);
    expect(refused()[0]?.msg).toContain('DINGTALK_CLIENT_SECRET');
    expect(refused()[0]).toMatchObject({ status: 401, code: 'authFailed' });
    h.emu.faults.gateway = 'ok';
    await h.emu.waitForConnection(5_000);
    await answers(h);
    for (const s of h.secrets()) expect(h.logs.join('\n')).not.toContain(s);
  });

  it('acks a robot message before any work: the ack is out while its DingTalk call is still slow', async () => {
    const c = h.emu.org.addChat({ name: 'Slow Room', owner: 'lead1', members: ['lead1'], botInChat: true });
    await h.say('lead1', '/whoami'); // the access token is cached before the latency starts
    h.emu.faults.latencyByEndpoint = { 'chat.get': 2_000 };
    const p = h.emu.buildMessage('lead1', `/chat info ${c.chatId}`);
    h.emu.deliver(p);
    const delivery = await h.emu.waitFor(() => h.emu.deliveries.find((d) => d.msgId === p.msgId));
    const ack = await h.emu.waitFor(() => h.emu.acks.find((a) => a.messageId === delivery.messageId));
    expect(ack.code).toBe(200);
    // When the ack arrived, the command had no reply yet: its chat/get was still being answered.
    expect(h.emu.replies.filter((r) => r.msgId === p.msgId)).toEqual([]);
    const reply = await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === p.msgId), 10_000);
    expect(reply.text).toContain('Slow Room');
  });

  it('a slow command does not hold up replies to other people', async () => {
    const c = h.emu.org.addChat({ name: 'Queue Room', owner: 'lead1', members: ['lead1'], botInChat: true });
    const d = h.emu.org.addChat({ name: 'Fast Room', owner: 'lead2', members: ['lead2'], botInChat: true });
    await h.say('lead1', `/chat info ${c.chatId}`); // warm: token and registry
    h.emu.faults.latencyByEndpoint = { 'qrcode.get': 2_500 };
    const slow = h.emu.buildMessage('lead1', `/chat qr ${c.chatId}`);
    h.emu.deliver(slow);
    await h.emu.waitFor(() => h.emu.requests.find((r) => r.endpoint === 'qrcode.get' && r.status === 0));
    // Others are answered while the QR call is still pending.
    expect(await h.say('alice', '/whoami')).toContain('alice');
    expect(await h.say('lead2', `/chat info ${d.chatId}`)).toContain('Fast Room');
    expect(h.emu.replies.filter((r) => r.msgId === slow.msgId)).toEqual([]);
    const reply = await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === slow.msgId), 10_000);
    expect(reply.text).toContain('Join link');
    expect(reply.text).toContain(c.chatId);
  });
});

describe('stream faults: dead link and a gateway that hangs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      app: { stream: { heartbeat: { intervalMs: 100, timeoutMs: 400 }, openTimeoutMs: 500 } },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.gateway = 'ok';
    h.emu.faults.upgrade = 'ok';
    h.emu.faults.stopPong = false;
  });

  it('detects a dead link by its heartbeat (no pong, no frame) and reconnects', async () => {
    const [before] = openConnections(h);
    const kills = h.app.supervisor.stats.heartbeatKills;
    h.emu.faults.stopPong = true;
    await h.emu.waitFor(() => h.app.supervisor.stats.heartbeatKills > kills, 5_000);
    h.emu.faults.stopPong = false;
    await h.emu.waitFor(() => openConnections(h).some((c) => c.id !== before?.id), 5_000);
    await answers(h);
    expect(h.logs.some((l) => l.includes('the link is dead'))).toBe(true);
  });

  it('times out a connections/open that never answers, retries, and connects when the gateway is back', async () => {
    const mark = h.logs.length;
    h.emu.faults.gateway = 'hang';
    h.emu.dropConnections();
    const failures = () => parsed(h.logs, mark).filter((l) => l.msg === 'stream connect failed');
    await h.emu.waitFor(() => failures().length >= 2, 10_000);
    expect(String(failures()[0]?.err)).toMatch(/gateway request failed/);
    h.emu.faults.gateway = 'ok';
    await h.emu.waitForConnection(5_000);
    await answers(h);
  });

  it('times out a WebSocket upgrade that never answers, and retries with a fresh ticket', async () => {
    const mark = h.logs.length;
    const reqMark = h.emu.requests.length;
    h.emu.faults.upgrade = 'hang';
    h.emu.dropConnections();
    const failures = () => parsed(h.logs, mark).filter((l) => l.msg === 'stream connect failed');
    await h.emu.waitFor(() => failures().length >= 2, 10_000);
    h.emu.faults.upgrade = 'ok';
    await h.emu.waitForConnection(5_000);
    await answers(h);
    // One connections/open per attempt: tickets are single use (stream-protocol.md §1).
    const opens = h.emu.requests
      .slice(reqMark)
      .filter((r) => r.endpoint === 'gateway.open' && r.status === 200);
    expect(opens.length).toBeGreaterThanOrEqual(3);
    expect(new Set(opens.map((r) => (r.response as { ticket?: string }).ticket)).size).toBe(opens.length);
  });
});

describe('stream lifecycle: credentials refused for good, stop while connecting', () => {
  let emu: Emulator;
  let dataDir: string;
  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS });
    dataDir = mkdtempSync(join(tmpdir(), 'dgb-auth-'));
  });
  afterAll(async () => {
    await emu?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives up after maxAuthFailures refusals with a fatal StreamAuthError, and says why', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    const config = loadConfig(
      { ...emu.env(), DINGTALK_CLIENT_SECRET: 'wrong-secret-000000', BOT_DATA_DIR: dataDir },
      undefined,
    );
    const app = createApp({
      config,
      logger: createLogger({ level: 'info', destination: sink, secrets: ['wrong-secret-000000'] }),
      stream: { maxAuthFailures: 3, backoff: { initialMs: 20, maxMs: 100 } },
    });
    const err = await app.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamAuthError);
    expect(app.supervisor.status).toBe('stopped');
    // Exactly maxAuthFailures tries, each one reported, then no more.
    expect(emu.requests.filter((r) => r.endpoint === 'gateway.open')).toHaveLength(3);
    expect(lines.filter((l) => l.includes('rejected the client id or secret'))).toHaveLength(3);
    expect(lines.join('\n')).not.toContain('wrong-secret-000000');
    await app.stop({ drainMs: 0 });
    await new Promise((r) => setTimeout(r, 200));
    expect(emu.requests.filter((r) => r.endpoint === 'gateway.open')).toHaveLength(3);
  });

  it('stop() cancels a connections/open that hangs instead of waiting for its timeout', async () => {
    emu.faults.gateway = 'hang';
    const config = loadConfig({ ...emu.env(), BOT_DATA_DIR: dataDir }, undefined);
    // An open timeout far beyond the test's own: stop() must not wait for it.
    const app = createApp({
      config,
      logger: createLogger({ level: 'silent' }),
      stream: { openTimeoutMs: 120_000 },
    });
    const started = app.start();
    started.catch(() => {});
    await emu.waitFor(() => emu.requests.find((r) => r.endpoint === 'gateway.open' && r.status === 0));
    await app.stop({ drainMs: 0 });
    expect(app.supervisor.status).toBe('stopped');
    emu.faults.gateway = 'ok';
    await new Promise((r) => setTimeout(r, 200));
    expect(emu.connections().filter((c) => c.open)).toEqual([]);
  });
});
