/**
 * Delivery to a chosen connection, to every live connection at once, and redelivery of a message
 * to another connection: what tests of several replicas need to steer messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Emulator } from '../../src/emulator/index.ts';
import { http, startEmu } from './helpers.ts';

const ROBOT = '/v1.0/im/bot/messages/get';
let emu: Emulator;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await emu.stop();
});

interface Client {
  // biome-ignore lint/suspicious/noExplicitAny: raw frames
  frames: any[];
}

/** Opens a robot-subscribed connection and returns it with the emulator's id for it. */
async function connect(): Promise<Client & { id: string }> {
  const before = new Set(emu.connections().map((c) => c.id));
  const r = await http(emu, 'POST', '/v1.0/gateway/connections/open', {
    body: {
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      subscriptions: [{ type: 'CALLBACK', topic: ROBOT }],
    },
  });
  const ws = new WebSocket(`${r.json.endpoint}?ticket=${r.json.ticket}`);
  sockets.push(ws);
  const c: Client = { frames: [] };
  ws.on('message', (d) => c.frames.push(JSON.parse((d as Buffer).toString('utf8'))));
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  const id = await emu.waitFor(() => emu.connections().find((x) => !before.has(x.id))?.id);
  return { ...c, id };
}

const msgIds = (c: Client): string[] => c.frames.map((f) => JSON.parse(f.data).msgId);

describe('steering deliveries between connections', () => {
  it('delivers to the chosen connection only, every time', async () => {
    emu = await startEmu();
    const a = await connect();
    const b = await connect();
    expect(emu.liveConnectionIds()).toEqual([a.id, b.id]);
    const sent = [];
    for (let i = 0; i < 10; i += 1)
      sent.push(emu.deliver(emu.buildMessage('alice', `m${i}`), { connectionId: b.id }));
    await emu.waitFor(() => b.frames.length === 10);
    expect(a.frames).toHaveLength(0);
    expect(msgIds(b)).toEqual(sent.map((s) => s.msgId));
    expect(emu.deliveries.every((d) => d.connectionId === b.id && !d.redelivery)).toBe(true);
  });

  it('delivers a copy to every live connection: same msgId, one messageId each', async () => {
    emu = await startEmu();
    const a = await connect();
    const b = await connect();
    const p = emu.buildMessage('alice', 'both');
    const { msgId, messageIds } = emu.deliverToAll(p);
    await emu.waitFor(() => a.frames.length === 1 && b.frames.length === 1);
    expect(msgIds(a)).toEqual([msgId]);
    expect(msgIds(b)).toEqual([msgId]);
    expect(new Set(messageIds).size).toBe(2);
    expect(new Set([a.frames[0].headers.messageId, b.frames[0].headers.messageId])).toEqual(
      new Set(messageIds),
    );
    expect(emu.deliveries.map((d) => d.connectionId).sort()).toEqual([a.id, b.id].sort());
  });

  it('redelivers a message to another connection as a redelivery with a new messageId', async () => {
    emu = await startEmu();
    const a = await connect();
    const b = await connect();
    const first = emu.deliver(emu.buildMessage('alice', 'again'), { connectionId: a.id });
    const again = emu.redeliver(first.msgId, { connectionId: b.id });
    await emu.waitFor(() => a.frames.length === 1 && b.frames.length === 1);
    expect(msgIds(b)).toEqual([first.msgId]);
    expect(again.messageId).not.toBe(first.messageId);
    expect(b.frames[0].headers.messageId).toBe(again.messageId);
    expect(emu.deliveries[1]).toMatchObject({ msgId: first.msgId, connectionId: b.id, redelivery: true });
  });

  it('refuses, with a message, an unknown connection or msgId and "all" with none live', async () => {
    emu = await startEmu();
    expect(() => emu.deliverToAll(emu.buildMessage('alice', 'x'))).toThrow(/no live connection any/);
    const a = await connect();
    expect(() => emu.deliver(emu.buildMessage('alice', 'x'), { connectionId: 'nope' })).toThrow(
      /no live connection nope/,
    );
    expect(() => emu.redeliver('no-such-msg', { connectionId: a.id })).toThrow(/no message no-such-msg/);
    expect(emu.deliveries).toHaveLength(0);
    expect(emu.stream.queued()).toBe(0);
  });

  it('the control API: say with `to` (an id or "all") and redeliver', async () => {
    emu = await startEmu();
    const a = await connect();
    const b = await connect();
    const one = await http(emu, 'POST', '/_emulator/say', { body: { from: 'alice', text: 'hi', to: a.id } });
    expect(one.status).toBe(200);
    await emu.waitFor(() => a.frames.length === 1);
    const all = await http(emu, 'POST', '/_emulator/say', {
      body: { from: 'alice', text: 'hey', to: 'all' },
    });
    expect(all.json.messageIds).toHaveLength(2);
    await emu.waitFor(() => a.frames.length === 2 && b.frames.length === 1);
    const re = await http(emu, 'POST', '/_emulator/redeliver', { body: { msgId: one.json.msgId, to: b.id } });
    expect(re.status).toBe(200);
    await emu.waitFor(() => b.frames.length === 2);
    expect(msgIds(b)[1]).toBe(one.json.msgId);
    const bad = await http(emu, 'POST', '/_emulator/redeliver', { body: { msgId: 'zzz', to: b.id } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('no message zzz');
    const missing = await http(emu, 'POST', '/_emulator/redeliver', { body: {} });
    expect(missing.status).toBe(400);
  });
});
