/**
 * `<chat>` as typed (architecture.md §3): a chatId, an openConversationId the registry knows,
 * `here`, or `#name` / `#"name with spaces"`, resolved to a {@link ChatRef} pinned by chatId.
 */
import { type BindContext, clip, fail, type Step } from './bind-kit.ts';
import type { Token } from './parse.ts';
import type { ChatRef } from './types.ts';

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
