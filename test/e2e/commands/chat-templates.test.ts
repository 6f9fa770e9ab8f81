/**
 * Chat templates (policy file `templates`): `/chat create … template=<t>` applies one step by step
 * (the org checked after each step), a failing step is reported with its retry and the rest
 * done, typed options win, template people are resolved like typed ones (dept:, names, /pick),
 * `/chat templates` in both languages, and a bad section stops the start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { policySchema } from '../../../src/bot/policy.ts';
import type { GroupApi } from '../../../src/dingtalk/types.ts';
import type { Chat } from '../../../src/emulator/org.ts';
import { DEMO_DEPARTMENTS, DEMO_USERS } from '../../../src/sandbox/demo.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { startBot } from '../runtime/child.ts';
import { track, writes } from './helpers.ts';

const POLICY = policySchema.parse({
  templates: {
    project: {
      members: ['dept:Design', 'Dave Zhou'],
      admins: ['lead2', 'carol'],
      settings: { validation: 'on', 'mention-all': 'owner', history: 'on' },
      'private-chat': 'off',
      // a userId and a mobile (Alice Wang, alice)
      nicks: { lead2: 'Design Lead', '13800138000': 'Backend' },
    },
    pair: { members: ['Alice Wang'] },
    board: { members: ['bob'], roles: ['admin'] },
  },
});

/** The Design department of the demo org: 林芳, 陈可, the second Alice Wang, 张伟 (2). */
const DESIGN = ['lead2', 'carol', 'alice2', 'zhangwei2'];

type Snapshot = { step: string; chat: Chat };

