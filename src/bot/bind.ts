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
 */

import type { RegistryStore } from '../store/types.ts';
import type { Token } from './parse.ts';
import { optionArgName } from './registry.ts';
import { suggest } from './suggest.ts';
import { type ChatRef, type CommandSpec, type IncomingMessage, type OptionSpec, UserError } from './types.ts';

export interface BindContext {
  message: IncomingMessage;
  caller: { userId: string };
  registry: RegistryStore;
}

export type BindResult<A> =
  | { ok: true; args: A; chat?: ChatRef; usedOptions: string[] }
  | { ok: false; error: UserError };

/** userIds are ASCII words; anything else is a typo or an attempt to smuggle text. */
export const USER_ID = /^[A-Za-z0-9_.\-$]{1,64}$/;
/** `chat` + 32 hex in DingTalk; a digit is required so that words like `chatroom` stay words. */
export const CHAT_ID = /^chat(?=[A-Za-z]*[0-9])[0-9A-Za-z]{6,64}$/;
/** openConversationId: `cid` + base64-ish. */
export const OPEN_CONVERSATION_ID = /^cid[A-Za-z0-9+/=_-]{8,128}$/;
const INT = /^[+-]?\d{1,15}$/;
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

/** Binds and validates; see the module comment for the rules. */
export async function bindArgs<A>(
  spec: CommandSpec<A>,
  rest: readonly Token[],
  ctx: BindContext,
): Promise<BindResult<A>> {
  const { message } = ctx;
  const options = spec.options ?? {};
  const usageKey = spec.usage;

  // 1. Hand picked mentions to the @words in text order.
  const left: Mention[] = [...message.mentions];
  const assigned = new Map<Token, Mention>();
  for (const tok of rest) {
    if (left.length === 0) break;
    const atValue =
      tok.kind === 'option' && options[tok.key ?? '']?.kind === 'user' && /^[@＠]/.test(tok.value ?? '');
    if (tok.kind === 'mention' || atValue) assigned.set(tok, left.shift()!);
  }

  const userFrom = (tok: Token): Step<string> => {
    const picked = assigned.get(tok);
    if (picked !== undefined) return mentionUser(picked);
    const typed = (tok.kind === 'option' ? (tok.value ?? '') : tok.text).replace(/^[@＠]/, '');
    if (typed.toLowerCase() === 'me' && USER_ID.test(ctx.caller.userId))
      return { ok: true, value: ctx.caller.userId };
    if (tok.kind !== 'chatref' && USER_ID.test(typed)) return { ok: true, value: typed };
    return fail('user.invalid', { value: clip(tok.kind === 'option' ? (tok.value ?? '') : tok.raw) });
  };

  const args: Record<string, unknown> = {};
  const usedOptions: string[] = [];

  // 2. Options (before params: an empty user option takes a stripped mention first).
  for (const tok of rest) {
    if (tok.kind !== 'option') continue;
    const key = tok.key ?? '';
    const opt = options[key];
    if (opt === undefined) return unknownOption(spec, key);
    if (usedOptions.includes(key)) return fail('args.option-twice', { option: key });
    const value = optionValue(key, opt, tok, left, userFrom);
    if (!value.ok) return value;
    args[optionArgName(key)] = value.value;
    usedOptions.push(key);
  }

  // 3. Positional params.
  const words = rest.filter((t) => t.kind !== 'option');
  let i = 0;
  let chat: ChatRef | undefined;
  const missing = (name: string) => fail('args.missing', { param: name, usageKey });

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
        args[p.name] = ref.value;
        chat ??= ref.value;
        break;
      }
      case 'user': {
        let user: Step<string>;
        if (left.length > 0) user = mentionUser(left.shift()!);
        else if (tok !== undefined) {
          user = userFrom(tok);
          i++;
        } else if (p.optional) continue;
        else return missing(p.name);
        if (!user.ok) return user;
        args[p.name] = user.value;
        break;
      }
      case 'users': {
        const ids: string[] = [];
        for (const m of left.splice(0)) {
          const u = mentionUser(m);
          if (!u.ok) return u;
          ids.push(u.value);
        }
        // With visible names, a capitalised or non-ASCII bare word right after a picked `@Name`
        // is the rest of a multi-word nick (`@Alice Wang`), not a typed userId (those are
        // usually lower case or digits: `carol`, `manager4220`).
        let afterPicked = false;
        for (; i < words.length; i++) {
          const w = words[i]!;
          if (afterPicked && w.kind === 'word' && !assigned.has(w) && NAME_PART.test(w.text)) continue;
          afterPicked = assigned.has(w);
          const u = userFrom(w);
          if (!u.ok) return u;
          ids.push(u.value);
        }
        if (ids.length === 0 && !p.optional) return missing(p.name);
        if (ids.length > 0) args[p.name] = [...new Set(ids)];
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
        args[p.name] =
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
        const typed = tok.kind === 'quoted' ? tok.text : tok.raw;
        if (p.choices !== undefined) {
          const value = p.choices[typed.normalize('NFKC').toLowerCase()];
          if (value === undefined) {
            const choices = [...new Set(Object.values(p.choices))].join(' / ');
            // A <chat> here means the word was left out: echoing `#"name"` back would not help.
            return isChatForm(tok)
              ? fail('args.choice-missing', { param: p.name, choices, usageKey })
              : fail('args.bad-choice', { param: p.name, choices, value: clip(typed), usageKey });
          }
          args[p.name] = value;
        } else args[p.name] = typed;
        i++;
        break;
      }
      case 'int': {
        const digits = tok === undefined ? undefined : tok.text.normalize('NFKC');
        if (tok === undefined || digits === undefined || !INT.test(digits) || tok.kind !== 'word') {
          if (p.optional) continue;
          return tok === undefined
            ? missing(p.name)
            : fail('args.not-int', { param: p.name, value: clip(tok.raw) });
        }
        args[p.name] = Number(digits);
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

  const checked = spec.args.safeParse(args);
  if (!checked.success) {
    const problems = checked.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'args'}: ${issue.message}`)
      .join('; ');
    return fail('args.invalid', { problems, usageKey });
  }
  return chat === undefined
    ? { ok: true, args: checked.data, usedOptions }
    : { ok: true, args: checked.data, chat, usedOptions };
}

function mentionUser(m: Mention): Step<string> {
  if (m.userId === undefined || !USER_ID.test(m.userId)) return fail('user.external');
  return { ok: true, value: m.userId };
}

function optionValue(
  key: string,
  opt: OptionSpec,
  tok: Token,
  left: Mention[],
  userFrom: (tok: Token) => Step<string>,
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
      if (raw === '' && left.length > 0) return mentionUser(left.pop()!);
      return userFrom(tok);
    case 'text':
      return { ok: true, value: raw };
  }
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
