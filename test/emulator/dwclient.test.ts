/** The real dingtalk-stream 2.1.5 client against the emulator (stream-protocol.md §8-9, P1 and P4). */
import { DWClient, type DWClientDownStream, TOPIC_ROBOT } from 'dingtalk-stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.ts';
import { startEmu } from './helpers.ts';

let emu: Emulator;
let client: DWClient | undefined;

afterEach(async () => {
  client?.disconnect();
  client = undefined;
  await emu.stop();
});

async function connectClient(
  opts: EmulatorOptions,
  onMessage: (c: DWClient, msg: DWClientDownStream) => void,
): Promise<DWClient> {
  emu = await startEmu(opts);
  const c = new DWClient({
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    keepAlive: false,
    subscriptions: [],
  } as never);
  // biome-ignore lint/suspicious/noExplicitAny: private SDK fields (stream-protocol.md §9 P1)
  const anyClient = c as any;
  anyClient.config.autoReconnect = false;
  anyClient.getEndpoint = async () => {
    const res = await fetch(`${emu.baseUrl}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        ua: 'test',
        subscriptions: anyClient.config.subscriptions,
      }),
    });
    const { endpoint, ticket } = (await res.json()) as { endpoint: string; ticket: string };
    anyClient.dw_url = `${endpoint}?ticket=${encodeURIComponent(ticket)}`;
    return c;
  };
  c.registerCallbackListener(TOPIC_ROBOT, (msg: DWClientDownStream) => onMessage(c, msg));
  client = c;
  await c.connect();
  await emu.waitForConnection();
  return c;
}

describe('dingtalk-stream DWClient against the emulator', () => {
  it('receives a robot message and its ack is recorded', async () => {
    const got: DWClientDownStream[] = [];
    await connectClient({}, (c, msg) => {
      got.push(msg);
      c.socketCallBackResponse(msg.headers.messageId, { ok: true });
    });
    expect(emu.connections()[0]?.subscriptions).toEqual([{ type: 'CALLBACK', topic: TOPIC_ROBOT }]);
    const { msgId, messageId } = emu.deliver(emu.buildMessage('alice', 'hello'));
    await emu.waitFor(() => emu.acks.length === 1);
    expect(emu.acks[0]).toMatchObject({ messageId, code: 200, data: '{"response":{"ok":true}}' });
    expect(JSON.parse(got[0]?.data ?? '{}')).toMatchObject({ msgId, text: { content: 'hello' } });
  });

  it('an un-acked message comes back with the same msgId and a new messageId', async () => {
    const got: DWClientDownStream[] = [];
    await connectClient({ redeliveryDelayMs: 30 }, (_c, msg) => {
      got.push(msg);
    });
    const { msgId, messageId } = emu.deliver(emu.buildMessage('alice', 'no ack'));
    await emu.waitFor(() => got.length === 2);
    expect(got.map((m) => JSON.parse(m.data).msgId)).toEqual([msgId, msgId]);
    expect(got[0]?.headers.messageId).toBe(messageId);
    expect(got[1]?.headers.messageId).not.toBe(messageId);
    expect(emu.deliveries.map((d) => d.redelivery)).toEqual([false, true]);
  });

  it('answers SYSTEM ping with the opaque echoed', async () => {
    await connectClient({}, () => undefined);
    const [opaque] = emu.sendPing();
    await emu.waitFor(() => emu.pings[0]?.answered);
    expect(emu.pings[0]).toMatchObject({ opaque, answered: true });
    // The ack for the ping carries the same messageId and echoes the opaque in its data.
    const ack = emu.acks.find((a) => a.messageId === emu.pings[0]?.messageId);
    expect(JSON.parse(String(ack?.data))).toEqual({ opaque });
  });

  it('disconnect frame, then the emulator closes the socket', async () => {
    const c = await connectClient({ disconnectCloseDelayMs: 50 }, () => undefined);
    expect(c.connected).toBe(true);
    emu.sendDisconnect();
    await emu.waitFor(() => c.connected === false);
    expect(emu.connections()[0]?.goingAway).toBe(true);
    await emu.waitFor(() => emu.connections()[0]?.open === false);
  });

  it('say() waits for the webhook reply caused by the message', async () => {
    await connectClient({}, (c, msg) => {
      c.socketCallBackResponse(msg.headers.messageId, null);
      const data = JSON.parse(msg.data) as { sessionWebhook: string; text: { content: string } };
      void fetch(data.sessionWebhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'text', text: { content: `echo:${data.text.content}` } }),
      });
    });
    const chat = emu.org.addChat({ name: 'G', owner: 'alice', members: ['bob'] });
    const [reply] = await emu.say('alice', 'ping @bob', { chat: chat.chatId, mentions: ['bob'] });
    expect(reply).toMatchObject({
      via: 'webhook',
      text: 'echo: ping @Bob Li',
      conversationId: chat.openConversationId,
    });
    await expect(emu.say('alice', 'x', { expect: 2, timeoutMs: 200 })).rejects.toThrow(/1\/2 replies/);
  });
});
