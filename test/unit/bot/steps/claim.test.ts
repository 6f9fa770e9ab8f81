import { describe, expect, it } from 'vitest';
import { type ClaimDeps, claim } from '../../../../src/bot/steps/claim.ts';
import type { IncomingMessage } from '../../../../src/bot/types.ts';
import { StoreUnavailableError } from '../../../../src/store/index.ts';
import type { ClaimResult, DedupeStore } from '../../../../src/store/types.ts';
import { log, message, world } from './world.ts';

async function setup(dedupe?: (real: DedupeStore) => DedupeStore) {
  const w = await world();
  const told: IncomingMessage[] = [];
  let accepting = true;
  const deps: ClaimDeps = {
    dedupe: dedupe ? dedupe(w.store.dedupe) : w.store.dedupe,
    replicaId: 'replica-a',
    metrics: undefined,
    now: Date.now,
    accepting: () => accepting,
    tellWaiting: async (m) => {
      told.push(m);
    },
  };
  return {
    w,
    deps,
    told,
    stop: () => {
      accepting = false;
    },
  };
}

/** A dedupe store that is unreachable for the first `n` claims. */
function flaky(n: number, calls: { count: number }) {
  return (real: DedupeStore): DedupeStore =>
    Object.assign(Object.create(real) as DedupeStore, {
      claim: (...args: Parameters<DedupeStore['claim']>): Promise<ClaimResult> => {
        calls.count++;
        if (calls.count <= n) return Promise.reject(new StoreUnavailableError('connection refused'));
        return real.claim(...args);
      },
    });
}

describe('claim', () => {
  it('claims a new message, recording the replica and the message', async () => {
    const { w, deps } = await setup();
    const msg = message({ text: '/help' });
    expect(await claim(deps, 'k1', msg, log)).toEqual({ state: 'claimed' });
    expect(await claim(deps, 'k1', msg, log)).toMatchObject({ state: 'running', replicaId: 'replica-a' });
    // A survivor could answer it: the claim holds the message.
    const orphans = await w.store.dedupe.orphaned('replica-b', 0);
    expect(orphans.map((o) => [o.key, JSON.parse(o.message).text])).toEqual([['k1', '/help']]);
  });

  it('waits for an unreachable store, telling the user once, then claims', async () => {
    const calls = { count: 0 };
    const { deps, told } = await setup(flaky(2, calls));
    const msg = message({ text: '/help' });
    expect(await claim(deps, 'k2', msg, log)).toEqual({ state: 'claimed' });
    expect(calls.count).toBe(3);
    expect(told).toEqual([msg]);
  });

  it('gives up when the bot shuts down while the store is unreachable', async () => {
    const calls = { count: 0 };
    const { deps, told, stop } = await setup(flaky(Number.POSITIVE_INFINITY, calls));
    stop();
    expect(await claim(deps, 'k3', message(), log)).toBeUndefined();
    expect(calls.count).toBe(1);
    expect(told).toHaveLength(1);
  });

  it('lets any other error through', async () => {
    const { deps } = await setup((real) =>
      Object.assign(Object.create(real) as DedupeStore, {
        claim: () => Promise.reject(new Error('constraint failed')),
      }),
    );
    await expect(claim(deps, 'k4', message(), log)).rejects.toThrow('constraint failed');
  });
});
