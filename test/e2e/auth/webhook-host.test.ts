/**
 * Defence in depth for replies: a frame whose sessionWebhook points anywhere but the configured
 * DingTalk host (DINGTALK_OAPI_BASE's origin) never makes the bot call that URL. The reply goes
 * through the robot OpenAPI instead, and the warning names the host, not the session key.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RobotPayload, SentReply } from '../../../src/emulator/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

const WARNING = 'sessionWebhook is not on the DingTalk host; replying through the robot OpenAPI';

describe('a sessionWebhook on a foreign host', () => {
  let h: Harness;
  let foreign: http.Server;
  let foreignBase: string;
  const foreignHits: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    foreign = http.createServer((req, res) => {
      foreignHits.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignBase = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await h?.stop();
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
  });

  /** Delivers `payload` with its sessionWebhook moved to `hook`; resolves with the reply it caused. */
  async function deliverWith(payload: RobotPayload, hook: string, match: (r: SentReply) => boolean) {
    payload.sessionWebhook = hook;
    const before = h.emu.replies.length;
    h.emu.deliver(payload);
    return h.emu.waitFor(() => h.emu.replies.slice(before).find(match));
  }

  it('1:1: the foreign URL gets nothing, the reply comes through the robot API, the log has no key', async () => {
    const payload = h.emu.buildMessage('lead1', '/whoami');
    const key = new URL(payload.sessionWebhook).searchParams.get('session') ?? '';
    expect(key.length).toBeGreaterThan(8);
    const hook = `${foreignBase}/robot/sendBySession?session=${key}`;
    const reply = await deliverWith(
      payload,
      hook,
      (r) => r.via === 'oto' && (r.userIds ?? []).includes('lead1'),
    );
    expect(reply.text).toContain('userId: lead1');
    expect(foreignHits).toEqual([]);
    // No webhook send at all, to either host.
    expect(h.emu.replies.filter((r) => r.via === 'webhook')).toEqual([]);
    const warning = h.logs.find((l) => l.includes(WARNING));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning as string)).toMatchObject({
      webhookHost: new URL(foreignBase).host,
      expected: h.config.oapiBase,
    });
    for (const line of h.logs) expect(line).not.toContain(key);
  });

  it('group: a look-alike on the same address but another port or scheme is refused too', async () => {
    const chat = h.emu.org.addChat({ name: 'Ops', owner: 'lead1', members: ['lead1', 'alice'] });
    for (const hook of [
      `${foreignBase}/robot/sendBySession?session=abc`,
      `${h.config.oapiBase.replace('http://', 'https://')}/robot/sendBySession?session=abc`,
      'not a url at all',
    ]) {
      const payload = h.emu.buildMessage('lead1', '/whoami', { chat: chat.chatId });
      const reply = await deliverWith(
        payload,
        hook,
        (r) => r.via === 'group' && r.conversationId === chat.openConversationId,
      );
      expect(reply.text).toContain('userId: lead1');
    }
    expect(foreignHits).toEqual([]);
    expect(h.emu.replies.filter((r) => r.via === 'webhook')).toEqual([]);
    expect(h.logs.filter((l) => l.includes(WARNING))).toHaveLength(4);
    expect(h.logs.some((l) => l.includes('"webhookHost":"(not a URL)"'))).toBe(true);
  });

  it('a sessionWebhook on the DingTalk host is still used', async () => {
    const [reply] = await h.emu.say('lead1', '/whoami');
    expect(reply?.via).toBe('webhook');
    expect(foreignHits).toEqual([]);
  });
});
