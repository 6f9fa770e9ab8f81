import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.ts';
import { http, startEmu } from './helpers.ts';

const ROBOT = '/v1.0/im/bot/messages/get';
let emu: Emulator;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await emu.stop();
});

interface Client {
  ws: WebSocket;
  // biome-ignore lint/suspicious/noExplicitAny: raw frames
  frames: any[];
  raw: (string | Buffer)[];
  closed: boolean;
}

async function open(
  subscriptions = [{ type: 'CALLBACK', topic: ROBOT }],
): Promise<{ endpoint: string; ticket: string }> {
  const r = await http(emu, 'POST', '/v1.0/gateway/connections/open', {
    body: {
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      subscriptions,
      ua: 'test/1.0',
      localIp: '10.0.0.1',
    },
  });
  expect(r.status).toBe(200);
  return r.json;
}

function dial(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const c: Client = { ws, frames: [], raw: [], closed: false };
    ws.on('message', (d, isBinary) => {
      const s = (d as Buffer).toString('utf8');
      c.raw.push(isBinary ? (d as Buffer) : s);
      try {
        c.frames.push(JSON.parse(s));
      } catch {
        // raw only
      }
    });
    ws.on('close', () => {
      c.closed = true;
    });
    ws.on('open', () => resolve(c));
    ws.on('error', reject);
  });
}

async function connect(subscriptions?: { type: string; topic: string }[]): Promise<Client> {
  const { endpoint, ticket } = await open(subscriptions);
  return dial(`${endpoint}?ticket=${ticket}`);
}

async function start(opts: EmulatorOptions = {}): Promise<void> {
  emu = await startEmu(opts);
}

function ack(c: Client, messageId: string, data = '{"response":null}'): void {
  c.ws.send(
    JSON.stringify({
      code: 200,
      headers: { contentType: 'application/json', messageId },
      message: 'OK',
      data,
    }),
  );
}

describe('gateway open', () => {
  it('returns a ws endpoint and a URL-safe ticket; bad credentials → 401 authFailed', async () => {
    await start();
    const ok = await open();
    expect(ok.endpoint).toBe(`ws://127.0.0.1:${emu.port}/connect`);
    expect(encodeURIComponent(ok.ticket)).toBe(ok.ticket);
    const bad = await http(emu, 'POST', '/v1.0/gateway/connections/open', {
      body: { clientId: emu.clientId, clientSecret: 'wrong', subscriptions: [] },
    });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ code: 'authFailed', message: '鉴权失败' });
    expect(bad.json.requestid).toBeTypeOf('string');
    const noSubs = await http(emu, 'POST', '/v1.0/gateway/connections/open', {
      body: { clientId: emu.clientId, clientSecret: emu.clientSecret },
    });
    expect(noSubs.status).toBe(400);
  });

  it('tickets are single use and expire; a bad ticket is refused with HTTP 400', async () => {
    await start({ ticketTtlMs: 30 });
    const t = await open();
    const first = await dial(`${t.endpoint}?ticket=${t.ticket}`);
    expect(first.ws.readyState).toBe(WebSocket.OPEN);
    await expect(dial(`${t.endpoint}?ticket=${t.ticket}`)).rejects.toThrow(/400/);
    await expect(dial(`${t.endpoint}?ticket=nope`)).rejects.toThrow(/400/);
    const late = await open();
    const openedAt = Date.now();
    await emu.waitFor(() => Date.now() > openedAt + 40);
    await expect(dial(`${late.endpoint}?ticket=${late.ticket}`)).rejects.toThrow(/400/);
    expect(emu.connections()).toHaveLength(1);
    expect(emu.connections()[0]).toMatchObject({
      open: true,
      goingAway: false,
      ua: 'test/1.0',
      localIp: '10.0.0.1',
    });
  });
});

