/**
 * A person as typed (architecture.md §3, Users): `me`, a userId, a mobile (also typed with
 * spaces, dashes or dots), `dept:<name>`, or a name. Told apart here; the directory looks them up.
 */
import { type BindContext, clip, fail, type Slot, type Step } from './bind-kit.ts';
import type { Token } from './parse.ts';
import { normaliseMobile } from './people.ts';
import type { UserError } from './types.ts';

/** A person as typed, for the directory to resolve. */
export interface PersonWord {
  kind: 'userId' | 'name' | 'mobile' | 'dept';
  /** What is looked up: the userId, the name, the mobile or the department name. */
  text: string;
  /** As typed, for replies. */
  raw: string;
}

/** userIds are ASCII words; anything else is a typo or an attempt to smuggle text. */
export const USER_ID = /^[A-Za-z0-9_.\-$]{1,64}$/;
/** A mainland mobile, maybe with the country code (`8613800138000`, `86-13800138000`). */
const MAINLAND_MOBILE = /^(?:\+?86-?)?1\d{10}$/;
/** One group of a mobile typed with spaces (`+86`, `138`, `0013`, `138-0013`). */
const MOBILE_PART = /^\+?\d[\d.-]*$/;
/** A mobile typed in one word with dashes or dots between its digit groups (`138-0013-8007`, `138.0013.8007`). */
const MOBILE_GROUPED = /^\+?\d+(?:[.-]\d+)+$/;
/** Eleven characters starting with 1, mostly digits, with a letter: a mistyped mobile. */
const MOBILE_TYPO = /^(?=1(?:[^\d]*\d){8})(?=.*[A-Za-z])[\dA-Za-z]{11}$/;
/** Most tokens a mobile spreads over (`+86 138 0013 8000`). */
const MOBILE_MAX_PARTS = 4;

/**
 * One person typed as free text (`Alice`, `"Alice Wang"`, `13800138000`, `@manager4220`, `me`):
 * a userId known at once, a {@link PersonWord} for the directory, or the error to show.
 */
export function typedPerson(text: string, callerId: string): { userId: string } | PersonWord | UserError {
  const quote = /^["'“‘](.*)["'”’]$/su.exec(text);
  const tok: Token = quote ? { kind: 'quoted', text: quote[1] ?? '', raw: text } : classifyValue(text);
  let word: PersonWord | undefined;
  const step = personSlot(tok, { caller: { userId: callerId } } as BindContext, (w) => {
    word = w;
    return { ok: true, value: { ref: 0 } };
  });
  if (!step.ok) return step.error;
  return word ?? (step.value as { userId: string });
}

/** An option's value read like a bare word (`owner=dept:Design`, `owner=@王小明`). */
export function classifyValue(value: string): Token {
  const dept = /^(?:dept|部门)[:：]/i.exec(value);
  if (dept !== null) return { kind: 'dept', text: value.slice(dept[0].length), raw: value };
  if (value.length > 1 && /^[@＠]/.test(value)) return { kind: 'mention', text: value.slice(1), raw: value };
  return { kind: 'word', text: value, raw: value };
}

/**
 * What a typed (not picked) token in a users slot stands for: `me`, a mobile, a userId-shaped
 * word (the directory confirms it, then tries it as a name), a department, or else a name.
 */
export function personSlot(tok: Token, ctx: BindContext, typed: (w: PersonWord) => Step<Slot>): Step<Slot> {
  const raw = tok.raw;
  switch (tok.kind) {
    case 'chatref':
    case 'option':
      return fail('user.invalid', { value: clip(raw) });
    case 'dept':
      if (tok.text.trim() === '') return fail('people.dept-empty-name', { value: clip(raw) });
      return typed({ kind: 'dept', text: tok.text.trim(), raw });
    case 'quoted': {
      const text = tok.text.trim();
      // A mobile typed with spaces inside quotes is still a mobile.
      if (/^\+?[\d\s.-]+$/.test(text) && MAINLAND_MOBILE.test(text.replace(/[\s.-]/g, '')))
        return typed({ kind: 'mobile', text, raw });
      return typed({ kind: 'name', text: tok.text, raw });
    }
    case 'mention':
      // `@word` with no picked mention left: a typed userId, or a name DingTalk did not turn into a pick.
      if (tok.text.toLowerCase() === 'me' && USER_ID.test(ctx.caller.userId))
        return { ok: true, value: { userId: ctx.caller.userId } };
      return typed({ kind: USER_ID.test(tok.text) ? 'userId' : 'name', text: tok.text, raw });
    case 'word': {
      const w = tok.text;
      if (w.toLowerCase() === 'me' && USER_ID.test(ctx.caller.userId))
        return { ok: true, value: { userId: ctx.caller.userId } };
      if (isMobileWord(w)) return typed({ kind: 'mobile', text: w, raw });
      return typed({ kind: USER_ID.test(w) ? 'userId' : 'name', text: w, raw });
    }
  }
}

/** A single word meant as a mobile: `+…`, a mainland number, or a mainland number with a letter in it. */
function isMobileWord(w: string): boolean {
  return (
    (w.startsWith('+') && /\d/.test(w)) ||
    MAINLAND_MOBILE.test(w) ||
    (MOBILE_GROUPED.test(w) && MAINLAND_MOBILE.test(w.replace(/[.-]/g, ''))) ||
    MOBILE_TYPO.test(w)
  );
}

/**
 * How many words from `at` make one mobile typed in groups (`+86 138 0013 8000`): the longest
 * run of 2 to {@link MOBILE_MAX_PARTS} digit groups that joins into a mainland mobile; 0 when none.
 */
export function mobileRun(words: readonly Token[], at: number): number {
  for (let n = Math.min(MOBILE_MAX_PARTS, words.length - at); n >= 2; n--) {
    const run = words.slice(at, at + n);
    if (!run.every((t) => t.kind === 'word' && MOBILE_PART.test(t.text))) continue;
    const joined = run.map((t) => t.text.replace(/[.-]/g, '')).join('');
    if (MAINLAND_MOBILE.test(joined) && normaliseMobile(joined) !== undefined) return n;
  }
  return 0;
}
