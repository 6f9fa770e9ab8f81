/**
 * Reliability under Stream faults: nothing lost, nothing done twice. Each case sends a burst of
 * writes (renames), reads and 1:1 messages, breaks the Stream in the middle, and checks the
 * invariants of burst.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { buildBurst, checkInvariants, deliver, settle } from './burst.ts';

describe('fault injection: the Stream', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      // DingTalk pushes an un-acked robot message again after ~60 s (stream-protocol.md §6.1);
      // 1 s here so that a frame lost with a dropped socket comes back within the test.
      emulator: { redeliveryDelayMs: 1_000 },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.gateway = 'ok';
    h.emu.stream.redeliveryDelayMs = 1_000;
    h.emu.stream.redeliveryCount = 1;
  });

  it('socket dropped in the middle of a burst: every message answered once, no rename done twice', async () => {
    const b = await buildBurst(h, { renames: 10, infos: 3 });
    deliver(h, b, 0, 9);
    h.emu.dropConnections();
    deliver(h, b, 9);
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(10);
  });

  it('`disconnect` frame during a burst: every message answered once, no rename done twice', async () => {
    const b = await buildBurst(h, { renames: 10, infos: 3 });
    deliver(h, b, 0, 9);
    h.emu.sendDisconnect();
    deliver(h, b, 9);
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(10);
  });

  it('gateway down for a while, then back: messages sent meanwhile are answered once after it returns', async () => {
    // Real DingTalk outages of ~30 s behave the same with the production backoff (1 s doubling,
    // 60 s cap); 3 s with the harness backoff (50 ms doubling, 500 ms cap) keeps the test short.
    const b = await buildBurst(h, { renames: 6, infos: 2 });
    deliver(h, b, 0, 4);
    h.emu.faults.gateway = 'down';
    h.emu.dropConnections();
    deliver(h, b, 4);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(h.app.supervisor.stats.failures).toBeGreaterThan(0);
    h.emu.faults.gateway = 'ok';
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(6);
  });

  it('every message redelivered (emulator retry timer beats the ack, plus a second copy of each): each runs once', async () => {
    // The emulator redelivers a message not acked when its timer fires; at 0 ms the timer fires
    // before most acks come back, so most messages arrive twice on their own. Each payload is
    // also delivered once more by hand (same msgId, new headers.messageId), so all of them do.
    h.emu.stream.redeliveryDelayMs = 0;
    h.emu.stream.redeliveryCount = 2;
    const b = await buildBurst(h, { renames: 10, infos: 3 });
    const dup = h.app.pipeline.stats.duplicates;
    deliver(h, b);
    deliver(h, b);
    await settle(h, b);
    // Late copies from the emulator's own redelivery timers have come in by now.
    await h.emu.waitFor(() => h.emu.deliveries.filter((d) => d.redelivery).length > 0);
    await h.app.pipeline.idle();
    const ids = new Set(b.messages.map((m) => m.payload.msgId));
    const copies = h.emu.deliveries.filter((d) => ids.has(d.msgId)).length;
    expect(copies).toBeGreaterThanOrEqual(2 * b.messages.length);
    expect(h.app.pipeline.stats.duplicates - dup).toBeGreaterThanOrEqual(b.messages.length);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(10);
  });

  it('a bot restart in the middle of a burst: every message answered once, no rename done twice', async () => {
    const b = await buildBurst(h, { renames: 10, infos: 3 });
    deliver(h, b, 0, 7);
    const restarted = h.restart();
    deliver(h, b, 7);
    await restarted;
    await settle(h, b);
    const { renamed } = await checkInvariants(h, b);
    expect(renamed).toBe(10);
  });
});
