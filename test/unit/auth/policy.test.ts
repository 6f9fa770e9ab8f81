import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chatTemplate,
  emptyPolicy,
  jsonPath,
  loadPolicy,
  PolicyError,
  policySchema,
  unknownPolicyCommands,
} from '../../../src/bot/policy.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'policy-'));
});

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function problemsOf(path: string): { path: string; message: string }[] {
  try {
    loadPolicy(path);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return [...(err as PolicyError).problems];
  }
  throw new Error('expected a PolicyError');
}

describe('loadPolicy', () => {
  it('gives the empty policy when no file is configured', () => {
    expect(loadPolicy(undefined)).toEqual({ roles: {}, users: {}, commands: {} });
  });

  it('reads a valid file', () => {
    const p = file(
      'ok.json',
      JSON.stringify({
        roles: { auditor: { commands: ['audit'] } },
        users: { admin: ['boss1'], lead: ['lead1'], auditor: ['aud1'] },
        commands: {
          'chat info': { role: 'admin' },
          'chat rename': { risky: true },
          'chat create': { forbiddenOptions: { lead: ['owner'] } },
        },
      }),
    );
    const policy = loadPolicy(p);
    expect(policy.roles.auditor).toEqual({ commands: ['audit'] });
    expect(policy.users.auditor).toEqual(['aud1']);
    expect(policy.commands['chat info']).toEqual({ role: 'admin' });
    expect(policy.commands['chat rename']).toEqual({ risky: true });
    expect(policy.commands['chat create']?.forbiddenOptions).toEqual({ lead: ['owner'] });
  });

  it('fills in missing sections', () => {
    expect(loadPolicy(file('partial.json', '{"users":{"lead":["x"]}}'))).toEqual({
      roles: {},
      users: { lead: ['x'] },
      commands: {},
    });
  });

  it('reports an unreadable file', () => {
    const problems = problemsOf(join(dir, 'missing.json'));
    expect(problems).toEqual([{ path: '$', message: expect.stringContaining('ENOENT') }]);
  });

  it('reports invalid JSON', () => {
    const problems = problemsOf(file('bad.json', '{"roles": {'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/not valid JSON/);
  });

  it('reports a root that is not an object', () => {
    expect(problemsOf(file('array.json', '[]'))[0]?.path).toBe('$');
  });

  it('lists every schema problem with its JSON path', () => {
    const p = file(
      'many.json',
      JSON.stringify({
        roles: { auditor: { commands: ['audit', 42] }, Bad: { commands: [] } },
        users: { lead: ['ok', 'has space'], ghost: ['x'] },
        commands: {
          'chat create': { forbiddenOptions: { lead: ['Owner!'] }, risky: 'yes' },
          'chat info': { role: 'nobody', colour: 'red' },
        },
        extra: true,
      }),
    );
    const err = (() => {
      try {
        loadPolicy(p);
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error('expected a PolicyError');
    })();
    const paths = err.problems.map((x) => x.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.roles.auditor.commands[1]',
        '$.roles.Bad',
        '$.users.lead[1]',
        '$.users.ghost',
        '$.commands["chat create"].forbiddenOptions.lead[0]',
        '$.commands["chat create"].risky',
        '$.commands["chat info"].role',
        '$.commands["chat info"]',
        '$',
      ]),
    );
    // The message names the file and each problem on its own line.
    expect(err.message).toContain(p);
    for (const x of err.problems) expect(err.message).toContain(`${x.path}: ${x.message}`);
    expect(err.problems.find((x) => x.path === '$.users.ghost')?.message).toMatch(/unknown role "ghost"/);
  });

  it('refuses redefining built-in roles and a list for everyone', () => {
    const problems = problemsOf(
      file(
        'builtin.json',
        JSON.stringify({ roles: { admin: { commands: [] } }, users: { everyone: ['x'] } }),
      ),
    );
    expect(problems.map((x) => x.path).sort()).toEqual(['$.roles.admin', '$.users.everyone']);
  });

  it('checks forbiddenOptions roles', () => {
    const problems = problemsOf(
      file(
        'fo.json',
        JSON.stringify({ commands: { 'chat create': { forbiddenOptions: { intern: ['owner'] } } } }),
      ),
    );
    expect(problems).toEqual([
      {
        path: '$.commands["chat create"].forbiddenOptions.intern',
        message: expect.stringMatching(/unknown role/),
      },
    ]);
  });
});

describe('policySchema', () => {
  it('accepts roles defined in the same file', () => {
    const r = policySchema.safeParse({
      roles: { ops: { commands: ['chat add'] } },
      users: { ops: ['u1'] },
      commands: { 'chat add': { role: 'ops', forbiddenOptions: { ops: ['x'] } } },
    });
    expect(r.success).toBe(true);
  });
});

describe('jsonPath', () => {
  it('quotes keys that are not identifiers', () => {
    expect(jsonPath(['commands', 'chat create', 'role'])).toBe('$.commands["chat create"].role');
    expect(jsonPath(['users', 'lead', 3])).toBe('$.users.lead[3]');
    expect(jsonPath([])).toBe('$');
  });
});

