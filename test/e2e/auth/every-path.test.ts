/**
 * Policy on every path (issue 19, "Clone goes round the policy"): a command made of others answers
 * to each of their rules. A clone answers to `chat info`'s (reading its source) and to
 * `chat create`'s (its role and its forbiddenOptions); a template to the rules of the commands
 * whose work it does (admins: `chat admin`, nicknames: `chat nick`, private chat: `chat set`).
 * Then a walk over EVERY command and EVERY option of each against a restrictive policy file: a
 * lead is refused each one, and DingTalk receives no write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCommands } from '../../../commands/index.ts';
import type { Policy } from '../../../src/bot/policy.ts';
import { policySchema } from '../../../src/bot/policy.ts';
import type { CommandSpec, ParamSpec } from '../../../src/bot/types.ts';
import { ENDPOINTS } from '../../../src/dingtalk/endpoints.ts';
import type { EndpointName } from '../../../src/dingtalk/errors.ts';
import type { RecordedRequest } from '../../../src/emulator/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { seedChat } from '../commands/helpers.ts';

/** Requests that change something on DingTalk (a chat write; replies are sends, not changes). */
function chatWrites(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((r) => ENDPOINTS[r.endpoint as EndpointName]?.journaled === true)
    .map((r) => r.endpoint);
}

/** Requests that read or change a chat (chat/get included): the source of a clone is not read. */
function chatCalls(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((r) => ENDPOINTS[r.endpoint as EndpointName]?.permission?.startsWith('qyapi_chat'))
    .map((r) => r.endpoint);
}

async function withHarness<T>(policy: Policy, run: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startHarness({ policy });
  try {
    return await run(h);
  } finally {
    await h.stop();
  }
}

describe('a clone answers to chat info and chat create', () => {
  it('"chat info": admin: a lead may not clone a chat (nothing read, nothing written); an admin may', async () => {
    await withHarness(policySchema.parse({ commands: { 'chat info': { role: 'admin' } } }), async (h) => {
      const src = seedChat(h, 'Secret', 'lead2', ['lead2', 'alice', 'bob', 'carol']);
      expect(await h.say('lead1', `/chat info ${src.chatId}`)).toContain('needs the role admin');
      const mark = h.emu.requests.length;
      const reply = await h.say('lead1', `/chat clone ${src.chatId} "Copy"`);
      expect(reply).toContain('needs the role admin');
      expect(reply).not.toContain('alice');
      expect(chatCalls(h.emu.requests.slice(mark))).toEqual([]);
      expect(await h.say('lead1', `/复制群 ${src.chatId} "Copy"`)).toContain('需要管理员角色');
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
      // The rule is the only thing in the way: an admin clones it.
      expect(await h.say('admin1', `/chat clone ${src.chatId} "Copy"`)).toContain('Cloned');
    });
  });

  it('"chat create": {forbiddenOptions: {lead: [owner]}}: a clone with owner= is refused, without it is done', async () => {
    const policy = policySchema.parse({
      commands: { 'chat create': { forbiddenOptions: { lead: ['owner'] } } },
    });
    await withHarness(policy, async (h) => {
      const src = seedChat(h, 'Sprint 41', 'lead1', ['lead1', 'alice', 'bob']);
      const mark = h.emu.requests.length;
      const reply = await h.say('lead1', `/chat clone ${src.chatId} "X" owner=alice`);
      expect(reply).toContain('does not allow the option');
      expect(reply).toContain('owner');
      expect(chatCalls(h.emu.requests.slice(mark))).toEqual([]);
      expect(await h.say('lead1', `/chat clone ${src.chatId} "X"`)).toContain('Cloned');
      expect(await h.say('admin1', `/chat clone ${src.chatId} "Y" owner=alice`)).toContain('Cloned');
    });
  });

  it('"chat create": admin: a lead may not clone (a clone makes a chat as create does)', async () => {
    await withHarness(policySchema.parse({ commands: { 'chat create': { role: 'admin' } } }), async (h) => {
      const src = seedChat(h, 'Sprint 41', 'lead1', ['lead1', 'alice']);
      const mark = h.emu.requests.length;
      expect(await h.say('lead1', `/chat clone ${src.chatId} "X"`)).toContain('needs the role admin');
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
    });
  });
});

