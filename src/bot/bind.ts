/**
 * Binds the words after a command name to its params and options, resolves `<chat>` and users,
 * then validates with the spec's zod schema. Total: a result or a {@link UserError}, never a
 * rejection (except from a spec's own zod refinements or a failing store).
 *
 * Mentions: DingTalk may or may not leave the visible `@Name` of a picked member in the text.
 * 1. Picked mentions are handed out in text order to `@word` tokens (positional ones and
 *    `key=@word` values of user options); an `@word` with no mention left is a typed userId.
 * 2. Mentions left over were stripped from the text. An empty user option (`owner=`) takes the
 *    last of them (options usually come last); then user params take them first, in order; a
 *    `users` param takes all that remain. Mentions nobody took are an error when the command
 *    reads users at all (better than silently dropping a person).
 * A multi-word nick (`@Bob Li`) cannot be told apart from the words after it in general. Two rules
 * cover the common cases: in a list of users, capitalised or non-ASCII bare words right after a
 * picked `@Name` belong to that name; a free text after a picked name is taken from its quotes when it is quoted last.
 *
 * Typed people (architecture.md §3, Users) are not resolved here: each becomes a {@link PersonWord}
 * for the directory (the pipeline resolves them after authorization), and {@link completeArgs}
 * puts the userIds in and validates with the spec's schema.
 */

import type { RegistryStore } from '../store/types.ts';
import { normaliseMobile } from './directory.ts';
import type { Token } from './parse.ts';
import { optionArgName } from './registry.ts';
import { suggest } from './suggest.ts';
import {
  type ChatRef,
  type CommandSpec,
  type Expansion,
  type IncomingMessage,
  type OptionSpec,
  UserError,
} from './types.ts';

export interface BindContext {
  message: IncomingMessage;
  caller: { userId: string };
  registry: RegistryStore;
}

/** A person as typed, for the directory to resolve. */
export interface PersonWord {
  kind: 'userId' | 'name' | 'mobile' | 'dept';
  /** What is looked up: the userId, the name, the mobile or the department name. */
  text: string;
  /** As typed, for replies. */
  raw: string;
}

/**
 * Most people typed by name, mobile, userId or department in one message (a template's people
 * included). More are refused before any lookup: each costs DingTalk contact calls.
 */
export const MAX_LOOKUPS = 50;

/** A user slot before resolution: a known userId (picked mention, `me`) or an index into `refs`. */
type Slot = { userId: string } | { ref: number };

/** Bound arguments whose typed people are not resolved yet; see {@link completeArgs}. */
export interface PreArgs {
  values: Record<string, unknown>;
  /**
   * user params (`many`: a users param) whose values are slots; `each`: a list whose every slot
   * must come to one person, kept in order (no duplicates dropped)
   */
  slots: { name: string; many: boolean; each?: boolean }[];
  refs: PersonWord[];
}

export type BindResult =
  | { ok: true; pre: PreArgs; chat?: ChatRef; usedOptions: string[] }
  | { ok: false; error: UserError };

/** userIds are ASCII words; anything else is a typo or an attempt to smuggle text. */
export const USER_ID = /^[A-Za-z0-9_.\-$]{1,64}$/;
/** `chat` + 32 hex in DingTalk; a digit is required so that words like `chatroom` stay words. */
export const CHAT_ID = /^chat(?=[A-Za-z]*[0-9])[0-9A-Za-z]{6,64}$/;
/** openConversationId: `cid` + base64-ish. */
export const OPEN_CONVERSATION_ID = /^cid[A-Za-z0-9+/=_-]{8,128}$/;
const INT = /^[+-]?\d{1,15}$/;
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
/** A word that reads as part of a display name rather than a userId. */
const NAME_PART = /^(?:\p{Lu}|[^\p{ASCII}])/u;
const ON = new Set(['on', 'true', 'yes', '1', '开', '开启', '打开', '是']);
const OFF = new Set(['off', 'false', 'no', '0', '关', '关闭', '否']);

type Mention = IncomingMessage['mentions'][number];
type Step<T> = { ok: true; value: T } | { ok: false; error: UserError };

