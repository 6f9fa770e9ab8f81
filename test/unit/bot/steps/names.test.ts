import { describe, expect, it } from 'vitest';
import { chatName } from '../../../../src/bot/steps/names.ts';
import { HERE_ID, world } from './world.ts';

describe('chatName', () => {
  it('names a chat the registry knows, with its chatId', async () => {
    const w = await world();
    expect((await chatName(w.store.registry, HERE_ID))?.text).toBe(`**Team Here** (\`${HERE_ID}\`)`);
  });

  it('escapes markdown in the name', async () => {
    const w = await world();
    await w.store.registry.upsert({
      chatId: 'chatStar1',
      name: 'A*B',
      openConversationId: undefined,
      createdFor: 'lead1',
      createdByBot: true,
    });
    expect((await chatName(w.store.registry, 'chatStar1'))?.text).toBe('**A\\*B** (`chatStar1`)');
  });

  it('is undefined for an unknown chat or none', async () => {
    const w = await world();
    expect(await chatName(w.store.registry, 'chatUnknown9')).toBeUndefined();
    expect(await chatName(w.store.registry, undefined)).toBeUndefined();
  });
});
