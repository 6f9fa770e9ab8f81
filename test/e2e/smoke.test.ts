import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.ts';

describe('smoke: the whole stack through the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers /whoami in a 1:1 chat with the caller and role', async () => {
    const text = await h.say('lead1', '/whoami');
    expect(text).toContain('lead1');
    expect(text.toLowerCase()).toContain('lead');
  });

  it('answers /help with the commands a lead may run', async () => {
    const text = await h.say('lead1', '/help');
    expect(text).toContain('/whoami');
    expect(text).not.toContain('/audit');
  });
});