describe('frames and delivery', () => {
  it('pushes a CALLBACK frame shaped as stream-protocol.md §3 and records the ack', async () => {
    await start();
    const c = await connect();
    await emu.waitForConnection();
    const p = emu.buildMessage('alice', 'hello');
    const { msgId, messageId } = emu.deliver(p);
    await emu.waitFor(() => c.frames.length > 0);
    const f = c.frames[0];
    expect(f.specVersion).toBe('1.0');
    expect(f.type).toBe('CALLBACK');
    expect(typeof c.raw[0]).toBe('string');
    expect(f.headers).toEqual({
      appId: expect.any(String),
      connectionId: emu.connections()[0]?.id,
      contentType: 'application/json',
      messageId,
      time: expect.stringMatching(/^\d{13}$/),
      topic: ROBOT,
    });
    expect(messageId).toMatch(/^[0-9a-f]+_[0-9a-f]+_[0-9a-f]+_[0-9a-f]+$/);
    expect(typeof f.data).toBe('string');
    expect(JSON.parse(f.data)).toEqual(p);
    expect(msgId).toBe(p.msgId);
    ack(c, messageId);
    await emu.waitFor(() => emu.acks.length > 0);
    expect(emu.acks[0]).toMatchObject({ messageId, code: 200, data: '{"response":null}' });
    expect(emu.deliveries).toEqual([expect.objectContaining({ messageId, msgId, redelivery: false })]);
  });

  it('only pushes subscribed topics; queued messages go to the next subscribed connection', async () => {
    await start();
    const events = await connect([{ type: 'EVENT', topic: '*' }]);
    const { messageId } = emu.deliver(emu.buildMessage('alice', 'x'));
    expect(messageId).toBe('');
    const robot = await connect();
    await emu.waitFor(() => robot.frames.length === 1);
    expect(events.frames).toHaveLength(0);
    expect(emu.deliveries).toHaveLength(1);
  });

  it('an un-acked message is redelivered once with the same msgId and a new messageId', async () => {
    await start({ redeliveryDelayMs: 30 });
    const c = await connect();
    const { msgId, messageId } = emu.deliver(emu.buildMessage('alice', 'x'));
    await emu.waitFor(() => c.frames.length === 2);
    const second = c.frames[1];
    expect(second.headers.messageId).not.toBe(messageId);
    expect(JSON.parse(second.data).msgId).toBe(msgId);
    expect(emu.deliveries[1]).toMatchObject({ msgId, redelivery: true });
    // acked: no more redeliveries; count 1 means one redelivery at most — prove with a later marker
    const other = emu.deliver(emu.buildMessage('bob', 'y'));
    ack(c, other.messageId);
    await emu.waitFor(() => emu.acks.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.filter((f) => JSON.parse(f.data).msgId === msgId)).toHaveLength(2);
    expect(c.frames.filter((f) => JSON.parse(f.data).msgId === other.msgId)).toHaveLength(1);
  });

  it('one random live connection per message', async () => {
    await start();
    const a = await connect();
    const b = await connect();
    for (let i = 0; i < 20; i += 1) emu.deliver(emu.buildMessage('alice', `m${i}`));
    await emu.waitFor(() => a.frames.length + b.frames.length === 20);
    const ids = [...a.frames, ...b.frames].map((f) => JSON.parse(f.data).msgId);
    expect(new Set(ids).size).toBe(20);
  });
});

describe('SYSTEM frames', () => {
  it('ping carries an opaque that the ack must echo', async () => {
    await start();
    const c = await connect();
    const [opaque] = emu.sendPing();
    await emu.waitFor(() => c.frames.length === 1);
    const f = c.frames[0];
    expect(f).toMatchObject({ type: 'SYSTEM', headers: { topic: 'ping' } });
    expect(JSON.parse(f.data)).toEqual({ opaque });
    ack(c, f.headers.messageId, JSON.stringify({ opaque: 'wrong' }));
    await emu.waitFor(() => emu.acks.length === 1);
    expect(emu.pings[0]?.answered).toBe(false);
    ack(c, f.headers.messageId, f.data);
    await emu.waitFor(() => emu.pings[0]?.answered);
  });

  it('periodic pings when pingIntervalMs > 0', async () => {
    await start({ pingIntervalMs: 20 });
    const c = await connect();
    await emu.waitFor(() => c.frames.filter((f) => f.headers.topic === 'ping').length >= 2);
    const pings = c.frames.filter((f) => f.headers.topic === 'ping');
    expect(pings[0]).toMatchObject({ type: 'SYSTEM' });
    expect(JSON.parse(pings[0]!.data)).toHaveProperty('opaque');
    expect(pings[0]!.headers.messageId).not.toBe(pings[1]!.headers.messageId);
  });

  it('disconnect: reason frame, no more deliveries, close after the delay', async () => {
    await start({ disconnectCloseDelayMs: 50 });
    const c = await connect();
    emu.sendDisconnect();
    await emu.waitFor(() => c.frames.length === 1);
    expect(c.frames[0]).toMatchObject({ type: 'SYSTEM', headers: { topic: 'disconnect' } });
    expect(JSON.parse(c.frames[0].data)).toEqual({ reason: 'connection is expired' });
    expect(emu.connections()[0]?.goingAway).toBe(true);
    const { messageId } = emu.deliver(emu.buildMessage('alice', 'x'));
    expect(messageId).toBe('');
    await emu.waitFor(() => c.closed);
    expect(c.frames).toHaveLength(1);
    const next = await connect();
    await emu.waitFor(() => next.frames.length === 1);
  });

  it('kickOlderConnections: a new connection displaces the older ones; off, both stay', async () => {
    await start({ disconnectCloseDelayMs: 50 });
    const a = await connect();
    const b = await connect();
    emu.sendRawFrame('marker');
    await emu.waitFor(() => a.raw.includes('marker') && b.raw.includes('marker'));
    expect(a.frames).toEqual([]);
    expect(emu.connections().filter((c) => !c.goingAway)).toHaveLength(2);

    emu.faults.kickOlderConnections = true;
    const c = await connect();
    await emu.waitFor(() => a.closed && b.closed);
    for (const older of [a, b]) {
      expect(older.frames).toHaveLength(1);
      expect(older.frames[0]).toMatchObject({ type: 'SYSTEM', headers: { topic: 'disconnect' } });
    }
    expect(c.closed).toBe(false);
    expect(c.frames).toEqual([]);
    // Only the newest takes messages.
    const { messageId } = emu.deliver(emu.buildMessage('alice', 'x'));
    expect(emu.deliveries.at(-1)).toMatchObject({ messageId, connectionId: emu.connections()[2]?.id });
    await emu.waitFor(() => c.frames.length === 1);
  });

  it('CONNECTED/REGISTERED frames only when switched on', async () => {
    await start({ registeredFrames: true });
    const c = await connect();
    await emu.waitFor(() => c.frames.length === 2);
    expect(c.frames.map((f) => f.headers.topic)).toEqual(['CONNECTED', 'REGISTERED']);
    emu.faults.registeredFrames = false;
    const d = await connect();
    emu.sendRawFrame('marker', emu.connections()[1]?.id);
    await emu.waitFor(() => d.raw.length === 1);
    expect(d.raw).toEqual(['marker']);
  });
});

