/**
 * A department larger than one command may use (the member list is capped at 1000): the preview
 * states its true size from department/get, not "1000 people".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TEST_USERS } from '../../helpers/harness.ts';

const BIG = Array.from({ length: 1_200 }, (_, i) => ({
  userId: `big${String(i).padStart(4, '0')}`,
  nick: `Big ${i}`,
  deptIds: [20001],
}));

describe('a department past the member cap', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      users: [...TEST_USERS, ...BIG],
      emulator: { departments: [{ deptId: 20001, name: 'Everyone Big' }], qpsLimit: null },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is previewed with its true size and the cap', async () => {
    const c = h.emu.org.addChat({
      name: 'Town Hall',
      owner: 'lead1',
      members: ['lead1'],
      createdByApi: true,
    });
    const reply = await h.say('lead1', `/chat add ${c.chatId} dept:"Everyone Big"`, { timeoutMs: 20_000 });
    expect(reply).toContain('Everyone Big (1200 people; only the first 1000 can be used in one command)');
    expect(reply).toContain('/confirm');
    expect(h.emu.org.chat(c.chatId)?.members).toEqual(['lead1']);
  });
});
