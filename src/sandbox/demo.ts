/**
 * The demo org a fresh sandbox starts with: one admin, two leads, members in two departments
 * (with Chinese and English names, titles and mobiles, and two pairs of namesakes to try a pick
 * on) and one group the bot is in, owned by the first lead and known to the bot's registry.
 */
import type { Org, SeedDepartment, SeedUser } from '../emulator/index.ts';
import type { RegistryStore } from '../store/types.ts';

/** Departments below the root; fixed ids so that a saved org and the docs agree. */
export const DEMO_DEPARTMENTS: readonly SeedDepartment[] = [
  { deptId: 10001, name: 'Engineering' },
  { deptId: 10002, name: 'Design' },
  { deptId: 10003, name: '平台组', parentId: 10001 },
];

// One-word nicks: DingTalk writes a picked member as `@<nick>` in the text, and a nick with a
// space would read as two words there. The directory `name` is what name lookups match.
export const DEMO_USERS: readonly SeedUser[] = [
  {
    userId: 'admin1',
    nick: 'Ada',
    isOrgAdmin: true,
    name: 'Ada Zhao',
    title: 'IT Admin',
    mobile: '13800138001',
  },
  {
    userId: 'lead1',
    nick: 'Lee',
    name: '李伟',
    englishName: 'Wei Lee',
    title: 'Engineering Lead',
    mobile: '13800138002',
    deptIds: [10001],
  },
  {
    userId: 'lead2',
    nick: 'Lin',
    name: '林芳',
    englishName: 'Fang Lin',
    title: 'Design Lead',
    mobile: '13800138003',
    deptIds: [10002],
  },
  {
    userId: 'alice',
    nick: 'Alice',
    name: 'Alice Wang',
    title: 'Backend Engineer',
    mobile: '13800138000',
    deptIds: [10001, 10003],
  },
  {
    userId: 'bob',
    nick: 'Bob',
    name: 'Bob Li',
    title: 'Frontend Engineer',
    mobile: '13800138004',
    deptIds: [10003],
  },
  {
    userId: 'carol',
    nick: 'Carol',
    name: '陈可',
    englishName: 'Carol Chen',
    title: 'Product Designer',
    mobile: '13800138005',
    deptIds: [10002],
  },
  { userId: 'dave', nick: 'Dave', name: 'Dave Zhou', title: 'SRE', mobile: '13800138006', deptIds: [10001] },
  // namesakes: a second Alice Wang and two 张伟, in different departments
  {
    userId: 'alice2',
    nick: 'AliceW',
    name: 'Alice Wang',
    title: 'UX Designer',
    mobile: '13800138007',
    deptIds: [10002],
  },
  {
    userId: 'zhangwei1',
    nick: 'Zhang',
    name: '张伟',
    englishName: 'David Zhang',
    title: 'QA Engineer',
    mobile: '13800138008',
    deptIds: [10001],
  },
  {
    userId: 'zhangwei2',
    nick: 'Wei',
    name: '张伟',
    englishName: 'Vivian Zhang',
    title: 'Visual Designer',
    mobile: '13800138009',
    deptIds: [10002],
  },
];

/** Bot roles of the demo org (used unless BOT_ADMINS / BOT_LEADS are set). */
export const DEMO_ADMINS: readonly string[] = ['admin1'];
export const DEMO_LEADS: readonly string[] = ['lead1', 'lead2'];

/**
 * The sandbox's policy when BOT_POLICY_FILE is not set: one chat template over the demo org, so
 * `/chat templates` and `/chat create "Sprint 1" template=project` can be tried. Written as a
 * policy file would be, and validated like one.
 */
export const DEMO_POLICY = {
  templates: {
    project: {
      members: ['dept:Design', 'Dave Zhou'],
      admins: ['林芳'],
      settings: { validation: 'on', 'mention-all': 'owner', history: 'on' },
      'private-chat': 'off',
      nicks: { 林芳: 'Design Lead', me: 'PM' },
    },
  },
} as const;

/** Who you are when the sandbox starts. */
export const START_USER = 'lead1';

export const DEMO_GROUP = {
  name: 'Platform Team',
  owner: 'lead1',
  members: ['lead1', 'alice', 'bob', 'carol'],
};

/**
 * Fills an empty org with the demo departments, users and group, and registers the group as one the bot
 * created for its owner, so `here` and `#"Platform Team"` work in it.
 */
export async function seedDemo(org: Org, registry: RegistryStore): Promise<void> {
  for (const d of DEMO_DEPARTMENTS) org.addDepartment({ ...d });
  for (const u of DEMO_USERS) org.addUser({ ...u, ...(u.deptIds ? { deptIds: [...u.deptIds] } : {}) });
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
