/**
 * No stray lines in the output (issue 20): a robot frame whose headers.messageId is empty cannot
 * be acked, and the SDK's ack (`socketCallBackResponse` → `send`) would print "send: messageId
 * must be defined" to the console. The bot says it in its log instead and still answers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

describe('no stray console lines from the stream client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a robot frame without headers.messageId is answered, logged, and prints nothing', async () => {
    const printed: string[] = [];
    const capture = (...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    };
    for (const level of ['error', 'warn', 'log', 'info', 'debug'] as const)
      vi.spyOn(console, level).mockImplementation(capture);
    const stderr = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk, ...rest) => {
      printed.push(String(chunk));
      return stderr(chunk, ...(rest as []));
    });
    const stdout = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
      printed.push(String(chunk));
      return stdout(chunk, ...(rest as []));
    });

    await h.emu.waitForConnection(5_000);
    const [conn] = h.emu.connections();
    const payload = h.emu.buildMessage('alice', '/whoami');
    const mark = h.emu.replies.length;
    const logMark = h.logs.length;
    h.emu.sendRawFrame(
      JSON.stringify({
        specVersion: '1.0',
        type: 'CALLBACK',
        headers: {
          connectionId: conn?.id,
          contentType: 'application/json',
          messageId: '',
          time: String(Date.now()),
          topic: ROBOT_TOPIC,
        },
        data: JSON.stringify(payload),
      }),
    );
    const reply = await h.emu.waitFor(() => h.emu.replies.slice(mark).find((r) => r.msgId === payload.msgId));
    expect(reply.text).toContain('alice');
    expect(printed.filter((l) => l.includes('messageId must be defined'))).toEqual([]);
    expect(printed).toEqual([]);
    expect(h.logs.slice(logMark).some((l) => l.includes('a robot frame without headers.messageId'))).toBe(
      true,
    );
  });
});
