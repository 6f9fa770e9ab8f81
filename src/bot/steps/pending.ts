/**
 * Pending actions, kept per person and conversation: `/confirm` reads back the plan it confirms,
 * `/pick` fills the open slots of the draft it waits for, `/cancel` drops what waits (here, or
 * the one with a code anywhere). The plan read back goes on through the chain: authorization is
 * checked again and then exactly that plan runs; no name is looked up again. The code that reads
 * a stored plan back exists here only.
 *
 * Any other command: a read-only one leaves a pending pick alone; a changing one replaces it
 * and says so in its reply.
 */

import type { PendingAction } from '../../store/types.ts';
import type { Token } from '../parse.ts';
import { personLabel } from '../people.ts';
import { type Draft, refreshChats } from '../plan.ts';
import { mdEscape } from '../render.ts';
import { complete } from './bind.ts';
import { clip, type Deps, end, type Step, type Turn } from './turn.ts';

export function pending(deps: Pick<Deps, 'confirmations' | 'commands' | 'store' | 'now'>): Step {
  return async (turn, next) => {
    const spec = turn.spec;
    if (spec === undefined) throw new Error('pending needs a routed command');
    switch (spec.name) {
      case 'confirm':
        if (!(await confirm(deps, turn))) return;
        break;
      case 'cancel':
        return cancel(deps, turn);
      case 'pick':
        if (!(await pick(deps, turn))) return;
        break;
      default:
        if (spec.changes) {
          const { senderUserId, conversationId } = turn.msg;
          for (const dropped of await deps.confirmations.dropPicks(senderUserId, conversationId))
            turn.notices.push(turn.t('pick.replaced', { command: dropped.command }));
        }
    }
    await next();
  };
}

/**
 * What the audit records of a `/confirm`, `/cancel` or `/pick` that finds nothing to act on: a
 * guess at someone's code, or a stale one, leaves a trace.
 */
function refused(command: 'confirm' | 'cancel' | 'pick', key: string, code?: string) {
  return {
    command,
    outcome: 'refused' as const,
    reason: { key, params: code === undefined ? {} : { code: clip(code, 12) } },
  };
}

/** The code typed after `/confirm` or `/cancel`, if any. */
function codeOf(rest: readonly Token[] | undefined): string | undefined {
  return rest?.find((w) => w.kind === 'word' || w.kind === 'quoted')?.text;
}

/** Switches the turn to a stored plan's command; false (with the outcome set) when it is gone. */
function adopt(deps: Pick<Deps, 'commands'>, turn: Turn, command: string, code: string): boolean {
  const target = deps.commands.get(command);
  if (target === undefined) {
    end(turn, { text: turn.t('confirm.unknown', { code }) });
    return false;
  }
  turn.spec = target;
  turn.stored = true;
  turn.log = turn.log.child({ command });
  return true;
}

async function confirm(
  deps: Pick<Deps, 'confirmations' | 'commands' | 'store'>,
  turn: Turn,
): Promise<boolean> {
  const { t, msg } = turn;
  let code = codeOf(turn.rest);
  if (code === undefined) {
    // One confirmation waiting here needs no code; several need one.
    const waiting = await deps.confirmations.waiting(msg.senderUserId, msg.conversationId);
    if (waiting.length !== 1) {
      end(
        turn,
        { text: waitingList(turn, waiting) },
        refused('confirm', waiting.length === 0 ? 'confirm.nothing-waits' : 'confirm.need-code'),
      );
      return false;
    }
    code = (waiting[0] as PendingAction).code;
  }
  const r = await deps.confirmations.confirm(code, msg.senderUserId);
  if (!r.ok) {
    end(
      turn,
      { text: t(`confirm.${r.reason}`, { code }) },
      {
        command: 'confirm',
        outcome: 'refused',
        reason: { key: `confirm.${r.reason}`, params: { code: clip(code, 12) } },
      },
    );
    return false;
  }
  if (!adopt(deps, turn, r.plan.command, code)) return false;
  turn.plan = await refreshChats(r.plan, (id) => deps.store.registry.get(id));
  turn.confirmedWith = r.action.code;
  return true;
}

/** "Which one?": the codes waiting here, or that nothing does. */
function waitingList(turn: Turn, waiting: readonly PendingAction[]): string {
  const { t } = turn;
  if (waiting.length === 0) return t('confirm.nothing-waits');
  const lines = waiting.map((w) => `- ${t('confirm.waiting-line', { code: w.code, command: w.command })}`);
  return `${t('confirm.need-code')}\n${lines.join('\n')}`;
}