describe('a template answers to the commands whose work it does', () => {
  const templates = {
    admins: { members: ['alice'], admins: ['bob'] },
    nicks: { members: ['alice'], nicks: { bob: 'Bobby' } },
    private: { members: ['alice'], 'private-chat': 'off' },
    searchable: { members: ['alice'], settings: { searchable: 'on' } },
    plain: { members: ['alice'] },
  };

  it('admins need chat admin, nicknames chat nick, the private-chat switch chat set; nothing is written', async () => {
    const policy = policySchema.parse({
      templates,
      commands: {
        'chat admin': { role: 'admin' },
        'chat nick': { role: 'admin' },
        'chat set': { role: 'admin' },
      },
    });
    await withHarness(policy, async (h) => {
      const mark = h.emu.requests.length;
      const admins = await h.say('lead1', '/chat create "T1" template=admins');
      expect(admins).toMatch(/Template \*\*admins\*\* makes admins.*\/chat admin/s);
      expect(await h.say('lead1', '/chat create "T2" template=nicks')).toMatch(
        /sets nicknames.*\/chat nick/s,
      );
      expect(await h.say('lead1', '/chat create "T3" template=private')).toMatch(/private-chat.*\/chat set/s);
      expect(await h.say('lead1', '/建群 "T3" template=private')).toContain('/群设置');
      // Typed, the switch is chat set's work as well.
      expect(await h.say('lead1', '/chat create "T4" private-chat=on')).toMatch(/private-chat=.*\/chat set/s);
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
      // A template that does nothing else is create's alone; an admin may use every one.
      expect(await h.say('lead1', '/chat create "T5" template=plain')).toMatch(/chat[0-9a-f]{32}/);
      expect(await h.say('admin1', '/chat create "T6" template=admins')).toMatch(/chat[0-9a-f]{32}/);
    });
  });

  it('a template setting the policy forbids typing is refused as if typed', async () => {
    const policy = policySchema.parse({
      templates,
      commands: {
        'chat create': { forbiddenOptions: { lead: ['searchable'] } },
        'chat set': { forbiddenOptions: { lead: ['private-chat'] } },
      },
    });
    await withHarness(policy, async (h) => {
      const mark = h.emu.requests.length;
      expect(await h.say('lead1', '/chat create "T1" template=searchable')).toMatch(
        /Template \*\*searchable\*\* sets searchable/,
      );
      expect(await h.say('lead1', '/chat create "T2" template=private')).toContain('/chat set');
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
      expect(await h.say('lead1', '/chat create "T3" template=plain')).toMatch(/chat[0-9a-f]{32}/);
    });
  });
});

/** A message that runs `spec` with every param filled, and `option` when given. */
function messageFor(spec: CommandSpec<unknown>, chatId: string, option?: string): string {
  const word = (p: ParamSpec): string => {
    if (p.choices) return Object.keys(p.choices)[0] ?? 'x';
    if (p.name === 'chatId') return chatId;
    if (p.name === 'code') return 'K7PQ2M';
    return '"Walk"';
  };
  const parts = spec.params.map((p) => {
    switch (p.kind) {
      case 'chat':
        return chatId;
      case 'user':
        return 'alice';
      case 'users':
        return 'alice bob';
      case 'int':
        return '1';
      case 'text':
        return spec.name === 'help' ? 'whoami' : '"Walk text"';
      case 'word':
        return word(p);
    }
    return 'x';
  });
  if (option !== undefined) {
    const o = spec.options?.[option];
    const value =
      o?.kind === 'onoff'
        ? 'on'
        : o?.kind === 'enum'
          ? (o.values?.[0] ?? 'x')
          : o?.kind === 'user'
            ? 'alice'
            : 't';
    parts.push(`${option}=${value}`);
  }
  return `/${spec.name} ${parts.join(' ')}`.trim();
}

