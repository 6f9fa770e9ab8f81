/**
 * What a batch says (issue 21): the preview of a set, chat by chat, and the ledger of its run.
 * Long lists name chats by name alone and then count them, so that a reply about 200 chats stays
 * within DingTalk's length and a confirmation code at its end is never cut off.
 */
import type { ChatResult, ChatState } from './batch.ts';
import { md, mdEscape } from './render.ts';
import type { Translate } from './types.ts';

/** Chats a ledger or preview lists one per line (or by chatId) before it only names them. */
const LINES = 20;
/** Chats a line names before it counts the rest. */
const NAMED = 60;

/** The command and the set, as a reply's head names them. */
interface Head {
  command: string;
  set: string;
}

/** `**Name** (`chatId`)`, escaped. */
function chatLabel(name: string, chatId: string): string {
  return `**${mdEscape(name)}** (\`${chatId}\`)`;
}

/**
 * Chats named in a line: by name and chatId when few, by name alone when many, and past
 * {@link NAMED} only counted, so that a reply about 200 chats stays within DingTalk's length
 * (and a confirmation code at its end is never cut off).
 */
function chatList(chats: readonly { name: string; chatId: string }[], t: Translate): string {
  if (chats.length <= LINES) return chats.map((c) => chatLabel(c.name, c.chatId)).join(', ');
  const shown = chats
    .slice(0, NAMED)
    .map((c) => `**${mdEscape(c.name)}**`)
    .join(', ');
  return chats.length > NAMED ? `${shown} ${t('batch.more', { count: chats.length - NAMED })}` : shown;
}

/** Skipped chats grouped by why: `- not yours: **A**, **B**`. */
function byReason(skipped: readonly ChatResult[], t: Translate): string[] {
  const groups = new Map<string, ChatResult[]>();
  for (const r of skipped) groups.set(r.line, [...(groups.get(r.line) ?? []), r]);
  return [...groups].map(([why, chats]) => `- ${why}: ${chatList(chats, t)}`);
}

/** The preview: what changes where (chats with the same change together), what cannot be read, what is skipped and why. */
export function previewText(
  t: Translate,
  head: Head & { count: number },
  changes: readonly { text: string; name: string; chatId: string }[],
  results: readonly ChatResult[],
): string {
  const groups = new Map<string, { name: string; chatId: string }[]>();
  for (const c of changes) groups.set(c.text, [...(groups.get(c.text) ?? []), c]);
  const lines = [t('batch.preview.head', { ...head, changing: changes.length })];
  for (const [text, chats] of groups) lines.push(`- ${chatList(chats, t)}: ${text}`);
  const failed = results.filter((r) => r.state === 'failed');
  if (failed.length > 0) {
    lines.push('', t('batch.preview.unreadable'));
    for (const r of failed) lines.push(`- ${chatLabel(r.name, r.chatId)}: ${r.line}`);
  }
  const skipped = results.filter((r) => r.state === 'skipped');
  if (skipped.length > 0) lines.push('', t('batch.preview.skipped'), ...byReason(skipped, t));
  return lines.join('\n');
}

/** The ledger: every chat, done, skipped, failed (with cause and retry) or unknown. */
export function ledgerText(t: Translate, head: Head, results: readonly ChatResult[]): string {
  const of = (s: ChatState) => results.filter((r) => r.state === s);
  const [done, skipped, failed, unknown] = [of('done'), of('skipped'), of('failed'), of('unknown')];
  const lines = [
    t('batch.ledger.head', {
      ...head,
      count: results.length,
      done: done.length,
      skipped: skipped.length,
      failed: failed.length,
      unknown: unknown.length,
    }),
  ];
  if (failed.length > 0) {
    lines.push('', t('batch.ledger.failed'));
    for (const r of failed)
      lines.push(
        `- ${chatLabel(r.name, r.chatId)}: ${r.line} ${t('batch.ledger.retry', { command: md(`\`${r.retry ?? ''}\``) })}`,
      );
  }
  if (unknown.length > 0) {
    lines.push('', t('batch.ledger.unknown'));
    for (const r of unknown)
      lines.push(
        `- ${chatLabel(r.name, r.chatId)}: ${r.line} ${t('batch.ledger.check', { command: md(`\`/chat info ${r.chatId}\``) })}`,
      );
  }
  if (done.length > 0) {
    lines.push('', t('batch.ledger.done'));
    if (done.length <= LINES) for (const r of done) lines.push(`- ${chatLabel(r.name, r.chatId)}: ${r.line}`);
    else lines.push(`- ${chatList(done, t)}`);
  }
  if (skipped.length > 0) lines.push('', t('batch.ledger.skipped'), ...byReason(skipped, t));
  if (done.length > 0) lines.push('', t('batch.ledger.undo'));
  return lines.join('\n');
}
