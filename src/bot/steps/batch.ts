/**
 * The batch step: a plan over a set of chats (`tag:proj`, `mine`, `a,b`) is previewed chat by
 * chat and confirmed once when any part needs it (a risky command, more than 20 chats, many
 * people found), then run chat by chat to one ledger (batch.ts). Other plans go on to the
 * confirm gate and the run step.
 */
import { type BatchDeps, batchId, isBatch, needsConfirm, previewBatch, runBatch } from '../batch.ts';
import type { Plan } from '../plan.ts';
import { md } from '../render.ts';
import type { ChatSet } from '../types.ts';
import { formatLocal } from '../when.ts';
import { askReply } from './confirm-gate.ts';
import { failure } from './failure.ts';
import { end, type Step, type Turn } from './turn.ts';
import { scheduleAt } from './when.ts';

export function batch(deps: BatchDeps): Step {
  return async (turn, next) => {
    const { plan, spec } = turn;
    if (plan === undefined || !isBatch(plan, spec)) return next();
    const setPlan = plan as Plan & { set: ChatSet };
    const { t } = turn;
    const { chat: _placeholder, ...rest } = plan.args;
    const args = { set: setPlan.set.label, chats: setPlan.set.chats.length, ...rest };
    // at= on a set: confirmed first where it needs it (below), then stored as one job; the
    // scheduler runs it through this step again (turn.job), to one ledger in a 1:1 message.
    const later = plan.when?.at !== undefined && turn.job === undefined;
    try {
      if (
        turn.confirmedWith === undefined &&
        turn.replay === undefined &&
        turn.job === undefined &&
        needsConfirm(deps, plan, spec)
      ) {
        const p = await previewBatch(deps, turn, setPlan, spec);
        if (p.changing === 0)
          return end(
            turn,
            { text: `${p.text}\n\n${t('batch.nothing')}` },
            {
              args,
              outcome: 'refused',
              reason: { key: 'batch.nothing', params: { set: setPlan.set.label } },
            },
          );
        const at = plan.when?.at;
        const preview = withFound(
          at === undefined
            ? p.text
            : `${p.text}\n\n${t('jobs.preview-at', { at: formatLocal(at, deps.timeZone), zone: deps.timeZone })}`,
          turn,
        );
        const action = await deps.confirmations.ask(plan, preview);
        return end(turn, askReply(t, preview, action.code), {
          args,
          outcome: 'pending',
          reason: { key: 'audit.reason.pending', params: { code: action.code } },
        });
      }
      if (later) return await scheduleAt(deps)(turn, next);
      const { reply, results } = await runBatch(deps, turn, setPlan, spec);
      const count = (s: string) => results.filter((r) => r.state === s).length;
      end(
        turn,
        { text: turn.confirmedWith === undefined ? withFound(reply.text, turn) : reply.text },
        {
          args,
          outcome: turn.confirmedWith === undefined ? 'allowed' : 'confirmed',
          reason: {
            key: 'audit.reason.batch',
            params: {
              batch: batchId(turn.key),
              done: count('done'),
              skipped: count('skipped'),
              failed: count('failed') + count('unknown'),
            },
          },
        },
      );
    } catch (err) {
      const f = failure(err, t, turn.log, setPlan.command, deps.metrics);
      end(turn, f.reply, { ...f.audit, args });
    }
  };
}

/** Who each typed word turned out to be, and what the turn noticed, after the first paragraph. */
function withFound(text: string, turn: Turn): string {
  const lines: string[] = [];
  const notes = turn.plan?.notes ?? [];
  if (notes.length > 0) lines.push(turn.t('people.resolved', { list: md(notes.join('; ')) }));
  lines.push(...turn.notices);
  if (lines.length === 0) return text;
  const cut = text.indexOf('\n\n');
  const block = lines.join('\n');
  return cut < 0 ? `${text}\n\n${block}` : `${text.slice(0, cut)}\n\n${block}${text.slice(cut)}`;
}
