/** exportOrg / importOrg: an org saved and restored keeps every id, so a bot's registry still fits. */
import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../../src/emulator/index.ts';
import { exportOrg, importOrg } from '../../../src/emulator/snapshot.ts';

const running: Emulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
});
async function start(): Promise<Emulator> {
  const e = await Emulator.start({ qpsLimit: null });
  running.push(e);
  return e;
}

describe('emulator org snapshot', () => {
  it('restores users, chats, members, admins, nicks, settings and join links under the same ids', async () => {
    const a = await start();
    a.org.addUser({ userId: 'lead1', nick: 'Lee' });
    a.org.addUser({ userId: 'alice', nick: 'Alice', isOrgAdmin: true });
    const chat = a.org.addChat({ name: 'Team', owner: 'lead1', members: ['alice'] });
    chat.admins.push('alice');
    chat.nicks.alice = 'Ali';
    chat.settings.searchable = 1;
    chat.privateChatProhibited = true;
    const link = a.org.joinLink(chat, 'lead1');
    const snap = JSON.parse(JSON.stringify(exportOrg(a.org)));

    const b = await start();
    importOrg(b.org, snap);
    const back = b.org.chat(chat.chatId);
    expect(back).toEqual(chat);
    expect(back).not.toBe(chat);
    expect(b.org.chatByCid(chat.openConversationId)?.chatId).toBe(chat.chatId);
    expect(b.org.chats()).toHaveLength(1);
    expect(b.org.joinLink(back!, 'lead1')).toBe(link);
    expect(b.org.user('alice')).toEqual(a.org.user('alice'));

    // The restored chat is usable: a group message can be built in it.
    const payload = b.buildMessage('alice', '/whoami', { chat: chat.chatId });
    expect(payload.conversationId).toBe(chat.openConversationId);
  });

  it('copies: changing the org later does not change an exported snapshot', async () => {
    const a = await start();
    a.org.addUser({ userId: 'lead1', nick: 'Lee' });
    const chat = a.org.addChat({ name: 'Team', owner: 'lead1', members: [] });
    const snap = exportOrg(a.org);
    chat.name = 'Renamed';
    expect(snap.chats[0]?.name).toBe('Team');
  });
});
