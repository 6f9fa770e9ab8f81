import { describe, expect, it, vi } from 'vitest';
import { Authorizer } from '../../../src/bot/auth.ts';
import { emptyPolicy, type Policy, policySchema } from '../../../src/bot/policy.ts';
import type { ChatRef, CommandSpec, Role } from '../../../src/bot/types.ts';
import type { ChatInfo } from '../../../src/dingtalk/types.ts';
import type { ChatRecord } from '../../../src/store/types.ts';

const cmd = (
  name: string,
  role: Role,
  risk?: 'confirm',
): Pick<CommandSpec<unknown>, 'name' | 'role' | 'risk'> =>
  risk === undefined ? { name, role } : { name, role, risk };

const help = cmd('help', 'everyone');
const whoami = cmd('whoami', 'everyone');
const create = cmd('chat create', 'lead');
const info = cmd('chat info', 'lead');
const remove = cmd('chat remove', 'lead', 'confirm');
const audit = cmd('audit', 'admin');

const base = { admins: ['boss'], leads: ['lead1', 'lead2'] };

const policy: Policy = policySchema.parse({
  roles: { auditor: { commands: ['audit'] }, ops: { commands: [] } },
  users: { admin: ['boss2'], lead: ['lead3'], auditor: ['aud', 'lead1'], ops: ['opsy'] },
  commands: {
    'chat info': { role: 'admin' },
    'chat rename': { risky: true },
    'chat create': { forbiddenOptions: { lead: ['owner', 'searchable'], auditor: ['owner'] } },
    'chat add': { role: 'ops' },
  },
});

describe('roles', () => {
  it('takes admins and leads from the config, everyone else has no role', () => {
    const a = new Authorizer(base);
    expect(a.roleOf('boss')).toEqual({ role: 'admin', extraRoles: [] });
    expect(a.roleOf('lead2')).toEqual({ role: 'lead', extraRoles: [] });
    expect(a.roleOf('stranger')).toEqual({ role: 'everyone', extraRoles: [] });
  });

  it('ranks admin above lead when a user is listed as both', () => {
    expect(new Authorizer({ admins: ['x'], leads: ['x'] }).roleOf('x').role).toBe('admin');
  });

  it('adds admins, leads and extra roles from the policy', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.roleOf('boss2').role).toBe('admin');
    expect(a.roleOf('lead3').role).toBe('lead');
    expect(a.roleOf('aud')).toEqual({ role: 'everyone', extraRoles: ['auditor'] });
    expect(a.roleOf('lead1')).toEqual({ role: 'lead', extraRoles: ['auditor'] });
  });

  it('denies by default: no role runs only everyone-commands', () => {
    const a = new Authorizer(base);
    expect(a.canRun(help, 'stranger')).toEqual({ ok: true });
    expect(a.canRun(whoami, 'stranger')).toEqual({ ok: true });
    expect(a.canRun(create, 'stranger')).toEqual({ ok: false, needed: 'lead', role: 'everyone' });
    expect(a.canRun(info, 'stranger')).toEqual({ ok: false, needed: 'lead', role: 'everyone' });
    expect(a.canRun(audit, 'stranger')).toEqual({ ok: false, needed: 'admin', role: 'everyone' });
  });

  it('lets leads create and read, but not run admin commands', () => {
    const a = new Authorizer(base);
    expect(a.canRun(create, 'lead1').ok).toBe(true);
    expect(a.canRun(info, 'lead1').ok).toBe(true);
    expect(a.canRun(remove, 'lead1').ok).toBe(true);
    expect(a.canRun(audit, 'lead1')).toEqual({ ok: false, needed: 'admin', role: 'lead' });
  });

  it('lets admins run everything', () => {
    const a = new Authorizer({ ...base, policy });
    for (const s of [help, create, info, remove, audit, cmd('chat add', 'lead')]) {
      expect(a.canRun(s, 'boss').ok).toBe(true);
    }
  });

  it('applies role overrides from the policy', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.canRun(info, 'lead2')).toEqual({ ok: false, needed: 'admin', role: 'lead' });
    // An override naming an extra role: only holders of that role (and admins) may run it.
    const add = cmd('chat add', 'lead');
    expect(a.canRun(add, 'lead2')).toEqual({ ok: false, needed: 'ops', role: 'lead' });
    expect(a.canRun(add, 'opsy').ok).toBe(true);
    expect(a.neededRole(add)).toBe('ops');
  });

  it('lets an extra role run exactly the commands it grants', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.canRun(audit, 'aud').ok).toBe(true);
    expect(a.canRun(audit, 'lead1').ok).toBe(true);
    expect(a.canRun(create, 'aud').ok).toBe(false);
    expect(a.canRun(audit, 'opsy')).toEqual({ ok: false, needed: 'admin', role: 'everyone' });
  });

  it('lists only the commands the caller may run', () => {
    const a = new Authorizer({ ...base, policy });
    const specs = [help, create, audit, info] as unknown as CommandSpec<unknown>[];
    expect(a.visible(specs, 'stranger').map((s) => s.name)).toEqual(['help']);
    expect(a.visible(specs, 'lead2').map((s) => s.name)).toEqual(['help', 'chat create']);
    expect(a.visible(specs, 'aud').map((s) => s.name)).toEqual(['help', 'audit']);
    expect(a.visible(specs, 'boss').map((s) => s.name)).toEqual([
      'help',
      'chat create',
      'audit',
      'chat info',
    ]);
  });
});

