/**
 * /help [command]: what the caller may run, grouped; or one command in detail.
 */
import { z } from 'zod';
import { type CommandSpec, defineCommand, md, suggest, type Translate } from '../src/bot/kit.ts';

const norm = (s: string): string =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/^[/／]/, '')
    .trim()
    .split(/\s+/u)
    .join(' ');

/** `/chat create <name> …  (/建群)`: the usage line, with aliases after it. */
function usageLine(spec: CommandSpec<unknown>, t: Translate): string {
  const usage = t(spec.usage);
  // A Chinese usage line already starts with its alias: don't list it twice.
  const aliases = (spec.aliases ?? [])
    .map((a) => `/${a}`)
    .filter((a) => !usage.startsWith(`${a} `) && usage !== a)
    .join(' ');
  return aliases === '' ? usage : `${usage} · ${aliases}`;
}

/** Whether a command takes people (a users slot or a user option). */
function takesUsers(spec: CommandSpec<unknown>): boolean {
  return (
    spec.params.some((p) => p.kind === 'user' || p.kind === 'users') ||
    Object.values(spec.options ?? {}).some((o) => o.kind === 'user')
  );
}

function listing(specs: readonly CommandSpec<unknown>[], t: Translate, group?: string): string {
  const groups = new Map<string, CommandSpec<unknown>[]>();
  for (const s of specs) {
    const head = s.name.includes(' ') ? (s.name.split(' ')[0] ?? '') : '';
    groups.set(head, [...(groups.get(head) ?? []), s]);
  }
  const out: string[] = [group === undefined ? `**${t('help.title')}**` : `**/${group}**`];
  for (const [head, list] of groups) {
    if (group === undefined)
      out.push('', head === '' ? t('help.general') : `**${t('help.group', { group: head })}**`);
    for (const s of list) out.push(`- ${usageLine(s, t)}: ${t(s.summary)}`);
  }
  // Only people who may name users need to know how names are looked up.
  if (group === undefined && specs.some(takesUsers)) out.push('', t('help.people'), t('help.permissions'));
  const example = footerExample(specs, t);
  out.push('', example === undefined ? t('help.footer-plain') : t('help.footer', { example: md(example) }));
  return out.join('\n');
}

/** `/help chat create` (`/帮助 建群`): a command the caller sees, so the example works for them. */
function footerExample(specs: readonly CommandSpec<unknown>[], t: Translate): string | undefined {
  const others = specs.filter((s) => s.name !== 'help');
  const spec = others.find((s) => s.name === 'chat create') ?? others[0];
  return spec === undefined ? undefined : t('help.command', { command: typedName(spec, t) });
}

/** The name a reader of `t`'s language types: in Chinese the Chinese alias when there is one. */
function typedName(spec: CommandSpec<unknown>, t: Translate): string {
  const zh =
    t('locale.code') === 'zh-CN' ? (spec.aliases ?? []).find((a) => /[^\p{ASCII}]/u.test(a)) : undefined;
  return zh ?? spec.name;
}

function detail(spec: CommandSpec<unknown>, t: Translate, later?: { zone: string }): string {
  const out = [
    `**/${typedName(spec, t)}**`,
    t(spec.summary),
    '',
    t('help.label.usage', { usage: md(usageLine(spec, t)) }),
  ];
  const options = Object.entries(spec.options ?? {});
  if (options.length > 0) {
    out.push('', t('help.label.options'));
    for (const [key, o] of options) {
      const shape =
        o.kind === 'onoff'
          ? 'on|off'
          : o.kind === 'enum'
            ? (o.values ?? []).join('|')
            : o.kind === 'user'
              ? t('help.shape.user')
              : t('help.shape.text');
      out.push(`- ${key}=${shape}`);
    }
  }
  // at= and until= (issue 22) belong to no spec: every changing command takes at=.
  if (later !== undefined && spec.changes) {
    const when = t('help.shape.when');
    out.push('', t('help.label.later'), `- at=${when}: ${t('help.later.at', { zone: later.zone })}`);
    if (spec.name === 'chat add' || spec.name === 'chat admin')
      out.push(`- until=${when}: ${t('help.later.until')}`);
  }
  const exampleKey = `${spec.usage.replace(/\.usage$/, '')}.example`;
  const example = t(exampleKey);
  if (example !== exampleKey) out.push('', t('help.label.example', { example: md(example) }));
  return out.join('\n');
}

