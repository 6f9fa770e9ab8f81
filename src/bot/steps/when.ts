/**
 * `at=` and `until=` (issue 22), four small steps around the chain:
 * - {@link readWhen} (after route): takes `at=<when>` / `until=<when>` out of a changing command's
 *   words and reads them (when.ts); a bad time is refused before anything is bound.
 * - {@link checkWhen} (before the batch step and the confirm gate): `until=` only where a change
 *   can be taken back (`/chat add`, `/chat admin add`), after `at=`, and not on a set of chats.
 * - {@link scheduleAt} (after the confirm gate): a plan with `at` is stored as a job and shown;
 *   nothing changes now. A confirmed plan is scheduled on `/confirm`.
 * - {@link scheduleUntil} (after run): a change made with `until` gets the job that takes it back.
 */
import type { Token } from '../parse.ts';
import { md, mdEscape } from '../render.ts';
import { formatLocal, formatSpan, parseWhen } from '../when.ts';
import { clip, type Deps, end, type Step, type Turn } from './turn.ts';

/** The commands whose change `until=` can take back. */
const UNTIL_COMMANDS = new Set(['chat add', 'chat admin']);
const DATE_ONLY = /^\d{4}[-/]\d{1,2}[-/]\d{1,2}$/;
const TIME_ONLY = /^\d{1,2}[:：]\d{2}(?:[:：]\d{2})?$/;

export function readWhen(deps: Pick<Deps, 'timeZone' | 'now' | 'jobs'>): Step {
  return async (turn, next) => {
    const spec = turn.spec;
    if (spec === undefined || turn.rest === undefined || !spec.changes || deps.jobs === undefined)
      return next();
    const own = spec.options ?? {};
    const rest: Token[] = [];
    const found: Partial<Record<'at' | 'until', number>> = {};
    const words = turn.rest;
    for (let i = 0; i < words.length; i++) {
      const tok = words[i] as Token;
      const key = tok.key;
      if (tok.kind !== 'option' || (key !== 'at' && key !== 'until') || Object.hasOwn(own, key)) {
        rest.push(tok);
        continue;
      }
      let value = tok.value ?? '';
      // `at=2026-12-24 18:00` typed without quotes: the time is the next word.
      const after = words[i + 1];
      if (DATE_ONLY.test(value) && after?.kind === 'word' && TIME_ONLY.test(after.text)) {
        value = `${value} ${after.text}`;
        i++;
      }
      if (found[key] !== undefined)
        return end(turn, { text: turn.t('args.option-twice', { option: key }) }, refusal(key, 'twice'));
      const w = parseWhen(value, deps.now(), deps.timeZone);
      if (!w.ok) {
        const max = formatLocal(deps.now() + 365 * 86_400_000, deps.timeZone);
        return end(
          turn,
          {
            text: turn.t(`when.${w.reason}`, {
              option: key,
              value: clip(value),
              zone: deps.timeZone,
              now: formatLocal(deps.now(), deps.timeZone),
              max,
            }),
          },
          refusal(key, w.reason),
        );
      }
      found[key] = w.at;
    }
    if (found.at === undefined && found.until === undefined) return next();
    turn.rest = rest;
    const what = clip(
      [`/${spec.name}`, ...rest.map((t) => (t.kind === 'quoted' ? `"${t.text}"` : t.raw))].join(' '),
      200,
    );
    turn.when = {
      ...(found.at !== undefined ? { at: found.at } : {}),
      ...(found.until !== undefined ? { until: found.until } : {}),
      what,
    };
    await next();
  };
}

function refusal(option: string, why: string) {
  return { outcome: 'refused' as const, reason: { key: 'audit.reason.when', params: { option, why } } };
}

