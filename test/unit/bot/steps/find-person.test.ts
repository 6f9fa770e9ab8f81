import { describe, expect, it } from 'vitest';
import { findPerson } from '../../../../src/bot/steps/find-person.ts';
import { log, world } from './world.ts';

async function setup() {
  const w = await world();
  const t = w.turn('/audit').t;
  const find = (typed: string) => findPerson(w.deps, typed, 'lead1', t, log);
  return { w, find };
}

describe('findPerson', () => {
  it('takes `me` as the caller without a lookup', async () => {
    const { w, find } = await setup();
    expect(await find('me')).toBe('lead1');
    expect(w.directory.lookups).toEqual([]);
  });

  it('finds one person by name', async () => {
    const { w, find } = await setup();
    w.directory.answers.set('Ann Lee', {
      kind: 'one',
      person: { userId: 'ann1', name: 'Ann Lee' },
      verified: true,
    });
    expect(await find('Ann Lee')).toBe('ann1');
    expect(w.directory.lookups).toEqual([{ kind: 'name', text: 'Ann Lee', raw: 'Ann Lee' }]);
  });

  it('finds a typed userId through the directory', async () => {
    const { find } = await setup();
    expect(await find('alice')).toBe('alice');
  });

  it('names the candidates when several people match', async () => {
    const { w, find } = await setup();
    w.directory.answers.set('Ann', {
      kind: 'many',
      candidates: [
        { userId: 'ann1', name: 'Ann' },
        { userId: 'ann2', name: 'Ann' },
      ],
      more: false,
    });
    await expect(find('Ann')).rejects.toMatchObject({
      code: 'people.ambiguous',
      params: { word: 'Ann', candidates: 'Ann (ann1), Ann (ann2)' },
    });
  });

  it('refuses nobody, and a department of several', async () => {
    const { w, find } = await setup();
    await expect(find('Nobody')).rejects.toMatchObject({ code: 'people.none', params: { word: 'Nobody' } });
    w.directory.answers.set('Sales', {
      kind: 'members',
      dept: { deptId: 1, name: 'Sales' },
      members: [{ userId: 'a' }, { userId: 'b' }],
      truncated: false,
    });
    await expect(find('dept:Sales')).rejects.toMatchObject({
      code: 'people.one-expected',
      params: { word: 'dept:Sales', count: 2 },
    });
  });

  it('passes a failed lookup on', async () => {
    const { w, find } = await setup();
    const boom = new Error('boom');
    w.directory.answers.set('Ann', { kind: 'error', error: boom });
    await expect(find('Ann')).rejects.toBe(boom);
  });
});
