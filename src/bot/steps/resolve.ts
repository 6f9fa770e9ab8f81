/**
 * Resolve: the typed people of a draft to userIds through the directory, after authorization (a
 * refused caller learns nothing about the directory). One match each completes the plan; a word
 * that matched several people stores the draft as a pick and asks which; none is named back.
 * People already known (a pick's chosen ones) are taken as they are.
 */
import type { Logger } from 'pino';
import type { PreArgs } from '../bind.ts';
import { CONTACT_RANGE, type Directory, type Person, type Resolution } from '../directory.ts';
import { deptSize, personLabel } from '../people.ts';
import type { PickWord, Resolved } from '../plan.ts';
import { md, mdEscape } from '../render.ts';
import { type Translate, UserError } from '../types.ts';
import { complete } from './bind.ts';
import { CommandTimeoutError, failure, peopleErrorText, reasonOf, timedOut } from './failure.ts';
import { clip, type Deps, end, type Step } from './turn.ts';

/** A department larger than this is confirmed first. */
export const BIG_DEPT = 50;
/** How long a pick waits: two minutes, like a confirmation. */
export const PICK_TTL_MS = 120_000;

export type PeopleResult =
  | { kind: 'ok'; people: Resolved[] }
  | { kind: 'pick'; people: (Resolved | null)[]; words: PickWord[] }
  | { kind: 'fail'; errors: UserError[] }
  | { kind: 'error'; error: unknown };

export function resolve(
  deps: Pick<Deps, 'directory' | 'confirmations' | 'metrics' | 'commandTimeoutMs'>,
): Step {
  return async (turn, next) => {
    if (turn.plan !== undefined) return next();
    const draft = turn.draft;
    if (draft === undefined) throw new Error('resolve needs a draft');
    const { t } = turn;
    const r = await resolvePeople(deps.directory, draft.pre, draft.people, t, turn.log, turn.signal);
    if (r.kind === 'error') {
      if (r.error instanceof CommandTimeoutError) {
        turn.outcome = timedOut(turn, deps.commandTimeoutMs, draft.command);
        return;
      }
      const f = failure(r.error, t, turn.log, draft.command, deps.metrics);
      return end(turn, f.reply, f.audit);
    }
    if (r.kind === 'fail') {
      return end(
        turn,
        { text: r.errors.map((e) => peopleErrorText(e, t)).join('\n') },
        { outcome: 'refused', reason: reasonOf(r.errors[0] as UserError) },
      );
    }
    if (r.kind === 'pick') {
      const waiting = { ...draft, people: r.people, words: r.words };
      await deps.confirmations.askPick(waiting, PICK_TTL_MS);
      return end(turn, pickQuestion(r.words, t), {
        outcome: 'pending',
        reason: { key: 'audit.reason.pick', params: { words: r.words.map((w) => clip(w.raw)).join(', ') } },
      });
    }
    if (!complete(turn, draft, r.people)) return;
    await next();
  };
}

/** The numbered candidates of each ambiguous word, and how to answer. */
function pickQuestion(words: readonly PickWord[], t: Translate) {
  const lines = [t('pick.ask', { count: words.length })];
  for (const w of words) {
    lines.push('', t('pick.word', { word: clip(w.raw) }));
    w.candidates.forEach((c, i) => {
      lines.push(`${i + 1}. ${c.line}`);
    });
  }
  const example = `/${t('pick.word-command')} ${words.map(() => '1').join(' ')}`;
  lines.push('', t('pick.how', { example: md(example), minutes: PICK_TTL_MS / 60_000, count: words.length }));
  return { text: lines.join('\n'), title: t('pick.title') };
}

