import { describe, expect, it } from 'vitest';
import { readRun } from '../../../../src/bot/journal.ts';
import { md } from '../../../../src/bot/render.ts';
import { bind } from '../../../../src/bot/steps/bind.ts';
import { run } from '../../../../src/bot/steps/run.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { DingTalkApiError } from '../../../../src/dingtalk/errors.ts';
import type { JournalWrite } from '../../../../src/store/types.ts';
import { HERE_ID, type World, type WorldOptions, world } from './world.ts';

/** Routed and bound (these commands type nobody): the plan ready to run. */
async function planned(w: World, text: string): Promise<Turn> {
  const turn = await w.routed(text);
  expect(await w.step(bind(w.deps), turn)).toBe(true);
  expect(turn.plan).toBeDefined();
  return turn;
}

async function renameWorld(o: WorldOptions = {}) {
  const w = await world(o);
  const turn = await planned(w, '/chat rename here New');
  const done = turn.t('chat.rename.done', { old: 'Team Here', name: 'New', chatId: HERE_ID });
  return { w, turn, done };
}

/** A write of an earlier attempt of this run, as the journal holds it. */
function earlierWrite(key: string, outcome: JournalWrite['outcome']): JournalWrite {
  return {
    id: 1,
    runKey: key,
    endpoint: 'chat.update',
    chatId: HERE_ID,
    request: JSON.stringify({ chatid: HERE_ID, name: 'New' }),
    startedAt: 1,
    finishedAt: outcome === undefined ? undefined : 2,
    outcome,
    answer: outcome === 'ok' ? 'null' : undefined,
  };
}

