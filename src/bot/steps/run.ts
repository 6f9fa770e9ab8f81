/**
 * Run: the handler turns the plan into `ctx.api` calls, within the command's time, with every
 * write journaled under the message's key (journal.ts). The result, audited as allowed or
 * confirmed, carries who each typed word was (unless the confirmation already showed it) and
 * what the turn noticed on the way (a pick it replaced).
 */
import type { WriteJournal } from '../journal.ts';
import { WriteOutcomeUnknown } from '../journal.ts';
import { md } from '../render.ts';
import type { Reply } from '../types.ts';
import { handlerContext } from './context.ts';
import { CommandTimeoutError, checkLine, failure, timedOut } from './failure.ts';
import { chatName } from './names.ts';
import { type Deps, end, type Step, type Turn } from './turn.ts';

export function run(deps: Deps & { journal: WriteJournal }): Step {
  return async (turn, next) => {
    const { plan, spec } = turn;
    if (plan === undefined || spec === undefined) throw new Error('run needs a plan');
    const { t, log } = turn;
    const scope = {
      key: turn.key,
      record: { plan, ...(turn.confirmedWith !== undefined ? { confirmedWith: turn.confirmedWith } : {}) },
      conversationId: turn.msg.conversationId,
      started: false,
      ...(turn.replay !== undefined ? { replay: turn.replay } : {}),
      used: new Set<number>(),
    };
    const ctx = handlerContext(deps, turn, plan, turn.signal);
    const check = checkLine(turn);
    try {
      // A confirmed or picked plan cannot be read from its message again: its run is recorded now.
      if (turn.stored) await deps.journal.start(scope);
      const reply = await withTimeout(
        deps.journal.within(scope, () => spec.handler(ctx)),
        Math.max(0, turn.deadline - deps.now()),
      );
      end(
        turn,
        withNotes(reply, turn),
        turn.confirmedWith === undefined
          ? { outcome: 'allowed' }
          : {
              outcome: 'confirmed',
              reason: { key: 'audit.reason.confirmed', params: { code: turn.confirmedWith } },
            },
      );
    } catch (err) {
      if (err instanceof CommandTimeoutError) {
        // The handler is abandoned, not stopped: a DingTalk write it started may still land.
        turn.outcome = timedOut(turn, deps.commandTimeoutMs, spec.name);
      } else if (err instanceof WriteOutcomeUnknown) {
        log.warn({ endpoint: err.endpoint }, 'an earlier attempt of this run left a write without an answer');
        const chatId = err.chatId ?? plan.chat?.chatId;
        const name = await chatName(deps.store.registry, chatId);
        end(
          turn,
          {
            text: t('pipeline.interrupted', {
              command: plan.command,
              chat: chatId ?? '-',
              check,
              ...(name !== undefined ? { chatName: name } : {}),
            }),
          },
          {
            outcome: 'failed',
            reason: { key: 'audit.reason.interrupted', params: { endpoint: err.endpoint } },
          },
        );
      } else {
        const f = failure(err, t, log, spec.name, deps.metrics);
        end(turn, f.reply, f.audit);
      }
    } finally {
      await deps.journal
        .finish(scope)
        .catch((err: unknown) =>
          log.error({ err: (err as Error).message }, 'could not close the run in the write journal'),
        );
    }
    await next();
  };
}

/**
 * Who each typed word turned out to be goes right after the reply's first paragraph (the result),
 * before ids and hints, so it is read with the result it explains. A confirmed plan showed it in
 * its preview already.
 */
function withNotes(reply: Reply, turn: Turn): Reply {
  const lines: string[] = [];
  const notes = turn.plan?.notes ?? [];
  if (notes.length > 0 && turn.confirmedWith === undefined)
    lines.push(turn.t('people.resolved', { list: md(notes.join('; ')) }));
  lines.push(...turn.notices);
  if (lines.length === 0) return reply;
  const block = lines.join('\n');
  const cut = reply.text.indexOf('\n\n');
  const text =
    cut < 0 ? `${reply.text}\n\n${block}` : `${reply.text.slice(0, cut)}\n\n${block}${reply.text.slice(cut)}`;
  return { ...reply, text };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeoutError()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
