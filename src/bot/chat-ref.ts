/**
 * `<chat>` as typed (architecture.md §3): a chatId, an openConversationId the registry knows,
 * `here`, or `#name` / `#"name with spaces"`, resolved to a {@link ChatRef} pinned by chatId.
 */
import { type BindContext, clip, fail, type Step } from './bind-kit.ts';
import type { Token } from './parse.ts';
import type { ChatRef, ChatSet } from './types.ts';

/** `chat` + 32 hex in DingTalk; a digit is required so that words like `chatroom` stay words. */
export const CHAT_ID = /^chat(?=[A-Za-z]*[0-9])[0-9A-Za-z]{6,64}$/;
/** openConversationId: `cid` + base64-ish. */
export const OPEN_CONVERSATION_ID = /^cid[A-Za-z0-9+/=_-]{8,128}$/;

/** Only these forms count as a `<chat>`; anything else lets an optional chat param be skipped. */
export function isChatForm(tok: Token): boolean {
  if (tok.kind === 'chatref') return true;
  if (tok.kind !== 'word') return false;
  return tok.text.toLowerCase() === 'here' || CHAT_ID.test(tok.text) || OPEN_CONVERSATION_ID.test(tok.text);
}

export async function resolveChat(tok: Token, ctx: BindContext): Promise<Step<ChatRef>> {
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

export async function resolveHere(ctx: BindContext): Promise<Step<ChatRef>> {
  const { message, registry } = ctx;
  if (message.conversationType !== 'group') return fail('chat.here-direct');
  const rec = await registry.byOpenConversationId(message.conversationId);
  if (rec === undefined) return fail('chat.here-unknown');
  return {
    ok: true,
    value: { chatId: rec.chatId, openConversationId: message.conversationId, record: rec, label: 'here' },
  };
}

/** Most chats in one set (issue 21): more are refused before anything is read. */
export const MAX_SET = 200;
/** `tag:<tag>` / `标签:<tag>` (NFKC makes a full-width colon ASCII). */
const TAG_SET = /^(?:tag|标签):(.*)$/iu;
const MINE = new Set(['mine', '我的群']);
/** A tag: letters, digits, `-` and `_`, at most 32 characters, compared lower-case. */
const TAG = /^[\p{L}\p{N}_-]{1,32}$/u;

/** A tag as stored (NFKC, lower case), or undefined when it is not a valid tag. */
export function normalizeTag(typed: string): string | undefined {
  const tag = typed.normalize('NFKC').trim().toLowerCase();
  return TAG.test(tag) ? tag : undefined;
}

/** Whether a word is a set of chats: `tag:<tag>`, `mine`, or chats separated by commas. */
export function isSetForm(tok: Token): boolean {
  if (tok.kind !== 'word' && tok.kind !== 'chatref') return false;
  const raw = tok.raw.normalize('NFKC');
  if (tok.kind === 'word' && (TAG_SET.test(raw) || MINE.has(raw.toLowerCase()))) return true;
  // `#"a, b"` is one chat whose name holds a comma.
  if (tok.kind === 'chatref' && /^#["'“‘]/u.test(raw)) return false;
  // A list only when each part reads as a `<chat>`: `alice,bob` left where a chat may be left
  // out (in a group) is still people.
  const parts = raw.split(',').filter((p) => p.trim() !== '');
  return parts.length > 1 && parts.every((p) => isChatForm(partToken(p.trim())));
}

/** One part of a comma list as the token it would be on its own. */
function partToken(part: string): Token {
  return part.startsWith('#') && part.length > 1
    ? { kind: 'chatref', text: part.slice(1), raw: part }
    : { kind: 'word', text: part, raw: part };
}

/**
 * A set of chats, each pinned by chatId: a tag's registered chats (in tagging order), the
 * caller's registered chats (`mine`), or the chats of a comma list (each a `<chat>`). Refused
 * when it is empty, holds a chat that cannot be named, or has more than {@link MAX_SET} chats.
 */
export async function resolveSet(tok: Token, ctx: BindContext): Promise<Step<ChatSet>> {
  const raw = tok.raw.normalize('NFKC');
  const label = clip(tok.raw);
  const tagged = TAG_SET.exec(raw);
  let chats: ChatRef[] = [];
  let kind: ChatSet['kind'];
  if (tok.kind === 'word' && tagged !== null) {
    kind = 'tag';
    const tag = normalizeTag(tagged[1] ?? '');
    if (tag === undefined) return fail('set.bad-tag', { tag: clip(tagged[1] ?? '') });
    const ids = (await ctx.tags?.chats(tag)) ?? [];
    if (ids.length > MAX_SET) return fail('set.too-many', { set: label, count: ids.length, max: MAX_SET });
    for (const id of ids) {
      const rec = await ctx.registry.get(id);
      // A tag outlives nothing: a chat gone from the registry is no longer in its sets.
      if (rec !== undefined)
        chats.push({ chatId: id, openConversationId: rec.openConversationId, record: rec, label: id });
    }
    if (chats.length === 0) return fail('set.tag-empty', { tag });
  } else if (tok.kind === 'word' && MINE.has(raw.toLowerCase())) {
    kind = 'mine';
    const mine = await ctx.registry.listFor(ctx.caller.userId);
    if (mine.length > MAX_SET) return fail('set.too-many', { set: label, count: mine.length, max: MAX_SET });
    chats = mine.map((rec) => ({
      chatId: rec.chatId,
      openConversationId: rec.openConversationId,
      record: rec,
      label: rec.chatId,
    }));
    if (chats.length === 0) return fail('set.mine-empty');
  } else {
    kind = 'list';
    const parts = raw.split(',').map((p) => p.trim());
    if (parts.length > MAX_SET)
      return fail('set.too-many', { set: label, count: parts.length, max: MAX_SET });
    for (const part of parts) {
      if (part === '') continue;
      const one = partToken(part);
      if (!isChatForm(one)) return fail('chat.invalid', { value: clip(part) });
      const ref = await resolveChat(one, ctx);
      if (!ref.ok) return ref;
      if (!chats.some((c) => c.chatId === ref.value.chatId)) chats.push(ref.value);
    }
    if (chats.length === 0) return fail('chat.invalid', { value: label });
  }
  return { ok: true, value: { label, kind, chats } };
}