describe('run', () => {
  it('runs the handler, audits it as allowed and records its write in the journal', async () => {
    const { w, turn, done } = await renameWorld();
    expect(await w.step(run(w.deps), turn)).toBe(true);
    expect(turn.outcome).toEqual({
      reply: { text: done },
      audit: expect.objectContaining({ command: 'chat rename', chatId: HERE_ID, outcome: 'allowed' }),
    });
    expect(w.groups.sent).toEqual([{ endpoint: 'chat.update', body: { chatid: HERE_ID, name: 'New' } }]);
    const runRow = await w.store.journal.getRun(turn.key);
    expect(runRow).toMatchObject({ command: 'chat rename', chatId: HERE_ID, userId: 'lead1' });
    expect(runRow?.finishedAt).toBeDefined();
    expect(readRun(runRow?.plan ?? '')?.plan.command).toBe('chat rename');
    const writes = await w.store.journal.writes(turn.key);
    expect(writes.map((x) => [x.endpoint, x.outcome])).toEqual([['chat.update', 'ok']]);
    // What takes the change back is recorded for /chat undo.
    const change = await w.store.changes.latestUndoable('lead1', 0, HERE_ID);
    expect(JSON.parse(change?.undo ?? '[]')).toEqual([{ kind: 'rename', name: 'Team Here' }]);
  });

  it('records no run for a command that writes nothing', async () => {
    const w = await world();
    const turn = await planned(w, '/chat info here');
    expect(await w.step(run(w.deps), turn)).toBe(true);
    expect(turn.outcome?.audit?.outcome).toBe('allowed');
    expect(turn.outcome?.reply.text).toContain('**Team Here**');
    expect(await w.store.journal.getRun(turn.key)).toBeUndefined();
  });

  it('records the run of a stored plan before it runs, even when it writes nothing', async () => {
    const w = await world();
    const turn = await planned(w, '/chat info here');
    turn.stored = true;
    await w.step(run(w.deps), turn);
    const runRow = await w.store.journal.getRun(turn.key);
    expect(runRow?.command).toBe('chat info');
    expect(runRow?.finishedAt).toBeDefined();
  });

  it('audits a confirmed plan as confirmed and keeps its code in the journal', async () => {
    const { w, turn, done } = await renameWorld();
    turn.confirmedWith = 'ABCDEF';
    turn.plan?.notes.push('Ann → Ann (ann1)');
    await w.step(run(w.deps), turn);
    // The confirmation showed who was found already.
    expect(turn.outcome?.reply.text).toBe(done);
    expect(turn.outcome?.audit).toMatchObject({
      outcome: 'confirmed',
      reason: { key: 'audit.reason.confirmed', params: { code: 'ABCDEF' } },
    });
    const runRow = await w.store.journal.getRun(turn.key);
    expect(readRun(runRow?.plan ?? '')?.confirmedWith).toBe('ABCDEF');
  });

  it('tells who each word was and what the turn noticed, after the first paragraph', async () => {
    const { w, turn, done } = await renameWorld();
    turn.plan?.notes.push('Ann → Ann (ann1)');
    turn.notices.push('A pick was dropped.');
    await w.step(run(w.deps), turn);
    expect(turn.outcome?.reply.text).toBe(`${done}\n\nFound: Ann → Ann (ann1).\nA pick was dropped.`);
  });

  it('answers a handler that runs out of time with the timeout reply', async () => {
    const w = await world({ commandTimeoutMs: 100 });
    const turn = await planned(w, '/chat info here');
    w.groups.hang = true;
    expect(await w.step(run(w.deps), turn)).toBe(true);
    expect(turn.outcome?.reply.text).toBe(
      turn.t('pipeline.timeout', { seconds: 0.1, check: `/chat info ${HERE_ID}` }),
    );
    expect(turn.outcome?.audit).toMatchObject({
      command: 'chat info',
      outcome: 'failed',
      reason: { key: 'audit.reason.timeout', params: { seconds: 0.1 } },
    });
  });

  it('stops at a write whose earlier attempt has no answer, and says so', async () => {
    const { w, turn } = await renameWorld();
    turn.replay = [earlierWrite(turn.key, undefined)];
    await w.step(run(w.deps), turn);
    expect(w.groups.sent).toEqual([]);
    expect(turn.outcome?.reply.text).toBe(
      turn.t('pipeline.interrupted', {
        command: 'chat rename',
        chat: HERE_ID,
        check: `/chat info ${HERE_ID}`,
        chatName: md(`**Team Here** (\`${HERE_ID}\`)`),
      }),
    );
    expect(turn.outcome?.audit).toMatchObject({
      outcome: 'failed',
      reason: { key: 'audit.reason.interrupted', params: { endpoint: 'chat.update' } },
    });
  });

  it('carries on a run: a write answered before is not sent again', async () => {
    const { w, turn, done } = await renameWorld();
    turn.replay = [earlierWrite(turn.key, 'ok')];
    await w.step(run(w.deps), turn);
    expect(w.groups.sent).toEqual([]);
    expect(turn.outcome?.reply.text).toBe(done);
    expect(turn.outcome?.audit?.outcome).toBe('allowed');
  });

  it("refuses with the handler's UserError", async () => {
    const w = await world();
    const turn = await planned(w, '/chat rename here "A name far longer than twenty"');
    await w.step(run(w.deps), turn);
    expect(turn.outcome?.reply.text).toBe(
      turn.t('chat.rename.name-length', { name: 'A name far longer than twenty', length: 29, max: 20 }),
    );
    expect(turn.outcome?.audit).toMatchObject({
      outcome: 'refused',
      reason: { key: 'chat.rename.name-length' },
    });
    expect(w.groups.calls).toEqual([]);
  });

  it('answers a DingTalk refusal with the failed reply and its errcode', async () => {
    const w = await world();
    const turn = await planned(w, '/chat info here');
    w.groups.fail = new DingTalkApiError({
      endpoint: 'chat.get',
      status: 200,
      errcode: 60011,
      message: 'no',
    });
    await w.step(run(w.deps), turn);
    expect(turn.outcome?.audit).toMatchObject({ outcome: 'failed', errcode: '60011' });
  });

  it('needs a plan', async () => {
    const w = await world();
    const turn = await w.routed('/chat info here');
    await expect(w.step(run(w.deps), turn)).rejects.toThrow('run needs a plan');
  });
});