/** Resolves the typed people of `pre` through the directory; `known` ones are taken as they are. */
export async function resolvePeople(
  directory: Directory,
  pre: PreArgs,
  known: readonly (Resolved | null)[],
  t: Translate,
  log: Logger,
  /** the command's time: lookups stop when it is up */
  signal?: AbortSignal,
): Promise<PeopleResult> {
  const people: (Resolved | null)[] = [];
  const words: PickWord[] = [];
  const errors: UserError[] = [];
  for (const [index, ref] of pre.refs.entries()) {
    const had = known[index];
    if (had && had.raw === ref.raw) {
      people.push(had);
      continue;
    }
    // Lookups count inside the command's time: past it, no further call is made.
    if (signal?.aborted) return { kind: 'error', error: new CommandTimeoutError() };
    const word = clip(ref.raw);
    const shown = mdEscape(word);
    const r = await directory.resolve(ref, signal === undefined ? {} : { signal });
    switch (r.kind) {
      case 'one': {
        const label = personLabel(r.person.userId, r.person.name);
        const named = ref.kind !== 'userId' || r.person.userId !== ref.text;
        people.push({
          raw: ref.raw,
          ids: [r.person.userId],
          labels: [label],
          ...(named ? { note: `${shown} → ${mdEscape(label)}` } : {}),
          found: named && ref.kind !== 'mobile',
        });
        break;
      }
      case 'members': {
        if (r.members.length === 0) {
          errors.push(new UserError('people.dept-empty', { word, dept: r.dept.name }));
          break;
        }
        people.push({
          raw: ref.raw,
          ids: r.members.map((m) => m.userId),
          labels: r.members.map((m) => personLabel(m.userId, m.name)),
          note: deptNote(r, word, t),
          found: true,
          ...(r.members.length > BIG_DEPT || r.truncated ? { bigDept: true } : {}),
        });
        break;
      }
      case 'many':
        people.push(null);
        words.push({
          index,
          raw: ref.raw,
          candidates: r.candidates.map((c) => ({
            userId: c.userId,
            ...(c.name !== undefined ? { name: c.name } : {}),
            line: candidateLine(c),
          })),
        });
        break;
      case 'none':
        errors.push(
          r.close.length > 0
            ? new UserError('people.none-close', {
                word,
                close: r.close.map((c) => personLabel(c.userId, c.name)).join(', '),
              })
            : new UserError(ref.kind === 'dept' ? 'people.dept-none' : 'people.none', { word }),
        );
        break;
      case 'depts':
        errors.push(
          new UserError('people.depts', { word, depts: r.candidates.map((d) => d.name).join(', ') }),
        );
        break;
      case 'invalid':
        errors.push(new UserError(`people.invalid-${r.reason}`, { word }));
        break;
      case 'denied':
        errors.push(
          r.permission === CONTACT_RANGE
            ? new UserError('people.out-of-range', { word })
            : new UserError('people.denied', { word, permission: r.permission }),
        );
        break;
      case 'error':
        // Aborted because the command's time was up: that is the answer, not DingTalk's failure.
        if (signal?.aborted) return { kind: 'error', error: new CommandTimeoutError() };
        log.warn({ kind: ref.kind }, 'a people lookup failed');
        return { kind: 'error', error: r.error };
    }
  }
  if (errors.length > 0) return { kind: 'fail', errors };
  if (words.length > 0) return { kind: 'pick', people, words };
  return { kind: 'ok', people: people as Resolved[] };
}

/** Who `dept:` turned out to be; a capped member list states the department's true size. */
function deptNote(r: Extract<Resolution, { kind: 'members' }>, word: string, t: Translate): string {
  const size = deptSize(r);
  if (!size.capped) return t('people.dept-note', { word, dept: r.dept.name, count: size.listed });
  return size.atLeast
    ? t('people.dept-note-capped-more', { word, dept: r.dept.name, listed: size.listed })
    : t('people.dept-note-capped', { word, dept: r.dept.name, total: size.total, listed: size.listed });
}

/** A pick candidate: name, department or title, userId. */
function candidateLine(p: Person): string {
  const where = p.deptNames?.join(', ') ?? p.title;
  return [p.name ?? p.userId, where, p.userId]
    .filter((x) => x !== undefined && x !== '')
    .map((x) => mdEscape(x as string))
    .join(' · ');
}
