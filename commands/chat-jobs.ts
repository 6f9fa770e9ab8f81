/**
 * `/chat jobs [cancel <id>]` (定时任务): the changes scheduled with `at=` and `until=` that still
 * wait (the caller's; an admin sees everyone's), with id, chat, what and when in BOT_TIMEZONE;
 * `cancel <id>` cancels one: its author, an admin, or whoever may make that change to that chat
 * now. A job that already runs or ran cannot be cancelled.
 */
import { z } from 'zod';
import { defineCommand, formatLocal, type HandlerContext, type JobView, UserError } from '../src/bot/kit.ts';

interface Args {
  action?: 'list' | 'cancel' | undefined;
  id?: string | undefined;
}

/** Jobs listed at most; the rest are counted. */
const MAX_LISTED = 50;

async function chatLabel(
  ctx: HandlerContext<Args>,
  chatId: string | undefined,
  set?: string,
): Promise<string> {
  if (chatId === undefined) return set ?? '-';
  const rec = await ctx.registry.get(chatId);
  return rec ? `${rec.name} (${chatId})` : chatId;
}

async function line(ctx: HandlerContext<Args>, j: JobView, showAuthor: boolean): Promise<string> {
  const { t } = ctx;
  const what = j.kind === 'until' ? t('jobs.what.until', { what: j.what }) : j.what;
  const by = showAuthor ? t('chat.jobs.by', { user: await ctx.people.label(j.userId) }) : '';
  return t('chat.jobs.line', {
    job: j.id,
    at: formatLocal(j.dueAt, ctx.timeZone),
    chat: await chatLabel(ctx, j.chatId, j.set),
    what,
    by,
  });
}

export default defineCommand<Args>({
  name: 'chat jobs',
  aliases: ['定时任务'],
  summary: 'chat.jobs.summary',
  usage: 'chat.jobs.usage',
  params: [
    {
      name: 'action',
      kind: 'word',
      optional: true,
      choices: { list: 'list', cancel: 'cancel', 列出: 'list', 取消: 'cancel' },
    },
    { name: 'id', kind: 'word', optional: true },
  ],
  args: z.object({ action: z.enum(['list', 'cancel']).optional(), id: z.string().optional() }),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.jobs.summary': 'List the changes you scheduled with at= or until=, or cancel one.',
      'chat.jobs.usage': '/chat jobs [list|cancel] [<id>]',
      'chat.jobs.example': '/chat jobs cancel J7',
      'chat.jobs.none': 'No scheduled changes wait.',
      'chat.jobs.head': 'Scheduled changes ({zone}):',
      'chat.jobs.line': '- **{job}** {at} · {chat} · {what}{by}',
      'chat.jobs.by': ' · by {user}',
      'chat.jobs.more': '…and {count} more.',
      'chat.jobs.which':
        'Which job? Send /chat jobs cancel <id>, e.g. /chat jobs cancel J7 (/chat jobs lists them).',
      'chat.jobs.unknown': 'There is no job {id}. /chat jobs lists the ones that wait.',
      'chat.jobs.not-yours': 'Job {job} is not yours, and you may not make that change to {chat}; it stays.',
      'chat.jobs.not-pending': 'Job {job} no longer waits (it is {state}); nothing to cancel.',
      'chat.jobs.cancelled': 'Cancelled job **{job}** ({what}, due {at}). Nothing of it was done.',
      'chat.jobs.state.running': 'running',
      'chat.jobs.state.done': 'done',
      'chat.jobs.state.cancelled': 'cancelled',
      'chat.jobs.state.pending': 'waiting',
      'chat.jobs.unavailable': 'Scheduled changes are not available in this bot.',
    },
    'zh-CN': {
      'chat.jobs.summary': '列出你用 at= 或 until= 安排的修改，或取消其中一个。',
      'chat.jobs.usage': '/定时任务 [列出|取消] [<编号>]',
      'chat.jobs.example': '/定时任务 取消 J7',
      'chat.jobs.none': '没有等待中的定时修改。',
      'chat.jobs.head': '定时修改（{zone}）：',
      'chat.jobs.line': '- **{job}** {at} · {chat} · {what}{by}',
      'chat.jobs.by': ' · 由 {user} 安排',
      'chat.jobs.more': '……还有 {count} 个。',
      'chat.jobs.which':
        '取消哪个任务？请发送 /定时任务 取消 <编号>，例如 /定时任务 取消 J7（/定时任务 会列出它们）。',
      'chat.jobs.unknown': '没有任务 {id}。/定时任务 会列出等待中的任务。',
      'chat.jobs.not-yours': '任务 {job} 不是你安排的，你也无权对 {chat} 做这项修改；它保留不变。',
      'chat.jobs.not-pending': '任务 {job} 已不在等待（{state}），无需取消。',
      'chat.jobs.cancelled': '已取消任务 **{job}**（{what}，原定 {at}），其内容都没有执行。',
      'chat.jobs.state.running': '正在执行',
      'chat.jobs.state.done': '已完成',
      'chat.jobs.state.cancelled': '已取消',
      'chat.jobs.state.pending': '等待中',
      'chat.jobs.unavailable': '这个机器人没有定时修改功能。',
    },
  },
  async handler(ctx) {
    const { args, t, caller, jobs } = ctx;
    if (jobs === undefined) throw new UserError('chat.jobs.unavailable');
    const admin = caller.role === 'admin';
    if (args.action !== 'cancel') {
      if (args.id !== undefined) throw new UserError('chat.jobs.which');
      const list = await jobs.pending(admin ? undefined : caller.userId);
      if (list.length === 0) return { text: t('chat.jobs.none') };
      const lines = [t('chat.jobs.head', { zone: ctx.timeZone })];
      for (const j of list.slice(0, MAX_LISTED))
        lines.push(await line(ctx, j, admin && j.userId !== caller.userId));
      if (list.length > MAX_LISTED) lines.push(t('chat.jobs.more', { count: list.length - MAX_LISTED }));
      return { text: lines.join('\n') };
    }
    if (args.id === undefined) throw new UserError('chat.jobs.which');
    const job = await jobs.find(args.id);
    if (job === undefined) throw new UserError('chat.jobs.unknown', { id: args.id });
    if (job.chatId !== undefined) ctx.concerns(job.chatId);
    const chat = await chatLabel(ctx, job.chatId, job.set);
    // The same rules as the change itself: its author, an admin, or whoever may make it now.
    let allowed = admin || job.userId === caller.userId;
    if (!allowed && job.chatId !== undefined) {
      const record = await ctx.registry.get(job.chatId);
      allowed = await ctx.mayRun(job.command, {
        chatId: job.chatId,
        openConversationId: record?.openConversationId,
        record,
        label: job.chatId,
      });
    }
    if (!allowed) throw new UserError('chat.jobs.not-yours', { job: job.id, chat });
    const state = () => t(`chat.jobs.state.${job.state}`);
    if (job.state !== 'pending' || !(await jobs.cancel(job.n))) {
      const now = await jobs.find(job.id);
      throw new UserError('chat.jobs.not-pending', {
        job: job.id,
        state: now ? t(`chat.jobs.state.${now.state}`) : state(),
      });
    }
    const what = job.kind === 'until' ? t('jobs.what.until', { what: job.what }) : job.what;
    return {
      text: t('chat.jobs.cancelled', { job: job.id, what, at: formatLocal(job.dueAt, ctx.timeZone) }),
    };
  },
});
