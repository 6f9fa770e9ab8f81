/**
 * The authorization matrix (issue: who may do what): every command, run by an admin, a lead who
 * owns the chat, a lead who does not, and a stranger. For each: the reply class, and whether
 * DingTalk received any write (none when refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';

/** A refusal reply (not an /audit row that words an earlier refusal). */
const REFUSAL = /^(\/[a-z ]+ needs the role|You \(\S+\) may not change)/;
const WRITE_ENDPOINTS = new Set([
  'chat.create',
  'chat.update',
  'subadmin.update',
  'friendswitch.update',
  'updategroupnick',
  'im.subAdministrators',
  'im.group.create',
  'im.group.update',
]);

type Who = 'admin' | 'owner-lead' | 'other-lead' | 'stranger';
const USER: Record<Who, string> = {
  admin: 'admin1',
  'owner-lead': 'lead1',
  'other-lead': 'lead2',
  stranger: 'mallory',
};

/** What must happen: `write` = allowed and DingTalk got a write; `read` = allowed, no write; `confirm` = allowed, a code, no write yet; `role`/`owner` = refused, no write. */
type Expect = 'write' | 'read' | 'confirm' | 'role' | 'owner';

interface Row {
  command: string;
  /** `{chat}` is replaced by a fresh chat owned by lead1 */
  line: string;
  expect: Record<Who, Expect>;
}

const W = { admin: 'write', 'owner-lead': 'write', 'other-lead': 'owner', stranger: 'role' } as const;
const C = { admin: 'confirm', 'owner-lead': 'confirm', 'other-lead': 'owner', stranger: 'role' } as const;
const R = { admin: 'read', 'owner-lead': 'read', 'other-lead': 'read', stranger: 'role' } as const;
const ANY = { admin: 'read', 'owner-lead': 'read', 'other-lead': 'read', stranger: 'read' } as const;

const ROWS: Row[] = [
  { command: 'help', line: '/help', expect: ANY },
  { command: 'whoami', line: '/whoami', expect: ANY },
  {
    command: 'chat create',
    line: '/chat create "Matrix Team" alice bob',
    expect: { admin: 'write', 'owner-lead': 'write', 'other-lead': 'write', stranger: 'role' },
  },
  { command: 'chat info', line: '/chat info {chat}', expect: R },
  { command: 'chat cid', line: '/chat cid {chat}', expect: R },
  { command: 'chat list', line: '/chat list', expect: R },
  { command: 'chat rename', line: '/chat rename {chat} Renamed', expect: W },
  { command: 'chat add', line: '/chat add {chat} dave', expect: W },
  { command: 'chat remove', line: '/chat remove {chat} carol', expect: C },
  { command: 'chat owner', line: '/chat owner {chat} alice', expect: C },
  { command: 'chat set', line: '/chat set {chat} searchable=on', expect: W },
  { command: 'chat set private-chat', line: '/chat set {chat} private-chat=off', expect: W },
  { command: 'chat admin', line: '/chat admin add {chat} alice', expect: W },
  { command: 'chat nick', line: '/chat nick {chat} alice Ally', expect: W },
  {
    command: 'audit',
    line: '/audit 3',
    expect: { admin: 'read', 'owner-lead': 'role', 'other-lead': 'role', stranger: 'role' },
  },
];

describe('authorization matrix', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const cases = ROWS.flatMap((row) =>
    (Object.keys(USER) as Who[]).map((who) => ({ row, who, expect: row.expect[who] })),
  );

  it.each(cases)('$row.command by $who → $expect', async ({ row, who, expect: want }) => {
    // A fresh chat per case, owned by lead1 and created by API (so DingTalk allows updates).
    const chat = h.emu.org.addChat({
      name: 'Matrix',
      owner: 'lead1',
      members: ['lead1', 'alice', 'bob', 'carol'],
    });
    const line = row.line.replace('{chat}', chat.chatId);
    const before = h.emu.requests.length;
    const auditBefore = (await h.app.store.audit.latest(1))[0]?.seq ?? 0;

    const reply = await h.say(USER[who], line);

    const writes = h.emu.requests.slice(before).filter((r) => WRITE_ENDPOINTS.has(r.endpoint));
    switch (want) {
      case 'write':
        expect(reply).not.toMatch(REFUSAL);
        expect(writes.length).toBeGreaterThan(0);
        break;
      case 'read':
        expect(reply).not.toMatch(REFUSAL);
        expect(writes).toHaveLength(0);
        break;
      case 'confirm':
        expect(reply).toMatch(/\/confirm [A-Z0-9]{6}/);
        expect(writes).toHaveLength(0);
        break;
      case 'role':
        expect(reply).toContain('needs the role');
        expect(reply).toContain(USER[who]);
        expect(reply).toContain('/whoami');
        expect(writes).toHaveLength(0);
        break;
      case 'owner':
        expect(reply).toContain('may not change');
        expect(reply).toContain('lead1');
        expect(writes).toHaveLength(0);
        break;
    }
    // Every attempt that reached a command is audited, refusals with their reason.
    if (row.command !== 'help' && row.command !== 'whoami') {
      const rec = (await h.app.store.audit.latest(1))[0];
      expect(rec?.seq).toBeGreaterThan(auditBefore);
      expect(rec?.userId).toBe(USER[who]);
      if (want === 'role' || want === 'owner') expect(rec?.outcome).toBe('refused');
      if (want === 'confirm') expect(rec?.outcome).toBe('pending');
    }
  });

  it('a lead may change a chat the bot created for them even when someone else owns it now', async () => {
    const created = await h.say('lead2', '/chat create "Lead Two Team" alice bob owner=alice');
    expect(created).toMatch(/chat[0-9a-f]{32}/);
    const chatId = /chat[0-9a-f]{32}/.exec(created)?.[0] as string;
    expect(h.emu.org.chat(chatId)?.owner).toBe('alice');
    const before = h.emu.requests.length;
    const reply = await h.say('lead2', `/chat rename ${chatId} Renamed`);
    expect(reply).not.toContain('may not change');
    expect(h.emu.org.chat(chatId)?.name).toBe('Renamed');
    expect(h.emu.requests.slice(before).some((r) => WRITE_ENDPOINTS.has(r.endpoint))).toBe(true);
  });

  it('ownership is asked of DingTalk at the time of the command, not cached', async () => {
    const chat = h.emu.org.addChat({ name: 'Moving', owner: 'lead1', members: ['lead1', 'lead2', 'alice'] });
    expect(await h.say('lead1', `/chat rename ${chat.chatId} First`)).not.toContain('may not change');
    // Ownership moves outside the bot: lead1 loses the right at once.
    chat.owner = 'lead2';
    const before = h.emu.requests.length;
    expect(await h.say('lead1', `/chat rename ${chat.chatId} Second`)).toContain('may not change');
    expect(h.emu.requests.slice(before).filter((r) => WRITE_ENDPOINTS.has(r.endpoint))).toHaveLength(0);
    expect(h.emu.requests.slice(before).some((r) => r.endpoint === 'chat.get')).toBe(true);
    expect(await h.say('lead2', `/chat rename ${chat.chatId} Third`)).not.toContain('may not change');
    expect(h.emu.org.chat(chat.chatId)?.name).toBe('Third');
  });
});