describe('chat templates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      users: DEMO_USERS.map((u) => ({ ...u, ...(u.deptIds ? { deptIds: [...u.deptIds] } : {}) })),
      emulator: { departments: [...DEMO_DEPARTMENTS], qpsLimit: null },
      policy: POLICY,
    });
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    h.emu.faults.clearInjections();
  });

  /**
   * Records the org's copy of the chat after each write of a template's steps returns, so each
   * step's effect is seen on its own (the bot's GroupApi is the app's object: wrapped in place).
   */
  function watchSteps(): { snapshots: Snapshot[]; restore: () => void } {
    const api = h.app.dingtalk.groups as GroupApi;
    const snapshots: Snapshot[] = [];
    const names = ['create', 'setAdmins', 'setPrivateChat', 'setNick'] as const;
    const originals = names.map((n) => [n, api[n]] as const);
    const snap = (step: string, chatId: string) => {
      const chat = h.emu.org.chat(chatId);
      if (chat) snapshots.push({ step, chat: structuredClone(chat) });
    };
    for (const [name, original] of originals) {
      const call = original.bind(api) as (...a: unknown[]) => Promise<unknown>;
      (api as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
        try {
          const r = await call(...a);
          const chatId =
            name === 'create'
              ? (r as { chatId: string }).chatId
              : typeof a[0] === 'string'
                ? a[0]
                : (a[0] as { chatId: string }).chatId;
          snap(name, chatId);
          return r;
        } catch (err) {
          const first = a[0];
          if (typeof first === 'string') snap(`${name} failed`, first);
          else if (name !== 'create') snap(`${name} failed`, (first as { chatId: string }).chatId);
          throw err;
        }
      };
    }
    return {
      snapshots,
      restore: () => {
        for (const [name, original] of originals)
          (api as unknown as Record<string, unknown>)[name] = original;
      },
    };
  }

  const chatNamed = (name: string) => {
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`no chat named ${name}`);
    return c;
  };

  it('applies every kind of field: create with members and settings, then admins, private chat, nicknames', async () => {
    const watch = watchSteps();
    const t = track(h);
    let reply: string;
    try {
      reply = await h.say('lead1', '/chat create "Sprint 1" template=project');
    } finally {
      watch.restore();
    }
    const chat = chatNamed('Sprint 1');
    expect(writes(t.calls()).map((r) => r.endpoint)).toEqual([
      'im.group.create',
      'qrcode.get',
      'im.subAdministrators',
      'friendswitch.update',
      'updategroupnick',
      'updategroupnick',
    ]);
    expect(watch.snapshots.map((s) => s.step)).toEqual([
      'create',
      'setAdmins',
      'setPrivateChat',
      'setNick',
      'setNick',
    ]);
    const [created, admins, privateChat, nick1, nick2] = watch.snapshots.map((s) => s.chat) as Chat[];
    // 1. the create: members (the caller, dept:Design, a name, the admins and the nicknamed) and settings
    expect(new Set(created?.members)).toEqual(new Set(['lead1', ...DESIGN, 'dave', 'alice']));
    expect(created?.owner).toBe('lead1');
    expect(created?.settings).toMatchObject({
      validationType: 1,
      mentionAllAuthority: 1,
      showHistoryType: 1,
    });
    expect(created?.settings).toMatchObject({ searchable: 0, managementType: 0, chatBannedType: 0 });
    expect(created?.admins).toEqual([]);
    expect(created?.privateChatProhibited).toBe(false);
    expect(created?.nicks).toEqual({});
    // 2. admins
    expect(admins?.admins).toEqual(['lead2', 'carol']);
    expect(admins?.privateChatProhibited).toBe(false);
    // 3. private chat off
    expect(privateChat?.privateChatProhibited).toBe(true);
    expect(privateChat?.nicks).toEqual({});
    // 4. nicknames, one at a time
    expect(nick1?.nicks).toEqual({ lead2: 'Design Lead' });
    expect(nick2?.nicks).toEqual({ lead2: 'Design Lead', alice: 'Backend' });
    expect(h.emu.org.chat(chat.chatId)?.nicks).toEqual({ lead2: 'Design Lead', alice: 'Backend' });

    expect(reply).toContain('Created **Sprint 1** with 7 members; owner 李伟 (lead1).');
    expect(reply).toContain('- validation: on');
    expect(reply).toContain('- mention-all: owner');
    expect(reply).toContain('- history: on');
    expect(reply).toContain('Template **project**, after the create:');
    expect(reply).toContain('- admins: 林芳 (lead2), 陈可 (carol): done');
    expect(reply).toContain('- private-chat: off: done');
    expect(reply).toContain('- nickname of 林芳 (lead2): “Design Lead”: done');
    expect(reply).toContain('- nickname of Alice Wang (alice): “Backend”: done');
    expect(reply).toContain('dept:Design → Design (4 people)');
    expect(reply).toContain('Dave Zhou → Dave Zhou (dave)');
    expect(reply).toContain('13800138000 → Alice Wang (alice)');
    // The registry knows it for the caller, as for any create.
    expect(await h.say('lead1', '/chat list')).toContain('**Sprint 1**');
  });

  it('a failing middle step (admins) is reported with its retry; private chat and nicknames are still done', async () => {
    // More answers than the client's retries: the step fails for good.
    h.emu.faults.inject('im.subAdministrators', 'http500', 20);
    const reply = await h.say('lead1', '/chat create "Sprint 2" template=project');
    h.emu.faults.clearInjections();
    const chat = h.emu.org.chat(chatNamed('Sprint 2').chatId)!;
    expect(chat.admins).toEqual([]);
    expect(chat.privateChatProhibited).toBe(true);
    expect(chat.nicks).toEqual({ lead2: 'Design Lead', alice: 'Backend' });
    expect(chat.settings).toMatchObject({ validationType: 1, mentionAllAuthority: 1, showHistoryType: 1 });
    const retry = `/chat admin add ${chat.chatId} lead2 carol`;
    expect(reply).toContain(
      `- admins: 林芳 (lead2), 陈可 (carol): **not set**, DingTalk refused (system.error). Retry just this step: \`${retry}\``,
    );
    expect(reply).toContain('- private-chat: off: done');
    expect(reply).toContain('- nickname of Alice Wang (alice): “Backend”: done');
    // The retry it names works as it is written.
    expect(await h.say('lead1', retry)).toContain('Made admins of **Sprint 2**: 林芳 (lead2), 陈可 (carol).');
    expect(h.emu.org.chat(chat.chatId)?.admins).toEqual(['lead2', 'carol']);
  });

  it('a failing nickname names its own retry, in Chinese for 建群', async () => {
    h.emu.faults.inject('updategroupnick', 'busy', 20);
    const reply = await h.say('lead1', '/建群 "冲刺三" template=project');
    h.emu.faults.clearInjections();
    const chat = h.emu.org.chat(chatNamed('冲刺三').chatId)!;
    expect(chat.admins).toEqual(['lead2', 'carol']);
    expect(chat.nicks).toEqual({});
    expect(reply).toContain('模板 **project**，建群之后：');
    expect(reply).toContain('- 管理员：林芳 (lead2), 陈可 (carol)：已完成');
    expect(reply).toContain('- 群内私聊：关：已完成');
    expect(reply).toContain(
      `- 林芳 (lead2) 的群昵称：“Design Lead”：**未设置**，钉钉拒绝了（errcode -1）。只重试这一步：\`/群昵称 ${chat.chatId} lead2 "Design Lead"\``,
    );
    expect(reply).toContain(`\`/群昵称 ${chat.chatId} alice "Backend"\``);
  });

  it('options typed on the command line win over the template (settings, private chat, owner), and typed users join', async () => {
    const t = track(h);
    const reply = await h.say(
      'lead1',
      '/chat create "Sprint 4" template=project validation=off mention-all=everyone private-chat=on owner=carol bob',
    );
    const chat = h.emu.org.chat(chatNamed('Sprint 4').chatId)!;
    expect(chat.owner).toBe('carol');
    expect(chat.members).toContain('bob');
    expect(chat.settings).toMatchObject({ validationType: 0, mentionAllAuthority: 0, showHistoryType: 1 });
    expect(chat.privateChatProhibited).toBe(false);
    const fs = writes(t.calls()).find((r) => r.endpoint === 'friendswitch.update');
    expect(fs?.body).toEqual({ chatid: chat.chatId, is_prohibit: false });
    // carol owns it now: the owner gets no admin role; lead2 does.
    expect(chat.admins).toEqual(['lead2']);
    expect(reply).toContain('- admins: 陈可 (carol) owns the chat and needs no admin role (skipped)');
    expect(reply).toContain('- admins: 林芳 (lead2): done');
    expect(reply).toContain('- private-chat: on: done');
  });

  it('an ambiguous name in a template asks for /pick like a typed one, then creates', async () => {
    const ask = await h.say('lead1', '/chat create Pair template=pair');
    expect(ask).toContain('A name matches several people. Nothing was changed yet.');
    expect(ask).toMatch(/^Alice Wang: *$/m);
    expect(h.emu.org.chats().some((c) => c.name === 'Pair')).toBe(false);
    const n = /^(\d+)\. .* · alice2 *$/m.exec(ask)?.[1];
    expect(n).toBeDefined();
    const done = await h.say('lead1', `/pick ${n}`);
    expect(done).toContain('Created **Pair**');
    expect(new Set(chatNamed('Pair').members)).toEqual(new Set(['lead1', 'alice2']));
  });

  it('an unknown template: the ones the caller may use are listed and DingTalk gets nothing', async () => {
    const t = track(h);
    const lead = await h.say('lead1', '/chat create X template=nope');
    expect(lead).toBe(
      'There is no template "nope" you may use. Yours: project, pair. /chat templates shows what each sets.',
    );
    // A template for admins only is not the lead's either.
    expect(await h.say('lead1', '/chat create X template=board')).toContain('Yours: project, pair.');
    expect(writes(t.calls())).toEqual([]);
    expect(await h.say('admin1', '/chat create X template=nope')).toContain('Yours: project, pair, board.');
    expect(await h.say('admin1', '/chat create Board template=board')).toContain('Created **Board**');
    expect(new Set(chatNamed('Board').members)).toEqual(new Set(['admin1', 'bob']));
  });

  it('/chat templates lists what each template sets, in English and Chinese', async () => {
    // Markdown line breaks (two spaces) left out.
    const en = (await h.say('lead1', '/chat templates')).replace(/ +$/gm, '');
    expect(en).toContain('2 templates you may use:');
    expect(en).toContain(
      [
        '**project**',
        '- members: dept:Design, Dave Zhou',
        '- admins: lead2, carol',
        '- settings: validation=on mention-all=owner history=on',
        '- private-chat=off',
        '- nicknames: lead2 → “Design Lead”, 13800138000 → “Backend”',
      ].join('\n'),
    );
    expect(en).toContain('**pair**\n- members: Alice Wang');
    expect(en).not.toContain('board');
    expect(en).toContain('`/chat create "＜name＞" template=project');
    const zh = await h.say('lead1', '/群模板');
    expect(zh).toContain('你可用的模板（2 个）：');
    expect(zh).toContain('- 成员：dept:Design, Dave Zhou');
    expect(zh).toContain('- 群设置：validation=on mention-all=owner history=on');
    expect(zh).toContain('- 群内私聊：private-chat=off');
    expect(zh).toContain('- 群昵称：lead2 → “Design Lead”');
    expect((await h.say('admin1', '/chat templates')).replace(/ +$/gm, '')).toContain(
      '**board**\n- members: bob',
    );
    // Someone without a role may not see them.
    expect(await h.say('bob', '/chat templates')).toContain('/chat templates needs the role lead');
  });

  it('/help chat create shows template=', async () => {
    const help = await h.say('lead1', '/help chat create');
    // The renderer shows < > full-width (DingTalk markdown would take them for HTML).
    expect(help).toContain('[template=＜t＞]');
    expect(help).toContain('- template=＜text＞');
    expect(help).toContain('/chat templates');
  });
});