describe('unknownPolicyCommands', () => {
  it('names rules for commands that do not exist', () => {
    const policy = {
      ...emptyPolicy(),
      roles: { auditor: { commands: ['audit', 'audits'] } },
      commands: { 'chat remov': { risky: true }, 'chat add': { risky: true } },
    };
    expect(unknownPolicyCommands(policy, ['audit', 'chat add', 'chat remove'])).toEqual([
      { path: '$.roles.auditor.commands[1]', message: 'no command "audits"' },
      { path: '$.commands["chat remov"]', message: 'no command "chat remov"' },
    ]);
  });
});

describe('templates', () => {
  it('reads a template with every field into the words commands use', () => {
    const policy = loadPolicy(
      file(
        'templates.json',
        JSON.stringify({
          roles: { pm: { commands: [] } },
          templates: {
            project: {
              members: ['dept:Design', 'u_pm01', 'Alice Wang', '13800138000', 'me'],
              admins: ['u_pm01'],
              settings: {
                searchable: 'off',
                validation: 'on',
                'mention-all': 'owner',
                management: 'everyone',
                mute: 'off',
                history: 'on',
              },
              'private-chat': 'off',
              nicks: { u_pm01: 'PM' },
              roles: ['lead', 'pm'],
            },
            empty: {},
          },
        }),
      ),
    );
    expect(policy.templates?.project?.roles).toEqual(['lead', 'pm']);
    expect(chatTemplate('project', policy.templates?.project ?? {})).toEqual({
      name: 'project',
      members: ['dept:Design', 'u_pm01', 'Alice Wang', '13800138000', 'me'],
      admins: ['u_pm01'],
      settings: {
        searchable: false,
        validation: true,
        mentionAll: 'owner',
        management: 'everyone',
        mute: false,
        history: true,
      },
      privateChat: false,
      nicks: [['u_pm01', 'PM']],
    });
    expect(chatTemplate('empty', {})).toEqual({
      name: 'empty',
      members: [],
      admins: [],
      settings: {},
      privateChat: undefined,
      nicks: [],
    });
  });

  it('lists every problem of a bad templates section at once', () => {
    const problems = problemsOf(
      file(
        'bad-templates.json',
        JSON.stringify({
          templates: {
            project: {
              members: ['dept:Design', ' ', 'dept:'],
              admins: 'u_pm01',
              settings: { validation: 'yes', colour: 'red', 'mention-all': 'all' },
              'private-chat': true,
              nicks: { u_pm01: '', 'dept:': 'X' },
              roles: ['boss'],
              owner: 'u_pm01',
            },
            'Bad Name': {},
            other: { roles: [] },
          },
        }),
      ),
    );
    const at = (path: string) => problems.filter((p) => p.path === path).map((p) => p.message);
    expect(at('$.templates.project.members[1]')).toEqual(['a user cannot be empty']);
    expect(at('$.templates.project.members[2]')).toEqual([expect.stringContaining('"dept:" names no one')]);
    expect(at('$.templates.project.admins')).toHaveLength(1);
    expect(at('$.templates.project.settings.validation')).toEqual([expect.stringContaining('"on"|"off"')]);
    expect(at('$.templates.project.settings["mention-all"]')).toEqual([
      expect.stringContaining('"everyone"|"owner"'),
    ]);
    expect(at('$.templates.project.settings')).toEqual([expect.stringContaining('"colour"')]);
    expect(at('$.templates.project["private-chat"]')).toHaveLength(1);
    expect(at('$.templates.project.nicks.u_pm01')).toEqual(['a nickname cannot be empty']);
    expect(
      problems.some((p) => p.path.startsWith('$.templates.project.nicks') && /names no one/.test(p.message)),
    ).toBe(true);
    expect(at('$.templates.project')).toEqual([expect.stringContaining('"owner"')]);
    expect(at('$.templates.project.roles[0]')).toEqual(['unknown role "boss": define it under "roles"']);
    expect(at('$.templates["Bad Name"]')).toEqual([expect.stringContaining('template names are lower-case')]);
    expect(at('$.templates.other.roles')).toEqual([expect.stringContaining('at least one role')]);
    expect(problems).toHaveLength(13);
  });
});

describe('every problem of a policy file at once', () => {
  it('a type error and an unknown command "chat nuke" are both listed, once each', () => {
    const p = file(
      'both.json',
      JSON.stringify({ users: { lead: 'lead1' }, roles: { ops: { commands: ['chat nuke', 'chat info'] } } }),
    );
    let problems: { path: string; message: string }[] = [];
    try {
      loadPolicy(p, ['chat info', 'chat add']);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      problems = [...(err as PolicyError).problems];
    }
    expect(problems.map((x) => x.path)).toEqual(['$.users.lead', '$.roles.ops.commands[0]']);
    expect(problems[1]?.message).toBe('no command "chat nuke"');
    // valid shape, unknown command: still a PolicyError from the loader
    const q = file('nuke.json', JSON.stringify({ commands: { 'chat nuke': { role: 'admin' } } }));
    expect(() => loadPolicy(q, ['chat info'])).toThrow(/\$\.commands\["chat nuke"\]: no command "chat nuke"/);
  });
});
