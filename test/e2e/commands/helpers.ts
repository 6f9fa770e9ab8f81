/** Shared bits of the /chat command e2e tests. */
import type { RecordedRequest } from '../../../src/emulator/index.ts';
import type { Harness } from '../../helpers/harness.ts';

/** Requests the bot sent to DingTalk's group-chat endpoints (not tokens, gateway or replies). */
const CHAT_ENDPOINTS = new Set([
  'chat.create',
  'chat.get',
  'chat.update',
  'subadmin.update',
  'friendswitch.update',
  'updategroupnick',
  'qrcode.get',
  'im.convertToOpenConversationId',
  'im.subAdministrators',
  'im.group.create',
  'im.group.update',
]);

/** Marks the request log; `calls()` then lists the group-chat requests made after the mark. */
export function track(h: Harness): { calls: () => RecordedRequest[]; endpoints: () => string[] } {
  const mark = h.emu.requests.length;
  const calls = () => h.emu.requests.slice(mark).filter((r) => CHAT_ENDPOINTS.has(r.endpoint));
  return { calls, endpoints: () => calls().map((r) => r.endpoint) };
}

/** The writes among `calls` (everything but chat/get and the cid lookup). */
export function writes(calls: RecordedRequest[]): RecordedRequest[] {
  return calls.filter((r) => r.endpoint !== 'chat.get' && r.endpoint !== 'im.convertToOpenConversationId');
}

/** The code of a confirmation prompt (`/confirm ABC123`). */
export function confirmCode(reply: string): string {
  const m = /\/confirm ([A-Za-z0-9]+)/.exec(reply);
  if (!m?.[1]) throw new Error(`no confirmation code in: ${reply}`);
  return m[1];
}

/** A chat made directly in the org, as if created earlier through the API, owned by `owner`. */
export function seedChat(
  h: Harness,
  name: string,
  owner: string,
  members: string[],
): { chatId: string; openConversationId: string } {
  const c = h.emu.org.addChat({ name, owner, members, createdByApi: true, botInChat: true });
  return { chatId: c.chatId, openConversationId: c.openConversationId };
}

/** A request's body, typed; fails the test when there is no such request. */
export function bodyOf<T>(r: RecordedRequest | undefined): T {
  if (!r) throw new Error('no such request');
  return r.body as T;
}

/** A request's answer, typed; fails the test when there is no such request. */
export function responseOf<T>(r: RecordedRequest | undefined): T {
  if (!r) throw new Error('no such request');
  return r.response as T;
}
