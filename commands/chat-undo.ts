/**
 * `/chat undo [<chat>]` (撤销): takes back the caller's last change to a chat made through the
 * bot within 24 hours (in a 1:1 chat without `<chat>`: their last change anywhere), from what
 * the change stored (ctx.changes). An undo that removes people or changes the owner asks for
 * `/confirm` first. The undo is audited by the pipeline and is not itself undone by the next
 * undo, which goes one change further back. After a command over a set of chats, `/chat undo`
 * without a chat takes the whole batch back, chat by chat, to a ledger of its own.
 */
import { z } from 'zod';
import {
  type Change,
  type ChatRef,
  defineCommand,
  type HandlerContext,
  UserError,
  zChat,
} from '../src/bot/kit.ts';
import { batchPreview, batchUndo, findBatch } from './chat-undo-batch.ts';
import { type Args, failedLine, minutesAgo, plan, risky } from './undo-steps.ts';

const DAY_MS = 24 * 60 * 60_000;

/** The change to take back and its chat, or a UserError that says why there is none. */
async function find(ctx: HandlerContext<Args>): Promise<{ change: Change; chat: ChatRef }> {
  const { args, changes, registry, caller, mayRun, concerns } = ctx;
  const change = await changes.latest(args.chat?.chatId);
  if (change === undefined) {
    // What the bot made is in the registry: a create the history cannot take back.
    const recent = (args.chat?.record ? [args.chat.record] : await registry.listFor(caller.userId)).find(
      (r) => r.createdByBot && r.createdFor === caller.userId && Date.now() - r.createdAt < DAY_MS,
    );
    if (args.chat === undefined && recent === undefined) throw new UserError('chat.undo.nothing');
    if (recent !== undefined && (args.chat === undefined || recent.chatId === args.chat.chatId))
      throw new UserError('chat.undo.create', { name: recent.name, chatId: recent.chatId });
    throw new UserError('chat.undo.nothing-chat', { chat: args.chat?.label ?? '' });
  }
  let chat = args.chat;
  if (chat === undefined) {
    // No <chat> named: the pipeline checked no ownership, so check it for the chat found.
    const record = await registry.get(change.chatId);
    chat = {
      chatId: change.chatId,
      openConversationId: record?.openConversationId,
      record,
      label: change.chatId,
    };
    concerns(change.chatId);
    if (!(await mayRun('chat undo', chat)))
      throw new UserError('chat.undo.not-allowed', { chat: change.chatId, command: change.command });
  }
  return { change, chat };
}

