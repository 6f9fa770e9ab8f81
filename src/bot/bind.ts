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

import { type BindContext, clip, fail, type Slot, type Step } from './bind-kit.ts';
import { isChatForm, isSetForm, resolveChat, resolveHere, resolveSet } from './chat-ref.ts';
import type { Token } from './parse.ts';
import {
  classifyValue,
  mobileRun,
  type PersonWord,
  personSlot,
  typedPerson,
  USER_ID,
} from './person-word.ts';
import { optionArgName } from './registry.ts';
import { suggest } from './suggest.ts';
import {
  type ChatRef,
  type ChatSet,
  type CommandSpec,
  type Expansion,
  type IncomingMessage,
  type OptionSpec,
  UserError,
} from './types.ts';

/**
 * Most people typed by name, mobile, userId or department in one message (a template's people
 * included). More are refused before any lookup: each costs DingTalk contact calls.
 */
export const MAX_LOOKUPS = 50;

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
  | { ok: true; pre: PreArgs; chat?: ChatRef; set?: ChatSet; usedOptions: string[] }
  | { ok: false; error: UserError };

const INT = /^[+-]?\d{1,15}$/;
/** A word that reads as part of a display name rather than a userId. */
const NAME_PART = /^(?:\p{Lu}|[^\p{ASCII}])/u;
const ON = new Set(['on', 'true', 'yes', '1', '开', '开启', '打开', '是']);
const OFF = new Set(['off', 'false', 'no', '0', '关', '关闭', '否']);

type Mention = IncomingMessage['mentions'][number];

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
  let set: ChatSet | undefined;
  const missing = (name: string) =>
    fail('args.missing', { param: name, paramAt: spec.params.findIndex((p) => p.name === name), usageKey });

  for (const p of spec.params) {
    const tok = words[i];
    switch (p.kind) {
      case 'chat': {
        let ref: Step<ChatRef>;
        if (tok !== undefined && chat === undefined && set === undefined && isSetForm(tok)) {
          // A set of chats: the command runs chat by chat (batch.ts); `chat` stays unset.
          if (spec.batch === undefined) return fail('set.not-here', { command: spec.name, usageKey });
          const s = await resolveSet(tok, ctx);
          if (!s.ok) return s;
          set = s.value;
          i++;
          values[p.name] = setPlaceholder(set);
          break;
        }
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
  return {
    ok: true,
    pre,
    ...(chat !== undefined ? { chat } : {}),
    ...(set !== undefined ? { set } : {}),
    usedOptions,
  };
}

/**
 * What stands in the chat argument of a set's plan: no chat (an empty chatId, which DingTalk
 * refuses), named by the set. Each chat's run puts its own chat there.
 */
export function setPlaceholder(set: ChatSet): ChatRef {
  return { chatId: '', openConversationId: undefined, record: undefined, label: set.label };
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
