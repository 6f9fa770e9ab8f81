/**
 * DingTalk kicking older Stream connections (emulator switch kickOlderConnections, UNCONFIRMED):
 * two bot apps on one PostgreSQL do not displace each other for ever. The one displaced
 * repeatedly stands by, exactly one stays connected and answers; when the active one stops
 * without giving up its lease, the standby connects once the lease lapses and answers.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { Emulator } from '../../../src/emulator/index.ts';
import { createLogger } from '../../../src/log.ts';
import { openPostgresStore } from '../../../src/store/index.ts';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';

const TTL_MS = 4_000;

describe('replicas against a DingTalk that kicks older connections', () => {
  let emu: Emulator;
  let db: TestDatabase;
  const apps: App[] = [];
  const logs = new Map<string, string[]>();
  const logged = (app: App) => (logs.get(app.replicaId) ?? []).map((l) => JSON.parse(l).msg as string);
  const replica = async (replicaId: string) => {
    const config = loadConfig(
      { ...emu.env(), BOT_DATA_DIR: '/nonexistent-unused', BOT_LEADS: 'lead1', DATABASE_URL: db.url },
      undefined,
    );
    const lines: string[] = [];
    logs.set(replicaId, lines);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(line);
        cb();
      },
    });
    const app = createApp({
      config,
      logger: createLogger({ level: 'info', destination: sink }),
      store: await openPostgresStore({ url: db.url, replica: replicaId }),
      replicaId,
      stream: { drainMs: 500 },
      standby: { ttlMs: TTL_MS, renewMs: 1_000, pollMs: 300 },
    });
    apps.push(app);
    await app.start();
    return app;
  };
  /** Robot messages this replica took from the Stream. */
  const taken = async (app: App) => (await app.metrics.messages.get()).values[0]?.value ?? 0;
  const live = () => emu.connections().filter((c) => c.open && !c.goingAway);

  beforeAll(async () => {
    emu = await Emulator.start({ users: TEST_USERS, disconnectCloseDelayMs: 300 });
    emu.faults.kickOlderConnections = true;
    db = await freshDatabase();
  });
  afterAll(async () => {
    for (const a of apps) await a.stop({ drainMs: 500 }).catch(() => {});
    await emu?.stop();
    await db?.drop();
  });

  it('no reconnect loop: one replica connected and answering; the standby takes over when it stops', async () => {
    const startedAt = Date.now();
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const standing = await emu.waitFor(() => [a, b].find((x) => x.supervisor.status === 'standby'), 10_000);
    const active = standing === a ? b : a;
    // Let the rest of 10 s pass: a loop would keep opening connections.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - startedAt))));
    const opens = emu.connections().length;
    expect(opens).toBeGreaterThanOrEqual(2);
    expect(opens).toBeLessThanOrEqual(8);
    expect(standing.supervisor.status).toBe('standby');
    expect(active.supervisor.status).toBe('open');
    expect(live()).toHaveLength(1);
    expect(await active.store.replicas.leaseHolder('stream')).toBe(active.replicaId);
    expect(logged(standing)).toContain(
      'displaced repeatedly by another replica: standing by and watching its lease',
    );
    expect(logged(active)).not.toContain(
      'displaced repeatedly by another replica: standing by and watching its lease',
    );

    expect(await emu.say('lead1', '/help')).toHaveLength(1);
    expect([await taken(active), await taken(standing)]).toEqual([1, 0]);
    expect(emu.connections().length).toBe(opens);

    // A graceful stop gives the lease up; the standby takes it at its next look.
    await active.stop({ drainMs: 500 });
    const stoppedAt = Date.now();
    expect(await standing.store.replicas.leaseHolder('stream')).not.toBe(active.replicaId);
    await emu.waitFor(() => standing.supervisor.status === 'open' || undefined, TTL_MS + 5_000);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(TTL_MS + 5_000);
    expect(live()).toHaveLength(1);
    expect(await standing.store.replicas.leaseHolder('stream')).toBe(standing.replicaId);
    expect(await emu.say('lead1', '/help')).toHaveLength(1);
    expect(await taken(standing)).toBe(1);
    expect(logged(standing)).toContain('the stream lease lapsed: taking over the connection');
  }, 40_000);
});

describe('one replica on SQLite against a DingTalk that kicks older connections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { disconnectCloseDelayMs: 300 } });
    h.emu.faults.kickOlderConnections = true;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('never stands by: each `disconnect` soon after connecting is followed by a new connection', async () => {
    expect(h.app.store.kind).toBe('sqlite');
    for (let i = 1; i <= 4; i++) {
      h.emu.sendDisconnect();
      await h.emu.waitFor(() => h.emu.connections().length === i + 1 || undefined, 5_000);
      await h.emu.waitFor(() => h.app.supervisor.status === 'open' || undefined, 5_000);
    }
    expect(h.emu.connections().filter((c) => c.open && !c.goingAway)).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain('standing by');
    expect(await h.say('lead1', '/help')).not.toBe('');
  });
});