describe('every command and every option against a restrictive policy', () => {
  const names = allCommands.map((s) => s.name);
  // Every option of every command forbidden for lead; a template t so that template=t binds.
  const forbidden = Object.fromEntries(
    allCommands.map((s) => [s.name, { forbiddenOptions: { lead: Object.keys(s.options ?? {}) } }]),
  );

  it('the walk covers every command and every option', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
    const options = allCommands.flatMap((s) => Object.keys(s.options ?? {}).map((o) => `${s.name} ${o}`));
    expect(options).toContain('chat create owner');
    expect(options).toContain('chat clone owner');
    expect(options).toContain('chat set private-chat');
  });

  describe('every command raised to admin', () => {
    let h: Harness;
    let chatId: string;
    beforeAll(async () => {
      const policy = policySchema.parse({
        commands: Object.fromEntries(names.map((n) => [n, { role: 'admin', ...forbidden[n] }])),
        templates: { t: { members: ['alice'], admins: ['bob'] } },
      });
      h = await startHarness({ policy });
      chatId = seedChat(h, 'Walk', 'lead1', ['lead1', 'alice', 'bob', 'carol']).chatId;
    });
    afterAll(async () => {
      await h?.stop();
    });

    /** Sends every form of each command (bare, with each option, under each alias); the replies not refused. */
    async function walk(specs: readonly CommandSpec<unknown>[]): Promise<string[]> {
      const notRefused: string[] = [];
      for (const spec of specs) {
        const texts = [
          messageFor(spec, chatId),
          ...Object.keys(spec.options ?? {}).map((o) => messageFor(spec, chatId, o)),
          ...(spec.aliases ?? []).map((a) => messageFor(spec, chatId).replace(`/${spec.name}`, `/${a}`)),
        ];
        for (const text of texts) {
          const reply = await h.say('lead1', text);
          if (!/needs the role admin|需要管理员角色/.test(reply)) notRefused.push(`${text} -> ${reply}`);
        }
      }
      return notRefused;
    }
    /** Answered by the pending step, which runs before the role check (see below). */
    const PENDING = new Set(['confirm', 'cancel', 'pick']);

    it('a lead is refused every command, with and without each of its options, and under its aliases', async () => {
      const mark = h.emu.requests.length;
      expect(await walk(allCommands.filter((s) => !PENDING.has(s.name)))).toEqual([]);
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
    });

    // KNOWN HOLE, for the lead (src/bot/pipeline.ts): `pending` runs before `authorizeRole`, so
    // /confirm, /cancel and /pick never meet their own role override (the plan they carry out
    // meets its command's). When authorizeRole also runs before pending, this test fails: make
    // it an ordinary `it`.
    it('a lead is refused /confirm, /cancel and /pick raised to admin', async () => {
      const mark = h.emu.requests.length;
      expect(await walk(allCommands.filter((s) => PENDING.has(s.name)))).toEqual([]);
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
    });

    it('the walk is not vacuous: an admin runs them', async () => {
      expect(await h.say('admin1', `/chat info ${chatId}`)).toContain('Walk');
    });
  });

  describe('every option forbidden for lead (roles as built in)', () => {
    let h: Harness;
    let chatId: string;
    beforeAll(async () => {
      const policy = policySchema.parse({
        commands: forbidden,
        templates: { t: { members: ['alice'] } },
      });
      h = await startHarness({ policy });
      chatId = seedChat(h, 'Walk', 'lead1', ['lead1', 'alice', 'bob', 'carol']).chatId;
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('a lead is refused every option of every command, and nothing is written', async () => {
      const mark = h.emu.requests.length;
      const notRefused: string[] = [];
      let walked = 0;
      for (const spec of allCommands) {
        for (const option of Object.keys(spec.options ?? {})) {
          const text = messageFor(spec, chatId, option);
          const reply = await h.say('lead1', text);
          walked++;
          if (!reply.includes('does not allow the option')) notRefused.push(`${text} -> ${reply}`);
        }
      }
      expect(walked).toBeGreaterThanOrEqual(17);
      expect(notRefused).toEqual([]);
      expect(chatWrites(h.emu.requests.slice(mark))).toEqual([]);
      // Without the options the same commands go through (the refusal is the options').
      expect(await h.say('lead1', `/chat create "Walk 2" alice`)).toMatch(/chat[0-9a-f]{32}/);
    });
  });
});
