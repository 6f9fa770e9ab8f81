import { describe, expect, it } from 'vitest';
import help from '../../../commands/help.ts';
import whoami from '../../../commands/whoami.ts';
import { createTranslator } from '../../../src/bot/i18n.ts';
import { formatUsers, settingsInWords } from '../../../src/bot/kit.ts';
import { loadCommands } from '../../../src/bot/registry.ts';
import type { CommandSpec, HandlerContext, IncomingMessage, Locale } from '../../../src/bot/types.ts';
import type { GroupApi } from '../../../src/dingtalk/types.ts';
import { silentLogger } from '../../../src/log.ts';
import { GROUP_CID, HERE_ID, message, seededRegistry, spec } from './fakes.ts';

const chatCreate = spec({
  name: 'chat create',
  aliases: ['建群'],
  options: { mute: { kind: 'onoff' }, 'mention-all': { kind: 'enum', values: ['everyone', 'owner'] } },
  role: 'lead',
});
chatCreate.messages.en['chat.create.example'] = '/chat create "Design Review" alice bob';
chatCreate.messages['zh-CN']['chat.create.example'] = '/建群 设计评审 alice bob';
const chatInfo = spec({ name: 'chat info' });
const all = [help, whoami, chatCreate, chatInfo] as unknown as CommandSpec<unknown>[];
const registry = loadCommands(all);

function ctx<A>(
  args: A,
  over: { locale?: Locale; visible?: CommandSpec<unknown>[]; message?: Partial<IncomingMessage> } = {},
): HandlerContext<A> {
  const locale = over.locale ?? 'en';
  return {
    message: message(over.message),
    args,
    caller: { userId: 'lead_1', nick: 'Lee *Lead*', role: 'lead' },
    api: {} as GroupApi,
    registry: seededRegistry(),
    tags: new Proxy({} as HandlerContext<A>['tags'], {
      get: () => () => {
        throw new Error('these commands use no tags');
      },
    }),
    auditLog: { latest: async () => [] },
    log: silentLogger(),
    t: createTranslator(locale, registry.messages),
    locale,
    visibleCommands: () => over.visible ?? all,
    findPerson: async () => {
      throw new Error('these commands look nobody up');
    },
    templates: [],
    timeZone: 'Asia/Shanghai',
    signal: new AbortController().signal,
    mayRun: async () => true,
    forbiddenOptions: () => [],
    concerns: () => {},
    people: { labels: async (ids) => [...ids], label: async (id) => id },
    changes: new Proxy({} as HandlerContext<A>['changes'], {
      get: () => () => {
        throw new Error('these commands change nothing');
      },
    }),
  };
}

describe('/help', () => {
  it('lists what the caller may run, grouped, with usage and summary', async () => {
    const r = await help.handler(
      ctx({}, { visible: [help, whoami, chatInfo] as unknown as CommandSpec<unknown>[] }),
    );
    expect(r.text).toContain('**Commands you can use**');
    expect(r.text).toContain(
      '- /help [command] · /帮助: Show the commands you may use, or one command in detail',
    );
    expect(r.text).toContain('**/chat**\n- /chat info: chat info summary');
    expect(r.text).not.toContain('- /chat create');
  });

  it('shows one command with its options and example, by name or alias', async () => {
    const r = await help.handler(ctx({ command: 'chat create' }));
    expect(r.title).toBe('/chat create');
    expect(r.text).toContain('Usage: /chat create · /建群');
    expect(r.text).toContain('- mute=on|off\n- mention-all=everyone|owner');
    expect(r.text).toContain('Example: /chat create "Design Review" alice bob');
    const zh = await help.handler(ctx({ command: '建群' }, { locale: 'zh-CN' }));
    expect(zh.text).toContain('示例：/建群 设计评审 alice bob');
  });

  it('lists a group, and suggests for a typo', async () => {
    expect((await help.handler(ctx({ command: 'chat' }))).text).toContain('- /chat create');
    expect((await help.handler(ctx({ command: 'chat creat' }))).text).toContain(
      'Did you mean /help chat create?',
    );
  });

  it('does not show a command the caller may not run', async () => {
    const r = await help.handler(
      ctx({ command: 'chat create' }, { visible: [help] as unknown as CommandSpec<unknown>[] }),
    );
    expect(r.text).toBe('I know no command /chat create that you may use.');
  });
});

describe('/whoami', () => {
  it('in a linked group: ids, role and the chatId', async () => {
    const r = await whoami.handler(ctx({}));
    expect(r.text).toContain('- userId: lead\\_1');
    expect(r.text).toContain('- nick: Lee \\*Lead\\*');
    expect(r.text).toContain('- role: lead\n');
    expect(r.text).toContain(`- conversation: group chat\n- openConversationId: ${GROUP_CID}`);
    expect(r.text).toContain(`- chatId: ${HERE_ID} (Team Here)`);
  });

  it('in an unknown group it says how to link it; in a 1:1 chat no chatId', async () => {
    expect((await whoami.handler(ctx({}, { message: { conversationId: 'cidNew' } }))).text).toContain(
      '/chat link <chatId>',
    );
    const dm = await whoami.handler(
      ctx({}, { locale: 'zh-CN', message: { conversationType: 'direct', senderIsOrgAdmin: true } }),
    );
    expect(dm.text).toContain('- 会话：单聊');
    expect(dm.text).toContain('钉钉组织管理员：是');
    expect(dm.text).not.toContain('chatId');
  });
});

describe('kit helpers', () => {
  it('settingsInWords uses the /chat set keys and the locale', () => {
    const s = {
      searchable: true,
      validation: false,
      mentionAll: 'owner',
      management: 'everyone',
      mute: false,
      history: true,
    } as const;
    expect(String(settingsInWords(s, createTranslator('en')))).toBe(
      '- searchable: on\n- validation: off\n- mention-all: owner\n- management: everyone\n- mute: off\n- history: on',
    );
    expect(String(settingsInWords(s, createTranslator('zh-CN')))).toContain('- 全员禁言 mute: 关');
  });

  it('formatUsers caps and escapes', () => {
    expect(String(formatUsers([]))).toBe('—');
    expect(String(formatUsers(['a_b', 'c']))).toBe('a\\_b, c');
    expect(String(formatUsers(['a', 'b', 'c', 'd'], 2))).toBe('a, b (+2)');
  });
});