export function checkWhen(deps: Pick<Deps, 'timeZone'>): Step {
  return async (turn, next) => {
    const when = turn.plan?.when;
    const plan = turn.plan;
    const { t } = turn;
    // A set of chats (tag:, mine, a list) may be scheduled (at=), but nothing takes a batch
    // back on its own (until=): the batch's one undo is the lead's.
    if (turn.job === undefined && plan?.set !== undefined && when?.until !== undefined)
      return end(
        turn,
        { text: t('when.no-set', { option: 'until', set: plan.set.label }) },
        refusal('until', 'set'),
      );
    if (turn.job !== undefined || when?.until === undefined) return next();
    const takesBack =
      plan !== undefined &&
      UNTIL_COMMANDS.has(plan.command) &&
      (plan.command !== 'chat admin' || plan.args.action === 'add');
    if (!takesBack) return end(turn, { text: t('when.until-only') }, refusal('until', 'command'));
    if (when.at !== undefined && when.until <= when.at)
      return end(
        turn,
        {
          text: t('when.until-before-at', {
            at: formatLocal(when.at, deps.timeZone),
            until: formatLocal(when.until, deps.timeZone),
          }),
        },
        refusal('until', 'before-at'),
      );
    await next();
  };
}

export function scheduleAt(deps: Pick<Deps, 'jobs' | 'timeZone' | 'now' | 'store'>): Step {
  return async (turn, next) => {
    const plan = turn.plan;
    const at = plan?.when?.at;
    if (plan === undefined || at === undefined || turn.job !== undefined || deps.jobs === undefined)
      return next();
    const { t } = turn;
    const job = await deps.jobs.scheduleAt(plan);
    // `/chat undo` of the scheduling cancels the job while it waits.
    if (plan.chat !== undefined)
      await deps.store.changes
        .record({
          chatId: plan.chat.chatId,
          userId: plan.caller.userId,
          command: plan.command,
          at: deps.now(),
          undo: JSON.stringify([{ kind: 'job', job: job.n }]),
        })
        .catch((err: unknown) =>
          turn.log.error({ err: (err as Error).message }, 'could not record the undo of a scheduling'),
        );
    const chat = plan.chat
      ? md(
          t('jobs.on-chat', {
            name: md(`**${mdEscape(plan.chat.record?.name ?? plan.chat.label)}**`),
            chatId: plan.chat.chatId,
          }),
        )
      : '';
    return end(
      turn,
      {
        text: t('jobs.scheduled', {
          job: job.id,
          what: job.what,
          chat,
          at: formatLocal(at, deps.timeZone),
          zone: deps.timeZone,
          in: formatSpan(at - deps.now(), turn.locale),
        }),
      },
      {
        outcome: 'pending',
        reason: {
          key: 'audit.reason.scheduled',
          params: { job: job.id, at: formatLocal(at, deps.timeZone) },
        },
      },
    );
  };
}

/** After a change made with `until=`: the job that takes it back, named in the reply. */
export function scheduleUntil(deps: Pick<Deps, 'jobs' | 'timeZone' | 'now' | 'store'>): Step {
  return async (turn, next) => {
    await scheduleUntilNow(deps, turn);
    await next();
  };
}

async function scheduleUntilNow(deps: Pick<Deps, 'jobs' | 'timeZone' | 'now' | 'store'>, turn: Turn) {
  const plan = turn.plan;
  const until = plan?.when?.until;
  const outcome = turn.outcome;
  if (plan === undefined || until === undefined || outcome === undefined || deps.jobs === undefined) return;
  const ok = outcome.audit?.outcome === 'allowed' || outcome.audit?.outcome === 'confirmed';
  if (!ok || plan.chat === undefined) return;
  const { t } = turn;
  // The change this run recorded: what the job takes back (nobody added, nothing to take back).
  const since = turn.job?.dueAt ?? turn.msg.createdAt;
  const change = await deps.store.changes.latestUndoable(
    plan.caller.userId,
    since - 60_000,
    plan.chat.chatId,
  );
  let line: string;
  if (change === undefined || change.command !== plan.command) line = t('jobs.until-nothing');
  else {
    const job = await deps.jobs.scheduleUntil(plan, change.id);
    line = t('jobs.until-scheduled', {
      job: job.id,
      at: formatLocal(until, deps.timeZone),
      zone: deps.timeZone,
      in: formatSpan(until - deps.now(), turn.locale),
    });
  }
  outcome.reply = { ...outcome.reply, text: `${outcome.reply.text}\n\n${line}` };
}
