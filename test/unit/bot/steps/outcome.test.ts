import { describe, expect, it } from 'vitest';
import { decodeReason } from '../../../../src/bot/audit.ts';
import type { RenderedReply, Replier } from '../../../../src/bot/replier.ts';
import { deliver, type OutcomeDeps, render, settle } from '../../../../src/bot/steps/outcome.ts';
import type { IncomingMessage } from '../../../../src/bot/types.ts';
import { HERE_ID, log, message, world } from './world.ts';

/** The replier: records what it sends, or fails. */
class FakeReplier {
  readonly sent: { msg: IncomingMessage; rendered: RenderedReply }[] = [];
  fail: Error | undefined;
  async send(msg: IncomingMessage, rendered: RenderedReply): Promise<void> {
    if (this.fail) throw this.fail;
    this.sent.push({ msg, rendered });
  }
}

async function setup() {
  const w = await world();
  const replier = new FakeReplier();
  const deps: OutcomeDeps = {
    store: w.store,
    audit: w.deps.audit,
    replier: replier as unknown as Replier,
    metrics: undefined,
    stats: { replied: 0, replyFailures: 0 },
    log,
  };
  const msg = message({ text: '/chat rename here New', msgId: 'm-outcome' });
  const key = 'dingrobot:m-outcome';
  expect(await w.store.dedupe.claim(key, Date.now())).toEqual({ state: 'claimed' });
  return { w, replier, deps, msg, key };
}

describe('settle', () => {
  it('audits, stores the rendered reply with the claim and delivers it', async () => {
    const { w, replier, deps, msg, key } = await setup();
    await settle(
      deps,
      key,
      msg,
      {
        reply: { text: 'Renamed.' },
        audit: {
          command: 'chat rename',
          chatId: HERE_ID,
          args: { name: 'New' },
          outcome: 'refused',
          reason: { key: 'auth.not-owner', params: { owner: 'lead2' } },
        },
      },
      250,
      log,
    );
    const [rec] = await w.store.audit.latest(1);
    expect(rec).toMatchObject({
      userId: 'lead1',
      command: 'chat rename',
      chatId: HERE_ID,
      args: JSON.stringify({ name: 'New' }),
      outcome: 'refused',
      durationMs: 250,
    });
    expect(decodeReason(rec?.reason ?? '')).toEqual({ key: 'auth.not-owner', params: { owner: 'lead2' } });
    const rendered = render({ text: 'Renamed.' }, msg);
    expect(rendered.webhookBody).toMatchObject({
      msgtype: 'markdown',
      markdown: { text: '@lead1 Renamed.' },
    });
    expect(replier.sent).toEqual([{ msg, rendered }]);
    expect(deps.stats).toEqual({ replied: 1, replyFailures: 0 });
    // A redelivery finds the reply stored and delivered: it is not run again.
    expect(await w.store.dedupe.claim(key, Date.now())).toEqual({
      state: 'done',
      reply: JSON.stringify(rendered),
      delivered: true,
    });
  });

  it('records nothing in the audit for an outcome without one', async () => {
    const { w, replier, deps, msg, key } = await setup();
    await settle(deps, key, msg, { reply: { text: 'Send /help.' } }, 5, log);
    expect(await w.store.audit.latest(10)).toEqual([]);
    expect(replier.sent).toHaveLength(1);
  });

  it('records an audit without arguments as {}', async () => {
    const { w, deps, msg, key } = await setup();
    await settle(
      deps,
      key,
      msg,
      { reply: { text: 'x' }, audit: { command: 'help', outcome: 'allowed' } },
      1,
      log,
    );
    const [rec] = await w.store.audit.latest(1);
    expect(rec?.args).toBe('{}');
    expect(rec?.chatId).toBeUndefined();
  });

  it('still sends the reply when the audit cannot be written', async () => {
    const { replier, deps, msg, key } = await setup();
    const failing: OutcomeDeps = {
      ...deps,
      audit: {
        record: async () => {
          throw new Error('disk full');
        },
      } as unknown as OutcomeDeps['audit'],
    };
    await settle(
      failing,
      key,
      msg,
      { reply: { text: 'x' }, audit: { command: 'help', outcome: 'allowed' } },
      1,
      log,
    );
    expect(replier.sent).toHaveLength(1);
  });
});

describe('deliver', () => {
  it('counts a reply that could not be sent and leaves it undelivered', async () => {
    const { w, replier, deps, msg, key } = await setup();
    const rendered = render({ text: 'x' }, msg);
    await w.store.dedupe.finish(key, JSON.stringify(rendered));
    replier.fail = new Error('network');
    await deliver(deps, key, msg, rendered);
    expect(deps.stats).toEqual({ replied: 0, replyFailures: 1 });
    expect(await w.store.dedupe.claim(key, Date.now())).toMatchObject({ state: 'done', delivered: false });
  });
});
