/**
 * Bind: the words to the command's params and options, the chat pinned by chatId (whatever
 * `#name`, `here` or id was typed), a template's people added (`expand`). The result is a draft
 * whose typed people {@link resolve} looks up; with none to look up it is the plan at once
 * (validated now, before any DingTalk call). A plan read back from the store is not bound again.
 */
import { bindArgs, completeArgs, expandArgs, shownArgs } from '../bind.ts';
import { type Draft, type Plan, planMessage } from '../plan.ts';
import { type Expansion, UserError } from '../types.ts';
import { reasonOf, userErrorReply } from './failure.ts';
import { type Deps, end, type Step, type Turn } from './turn.ts';

export function bind(deps: Pick<Deps, 'store' | 'authorizer' | 'commands'>): Step {
  return async (turn, next) => {
    if (turn.plan !== undefined) return next();
    const spec = turn.spec;
    if (spec === undefined || turn.rest === undefined) throw new Error('bind needs a routed command');
    const { msg, t } = turn;
    const userId = msg.senderUserId;
    const bound = await bindArgs(spec, turn.rest, {
      message: msg,
      caller: { userId },
      registry: deps.store.registry,
      tags: deps.store.tags,
    });
    if (!bound.ok) {
      return end(turn, userErrorReply(bound.error, t, spec, msg), {
        command: spec.name,
        outcome: 'refused',
        reason: reasonOf(bound.error),
      });
    }
    let pre = bound.pre;
    if (spec.expand) {
      // Added people (a template's) join the typed ones, before authorization looks further.
      let more: Expansion | undefined | UserError;
      try {
        const templates = deps.authorizer.templates(userId, deps.commands.get('chat create'));
        more = spec.expand(pre.values, { caller: { userId }, templates });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        more = err;
      }
      const expanded = more instanceof UserError ? more : more ? expandArgs(pre, more, userId) : pre;
      if (expanded instanceof UserError) {
        return end(turn, userErrorReply(expanded, t, spec, msg), {
          command: spec.name,
          args: shownArgs(pre),
          outcome: 'refused',
          reason: reasonOf(expanded),
        });
      }
      pre = expanded;
    }
    turn.draft = {
      v: 1,
      command: spec.name,
      caller: { userId, nick: msg.senderNick },
      locale: turn.locale,
      message: planMessage(msg),
      ...(bound.chat ? { chat: bound.chat } : {}),
      ...(bound.set ? { set: bound.set } : {}),
      pre,
      usedOptions: bound.usedOptions,
      ...(turn.when !== undefined ? { when: turn.when } : {}),
      people: [],
      words: [],
    };
    // Nothing to look up: validate now, as before any DingTalk call.
    if (pre.refs.length === 0 && !complete(turn, turn.draft, [])) return;
    await next();
  };
}

/**
 * Puts the resolved people into `draft` and validates: the plan (set on the turn), or false with
 * the refusal as the turn's outcome.
 */
export function complete(turn: Turn, draft: Draft, resolved: Draft['people']): boolean {
  const spec = turn.spec;
  if (spec === undefined) throw new Error('complete needs a routed command');
  const people = resolved.filter((p) => p !== null);
  const done = completeArgs(
    spec,
    draft.pre,
    resolved.map((p) => p?.ids ?? []),
  );
  if (!done.ok) {
    end(turn, userErrorReply(done.error, turn.t, spec, turn.msg), {
      outcome: 'refused',
      reason: reasonOf(done.error),
    });
    return false;
  }
  const plan: Plan = {
    v: 1,
    command: draft.command,
    caller: draft.caller,
    locale: draft.locale,
    message: draft.message,
    ...(draft.chat ? { chat: draft.chat } : {}),
    ...(draft.set ? { set: draft.set } : {}),
    args: done.args as Record<string, unknown>,
    shown: shownArgs(draft.pre),
    usedOptions: draft.usedOptions,
    ...(draft.when !== undefined ? { when: draft.when } : {}),
    // A person named twice (a template's admin and nickname) is told once.
    notes: [...new Set(people.flatMap((p) => (p.note === undefined ? [] : [p.note])))],
    people,
  };
  turn.plan = plan;
  return true;
}
