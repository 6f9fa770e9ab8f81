/**
 * The confirm gate: a risky plan (the spec's `risk`, the policy's `risky`, the spec's own
 * `confirmWhen`) or one that found many people by name or department is not run: its preview,
 * rendered from the plan, is shown with a code, and the plan is stored for `/confirm`. A plan
 * that comes back confirmed passes. An undo pins the change it takes back, and only one undo of
 * a change waits at a time.
 */

import type { Plan, Resolved } from '../plan.ts';
import { dtmdSendLink, md, mdEscape } from '../render.ts';
import type { Reply, Translate } from '../types.ts';
import { formatLocal } from '../when.ts';
import { handlerContext } from './context.ts';
import { failure } from './failure.ts';
import { type Deps, end, type Step } from './turn.ts';

/** More people than this found by name or department is confirmed first. */
export const BIG_FIND = 20;
/** People a preview lists by name before it counts the rest. */
const PREVIEW_PEOPLE = 60;

export function confirmGate(deps: Deps): Step {
  return async (turn, next) => {
    const { plan, spec } = turn;
    if (plan === undefined || spec === undefined) throw new Error('the confirm gate needs a plan');
    if (turn.confirmedWith !== undefined) return next();
    const { t } = turn;
    const found = plan.people.filter((p) => p.found);
    const foundCount = new Set(found.flatMap((p) => p.ids)).size;
    const big = found.some((p) => p.bigDept === true) || foundCount > BIG_FIND;
    const ctx = handlerContext(deps, turn, plan, AbortSignal.timeout(deps.commandTimeoutMs));
    const parts: string[] = [];
    let risky = deps.authorizer.isRisky(spec);
    try {
      if (!risky && spec.confirmWhen) risky = await spec.confirmWhen(ctx);
      if (!big && !risky) return next();
      if (risky)
        parts.push(
          spec.preview ? await spec.preview(ctx) : t('confirm.generic-preview', { command: spec.name }),
        );
    } catch (err) {
      const f = failure(err, t, turn.log, spec.name, deps.metrics);
      return end(turn, f.reply, f.audit);
    }
    if (plan.pinned !== undefined) {
      // One undo of a change waits at a time: a second asks for the first code again.
      const same = (await deps.confirmations.waiting(plan.caller.userId)).find(
        (w) => pinnedOf(w.plan) === plan.pinned,
      );
      if (same !== undefined) return end(turn, { text: t('confirm.already-waiting', { code: same.code }) });
    }
    if (big) parts.push(bigPreview(found, foundCount, t));
    // A plan with a time (at=, until=) says when, so that the confirmation is not read as "now".
    const when = plan.when;
    if (when?.at !== undefined)
      parts.push(t('jobs.preview-at', { at: formatLocal(when.at, deps.timeZone), zone: deps.timeZone }));
    if (when?.until !== undefined)
      parts.push(
        t('jobs.preview-until', { at: formatLocal(when.until, deps.timeZone), zone: deps.timeZone }),
      );
    if (plan.notes.length > 0) parts.push(t('people.resolved', { list: md(plan.notes.join('; ')) }));
    const preview = parts.join('\n\n');
    const action = await deps.confirmations.ask(plan, preview);
    return end(turn, askReply(t, preview, action.code), {
      outcome: 'pending',
      reason: { key: 'audit.reason.pending', params: { code: action.code } },
    });
  };
}

function pinnedOf(json: string): number | undefined {
  try {
    return (JSON.parse(json) as Partial<Plan>).pinned;
  } catch {
    return undefined;
  }
}

/** Who a big command would touch: names first, then a count. */
function bigPreview(found: readonly Resolved[], count: number, t: Translate): string {
  const labels = [...new Map(found.flatMap((p) => p.ids.map((id, i) => [id, p.labels[i] ?? id]))).values()];
  const shown = labels.slice(0, PREVIEW_PEOPLE).map(mdEscape).join(', ');
  const more = labels.length - PREVIEW_PEOPLE;
  return t('people.big', {
    count,
    list: md(more > 0 ? `${shown} ${t('people.more', { count: more })}` : shown),
  });
}

/** The reply that asks for `/confirm <code>`: the preview, the code, and a link that sends it. */
export function askReply(t: Translate, preview: string, code: string): Reply {
  return {
    text: t('confirm.ask', { preview: md(preview), code, minutes: 2 }),
    title: t('confirm.title'),
    link: {
      title: t('confirm.link', { code }),
      // The link sends the command in the prompt's language, so the answer stays in it.
      url: dtmdSendLink(t('confirm.command', { code })),
    },
  };
}
