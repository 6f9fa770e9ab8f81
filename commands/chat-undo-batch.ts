/**
 * `/chat undo` after a command over a set of chats: the whole batch taken back, chat by chat
 * (each chat's ownership checked again), to a ledger of its own; a chat that fails names the
 * undo that retries just it.
 */
import {
  type BatchChanges,
  type Change,
  type ChatRef,
  type HandlerContext,
  md,
  mdEscape,
  UserError,
  userErrorText,
} from '../src/bot/kit.ts';
import { type Args, failedLine, minutesAgo, plan } from './undo-steps.ts';

/**
 * After a command over a set of chats, `/chat undo` (no chat named) takes the whole batch back:
 * the batch of the caller's last change, with its changes not undone yet. Undefined otherwise.
 */
export async function findBatch(ctx: HandlerContext<Args>): Promise<BatchChanges | undefined> {
  if (ctx.args.chat !== undefined) return undefined;
  const change = await ctx.changes.latest();
  if (change === undefined) return undefined;
  const batch = await ctx.changes.batchOf(change.id);
  return batch !== undefined && batch.changes.length > 0 ? batch : undefined;
}

/** One chat of a batch undo: what its undo does now, or why it is skipped or cannot be read. */
type BatchEntry = {
  change: Change;
  chat: ChatRef;
  name: string;
} & (
  | { kind: 'run'; lines: string[]; run: { line: number; go: () => Promise<void> }[] }
  | { kind: 'skip'; why: string }
);

async function batchEntries(ctx: HandlerContext<Args>, batch: BatchChanges): Promise<BatchEntry[]> {
  const { registry, mayRun, api, t } = ctx;
  const out: BatchEntry[] = [];
  // Oldest first, as the batch ran.
  for (const change of [...batch.changes].reverse()) {
    const record = await registry.get(change.chatId);
    const chat: ChatRef = {
      chatId: change.chatId,
      openConversationId: record?.openConversationId,
      record,
      label: change.chatId,
    };
    const base = { change, chat, name: record?.name ?? change.chatId };
    if (!(await mayRun('chat undo', chat))) {
      out.push({ ...base, kind: 'skip', why: t('chat.undo.batch-not-yours') });
      continue;
    }
    try {
      const info = await api.get(chat.chatId);
      const p = await plan(ctx, change, chat, info);
      out.push({ ...base, name: info.name, kind: 'run', ...p });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      out.push({ ...base, kind: 'skip', why: userErrorText(err, t) });
    }
  }
  return out;
}

const chatHead = (e: Pick<BatchEntry, 'name' | 'chat'>): string =>
  `**${mdEscape(e.name)}** (\`${e.chat.chatId}\`)`;

/** The preview of a batch undo: chat by chat what goes back. */
export async function batchPreview(ctx: HandlerContext<Args>, batch: BatchChanges): Promise<string> {
  const entries = await batchEntries(ctx, batch);
  const head = ctx.t('chat.undo.batch-preview', {
    command: batch.command,
    set: batch.setLabel,
    count: entries.length,
    minutes: minutesAgo(batch.at),
  });
  return [
    head,
    ...entries.map((e) => `- ${chatHead(e)}: ${e.kind === 'run' ? e.lines.join('; ') : e.why}`),
  ].join('\n');
}

/** Takes a batch back, chat by chat; a failure is that chat's, with the undo that retries it. */
export async function batchUndo(ctx: HandlerContext<Args>, batch: BatchChanges): Promise<string> {
  const { t, changes } = ctx;
  const entries = await batchEntries(ctx, batch);
  const rows: string[] = [];
  let done = 0;
  let skipped = 0;
  let failed = 0;
  for (const e of entries) {
    if (e.kind === 'skip') {
      skipped++;
      rows.push(`- ${chatHead(e)}: ${t('chat.undo.batch-skipped', { why: md(e.why) })}`);
      continue;
    }
    if (!(await changes.markUndone(e.change.id))) {
      skipped++;
      rows.push(`- ${chatHead(e)}: ${t('chat.undo.raced')}`);
      continue;
    }
    const lines = [...e.lines];
    let broke = false;
    for (const [i, step] of e.run.entries()) {
      try {
        await step.go();
      } catch (err) {
        if (i === 0) await changes.unmarkUndone(e.change.id);
        lines[step.line] = failedLine(lines[step.line] ?? '', err, t);
        broke = true;
        break;
      }
    }
    if (broke) {
      failed++;
      rows.push(
        `- ${chatHead(e)}: ${lines.join('; ')}. ${t('chat.undo.batch-retry', { command: md(`\`/chat undo ${e.chat.chatId}\``) })}`,
      );
    } else {
      done++;
      rows.push(`- ${chatHead(e)}: ${lines.length > 0 ? lines.join('; ') : t('chat.undo.batch-nothing')}`);
    }
  }
  await changes.markBatchUndone(batch.key);
  const head = t('chat.undo.batch-done', {
    command: batch.command,
    set: batch.setLabel,
    count: entries.length,
    done,
    skipped,
    failed,
    minutes: minutesAgo(batch.at),
  });
  return [head, ...rows].join('\n');
}
