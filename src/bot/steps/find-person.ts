/** One person typed as text, for a handler (e.g. `/audit <user>`): a userId, or a UserError thrown. */
import type { Logger } from 'pino';
import { personLabel } from '../people.ts';
import { typedPerson } from '../person-word.ts';
import { type Translate, UserError } from '../types.ts';
import { resolvePeople } from './resolve.ts';
import { clip, type Deps } from './turn.ts';

export async function findPerson(
  deps: Pick<Deps, 'directory'>,
  typed: string,
  callerId: string,
  t: Translate,
  log: Logger,
): Promise<string> {
  const w = typedPerson(typed, callerId);
  if (w instanceof UserError) throw w;
  if ('userId' in w) return w.userId;
  const r = await resolvePeople(deps.directory, { values: {}, slots: [], refs: [w] }, [], t, log);
  if (r.kind === 'error') throw r.error;
  if (r.kind === 'fail') throw r.errors[0] as UserError;
  if (r.kind === 'pick') {
    const candidates = (r.words[0]?.candidates ?? []).map((c) => personLabel(c.userId, c.name)).join(', ');
    throw new UserError('people.ambiguous', { word: clip(w.raw), candidates });
  }
  const ids = r.people[0]?.ids ?? [];
  if (ids.length !== 1) throw new UserError('people.one-expected', { word: clip(w.raw), count: ids.length });
  return ids[0] as string;
}