export default defineCommand<Args>({
  name: 'chat undo',
  aliases: ['撤销'],
  summary: 'chat.undo.summary',
  usage: 'chat.undo.usage',
  params: [{ name: 'chat', kind: 'chat', optional: true }],
  args: z.object({ chat: zChat().optional() }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.undo.summary':
        'Take back your last change to a chat made through me within 24 hours; after a command over a set of chats, the whole batch (asks for confirmation when people leave or the owner changes).',
      'chat.undo.usage': '/chat undo [<chat>]',
      'chat.undo.example': '/chat undo #"Design Review"',
      'chat.undo.nothing':
        'Nothing to undo: you made no change through me in the last 24 hours that is not undone yet. A change made in DingTalk itself I cannot see, so I cannot take it back.',
      'chat.undo.nothing-chat':
        'Nothing to undo in {chat}: you made no change to it through me in the last 24 hours that is not undone yet. A change made in DingTalk itself I cannot see, so I cannot take it back.',
      'chat.undo.create':
        'Your last change was the creation of **{name}** (`{chatId}`), and a create cannot be undone: I cannot dismiss a chat. Remove its members with /chat remove {chatId} <users…> if it should not be used.',
      'chat.undo.not-allowed':
        'Your last change was /{command, command} on `{chat}`, but you may no longer change that chat, so I cannot undo it.',
      'chat.undo.owner-moved':
        'The owner of **{name}** has changed since (now {owner}), so I do not hand it back.',
      'chat.undo.owner-not-allowed':
        'You may no longer hand **{name}** over: since the transfer you do not own it. Ask its owner or a bot admin (/chat owner {chat} <user>).',
      'chat.undo.owner-gone':
        '{user} is no longer a member of **{name}**, so they cannot be the owner again.',
      'chat.undo.raced': 'That change has just been undone by another message; nothing more to do.',
      'chat.undo.already':
        'That /{command, command} has been undone already (by an earlier code or message); nothing was changed now.',
      'chat.undo.cannot':
        'I cannot take back your /{command, command} on **{name}** (`{chatId}`, {minutes} min ago); nothing was changed:',
      'chat.undo.set-aside':
        'I set that change aside: /chat undo {chat} now reaches the change you made before it.',
      'chat.undo.preview': 'Undo your /{command, command} on **{name}** (`{chatId}`, {minutes} min ago):',
      'chat.undo.done': 'Undone: your /{command, command} on **{name}** (`{chatId}`, {minutes} min ago).',
      'chat.undo.failed':
        'Not every step was done (marked above); the change counts as undone. Do the rest by hand: /chat info {chat} shows the chat as it is.',
      'chat.undo.step-failed': 'failed: DingTalk refused, {code}',
      'chat.undo.step-skipped': 'not done',
      'chat.undo.again': 'A second /chat undo {chat} goes one change further back.',
      'chat.undo.step.rename': 'name: {from} → {to}',
      'chat.undo.step.add': 'add back: {users}',
      'chat.undo.step.add-none': 'add back: nobody ({users} are in the chat again)',
      'chat.undo.step.remove': 'take out: {users}',
      'chat.undo.step.remove-none': 'take out: nobody (they have left already)',
      'chat.undo.step.remove-owner': '{owner} owns the chat now and stays in it',
      'chat.undo.step.owner': 'owner: {from} → {to}',
      'chat.undo.step.settings': 'settings back to: {settings}',
      'chat.undo.step.private-chat': 'private chat back to: {value}',
      'chat.undo.step.private-chat-unknown':
        'private chat: not restored, DingTalk does not say what it was before and I had not set it; use /chat set {chat} private-chat=on|off',
      'chat.undo.step.admins-add': 'admins again: {users}',
      'chat.undo.step.admins-remove': 'no longer admins: {users}',
      'chat.undo.step.admins-none': 'admins: nobody to change (not in the chat any more)',
      'chat.undo.step.nick': 'nickname of {user} back to “{nick}”',
      'chat.undo.step.nick-unknown':
        'nickname of {user}: not restored, I did not know the one before (DingTalk does not tell)',
      'chat.undo.step.nick-gone': 'nickname of {user}: not restored, they are no longer in the chat',
      'chat.undo.step.job': 'cancel the scheduled job {job} (due {at}); nothing of it is done',
      'chat.undo.step.job-gone': 'scheduled job {job}: it no longer waits (it ran or was cancelled)',
      'chat.undo.job-raced': 'Job {job} started or was cancelled meanwhile; nothing was changed.',
      'chat.undo.step.until-cancelled':
        'the take-back scheduled with until= ({job}) is cancelled: nothing is left for it',
      'chat.undo.batch-preview':
        'Undo your /{command, command} on {set} ({count, plural, one {# chat} other {# chats}}, {minutes} min ago):',
      'chat.undo.batch-done':
        'Undid your /{command, command} on {set} ({minutes} min ago): {count, plural, one {# chat} other {# chats}}: {done} done, {skipped} skipped, {failed} failed.',
      'chat.undo.batch-not-yours': 'not yours any more, left as it is',
      'chat.undo.batch-skipped': 'skipped: {why}',
      'chat.undo.batch-retry': 'Retry just this chat: {command}',
      'chat.undo.batch-nothing': 'nothing to take back',
    },
    'zh-CN': {
      'chat.undo.summary':
        '撤销你 24 小时内通过我对群做的最后一次修改；对一组群执行的命令则整批撤销（有人离开或群主变更时需确认）。',
      'chat.undo.usage': '/撤销 [<群>]',
      'chat.undo.example': '/撤销 #"设计评审"',
      'chat.undo.nothing':
        '没有可撤销的修改：最近 24 小时内你没有通过我做过尚未撤销的修改。在钉钉里直接做的修改我看不到，也无法撤销。',
      'chat.undo.nothing-chat':
        '{chat} 没有可撤销的修改：最近 24 小时内你没有通过我修改过它（或已全部撤销）。在钉钉里直接做的修改我看不到，也无法撤销。',
      'chat.undo.create':
        '你最后一次修改是创建 **{name}**（`{chatId}`），建群无法撤销：我不能解散群。若不再使用，可用 /踢人 {chatId} <成员…> 移出成员。',
      'chat.undo.not-allowed':
        '你最后一次修改是在 `{chat}` 上的 /{command, command}，但你已无权修改该群，无法撤销。',
      'chat.undo.owner-moved': '**{name}** 的群主此后又变了（现在是 {owner}），所以不再转回。',
      'chat.undo.owner-not-allowed':
        '你已不能转让 **{name}**：转让之后你不再是群主。请找群主或机器人管理员（/转让群主 {chat} <用户>）。',
      'chat.undo.owner-gone': '{user} 已不在 **{name}** 里，不能再成为群主。',
      'chat.undo.raced': '这次修改刚被另一条消息撤销了，无需再做。',
      'chat.undo.already':
        '这次 /{command, command} 已经撤销过了（用更早的确认码或消息）；这次没有做任何改动。',
      'chat.undo.cannot':
        '无法撤销你在 **{name}**（`{chatId}`，{minutes} 分钟前）上的 /{command, command}；没有做任何改动：',
      'chat.undo.set-aside': '这次修改已搁置：现在 /撤销 {chat} 会撤销在它之前的那次修改。',
      'chat.undo.preview': '撤销你在 **{name}**（`{chatId}`，{minutes} 分钟前）上的 /{command, command}：',
      'chat.undo.done': '已撤销：你在 **{name}**（`{chatId}`，{minutes} 分钟前）上的 /{command, command}。',
      'chat.undo.failed':
        '并非每一步都完成了（见上面的标记）；这次修改算作已撤销。其余请手动完成：/群信息 {chat} 显示群的现状。',
      'chat.undo.step-failed': '失败：钉钉拒绝了，{code}',
      'chat.undo.step-skipped': '未执行',
      'chat.undo.again': '再发一次 /撤销 {chat} 会撤销更早的一次修改。',
      'chat.undo.step.rename': '群名：{from} → {to}',
      'chat.undo.step.add': '拉回：{users}',
      'chat.undo.step.add-none': '拉回：无（{users} 已在群里）',
      'chat.undo.step.remove': '移出：{users}',
      'chat.undo.step.remove-none': '移出：无（已不在群里）',
      'chat.undo.step.remove-owner': '{owner} 现在是群主，留在群里',
      'chat.undo.step.owner': '群主：{from} → {to}',
      'chat.undo.step.settings': '群设置恢复为：{settings}',
      'chat.undo.step.private-chat': '群内私聊恢复为：{value}',
      'chat.undo.step.private-chat-unknown':
        '群内私聊：未恢复，钉钉不告诉之前的值，我也没有设置过；请用 /群设置 {chat} private-chat=on|off',
      'chat.undo.step.admins-add': '重新设为管理员：{users}',
      'chat.undo.step.admins-remove': '取消管理员：{users}',
      'chat.undo.step.admins-none': '管理员：无需改动（已不在群里）',
      'chat.undo.step.nick': '{user} 的群昵称恢复为“{nick}”',
      'chat.undo.step.nick-unknown': '{user} 的群昵称：未恢复，我不知道之前的昵称（钉钉不提供）',
      'chat.undo.step.nick-gone': '{user} 的群昵称：未恢复，对方已不在群里',
      'chat.undo.step.job': '取消定时任务 {job}（原定 {at}），其内容都不会执行',
      'chat.undo.step.job-gone': '定时任务 {job}：已不在等待（已执行或已取消）',
      'chat.undo.job-raced': '任务 {job} 刚开始执行或已被取消；没有做任何改动。',
      'chat.undo.step.until-cancelled': '用 until= 安排的撤回（{job}）已取消：它已无事可做',
      'chat.undo.batch-preview':
        '撤销你在 {set} 上的 /{command, command}（{count} 个群，{minutes} 分钟前）：',
      'chat.undo.batch-done':
        '已撤销你在 {set} 上的 /{command, command}（{minutes} 分钟前）：共 {count} 个群，{done} 个完成，{skipped} 个跳过，{failed} 个失败。',
      'chat.undo.batch-not-yours': '已不是你的群，保持原样',
      'chat.undo.batch-skipped': '跳过：{why}',
      'chat.undo.batch-retry': '只重试这个群：{command}',
      'chat.undo.batch-nothing': '没有需要撤回的',
    },
  },
  async confirmWhen(ctx) {
    const batch = await findBatch(ctx);
    if (batch !== undefined) {
      ctx.changes.pin(batch.changes[0]!.id);
      return batch.changes.some((c) => risky(c.undo));
    }
    const { change } = await find(ctx);
    // Pinned whether or not it is confirmed: the run takes back the change the plan was made for.
    ctx.changes.pin(change.id);
    return risky(change.undo);
  },
  async preview(ctx) {
    const batch = await findBatch(ctx);
    if (batch !== undefined) return batchPreview(ctx, batch);
    const { change, chat } = await find(ctx);
    const info = await ctx.api.get(chat.chatId);
    const { lines } = await plan(ctx, change, chat, info);
    const head = ctx.t('chat.undo.preview', {
      command: change.command,
      name: info.name,
      chatId: chat.chatId,
      minutes: minutesAgo(change.at),
    });
    return [head, ...lines.map((l) => `- ${l}`)].join('\n');
  },
  async handler(ctx) {
    const { t, changes } = ctx;
    const batch = await findBatch(ctx);
    if (batch !== undefined) return { text: await batchUndo(ctx, batch) };
    const found = await find(ctx);
    const { change, chat } = found;
    const info = await ctx.api.get(chat.chatId);
    const { lines, run } = await plan(ctx, change, chat, info);
    if (run.length === 0) {
      // Nothing can be restored (a nickname the bot never knew): say so before anything is
      // written, and set the change aside so that the next /chat undo reaches the one before.
      if (!(await changes.markUndone(change.id))) throw new UserError('chat.undo.raced');
      const head = t('chat.undo.cannot', {
        command: change.command,
        name: info.name,
        chatId: chat.chatId,
        minutes: minutesAgo(change.at),
      });
      return {
        text: [head, ...lines.map((l) => `- ${l}`), '', t('chat.undo.set-aside', { chat: chat.chatId })].join(
          '\n',
        ),
      };
    }
    // Marked first (compare-and-set): of two undos racing for one change, one runs.
    if (!(await changes.markUndone(change.id))) throw new UserError('chat.undo.raced');
    let failure: string | undefined;
    for (const [i, step] of run.entries()) {
      try {
        await step.go();
      } catch (err) {
        // Nothing taken back yet: the change stands and can be undone again.
        if (i === 0) {
          await changes.unmarkUndone(change.id);
          throw err;
        }
        lines[step.line] = failedLine(lines[step.line] ?? '', err, t);
        for (const later of run.slice(i + 1))
          lines[later.line] = `${lines[later.line]} (${t('chat.undo.step-skipped')})`;
        failure = t('chat.undo.failed', { chat: chat.chatId });
        break;
      }
    }
    const head = t('chat.undo.done', {
      command: change.command,
      name: info.name,
      chatId: chat.chatId,
      minutes: minutesAgo(change.at),
    });
    // A take-back this change was waiting for (until=) has nothing left to do: cancelled.
    for (const j of (await ctx.jobs?.pending(ctx.caller.userId)) ?? [])
      if (j.kind === 'until' && j.pinned === change.id && (await ctx.jobs?.cancel(j.n)))
        lines.push(t('chat.undo.step.until-cancelled', { job: j.id }));
    const body = [head, ...lines.map((l) => `- ${l}`)].join('\n');
    // After a rename is taken back, a #name label may no longer name the chat: use its chatId.
    const again = change.command === 'chat rename' && chat.label.startsWith('#') ? chat.chatId : chat.label;
    // A take-back run by a job (until=) reaches the lead later: "undo again" would be misread there.
    const tail = failure ?? (ctx.scheduled ? undefined : t('chat.undo.again', { chat: again }));
    return { text: tail === undefined ? body : `${body}\n\n${tail}` };
  },
});
