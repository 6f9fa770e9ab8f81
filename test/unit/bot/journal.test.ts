/**
 * The write journal over a real (in-memory SQLite) store: writes in a run are journaled before
 * they leave and finished with their answer; a run carried on after a crash is answered from the
 * journal, never sends a write twice; what the bot set is noted from successful writes.
 */
import { describe, expect, it } from 'vitest';
import { type Scope, WriteJournal, WriteOutcomeUnknown } from '../../../src/bot/journal.ts';
import { silentLogger } from '../../../src/log.ts';
import { openStore } from '../../../src/store/index.ts';
import type { JournalWrite } from '../../../src/store/types.ts';
import { plan } from '../auth/fakes.ts';

function setup() {
  const store = openStore({ memory: true });
  const journal = new WriteJournal(store.journal, store, 'r1', silentLogger());
  const scope = (replay?: JournalWrite[]): Scope => ({
    key: 'robot:m1',
    record: { plan: plan() },
    conversationId: 'cidA',
    started: false,
    ...(replay ? { replay } : {}),
    used: new Set(),
  });
  return { store, journal, scope };
}

const body = { chatid: 'chat1', name: 'New' };

describe('the write journal', () => {
  it('records the run at its first write, each write before it leaves and its answer after', async () => {
    const { store, journal, scope } = setup();
    let seen: JournalWrite[] = [];
    const answer = await journal.within(scope(), () =>
      journal.write({ endpoint: 'chat.update', body }, async () => {
        seen = await store.journal.writes('robot:m1');
        return { errcode: 0 };
      }),
    );
    expect(answer).toEqual({ errcode: 0 });
    // Begun (no outcome yet) while the call was out.
    expect(seen).toMatchObject([{ endpoint: 'chat.update', chatId: 'chat1', outcome: undefined }]);
    expect(await store.journal.writes('robot:m1')).toMatchObject([
      { outcome: 'ok', answer: '{"errcode":0}' },
    ]);
    expect(await store.journal.getRun('robot:m1')).toMatchObject({ command: 'chat remove', replicaId: 'r1' });
  });

  it('writes outside a run (replies) are not journaled', async () => {
    const { store, journal } = setup();
    await journal.write({ endpoint: 'chat.update', body }, async () => 1);
    expect(await store.journal.getRun('robot:m1')).toBeUndefined();
  });

  it('carried on: an answered write is answered from the journal and not sent again', async () => {
    const { store, journal, scope } = setup();
    await journal.within(scope(), () =>
      journal.write({ endpoint: 'chat.update', body }, async () => ({ v: 1 })),
    );
    const writes = await store.journal.writes('robot:m1');
    let sent = 0;
    const again = await journal.within(scope(writes), () =>
      journal.write({ endpoint: 'chat.update', body }, async () => {
        sent++;
        return { v: 2 };
      }),
    );
    expect(again).toEqual({ v: 1 });
    expect(sent).toBe(0);
  });

  it('carried on: a write begun without an answer, or failed in a way that may have taken effect, is never sent again', async () => {
    const { store, journal, scope } = setup();
    await store.journal.startRun({
      key: 'robot:m1',
      userId: 'lead1',
      conversationId: 'cidA',
      command: 'chat remove',
      chatId: 'chat1',
      plan: '{}',
      replicaId: 'dead',
      startedAt: 1,
    });
    await store.journal.begin({
      runKey: 'robot:m1',
      endpoint: 'chat.update',
      chatId: 'chat1',
      request: JSON.stringify(body),
      startedAt: 1,
    });
    const open = await store.journal.writes('robot:m1');
    await expect(
      journal.within(scope(open), () => journal.write({ endpoint: 'chat.update', body }, async () => 1)),
    ).rejects.toBeInstanceOf(WriteOutcomeUnknown);
    const failed: JournalWrite[] = [
      {
        ...(open[0] as JournalWrite),
        outcome: 'failed',
        answer: JSON.stringify({ mayHaveTakenEffect: true }),
      },
    ];
    await expect(
      journal.within(scope(failed), () => journal.write({ endpoint: 'chat.update', body }, async () => 1)),
    ).rejects.toBeInstanceOf(WriteOutcomeUnknown);
    // A failure that proved nothing was done is sent again.
    const refused: JournalWrite[] = [
      {
        ...(open[0] as JournalWrite),
        outcome: 'failed',
        answer: JSON.stringify({ mayHaveTakenEffect: false }),
      },
    ];
    expect(
      await journal.within(scope(refused), () =>
        journal.write({ endpoint: 'chat.update', body }, async () => 'sent'),
      ),
    ).toBe('sent');
  });

  it('a failed write is finished as failed with its description, and rethrown', async () => {
    const { store, journal, scope } = setup();
    const boom = Object.assign(new Error('HTTP 500'), { mayHaveTakenEffect: true });
    await expect(
      journal.within(scope(), () =>
        journal.write({ endpoint: 'chat.update', body }, async () => {
          throw boom;
        }),
      ),
    ).rejects.toBe(boom);
    const [w] = await store.journal.writes('robot:m1');
    expect(w?.outcome).toBe('failed');
    expect(JSON.parse(w?.answer ?? '{}')).toMatchObject({ message: 'HTTP 500', mayHaveTakenEffect: true });
  });

  it('notes what the bot set from successful writes: admins, nicknames, the private-chat switch', async () => {
    const { store, journal, scope } = setup();
    await journal.within(scope(), async () => {
      await journal.write(
        { endpoint: 'subadmin.update', body: { chatid: 'chat1', userids: 'alice,bob', role: 2 } },
        async () => ({}),
      );
      await journal.write(
        { endpoint: 'subadmin.update', body: { chatid: 'chat1', userids: 'bob', role: 3 } },
        async () => ({}),
      );
      await journal.write(
        { endpoint: 'updategroupnick', body: { chatid: 'chat1', userid: 'alice', group_nick: 'Ally' } },
        async () => ({}),
      );
      await journal.write(
        { endpoint: 'friendswitch.update', body: { chatid: 'chat1', is_prohibit: true } },
        async () => ({}),
      );
    });
    expect((await store.changes.facts('chat1')).map((f) => [f.kind, f.userId, f.value])).toEqual([
      ['admin', 'alice', '1'],
      ['nick', 'alice', 'Ally'],
      ['private-chat', '', 'off'],
    ]);
  });
});
