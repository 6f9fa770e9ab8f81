/**
 * src/health.ts against hostile clients, over raw sockets on 127.0.0.1 (node:net): a request
 * target the URL parser refuses (`GET //[`), garbage bytes, a slowloris head that never ends, an
 * idle kept-alive socket. Each is answered 400 (or cut off) and closed, no rejection goes
 * unhandled, and 300 of them leave no socket open.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HealthServer, Metrics, startHealthServer } from '../../src/health.ts';

/** Writes `data` and collects what the server sends until it closes the socket (or `ms` passes). */
function exchange(
  port: number,
  data: string | Buffer | undefined,
  ms = 3_000,
): Promise<{ text: string; closed: boolean; elapsed: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, elapsed: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    if (data !== undefined) socket.write(data);
  });
}

describe('health server, hostile clients', () => {
  let server: HealthServer;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    server = await startHealthServer({
      port: 0,
      metrics: new Metrics(),
      checks: { streamConnected: () => true, storeReachable: () => true },
      timeouts: { headersMs: 300, requestMs: 600, keepAliveMs: 300 },
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    rejections.length = 0;
    process.on('unhandledRejection', onRejection);
  });
  afterEach(() => {
    process.off('unhandledRejection', onRejection);
  });

  it('answers `GET //[ HTTP/1.1` with 400 and closes the socket', async () => {
    const r = await exchange(server.port, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.text.toLowerCase()).toContain('connection: close');
    expect(r.closed).toBe(true);
    await new Promise((res) => setTimeout(res, 20));
    expect(rejections).toEqual([]);
  });

  it('answers garbage bytes with 400 and closes the socket', async () => {
    const r = await exchange(server.port, Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10, 0x47, 0x00]));
    expect(r.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.closed).toBe(true);
  });

  it('cuts off a slowloris client that never finishes its head', async () => {
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      // One more header line every 100 ms, never the blank line that ends the head.
      const drip = setInterval(() => socket.write(`X-${Date.now()}: a\r\n`), 100);
      const giveUp = setTimeout(() => {
        clearInterval(drip);
        socket.destroy();
        resolve(false);
      }, 5_000);
      const end = () => {
        clearInterval(drip);
        clearTimeout(giveUp);
        socket.destroy();
        resolve(true);
      };
      socket.on('close', end);
      socket.on('error', end);
      socket.resume();
    });
    expect(closed).toBe(true);
    // headersTimeout 300 ms, checked every 150 ms: well before the 5 s give-up.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('closes an idle kept-alive socket after keepAliveTimeout', async () => {
    const r = await exchange(server.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 4_000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.closed).toBe(true);
    expect(r.elapsed).toBeLessThan(3_000);
  });

  it('closes a socket that sends nothing at all', async () => {
    const r = await exchange(server.port, undefined, 4_000);
    expect(r.closed).toBe(true);
  });

  it('300 malformed requests: every one answered 400, no unhandled rejection, no socket left open', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        exchange(
          server.port,
          i % 2 === 0 ? 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n' : `\u0000garbage ${i}\r\n\r\n`,
        ),
      ),
    );
    expect(results.filter((r) => !/^HTTP\/1\.1 400 /.test(r.text))).toEqual([]);
    expect(results.every((r) => r.closed)).toBe(true);
    await new Promise((res) => setTimeout(res, 50));
    expect(rejections).toEqual([]);
    expect(await server.openSockets()).toBe(0);
  });
});
