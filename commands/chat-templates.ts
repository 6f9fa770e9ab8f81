/**
 * `/chat templates` (群模板): the chat templates of the policy file the caller may use with
 * `/chat create "<name>" template=<t>`, and what each sets. Users are shown as the file writes
 * them: they are looked up when the template is used.
 */
import { z } from 'zod';
import {
  type ChatTemplate,
  defineCommand,
  type Markdown,
  md,
  mdEscape,
  type Translate,
} from '../src/bot/kit.ts';
import type { ChatSettings } from '../src/dingtalk/types.ts';

/** The settings as the `/chat create` options name them, in the order the options are listed. */
const OPTIONS: readonly [keyof ChatSettings, string][] = [
  ['searchable', 'searchable'],
  ['validation', 'validation'],
  ['mentionAll', 'mention-all'],
  ['management', 'management'],
  ['mute', 'mute'],
  ['history', 'history'],
];

/** One template: its name, then a line for each thing it sets (`option=value`, copyable). */
function describe(tpl: ChatTemplate, t: Translate): string {
  const users = (list: readonly string[]): Markdown => md(list.map((u) => mdEscape(u)).join(', '));
  const word = (v: boolean | string): string => (v === true ? 'on' : v === false ? 'off' : v);
  const lines = [`**${mdEscape(tpl.name)}**`];
  if (tpl.members.length > 0) lines.push(t('chat.templates.members', { users: users(tpl.members) }));
  if (tpl.admins.length > 0) lines.push(t('chat.templates.admins', { users: users(tpl.admins) }));
  const settings = OPTIONS.flatMap(([k, option]) => {
    const v = tpl.settings[k];
    return v === undefined ? [] : [`${option}=${word(v)}`];
  });
  if (settings.length > 0) lines.push(t('chat.templates.settings', { settings: settings.join(' ') }));
  if (tpl.privateChat !== undefined)
    lines.push(t('chat.templates.private-chat', { value: word(tpl.privateChat) }));
  if (tpl.nicks.length > 0) {
    const nicks = tpl.nicks.map(([user, nick]) => `${mdEscape(user)} → “${mdEscape(nick)}”`).join(', ');
    lines.push(t('chat.templates.nicks', { nicks: md(nicks) }));
  }
  if (lines.length === 1) lines.push(t('chat.templates.empty'));
  return lines.join('\n');
}

export default defineCommand({
  name: 'chat templates',
  aliases: ['群模板'],
  summary: 'chat.templates.summary',
  usage: 'chat.templates.usage',
  params: [],
  args: z.object({}),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.templates.summary':
        'List the chat templates you may use with /chat create "<name>" template=<t>, and what each sets.',
      'chat.templates.usage': '/chat templates',
      'chat.templates.example': '/chat templates',
      'chat.templates.none':
        'There are no chat templates you may use. An admin defines them in the policy file, section "templates".',
      'chat.templates.title': '{count, plural, one {# template} other {# templates}} you may use:',
      'chat.templates.members': '- members: {users}',
      'chat.templates.admins': '- admins: {users}',
      'chat.templates.settings': '- settings: {settings}',
      'chat.templates.private-chat': '- private-chat={value}',
      'chat.templates.nicks': '- nicknames: {nicks}',
      'chat.templates.empty': '- sets nothing beyond a plain create',
      'chat.templates.how':
        'Use one: `/chat create "<name>" template={template} [more users…] [owner=<user>] [setting=value…]`. What you type wins over the template; people are looked up when it is used.',
    },
    'zh-CN': {
      'chat.templates.summary': '列出你可用于 /建群 "<群名>" template=<模板> 的群模板，以及每个模板的设置。',
      'chat.templates.usage': '/群模板',
      'chat.templates.example': '/群模板',
      'chat.templates.none': '没有你可用的群模板。管理员可以在策略文件的 "templates" 部分定义模板。',
      'chat.templates.title': '你可用的模板（{count} 个）：',
      'chat.templates.members': '- 成员：{users}',
      'chat.templates.admins': '- 管理员：{users}',
      'chat.templates.settings': '- 群设置：{settings}',
      'chat.templates.private-chat': '- 群内私聊：private-chat={value}',
      'chat.templates.nicks': '- 群昵称：{nicks}',
      'chat.templates.empty': '- 除普通建群外不做其他设置',
      'chat.templates.how':
        '使用方法：`/建群 "<群名>" template={template} [更多成员…] [owner=<用户>] [设置=值…]`。你输入的选项优先于模板；使用模板时才查找其中的人员。',
    },
  },
  async handler({ templates, t }) {
    if (templates.length === 0) return { text: t('chat.templates.none') };
    const parts = [t('chat.templates.title', { count: templates.length })];
    for (const tpl of templates) parts.push(describe(tpl, t));
    parts.push(t('chat.templates.how', { template: templates[0]?.name ?? '' }));
    return { text: parts.join('\n\n') };
  },
});
