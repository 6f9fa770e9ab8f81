/**
 * src/health.ts over a real socket on 127.0.0.1: liveness, readiness from the given checks
 * (503 when either fails, throws, rejects or does not answer), Prometheus text from the
 * counters, and the server's edges (other paths and methods, a taken port, stop).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HealthServer, Metrics, startHealthServer } from '../../src/health.ts';

describe('health server', () => {
  const metrics = new Metrics();
  let streamUp = true;
  let store: () => boolean | Promise<boolean> = () => true;
  let server: HealthServer;
  let base: string;

  beforeAll(async () => {
    server = await startHealthServer({
      port: 0,
      metrics,
      checks: { streamConnected: () => streamUp, storeReachable: () => store() },
      checkTimeoutMs: 100,
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server.stop());

  async function get(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; type: string; text: string }> {
    const res = await fetch(`${base}${path}`, init);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  it('binds to 127.0.0.1 by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
  });

  it('/healthz answers 200 while the process runs', async () => {
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 only with the stream connected and the store reachable', async () => {
    streamUp = true;
    store = () => true;
    let r = await get('/readyz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ ready: true, stream: true, store: true });

    streamUp = false;
    r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toEqual({ ready: false, stream: false, store: true });

    streamUp = true;
    store = async () => false;
    r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.text)).toEqual({ ready: false, stream: true, store: false });

    for (const failing of [
      () => {
        throw new Error('database is locked');
      },
      () => Promise.reject(new Error('connection refused')),
      () => new Promise<boolean>(() => {}), // never answers: the timeout decides
    ]) {
      store = failing;
      r = await get('/readyz');
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text)).toEqual({ ready: false, stream: true, store: false });
      expect(r.text).not.toContain('database is locked');
    }
    store = () => true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('/metrics gives the counters in Prometheus text format', async () => {
    metrics.messages.inc(2);
    metrics.replies.inc();
    metrics.errors.inc({ kind: 'reply' });
    metrics.dingtalkCalls.inc({ api: 'chat.get', outcome: 'ok' }, 3);
    metrics.dingtalkCalls.inc({ api: 'chat.get', outcome: 'rate_limited' });
    metrics.limiterWaits.inc(4);
    metrics.streamReconnects.inc();
    metrics.claimsTakenOver.inc(5);
    metrics.jobs.inc({ outcome: 'done' }, 2);
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = r.text.split('\n');
    for (const line of [
      '# TYPE messages_total counter',
      'messages_total 2',
      'replies_total 1',
      'errors_total{kind="reply"} 1',
      'dingtalk_calls_total{api="chat.get",outcome="ok"} 3',
      'dingtalk_calls_total{api="chat.get",outcome="rate_limited"} 1',
      'limiter_waits_total 4',
      'stream_reconnects_total 1',
      'claims_taken_over_total 5',
      'jobs_total{outcome="done"} 2',
    ]) {
      expect(lines).toContain(line);
    }
    // The process's own figures come along (RSS, heap) for the same scrape.
    expect(r.text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('answers 404 on other paths and 405 on other methods', async () => {
    expect((await get('/')).status).toBe(404);
    expect((await get('/metrics/x')).status).toBe(404);
    const post = await get('/healthz', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    const head = await get('/healthz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('refuses a port that is taken, naming it', async () => {
    await expect(
      startHealthServer({
        port: server.port,
        metrics: new Metrics(),
        checks: { streamConnected: () => true, storeReachable: () => true },
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${server.port}`);
  });

  it('listens where BOT_HTTP_HOST says, and stop() closes it', async () => {
    const other = await startHealthServer({
      port: 0,
      host: '127.0.0.2',
      metrics: new Metrics(),
      checks: { streamConnected: () => true, storeReachable: () => true },
    });
    expect(other.host).toBe('127.0.0.2');
    // Not on 127.0.0.1: the bound address is the only one it answers on.
    const refused = await new Promise<string>((resolve) => {
      http
        .get({ host: '127.0.0.1', port: other.port, path: '/healthz' }, () => resolve('answered'))
        .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect((await fetch(`http://127.0.0.2:${other.port}/healthz`)).status).toBe(200);
    await other.stop();
    await expect(fetch(`http://127.0.0.2:${other.port}/healthz`)).rejects.toThrow();
  });
});
