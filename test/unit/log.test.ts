import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrubSecrets } from '../../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger redaction', () => {
  it('redacts secret fields wherever they sit in the object', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.info(
      {
        clientSecret: 'sekret-123456',
        req: { accessToken: 'a'.repeat(32), headers: { 'x-acs-dingtalk-access-token': 'b'.repeat(32) } },
        sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=c0ffee',
      },
      'hello',
    );
    const out = lines.join('');
    expect(out).toContain('hello');
    expect(out).not.toContain('sekret-123456');
    expect(out).not.toContain('a'.repeat(32));
    expect(out).not.toContain('b'.repeat(32));
    expect(out).not.toContain('c0ffee');
    expect(out).toContain('[redacted]');
  });

  it('scrubs secrets that hide in free text and literal secrets it was given', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination, secrets: ['my-client-secret'] });
    log.warn(`failed GET /gettoken?appkey=k&appsecret=zzz123 then ?access_token=${'d'.repeat(32)}`);
    log.error({ err: new Error('boom my-client-secret') }, 'with session=deadbeefcafe');
    const out = lines.join('');
    expect(out).not.toContain('zzz123');
    expect(out).not.toContain('d'.repeat(32));
    expect(out).not.toContain('my-client-secret');
    expect(out).not.toContain('deadbeefcafe');
  });

  it('scrubSecrets leaves ordinary text alone', () => {
    expect(scrubSecrets('/chat create "Design Review" @alice')).toBe('/chat create "Design Review" @alice');
  });
});