const fail = (
  code: string,
  params: Record<string, string | number> = {},
): { ok: false; error: UserError } => ({
  ok: false,
  error: new UserError(code, params),
});

/**
 * Binds the words to params and options (see the module comment for the rules). Typed people
 * are left as {@link PersonWord}s; {@link completeArgs} finishes and validates.
 */
export async function bindArgs<A>(
  spec: CommandSpec<A>,
  rest: readonly Token[],
  ctx: BindContext,
): Promise<BindResult> {
  const { message } = ctx;
  const options = spec.options ?? {};
  const usageKey = spec.usage;

  // 1. Hand picked mentions to the @words in text order.
  const left: Mention[] = [...message.mentions];
  const assigned = new Map<Token, Mention>();
  for (const tok of rest) {
    if (left.length === 0) break;
    const atValue =
      tok.kind === 'option' && ownOption(options, tok.key)?.kind === 'user' && /^[@＠]/.test(tok.value ?? '');
    if (tok.kind === 'mention' || atValue) assigned.set(tok, left.shift()!);
  }

  const refs: PersonWord[] = [];
  const typed = (w: PersonWord): Step<Slot> => {
    refs.push(w);
    return { ok: true, value: { ref: refs.length - 1 } };
  };
  const userFrom = (tok: Token): Step<Slot> => {
    const picked = assigned.get(tok);
    if (picked !== undefined) return mentionSlot(picked);
    if (tok.kind === 'option') {
      const value = tok.value ?? '';
      // `owner="Alice Wang"`: the raw text after `key=` opens with a quote.
      const quoted = /^[A-Za-z0-9_-]+[=＝]["'“‘]/.test(tok.raw);
      const raw = tok.raw.replace(/^[^=＝]*[=＝]/, '');
      return personSlot(quoted ? { kind: 'quoted', text: value, raw } : classifyValue(value), ctx, typed);
    }
    return personSlot(tok, ctx, typed);
  };

  const values: Record<string, unknown> = {};
  const slots: PreArgs['slots'] = [];
  const usedOptions: string[] = [];

  // 2. Options (before params: an empty user option takes a stripped mention first).
  for (const tok of rest) {
    if (tok.kind !== 'option') continue;
    const key = tok.key ?? '';
    const opt = ownOption(options, key);
    if (opt === undefined) return unknownOption(spec, key);
    if (usedOptions.includes(key)) return fail('args.option-twice', { option: key });
    const value = optionValue(key, opt, tok, left, userFrom);
    if (!value.ok) return value;
    values[optionArgName(key)] = value.value;
    if (opt.kind === 'user') slots.push({ name: optionArgName(key), many: false });
    usedOptions.push(key);
  }

  // 3. Positional params.
  const words = rest.filter((t) => t.kind !== 'option');
  let i = 0;
  let chat: ChatRef | undefined;
  const missing = (name: string) =>
    fail('args.missing', { param: name, paramAt: spec.params.findIndex((p) => p.name === name), usageKey });

  for (const p of spec.params) {
    const tok = words[i];
    switch (p.kind) {
      case 'chat': {
        let ref: Step<ChatRef>;
        if (tok !== undefined && isChatForm(tok)) {
          ref = await resolveChat(tok, ctx);
          i++;
        } else if (message.conversationType === 'group') {
          ref = await resolveHere(ctx);
        } else if (p.optional) {
          continue;
        } else {
          // In a 1:1 chat nothing can stand in for the chat: say so, not just "missing".
          return tok === undefined
            ? fail('chat.missing-direct', { usageKey })
            : fail('chat.invalid', { value: clip(tok.raw) });
        }
        if (!ref.ok) return ref;
        values[p.name] = ref.value;
        chat ??= ref.value;
        break;
      }
      case 'user': {
        let user: Step<Slot>;
        if (left.length > 0) user = mentionSlot(left.shift()!);
        else if (tok !== undefined) {
          user = userFrom(tok);
          i++;
        } else if (p.optional) continue;
        else return missing(p.name);
        if (!user.ok) return user;
        values[p.name] = user.value;
        slots.push({ name: p.name, many: false });
        break;
      }
      case 'users': {
        const list: Slot[] = [];
        for (const m of left.splice(0)) {
          const u = mentionSlot(m);
          if (!u.ok) return u;
          list.push(u.value);
        }
        // With visible names, a capitalised or non-ASCII bare word right after a picked `@Name`
        // is the rest of a multi-word nick (`@Alice Wang`), not a typed person.
        let afterPicked = false;
        for (; i < words.length; i++) {
          const w = words[i]!;
          if (afterPicked && w.kind === 'word' && !assigned.has(w) && NAME_PART.test(w.text)) continue;
          afterPicked = assigned.has(w);
          const parts = afterPicked ? 0 : mobileRun(words, i);
          if (parts > 0) {
            const run = words.slice(i, i + parts);
            const raw = run.map((t) => t.raw).join(' ');
            const u = typed({ kind: 'mobile', text: run.map((t) => t.text).join(''), raw });
            if (u.ok) list.push(u.value);
            i += parts - 1;
            continue;
          }
          const u = userFrom(w);
          if (!u.ok) return u;
          list.push(u.value);
        }
        if (list.length === 0 && !p.optional) return missing(p.name);
        if (list.length > 0) {
          values[p.name] = list;
          slots.push({ name: p.name, many: true });
        }
        break;
      }
      case 'text': {
        const start = i;
        const tail = words.slice(start);
        i = words.length;
        if (tail.length === 0) {
          if (p.optional) continue;
          return missing(p.name);
        }
        const quoted = tail.filter((t) => t.kind === 'quoted');
        const before = words[start - 1];
        const afterName = before !== undefined && assigned.has(before);
        // After a picked `@Multi Word` name, a quoted text is the text; the bare words before it
        // are the rest of the name (`/chat nick here @Alice Wang "Ally"`).
        values[p.name] =
          quoted.length === 1 && (tail.length === 1 || (afterName && tail.at(-1) === quoted[0]))
            ? quoted[0]!.text
            : tail.map((t) => (t.kind === 'quoted' ? t.text : t.raw)).join(' ');
        break;
      }
      case 'word': {
        if (tok === undefined) {
          if (p.optional) continue;
          return missing(p.name);
        }
        const typedWord = tok.kind === 'quoted' ? tok.text : tok.raw;
        if (p.choices !== undefined) {
          const value = p.choices[typedWord.normalize('NFKC').toLowerCase()];
          if (value === undefined) {
            const choices = [...new Set(Object.values(p.choices))].join(' / ');
            // A <chat> here means the word was left out: echoing `#"name"` back would not help.
            return isChatForm(tok)
              ? fail('args.choice-missing', {
                  param: p.name,
                  paramAt: spec.params.indexOf(p),
                  choices,
                  usageKey,
                })
              : fail('args.bad-choice', {
                  param: p.name,
                  paramAt: spec.params.indexOf(p),
                  choices,
                  value: clip(typedWord),
                  usageKey,
                });
          }
          values[p.name] = value;
        } else values[p.name] = typedWord;
        i++;
        break;
      }
      case 'int': {
        const digits = tok === undefined ? undefined : tok.text.normalize('NFKC');
        if (tok === undefined || digits === undefined || !INT.test(digits) || tok.kind !== 'word') {
          if (p.optional) continue;
          return tok === undefined
            ? missing(p.name)
            : fail('args.not-int', {
                param: p.name,
                paramAt: spec.params.indexOf(p),
                value: clip(tok.raw),
                usageKey,
              });
        }
        values[p.name] = Number(digits);
        i++;
        break;
      }
    }
  }

  if (i < words.length) {
    return fail('args.too-many', {
      extra: clip(
        words
          .slice(i)
          .map((t) => t.raw)
          .join(' '),
      ),
      usageKey,
    });
  }
  const readsUsers =
    spec.params.some((p) => p.kind === 'user' || p.kind === 'users') ||
    Object.values(options).some((o) => o.kind === 'user');
  if (left.length > 0 && readsUsers) return fail('args.mentions-left', { usageKey });
  if (refs.length > MAX_LOOKUPS) return fail('people.too-many', { count: refs.length, max: MAX_LOOKUPS });
  const pre: PreArgs = { values, slots, refs };
  return chat === undefined ? { ok: true, pre, usedOptions } : { ok: true, pre, chat, usedOptions };
}

/**
 * Puts the userIds of the typed people in (`resolved[i]` for `pre.refs[i]`) and validates with
 * the spec's schema. A single-user slot must come to exactly one person.
 */
export function completeArgs<A>(
  spec: CommandSpec<A>,
  pre: PreArgs,
  resolved: readonly (readonly string[])[],
): { ok: true; args: A } | { ok: false; error: UserError } {
  const args: Record<string, unknown> = { ...pre.values };
  for (const { name, many, each } of pre.slots) {
    const slots = (many ? pre.values[name] : [pre.values[name]]) as Slot[];
    const ids: string[] = [];
    for (const slot of slots) {
      if ('userId' in slot) ids.push(slot.userId);
      else {
        const got = resolved[slot.ref] ?? [];
        if ((!many || each) && got.length !== 1)
          return fail('people.one-expected', {
            word: clip(pre.refs[slot.ref]?.raw ?? ''),
            count: got.length,
          });
        ids.push(...got);
      }
    }
    args[name] = !many ? ids[0] : each ? ids : [...new Set(ids)];
  }
  const checked = spec.args.safeParse(args);
  if (!checked.success) {
    const problems = checked.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'args'}: ${issue.message}`)
      .join('; ');
    return fail('args.invalid', { problems, usageKey: spec.usage });
  }
  return { ok: true, args: checked.data };
}

/**
 * Adds a spec's {@link Expansion} to bound arguments: its values, and its people as typed (each
 * read like a person typed in a command, so the directory resolves it with the typed ones).
 * A new PreArgs, or the UserError of a person that cannot be read.
 */
export function expandArgs(pre: PreArgs, expansion: Expansion, callerId: string): PreArgs | UserError {
  const values = { ...pre.values, ...expansion.values };
  const slots = [...pre.slots];
  const refs = [...pre.refs];
  for (const { name, typed, each } of expansion.people ?? []) {
    const list: Slot[] = [];
    for (const text of typed) {
      const w = typedPerson(text, callerId);
      if (w instanceof UserError) return w;
      if ('userId' in w) list.push(w);
      else {
        refs.push(w);
        list.push({ ref: refs.length - 1 });
      }
    }
    values[name] = list;
    slots.push(each ? { name, many: true, each: true } : { name, many: true });
  }
  if (refs.length > MAX_LOOKUPS)
    return new UserError('people.too-many', { count: refs.length, max: MAX_LOOKUPS });
  return { values, slots, refs };
}

/** The arguments as the audit shows them before resolution: typed people as typed. */
export function shownArgs(pre: PreArgs): Record<string, unknown> {
  const args: Record<string, unknown> = { ...pre.values };
  const show = (slot: Slot): string => ('userId' in slot ? slot.userId : (pre.refs[slot.ref]?.raw ?? ''));
  for (const { name, many } of pre.slots) {
    const v = pre.values[name];
    args[name] = many ? (v as Slot[]).map(show) : show(v as Slot);
  }
  return args;
}

function mentionSlot(m: Mention): Step<Slot> {
  if (m.userId === undefined || !USER_ID.test(m.userId)) return fail('user.external');
  return { ok: true, value: { userId: m.userId } };
}

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
function classifyValue(value: string): Token {
  const dept = /^(?:dept|部门)[:：]/i.exec(value);
  if (dept !== null) return { kind: 'dept', text: value.slice(dept[0].length), raw: value };
  if (value.length > 1 && /^[@＠]/.test(value)) return { kind: 'mention', text: value.slice(1), raw: value };
  return { kind: 'word', text: value, raw: value };
}

/**
 * What a typed (not picked) token in a users slot stands for: `me`, a mobile, a userId-shaped
 * word (the directory confirms it, then tries it as a name), a department, or else a name.
 */
function personSlot(tok: Token, ctx: BindContext, typed: (w: PersonWord) => Step<Slot>): Step<Slot> {
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

function optionValue(
  key: string,
  opt: OptionSpec,
  tok: Token,
  left: Mention[],
  userFrom: (tok: Token) => Step<Slot>,
): Step<unknown> {
  const raw = tok.value ?? '';
  const word = raw.normalize('NFKC').toLowerCase().trim();
  switch (opt.kind) {
    case 'onoff':
      if (ON.has(word)) return { ok: true, value: true };
      if (OFF.has(word)) return { ok: true, value: false };
      return fail('args.bad-onoff', { option: key, value: clip(raw) });
    case 'enum': {
      const values = opt.values ?? [];
      const hit = values.find((v) => v.toLowerCase() === word);
      if (hit !== undefined) return { ok: true, value: hit };
      return fail('args.bad-enum', { option: key, value: clip(raw), values: values.join('|') });
    }
    case 'user':
      if (raw.trim() === '') {
        if (left.length > 0) return mentionSlot(left.pop()!);
        return fail('args.option-empty', { option: key });
      }
      return userFrom(tok);
    case 'text':
      return { ok: true, value: raw };
  }
}

/**
 * The spec's option `key`, an own key only: `constructor=`, `__proto__=` or `toString=` are
 * unknown options, not Object.prototype's members.
 */
function ownOption(
  options: Readonly<Record<string, OptionSpec>>,
  key: string | undefined,
): OptionSpec | undefined {
  return key !== undefined && Object.hasOwn(options, key) ? options[key] : undefined;
}

function unknownOption<A>(spec: CommandSpec<A>, key: string): { ok: false; error: UserError } {
  const keys = Object.keys(spec.options ?? {});
  if (keys.length === 0) return fail('args.no-options', { command: spec.name, option: clip(key) });
  const valid = keys.join(', ');
  const close = suggest(key, keys);
  if (close[0] !== undefined) {
    return fail('args.unknown-option-suggest', { option: clip(key), suggestion: close[0], valid });
  }
  return fail('args.unknown-option', { option: clip(key), valid });
}

/** Only these forms count as a `<chat>`; anything else lets an optional chat param be skipped. */
function isChatForm(tok: Token): boolean {
  if (tok.kind === 'chatref') return true;
  if (tok.kind !== 'word') return false;
  return tok.text.toLowerCase() === 'here' || CHAT_ID.test(tok.text) || OPEN_CONVERSATION_ID.test(tok.text);
}

async function resolveChat(tok: Token, ctx: BindContext): Promise<Step<ChatRef>> {
  const { registry } = ctx;
  if (tok.kind === 'chatref') {
    const found = tok.text === '' ? [] : await registry.byName(tok.text);
    const label = /\s/u.test(tok.text) ? `#"${tok.text}"` : `#${tok.text}`;
    if (found.length === 0) return fail('chat.name-not-found', { name: clip(tok.text) });
    if (found.length > 1) {
      return fail('chat.name-ambiguous', {
        name: clip(tok.text),
        candidates: found
          .slice(0, 10)
          .map((r) => `${r.name} (${r.chatId})`)
          .join(', '),
      });
    }
    const rec = found[0]!;
    return {
      ok: true,
      value: { chatId: rec.chatId, openConversationId: rec.openConversationId, record: rec, label },
    };
  }
  if (tok.text.toLowerCase() === 'here') return resolveHere(ctx);
  if (OPEN_CONVERSATION_ID.test(tok.text)) {
    const rec = await registry.byOpenConversationId(tok.text);
    if (rec === undefined) return fail('chat.cid-unknown', { cid: clip(tok.text, 60) });
    return {
      ok: true,
      value: { chatId: rec.chatId, openConversationId: tok.text, record: rec, label: tok.text },
    };
  }
  const rec = await registry.get(tok.text);
  return {
    ok: true,
    value: { chatId: tok.text, openConversationId: rec?.openConversationId, record: rec, label: tok.text },
  };
}

async function resolveHere(ctx: BindContext): Promise<Step<ChatRef>> {
  const { message, registry } = ctx;
  if (message.conversationType !== 'group') return fail('chat.here-direct');
  const rec = await registry.byOpenConversationId(message.conversationId);
  if (rec === undefined) return fail('chat.here-unknown');
  return {
    ok: true,
    value: { chatId: rec.chatId, openConversationId: message.conversationId, record: rec, label: 'here' },
  };
}

/** Echoed input is cut short. */
function clip(s: string, max = 40): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : s;
}
