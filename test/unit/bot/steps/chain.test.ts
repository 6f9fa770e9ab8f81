/** The steps composed as pipeline.ts composes them: they hand the turn on to each other. */
import { describe, expect, it } from 'vitest';
import { commandChain } from '../../../../src/bot/pipeline.ts';
import type { Turn } from '../../../../src/bot/steps/turn.ts';
import { HERE_ID, type World, world } from './world.ts';

async function say(w: World, text: string): Promise<Turn> {
  const d = w.deps;
  const chain = commandChain(d);
  const turn = w.turn(text);
  await chain(turn, async () => {});
  return turn;
}

describe('the chain', () => {
  it('a risky command waits for /confirm, which runs exactly the plan previewed', async () => {
    const w = await world();
    const asked = await say(w, '/chat remove here bob');
    expect(asked.outcome?.audit?.outcome).toBe('pending');
    expect(w.groups.sent).toEqual([]);

    const confirmed = await say(w, '/confirm');
    expect(confirmed.outcome?.audit).toMatchObject({
      command: 'chat remove',
      chatId: HERE_ID,
      outcome: 'confirmed',
    });
    expect(w.groups.sent).toEqual([{ endpoint: 'chat.update', body: { chatid: HERE_ID, remove: ['bob'] } }]);
    expect(w.groups.chats.get(HERE_ID)?.members).toEqual(['lead1', 'alice']);
    // The confirmed run is in the journal, with its code.
    expect((await w.store.journal.getRun(confirmed.key))?.command).toBe('chat remove');
  });

  it('an ambiguous name waits for /pick, which then runs the command', async () => {
    const w = await world();
    w.directory.answers.set('Ann', {
      kind: 'many',
      candidates: [
        { userId: 'ann1', name: 'Ann' },
        { userId: 'ann2', name: 'Ann' },
      ],
      more: false,
    });
    const asked = await say(w, '/chat add here Ann');
    expect(asked.outcome?.audit?.outcome).toBe('pending');
    const picked = await say(w, '/pick 1');
    expect(picked.outcome?.audit).toMatchObject({ command: 'chat add', outcome: 'allowed' });
    expect(w.groups.sent).toEqual([{ endpoint: 'chat.update', body: { chatid: HERE_ID, add: ['ann1'] } }]);
  });

  it('a refused caller learns nothing about the directory', async () => {
    const w = await world();
    const refused = w.turn('/chat add here Ann', { senderUserId: 'alice' });
    await commandChain(w.deps)(refused, async () => {});
    expect(refused.outcome?.audit?.reason?.key).toBe('audit.reason.role-needed');
    expect(w.directory.lookups).toEqual([]);
    // The same line from a lead does look Ann up.
    await say(w, '/chat add here Ann');
    expect(w.directory.lookups.map((r) => r.text)).toEqual(['Ann']);
  });
});