describe('a bad templates section', () => {
  it('stops the start with every problem listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgb-tpl-'));
    try {
      const file = join(dir, 'policy.json');
      writeFileSync(
        file,
        JSON.stringify({
          templates: {
            project: {
              members: ['dept:', 'u_pm01'],
              settings: { validation: 'yes', colour: 'red' },
              'private-chat': 'maybe',
              nicks: { u_pm01: '' },
              roles: ['boss'],
              owner: 'u_pm01',
            },
            'Bad Name': {},
          },
        }),
      );
      const bot = startBot({
        DINGTALK_CLIENT_ID: 'ding-test-client',
        DINGTALK_CLIENT_SECRET: 'test-secret-not-used-0001',
        DINGTALK_API_BASE: 'http://127.0.0.1:9',
        DINGTALK_OAPI_BASE: 'http://127.0.0.1:9',
        BOT_POLICY_FILE: file,
        BOT_DATA_DIR: dir,
        LOG_LEVEL: 'error',
      });
      expect((await bot.exit(20_000)).code).toBe(1);
      const err = bot.err();
      for (const line of [
        `Invalid policy file ${file}:`,
        '$.templates.project.members[0]: "dept:" names no one',
        '$.templates.project.settings.validation:',
        '$.templates.project.settings: Unrecognized key: "colour"',
        '$.templates.project["private-chat"]:',
        '$.templates.project.nicks.u_pm01: a nickname cannot be empty',
        '$.templates.project: Unrecognized key: "owner"',
        '$.templates.project.roles[0]: unknown role "boss"',
        '$.templates["Bad Name"]: template names are lower-case',
      ])
        expect(err).toContain(line);
      expect(bot.out.join('\n')).not.toMatch(/bot is ready/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
