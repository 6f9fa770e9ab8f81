/** Crash recovery decides by the write journal: run, report as unknown, or carry on. */
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../../../commands/index.ts';
import { createTranslator } from '../../../../src/bot/i18n.ts';
import { loadCommands } from '../../../../src/bot/registry.ts';
import { interrupted, recovery } from '../../../../src/bot/steps/recover.ts';
import { openStore } from '../../../../src/store/index.ts';
import { plan } from '../../auth/fakes.ts';

const commands = loadCommands(allCommands);

async function withRun(writes: { outcome?: 'ok' | 'failed' }[], planJson = JSON.stringify({ plan: plan() })) {
  const store = openStore({ memory: true });
  await store.journal.startRun({
    key: 'r:m1',
    userId: 'lead1',
    conversationId: 'cidA',
    command: 'chat remove',
    chatId: 'chat1',
    plan: planJson,
    replicaId: 'dead',
    startedAt: 1,
  });
  for (const w of writes) {
    const id = await store.journal.begin({
      runKey: 'r:m1',
      endpoint: 'chat.update',
      chatId: 'chat1',
      request: '{}',
      startedAt: 2,
    });
    if (w.outcome !== undefined) await store.journal.finish(id, w.outcome, '{}', 3);
  }
  return store;
}

describe('recovery', () => {
  it('no run in the journal: no write began, the message runs', async () => {
    const store = openStore({ memory: true });
    expect(await recovery(store, commands, 'r:m1')).toEqual({ kind: 'run' });
    await store.close();
  });

  it('a write without an answer: unknown, naming its chat and endpoint', async () => {
    const store = await withRun([{ outcome: 'ok' }, {}]);
    expect(await recovery(store, commands, 'r:m1')).toEqual({
      kind: 'unknown',
      command: 'chat remove',
      chatId: 'chat1',
      endpoint: 'chat.update',
    });
    await store.close();
  });

  it('every write answered: the plan is carried on with the writes it made', async () => {
    const store = await withRun([{ outcome: 'ok' }, { outcome: 'failed' }]);
    const r = await recovery(store, commands, 'r:m1');
    expect(r.kind).toBe('carry-on');
    if (r.kind !== 'carry-on') return;
    expect(r.spec.name).toBe('chat remove');
    expect(r.record.plan.chat?.chatId).toBe('chat1');
    expect(r.writes.map((w) => w.outcome)).toEqual(['ok', 'failed']);
    await store.close();
  });

  it('a batch goes on past a write without an answer: carried on, the open write among its writes', async () => {
    const set = { label: 'tag:proj', kind: 'tag', chats: [plan().chat] };
    const store = await withRun([{ outcome: 'ok' }, {}], JSON.stringify({ plan: { ...plan(), set } }));
    const r = await recovery(store, commands, 'r:m1');
    expect(r.kind).toBe('carry-on');
    if (r.kind !== 'carry-on') return;
    expect(r.record.plan.set?.label).toBe('tag:proj');
    expect(r.writes.map((w) => w.outcome)).toEqual(['ok', undefined]);
    await store.close();
  });

  it('a run whose plan cannot be read (a row from before plans) is reported as unknown', async () => {
    const store = await withRun([], '{}');
    expect((await recovery(store, commands, 'r:m1')).kind).toBe('unknown');
    await store.close();
  });

  it('the unknown outcome names the chat by name when the registry knows it, and is audited as failed', async () => {
    const store = openStore({ memory: true });
    await store.registry.upsert({
      chatId: 'chat1',
      openConversationId: undefined,
      name: 'Design',
      createdFor: 'lead1',
      createdByBot: true,
    });
    const t = createTranslator('en', commands.messages);
    const o = await interrupted(store, t, {
      kind: 'unknown',
      command: 'chat remove',
      chatId: 'chat1',
      endpoint: 'chat.update',
    });
    expect(o.reply.text).toContain('**Design** (`chat1`)');
    expect(o.reply.text).toContain('/chat info chat1');
    expect(o.audit).toEqual({
      command: 'chat remove',
      chatId: 'chat1',
      outcome: 'failed',
      reason: { key: 'audit.reason.interrupted', params: { endpoint: 'chat.update' } },
    });
    await store.close();
  });
});