describe('forbiddenOptions', () => {
  it('refuses the options the policy forbids for the caller role, keeping their spelling', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.forbiddenOptions(create, 'lead2', ['name', 'Owner', 'mute', 'searchable'])).toEqual([
      'Owner',
      'searchable',
    ]);
    expect(a.forbiddenOptions(create, 'lead2', ['mute'])).toEqual([]);
  });

  it('does not bind admins by a lead list', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.forbiddenOptions(create, 'boss', ['owner', 'searchable'])).toEqual([]);
  });

  it('refuses an option only when every role the caller runs the command through forbids it', () => {
    const p = policySchema.parse({
      roles: { creator: { commands: ['chat create'] }, auditor: { commands: ['audit'] } },
      users: { creator: ['lead1'], auditor: ['lead2'] },
      commands: { 'chat create': { forbiddenOptions: { lead: ['owner', 'mute'], creator: ['mute'] } } },
    });
    const a = new Authorizer({ ...base, policy: p });
    // lead1 may create through lead and creator; only mute is forbidden for both.
    expect(a.forbiddenOptions(create, 'lead1', ['owner', 'mute'])).toEqual(['mute']);
    // lead2's auditor role does not grant chat create, so it cannot lift the lead list.
    expect(a.forbiddenOptions(create, 'lead2', ['owner', 'mute'])).toEqual(['owner', 'mute']);
  });

  it('is empty without rules', () => {
    expect(new Authorizer(base).forbiddenOptions(create, 'lead1', ['owner'])).toEqual([]);
  });
});

describe('a command made of others (answersTo)', () => {
  const clone = { name: 'chat clone', role: 'lead' as const, answersTo: ['chat info', 'chat create'] };

  it('answers to their role overrides: chat info raised to admin refuses a lead the clone', () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.canRun(clone, 'lead2')).toEqual({ ok: false, needed: 'admin', role: 'lead' });
    expect(a.canRun(clone, 'boss')).toEqual({ ok: true });
    // Without overrides only its own role counts.
    expect(new Authorizer(base).canRun(clone, 'lead2')).toEqual({ ok: true });
  });

  it('an extra role that grants the part lets its holder through', () => {
    const a = new Authorizer({
      ...base,
      policy: policySchema.parse({
        roles: { reader: { commands: ['chat info'] } },
        users: { reader: ['lead1'] },
        commands: { 'chat info': { role: 'admin' } },
      }),
    });
    expect(a.canRun(clone, 'lead1')).toEqual({ ok: true });
    expect(a.canRun(clone, 'lead2').ok).toBe(false);
  });

  it("answers to their forbiddenOptions for the options it shares: create's owner= on a clone", () => {
    const a = new Authorizer({ ...base, policy });
    expect(a.forbiddenOptions(clone, 'lead2', ['owner'])).toEqual(['owner']);
    expect(a.forbiddenOptions(clone, 'boss', ['owner'])).toEqual([]);
    expect(a.forbiddenOptions(clone, 'lead2', [])).toEqual([]);
    // Its own list and theirs together, each option once, in the caller's order and spelling.
    const both = new Authorizer({
      ...base,
      policy: policySchema.parse({
        commands: {
          'chat clone': { forbiddenOptions: { lead: ['owner', 'x'] } },
          'chat create': { forbiddenOptions: { lead: ['owner'] } },
        },
      }),
    });
    expect(both.forbiddenOptions(clone, 'lead2', ['x', 'Owner'])).toEqual(['x', 'Owner']);
  });
});

describe('isRisky', () => {
  it('follows the spec and what the policy adds, but the policy cannot switch it off', () => {
    const p = policySchema.parse({
      commands: { 'chat rename': { risky: true }, 'chat remove': { risky: false } },
    });
    const a = new Authorizer({ ...base, policy: p });
    expect(a.isRisky(remove)).toBe(true);
    expect(a.isRisky(cmd('chat rename', 'lead'))).toBe(true);
    expect(a.isRisky(create)).toBe(false);
    expect(new Authorizer(base).isRisky(cmd('chat rename', 'lead'))).toBe(false);
  });
});

