/**
 * PostgreSQL going away while the bot runs (a TCP relay in front of the real server, cut and
 * restored): the user is told once that the command waits for the database, nothing crashes,
 * and the command runs and is answered when the database is back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/store/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';

/** A TCP relay to the database that can be cut (connections dropped, port refused) and restored. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(
    private readonly host: string,
    private readonly target: number,
  ) {}
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const s = this.server;
    this.server = undefined;
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }
}

describe('the database goes away and comes back while the bot runs', () => {
  let db: TestDatabase;
  let relay: Relay;
  let h: Harness;
  beforeAll(async () => {
    db = await freshDatabase();
    const u = new URL(db.url);
    relay = new Relay(u.hostname, Number(u.port));
    await relay.open();
    u.hostname = '127.0.0.1';
    u.port = String(relay.port);
    const store = await openPostgresStore({ url: u.toString(), connectTimeoutMs: 1_000 });
    h = await startHarness({ app: { store } });
  });
  afterAll(async () => {
    await h?.stop();
    await relay?.cut();
    await db?.drop();
  });

  it('tells the user once that the command waits, then runs it when the database is back', async () => {
    expect(await h.say('lead1', '/whoami')).toContain('lead1');
    await relay.cut();
    const msg = h.emu.buildMessage('lead1', '/whoami');
    h.emu.deliver(msg);
    const waiting = await h.emu.waitFor(() => h.emu.replies.find((r) => r.msgId === msg.msgId), 10_000);
    expect(waiting.text).toMatch(/database is unreachable; I will run your command when it is back/);
    // Still waiting a while later: no second "unreachable" reply, no answer yet.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(h.emu.replies.filter((r) => r.msgId === msg.msgId)).toHaveLength(1);
    await relay.open();
    const answer = await h.emu.waitFor(() => h.emu.replies.filter((r) => r.msgId === msg.msgId)[1], 15_000);
    expect(answer.text).toContain('lead1');
    expect(answer.text).not.toMatch(/unreachable/);
    // The bot carries on.
    expect(await h.say('lead1', '/whoami')).toContain('lead1');
    expect(h.emu.replies.filter((r) => r.msgId === msg.msgId)).toHaveLength(2);
    expect(h.logs.some((l) => l.includes('"level":60'))).toBe(false);
  }, 60_000);
});