describe('stream faults', () => {
  it('bad frames reach the client as sent', async () => {
    await start();
    const c = await connect();
    emu.sendBadFrame('nonJson');
    emu.sendBadFrame('noHeaders');
    emu.sendBadFrame('binary');
    emu.sendBadFrame('unknownType');
    emu.sendRawFrame(Buffer.from([1, 2, 3]));
    await emu.waitFor(() => c.raw.length === 5);
    expect(c.raw[0]).toBe('this is not json {');
    expect(c.frames[0]).not.toHaveProperty('headers');
    expect(Buffer.isBuffer(c.raw[2])).toBe(true);
    expect(c.frames.at(-1)?.type).toBe('BOGUS');
    expect(Buffer.isBuffer(c.raw[4])).toBe(true);
  });

  it('dropConnections terminates without a disconnect frame', async () => {
    await start();
    const c = await connect();
    emu.dropConnections();
    await emu.waitFor(() => c.closed);
    expect(c.frames).toHaveLength(0);
    expect(emu.connections()[0]?.open).toBe(false);
  });

  it('stopPong: WebSocket pings go unanswered', async () => {
    await start();
    const c = await connect();
    let pongs = 0;
    c.ws.on('pong', () => {
      pongs += 1;
    });
    c.ws.ping();
    await emu.waitFor(() => pongs === 1);
    emu.faults.stopPong = true;
    c.ws.ping();
    // a frame sent after the server handled the ping arrives after any pong would have
    c.ws.send('after-ping');
    await emu.waitFor(() => emu.stream.badUpstream.includes('after-ping'));
    emu.sendRawFrame('marker');
    await emu.waitFor(() => c.raw.includes('marker'));
    expect(pongs).toBe(1);
  });

  it('gateway modes: 401, 500, down (503), refuse, hang', async () => {
    await start();
    const body = { clientId: emu.clientId, clientSecret: emu.clientSecret, subscriptions: [] };
    emu.faults.gateway = '401';
    expect((await http(emu, 'POST', '/v1.0/gateway/connections/open', { body })).status).toBe(401);
    emu.faults.gateway = '500';
    expect((await http(emu, 'POST', '/v1.0/gateway/connections/open', { body })).status).toBe(500);
    emu.faults.gateway = 'down';
    expect((await http(emu, 'POST', '/v1.0/gateway/connections/open', { body })).status).toBe(503);
    emu.faults.gateway = 'refuse';
    await expect(http(emu, 'POST', '/v1.0/gateway/connections/open', { body })).rejects.toThrow();
    emu.faults.gateway = 'hang';
    const ac = new AbortController();
    const pending = fetch(`${emu.baseUrl}/v1.0/gateway/connections/open`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
    });
    await emu.waitFor(() => emu.requests.filter((r) => r.endpoint === 'gateway.open').length === 5);
    expect(emu.requests.at(-1)?.status).toBe(0);
    ac.abort();
    await expect(pending).rejects.toThrow();
  });

  it('upgrade modes: reject (400) and hang', async () => {
    await start();
    emu.faults.upgrade = 'reject';
    const t = await open();
    await expect(dial(`${t.endpoint}?ticket=${t.ticket}`)).rejects.toThrow(/400/);
    emu.faults.upgrade = 'hang';
    const t2 = await open();
    const ws = new WebSocket(`${t2.endpoint}?ticket=${t2.ticket}`, { handshakeTimeout: 100 });
    sockets.push(ws);
    const err = await new Promise<Error>((resolve) => ws.on('error', resolve));
    expect(err.message).toMatch(/timed out/i);
  });
});
