/**
 * Sets of chats on two real bot processes sharing one PostgreSQL: tags made on one replica are
 * the other's too, a batch asked on one is confirmed on the other, and the batch is undone from
 * either: the two are one bot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/index.ts';
import { type Replicas, startReplicas } from '../../helpers/replicas.ts';
import { confirmCode } from '../commands/helpers.ts';

describe('sets of chats across two replicas (PostgreSQL)', () => {
  let rs: Replicas;
  let emu: Emulator;

  const members = (chatId: string) => [...(emu.org.chat(chatId)?.members ?? [])].sort();

  beforeAll(async () => {
    rs = await startReplicas({ replyTimeoutMs: 15_000 });
    emu = rs.emu;
  }, 60_000);
  afterAll(async () => {
    await rs?.stop();
  });
  const sayTo: Replicas['sayTo'] = (...a) => rs.sayTo(...a);

  it('tags on one, the batch asked on it and confirmed on the other, undone from the first', async () => {
    const ids: string[] = [];
    for (const name of ['Shared Set 1', 'Shared Set 2']) {
      await sayTo(0, 'lead1', `/chat create "${name}" alice bob`);
      const c = emu.org.chats().find((x) => x.name === name);
      if (!c) throw new Error(`${name} was not created`);
      ids.push(c.chatId);
      expect(await sayTo(0, 'lead1', `/chat tag ${c.chatId} shared`)).toContain('Tagged');
    }
    const list = await sayTo(1, 'lead1', '/chat list tag:shared');
    expect(list).toContain('Your chats with the tag shared (2)');

    const ask = await sayTo(1, 'lead1', '/chat remove tag:shared bob');
    expect(ask).toContain('remove Bob (bob)');
    const ledger = await sayTo(0, 'lead1', `/confirm ${confirmCode(ask)}`);
    expect(ledger).toContain('2 chats: 2 done, 0 skipped, 0 failed');
    for (const id of ids) expect(members(id)).toEqual(['alice', 'lead1']);

    const undo = await sayTo(1, 'lead1', '/chat undo');
    expect(undo).toContain('2 chats: 2 done, 0 skipped, 0 failed');
    for (const id of ids) expect(members(id)).toEqual(['alice', 'bob', 'lead1']);
  }, 60_000);
});
