/**
 * The demo org a fresh sandbox starts with: one admin, two leads, four members and one group
 * the bot is in, owned by the first lead and known to the bot's registry.
 */
import type { Org, SeedUser } from '../emulator/index.ts';
import type { RegistryStore } from '../store/types.ts';

// One-word nicks: DingTalk writes a picked member as `@<nick>` in the text, and a nick with a
// space would read as two words there.
export const DEMO_USERS: readonly SeedUser[] = [
  { userId: 'admin1', nick: 'Ada', isOrgAdmin: true },
  { userId: 'lead1', nick: 'Lee' },
  { userId: 'lead2', nick: 'Lin' },
  { userId: 'alice', nick: 'Alice' },
  { userId: 'bob', nick: 'Bob' },
  { userId: 'carol', nick: 'Carol' },
  { userId: 'dave', nick: 'Dave' },
];

/** Bot roles of the demo org (used unless BOT_ADMINS / BOT_LEADS are set). */
export const DEMO_ADMINS: readonly string[] = ['admin1'];
export const DEMO_LEADS: readonly string[] = ['lead1', 'lead2'];

/** Who you are when the sandbox starts. */
export const START_USER = 'lead1';

export const DEMO_GROUP = {
  name: 'Platform Team',
  owner: 'lead1',
  members: ['lead1', 'alice', 'bob', 'carol'],
};

/**
 * Fills an empty org with the demo users and group, and registers the group as one the bot
 * created for its owner, so `here` and `#"Platform Team"` work in it.
 */
export async function seedDemo(org: Org, registry: RegistryStore): Promise<void> {
  for (const u of DEMO_USERS) org.addUser({ ...u });
  const chat = org.addChat({
    ...DEMO_GROUP,
    members: [...DEMO_GROUP.members],
    createdByApi: true,
    botInChat: true,
  });
  await registry.upsert({
    chatId: chat.chatId,
    openConversationId: chat.openConversationId,
    name: chat.name,
    createdFor: chat.owner,
    createdByBot: true,
  });
}