async function cancel(deps: Pick<Deps, 'confirmations'>, turn: Turn): Promise<void> {
  const { t, msg } = turn;
  const code = codeOf(turn.rest);
  if (code !== undefined) {
    const r = await deps.confirmations.cancel(msg.senderUserId, code);
    if (r.state === 'none')
      return end(turn, { text: t('confirm.unknown', { code }) }, refused('cancel', 'confirm.unknown', code));
    if (r.state === 'expired')
      return end(turn, { text: t('confirm.expired', { code }) }, refused('cancel', 'confirm.expired', code));
    return end(turn, { text: cancelledLine(turn, r.action) }, cancelAudit(r.action));
  }
  const dropped = await deps.confirmations.cancelHere(msg.senderUserId, msg.conversationId);
  if (dropped.length === 0)
    return end(
      turn,
      { text: t('confirm.nothing-to-cancel') },
      refused('cancel', 'confirm.nothing-to-cancel'),
    );
  const lines = dropped.map((a) => cancelledLine(turn, a));
  const first = dropped[0] as PendingAction;
  return end(turn, { text: lines.join('\n') }, cancelAudit(first, dropped.map((a) => a.code).join(', ')));
}

function cancelledLine(turn: Turn, a: PendingAction): string {
  return a.kind === 'pick'
    ? turn.t('pick.cancelled', { command: a.command })
    : turn.t('confirm.cancelled', { command: a.command, code: a.code });
}

function cancelAudit(a: PendingAction, codes = a.code) {
  const chatId = (() => {
    try {
      const c = (JSON.parse(a.plan) as { chat?: { chatId?: unknown } }).chat?.chatId;
      return typeof c === 'string' ? c : undefined;
    } catch {
      return undefined;
    }
  })();
  return {
    command: a.command,
    ...(chatId !== undefined ? { chatId } : {}),
    outcome: 'refused' as const,
    reason: { key: 'audit.reason.cancelled', params: { code: codes } },
  };
}

async function pick(
  deps: Pick<Deps, 'confirmations' | 'commands' | 'store' | 'now'>,
  turn: Turn,
): Promise<boolean> {
  const { t, msg } = turn;
  const found = await deps.confirmations.pick(msg.senderUserId, msg.conversationId);
  if (found === undefined) {
    end(turn, { text: t('pick.nothing') }, refused('pick', 'pick.nothing'));
    return false;
  }
  const { action } = found;
  const draft: Draft = await refreshChats(found.draft, (id) => deps.store.registry.get(id));
  const typed = (turn.rest ?? [])
    .flatMap((w) => (w.kind === 'quoted' ? w.text : w.raw).normalize('NFKC').split(/[\s,，、]+/u))
    .filter((w) => w !== '');
  const choices = typed.map((w) => (/^\d{1,3}$/.test(w) ? Number(w) : Number.NaN));
  if (action.expiresAt > deps.now()) {
    const wrong =
      choices.length !== draft.words.length ||
      choices.some((n, i) => !(n >= 1 && n <= (draft.words[i]?.candidates.length ?? 0)));
    if (wrong) {
      const ranges = draft.words.map((w) => `1–${w.candidates.length}`).join(', ');
      end(turn, {
        text: t('pick.bad', { count: draft.words.length, ranges, typed: typed.join(' ') }),
      });
      return false;
    }
  }
  // Taken atomically: a pick runs once.
  const taken = await deps.confirmations.takePick(action.code);
  if (taken.state !== 'taken') {
    const key = taken.state === 'expired' ? 'pick.expired' : 'pick.nothing';
    end(turn, { text: t(key, { command: action.command }) }, refused('pick', key));
    return false;
  }
  if (!adopt(deps, turn, draft.command, action.code)) return false;
  const people = [...draft.people];
  draft.words.forEach((w, i) => {
    const c = w.candidates[(choices[i] as number) - 1];
    if (c === undefined) return;
    const label = personLabel(c.userId, c.name);
    people[w.index] = {
      raw: w.raw,
      ids: [c.userId],
      labels: [label],
      note: `${mdEscape(clip(w.raw))} → ${mdEscape(label)}`,
      found: true,
    };
  });
  turn.draft = { ...draft, people, words: [] };
  return complete(turn, turn.draft, people);
}
