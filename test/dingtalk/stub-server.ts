/**
 * A scripted HTTP server on 127.0.0.1 for exact fault sequences the emulator cannot express
 * (a hang after the request was read, an HTML body, a token answer with a chosen lifetime).
 * Each request is recorded with the server's receive timestamp.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Server receive time (ms). */
  at: number;
}

export interface StubReply {
  status?: number;
  /** Object → JSON; string → sent as is (text/html). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (the socket is destroyed on close). */
  hang?: boolean;
}

export type StubHandler = (req: StubRequest, nth: number) => StubReply | Promise<StubReply>;

export interface Stub {
  baseUrl: string;
  requests: StubRequest[];
  /** Requests whose path starts with `prefix`. */
  hits(prefix: string): StubRequest[];
  connections: number;
  close(): Promise<void>;
}

/** Default token answer: `{accessToken: 'tok-<n>', expireIn: 7200}`. */
export function tokenReply(n: number, expireIn = 7200): StubReply {
  return { body: { accessToken: `tok${String(n).padStart(29, '0')}`, expireIn } };
}

/**
 * Starts a stub. `routes` maps a path prefix to a handler; `/v1.0/oauth2/accessToken` answers
 * tokens by default (tok…1, tok…2, …) unless overridden.
 */
export async function startStub(routes: Record<string, StubHandler>): Promise<Stub> {
  const requests: StubRequest[] = [];
  const counts = new Map<string, number>();
  let tokenN = 0;
  const sockets = new Set<import('node:net').Socket>();
  let connections = 0;
  const all: Record<string, StubHandler> = {
    '/v1.0/oauth2/accessToken': () => tokenReply(++tokenN),
    ...routes,
  };
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // keep the raw string
      }
      const r: StubRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        at,
      };
      requests.push(r);
      const key = Object.keys(all)
        .filter((p) => r.path.startsWith(p))
        .sort((a, b) => b.length - a.length)[0];
      const handler = key === undefined ? undefined : all[key];
      const nth = (counts.get(key ?? '') ?? 0) + 1;
      counts.set(key ?? '', nth);
      Promise.resolve(
        handler ? handler(r, nth) : { status: 404, body: { code: 'notFound', message: 'no route' } },
      )
        .then((reply) => {
          if (reply.hang) return;
          const isText = typeof reply.body === 'string';
          res.writeHead(reply.status ?? 200, {
            'content-type': isText ? 'text/html' : 'application/json',
            ...reply.headers,
          });
          res.end(isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}));
        })
        .catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    hits: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