describe('checkOwnership', () => {
  const chatInfo = (owner: string): ChatInfo => ({
    chatId: 'chat1',
    name: 'Design',
    owner,
    members: [owner],
    settings: {
      searchable: false,
      validation: false,
      mentionAll: 'everyone',
      management: 'owner',
      mute: false,
      history: false,
    },
    status: 1,
    conversationTag: 2,
  });
  const record = (createdFor: string, createdByBot = true): ChatRecord => ({
    chatId: 'chat1',
    openConversationId: 'cid1',
    name: 'Design',
    createdFor,
    createdByBot,
    createdAt: 1,
    updatedAt: 1,
  });
  const ref = (rec?: ChatRecord): ChatRef => ({
    chatId: 'chat1',
    openConversationId: 'cid1',
    record: rec,
    label: 'chat1',
  });
  const fakeApi = (owner: string) => ({ get: vi.fn(async (_chatId: string) => chatInfo(owner)) });
  const a = new Authorizer({ ...base, policy });

  it('lets admins change any chat without asking DingTalk', async () => {
    const api = fakeApi('someoneElse');
    await expect(a.checkOwnership('boss', ref(), api)).resolves.toEqual({ ok: true, via: 'admin' });
    await expect(a.checkOwnership('boss2', ref(), api)).resolves.toEqual({ ok: true, via: 'admin' });
    expect(api.get).not.toHaveBeenCalled();
  });

  it('lets a lead change a chat DingTalk says they own', async () => {
    const api = fakeApi('lead1');
    await expect(a.checkOwnership('lead1', ref(), api)).resolves.toEqual({ ok: true, via: 'owner' });
    expect(api.get).toHaveBeenCalledWith('chat1');
  });

  it('lets a lead change a chat the bot created for them', async () => {
    const api = fakeApi('someoneElse');
    await expect(a.checkOwnership('lead1', ref(record('lead1')), api)).resolves.toEqual({
      ok: true,
      via: 'registry',
    });
    expect(api.get).not.toHaveBeenCalled();
  });

  it('does not count a linked chat or one created for someone else', async () => {
    const api = fakeApi('owner9');
    await expect(a.checkOwnership('lead1', ref(record('lead1', false)), api)).resolves.toEqual({
      ok: false,
      owner: 'owner9',
      name: 'Design',
    });
    await expect(a.checkOwnership('lead1', ref(record('lead2')), api)).resolves.toEqual({
      ok: false,
      owner: 'owner9',
      name: 'Design',
    });
  });

  it('refuses a lead who neither owns the chat nor had it created, naming the owner', async () => {
    await expect(a.checkOwnership('lead2', ref(), fakeApi('lead1'))).resolves.toEqual({
      ok: false,
      owner: 'lead1',
      name: 'Design',
    });
  });

  it('asks DingTalk every time (ownership may have moved)', async () => {
    let owner = 'lead1';
    const api = { get: vi.fn(async () => chatInfo(owner)) };
    await expect(a.checkOwnership('lead1', ref(), api)).resolves.toMatchObject({ ok: true });
    owner = 'lead2';
    await expect(a.checkOwnership('lead1', ref(), api)).resolves.toEqual({
      ok: false,
      owner: 'lead2',
      name: 'Design',
    });
    await expect(a.checkOwnership('lead1', ref(), api)).resolves.toEqual({
      ok: false,
      owner: 'lead2',
      name: 'Design',
    });
    expect(api.get).toHaveBeenCalledTimes(3);
  });

  it('passes DingTalk errors on', async () => {
    const api = { get: vi.fn(async () => Promise.reject(new Error('boom'))) };
    await expect(a.checkOwnership('lead1', ref(), api)).rejects.toThrow('boom');
  });

  it('works without a policy', async () => {
    const plain = new Authorizer({ admins: [], leads: ['l'], policy: emptyPolicy() });
    await expect(plain.checkOwnership('l', ref(), fakeApi('x'))).resolves.toEqual({
      ok: false,
      owner: 'x',
      name: 'Design',
    });
  });
});

describe('templates', () => {
  const withTemplates = new Authorizer({
    ...base,
    policy: policySchema.parse({
      roles: { pm: { commands: ['chat create'] } },
      users: { pm: ['pm1'] },
      templates: {
        open: { members: ['bob'] },
        leads: { roles: ['lead'] },
        pms: { roles: ['pm'] },
        bosses: { roles: ['admin'] },
      },
    }),
  });
  const names = (userId: string, spec = create) => withTemplates.templates(userId, spec).map((t) => t.name);

  it('a template without roles is for whoever may run chat create; roles narrow it', () => {
    expect(names('lead1')).toEqual(['open', 'leads']);
    // pm1 may create through the pm role: open and the pm template, not the leads' one
    expect(names('pm1')).toEqual(['open', 'pms']);
    expect(names('boss')).toEqual(['open', 'leads', 'pms', 'bosses']);
  });

  it('someone who may not run chat create gets none, nor does anyone when there is no create', () => {
    expect(names('stranger')).toEqual([]);
    expect(withTemplates.templates('boss', undefined)).toEqual([]);
    expect(new Authorizer(base).templates('boss', create)).toEqual([]);
  });

  it('a policy override of chat create counts', () => {
    const strict = new Authorizer({
      ...base,
      policy: policySchema.parse({ commands: { 'chat create': { role: 'admin' } }, templates: { open: {} } }),
    });
    expect(strict.templates('lead1', create)).toEqual([]);
    expect(strict.templates('boss', create).map((t) => t.name)).toEqual(['open']);
  });
});
