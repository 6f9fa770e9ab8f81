import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode, track, writes } from './helpers.ts';

/** Issue 19 item 4: after /chat owner, the chat is the new owner's in the registry too. */
describe('a handover hands over', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the old lead may no longer change or list it, the new owner lists and changes it, an admin still may', async () => {
    const created = await h.say('lead1', '/chat create Handed lead2 alice');
    const chatId = /`(chat[0-9a-f]+)`/.exec(created)?.[1] ?? '';
    expect(chatId).toMatch(/^chat/);
    expect(await h.say('lead1', '/chat list')).toContain(chatId);
    expect(await h.say('lead2', '/chat list')).not.toContain(chatId);

    const ask = await h.say('lead1', `/chat owner ${chatId} lead2`);
    await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(h.emu.org.chat(chatId)?.owner).toBe('lead2');
    expect((await h.app.store.registry.get(chatId))?.createdFor).toBe('lead2');

    // The old lead: refused on every change, nothing written.
    const t = track(h);
    for (const line of [
      `/chat rename ${chatId} Mine`,
      `/chat remove ${chatId} alice`,
      `/chat owner ${chatId} lead1`,
      `/chat set ${chatId} mute=on`,
    ]) {
      const reply = await h.say('lead1', line);
      expect(reply, line).toContain('may not change');
    }
    expect(writes(t.calls())).toEqual([]);
    expect(await h.say('lead1', '/chat list')).not.toContain(chatId);

    // The new owner lists it and may change it.
    expect(await h.say('lead2', '/chat list')).toContain(chatId);
    expect(await h.say('lead2', `/chat rename ${chatId} Handed2`)).toContain('Handed2');

    // An admin still may change it.
    expect(await h.say('admin1', `/chat rename ${chatId} Handed3`)).toContain('Handed3');
    expect(h.emu.org.chat(chatId)?.name).toBe('Handed3');
  });
});
