/**
 * Crash recovery (architecture.md §2): what to do with a message an earlier attempt (a killed
 * process, a dead replica) left running, by its run in the write journal. No run: no write
 * began, so it runs as if it had just arrived. A write begun without an answer (or a run whose
 * plan cannot be read): reported once as unknown, with how to check, never repeated. Every write
 * answered: the plan is carried on, its answered writes answered from the journal. A batch (a
 * plan over a set of chats) is carried on even past a write without an answer: that chat alone
 * is reported as unknown, the others go on (batch.ts).
 */
import type { JournalWrite, Store } from '../../store/types.ts';
import { type RunRecord, readRun } from '../journal.ts';
import type { CommandRegistry } from '../registry.ts';
import type { CommandSpec, Translate } from '../types.ts';
import { chatName } from './names.ts';
import type { Outcome } from './turn.ts';

export type Recovery =
  | { kind: 'run' }
  | { kind: 'unknown'; command: string; chatId: string | undefined; endpoint: string }
  | { kind: 'carry-on'; spec: CommandSpec<unknown>; record: RunRecord; writes: JournalWrite[] };

export async function recovery(
  store: Pick<Store, 'journal'>,
  commands: Pick<CommandRegistry, 'get'>,
  key: string,
): Promise<Recovery> {
  const run = await store.journal.getRun(key);
  if (run === undefined) return { kind: 'run' };
  const writes = await store.journal.writes(key);
  const open = writes.find((w) => w.outcome === undefined);
  const record = readRun(run.plan);
  const spec = record && commands.get(record.plan.command);
  // A batch goes on past a chat whose write has no answer: that chat is reported as unknown.
  const batch = record?.plan.set !== undefined;
  if ((open !== undefined && !batch) || record === undefined || spec === undefined)
    return {
      kind: 'unknown',
      command: run.command,
      chatId: open?.chatId ?? run.chatId,
      endpoint: open?.endpoint ?? '-',
    };
  return { kind: 'carry-on', spec, record, writes };
}

/** The reply and audit of a command whose outcome is unknown after a crash. */
export async function interrupted(
  store: Pick<Store, 'registry'>,
  t: Translate,
  r: Extract<Recovery, { kind: 'unknown' }>,
): Promise<Outcome> {
  const check = r.chatId !== undefined ? `/chat info ${r.chatId}` : '/chat list';
  const name = await chatName(store.registry, r.chatId);
  return {
    reply: {
      text: t('pipeline.interrupted', {
        command: r.command,
        chat: r.chatId ?? '-',
        check,
        ...(name !== undefined ? { chatName: name } : {}),
      }),
    },
    audit: {
      command: r.command,
      ...(r.chatId !== undefined ? { chatId: r.chatId } : {}),
      outcome: 'failed',
      reason: { key: 'audit.reason.interrupted', params: { endpoint: r.endpoint } },
    },
  };
}