export default defineCommand({
  name: 'help',
  aliases: ['帮助'],
  summary: 'help.summary',
  usage: 'help.usage',
  params: [{ name: 'command', kind: 'text', optional: true }],
  args: z.object({ command: z.string().max(80).optional() }),
  role: 'everyone',
  changes: false,
  messages: {
    en: {
      'help.summary': 'Show the commands you may use, or one command in detail',
      'help.usage': '/help [command]',
      'help.example': '/help chat create',
      'help.title': 'Commands you can use',
      'help.general': '**General**',
      'help.footer': 'Send /help <command> for details, e.g. {example}.',
      'help.footer-plain': 'Send /help <command> for details.',
      'help.command': '/help {command}',
      'help.shape.user': '<user>',
      'help.shape.text': '<text>',
      'help.label.usage': 'Usage: {usage}',
      'help.label.options': 'Options (key=value):',
      'help.label.example': 'Example: {example}',
      'help.label.later': 'Later:',
      'help.shape.when': '<when>',
      'help.later.at':
        'do it then, not now: 45s, 30m, 2h, 7d, or a date and time in {zone} such as "2026-12-24 18:00"; /chat jobs lists what waits',
      'help.later.until': 'do it now and take it back then',
      'help.people':
        'People: pick them with @, or type a userId, `me`, a name (`"Alice Wang"`), a mobile or `dept:<department>`; replies name them with the userId beside.',
      'help.permissions':
        "Names, mobiles and departments are looked up in DingTalk's contacts, which needs the app's permission points `qyapi_addresslist_search` (search), `qyapi_get_member` (a user by userId), `qyapi_get_member_by_mobile`, `qyapi_get_department_list` and `qyapi_get_department_member` (departments and their members). Without them typed userIds and @-picks still work, and replies show userIds.",
      'help.group': '/{group}',
      'help.unknown': 'I know no command /{command} that you may use.',
      'help.unknown-suggest': 'I know no command /{command} that you may use. Did you mean {suggestions}?',
    },
    'zh-CN': {
      'help.summary': '列出你可以使用的命令，或查看某个命令的详情',
      'help.usage': '/帮助 [命令]',
      'help.example': '/帮助 建群',
      'help.title': '你可以使用的命令',
      'help.general': '**常用**',
      'help.footer': '发送 /帮助 <命令> 查看详情，例如 {example}。',
      'help.footer-plain': '发送 /帮助 <命令> 查看详情。',
      'help.command': '/帮助 {command}',
      'help.shape.user': '<用户>',
      'help.shape.text': '<文字>',
      'help.label.usage': '用法：{usage}',
      'help.label.options': '选项（key=value）：',
      'help.label.example': '示例：{example}',
      'help.label.later': '定时：',
      'help.shape.when': '<时间>',
      'help.later.at':
        '到时再做，而不是现在：45秒、30分钟、2小时、7天，或 {zone} 时区的日期时间如 "2026-12-24 18:00"；/定时任务 列出等待中的任务',
      'help.later.until': '现在就做，到时撤回',
      'help.people':
        '指定人员：用 @ 选人，或输入 userId、`me`、姓名（`"王小明"`）、手机号或 `部门:<部门名>`；回复中显示姓名，后附 userId。',
      'help.permissions':
        '姓名、手机号和部门通过钉钉通讯录查找，需要应用开通权限点 `qyapi_addresslist_search`（搜索）、`qyapi_get_member`（按 userId 查人）、`qyapi_get_member_by_mobile`、`qyapi_get_department_list` 和 `qyapi_get_department_member`（部门及其成员）。未开通时，输入 userId 和 @ 选人照常可用，回复只显示 userId。',
      'help.group': '{group, select, chat {群管理} other {/{group}}}',
      'help.unknown': '没有你可以使用的命令 /{command}。',
      'help.unknown-suggest': '没有你可以使用的命令 /{command}。你是不是想用 {suggestions}？',
    },
  },
  handler: async (ctx) => {
    const { t } = ctx;
    const visible = ctx.visibleCommands();
    const query = norm(ctx.args.command ?? '');
    if (query === '') return { text: listing(visible, t), title: t('help.title') };

    const spec = visible.find((s) => s.name === query || (s.aliases ?? []).some((a) => norm(a) === query));
    if (spec !== undefined) {
      const later = ctx.jobs !== undefined ? { zone: ctx.timeZone } : undefined;
      return { text: detail(spec, t, later), title: `/${spec.name}` };
    }

    const group = visible.filter((s) => s.name.startsWith(`${query} `));
    if (group.length > 0) return { text: listing(group, t, query), title: `/${query}` };

    const names = visible.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
    const close = suggest(query, names);
    const command = query;
    return {
      text:
        close.length > 0
          ? t('help.unknown-suggest', {
              command,
              suggestions: md(close.map((c) => t('help.command', { command: c })).join(', ')),
            })
          : t('help.unknown', { command }),
    };
  },
});
