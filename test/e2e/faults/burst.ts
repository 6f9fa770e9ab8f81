/**
 * A burst of user messages and the checks every fault case must pass:
 * - every message gets exactly one reply;
 * - no command runs twice (at most one write that DingTalk carried out per intended change);
 * - the org state in the emulator equals what the replies claim;
 * - the bot did not crash and still answers.
 *
 * Replies are attributed without guessing: a webhook reply names the msgId of its message; an
 * OpenAPI reply goes to one group or one user, and a burst sends at most one message per group
 * and per 1:1 conversation.
 */
import { expect } from 'vitest';
import type { RecordedRequest, RobotPayload, SentReply } from '../../../src/emulator/index.ts';
import type { Harness } from '../../helpers/harness.ts';

/** Writes of a chat's name, by either API family. */
const RENAME_ENDPOINTS = new Set(['chat.update', 'im.group.update']);
/** The 1:1 senders of a burst, one /whoami each. */
const DM_USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

export interface Sent {
  payload: RobotPayload;
  kind: 'rename' | 'info' | 'whoami';
  user: string;
  /** rename / info: the group the message was sent in */
  chatId?: string;
  oldName?: string;
  newName?: string;
}

export interface Burst {
  /** replies and requests before this index are not the burst's */
  replyMark: number;
  requestMark: number;
  messages: Sent[];
}

let burstNo = 0;

/**
 * Builds (does not send) a burst: `renames` groups each get `/chat rename here <new>` from their
 * owner, `infos` groups get `/chat info`, and five users send `/whoami` in 1:1. Every group is
 * new, contains the bot and is in the registry, so `here` resolves.
 */
export async function buildBurst(h: Harness, o: { renames: number; infos: number }): Promise<Burst> {
  const tag = `b${++burstNo}`;
  const messages: Sent[] = [];
  const group = async (i: number, owner: string) => {
    const name = `${tag} room ${i}`;
    const c = h.emu.org.addChat({
      name,
      owner,
      members: [owner, 'alice'],
      createdByApi: true,
      botInChat: true,
    });
    await h.app.store.registry.upsert({
      chatId: c.chatId,
      openConversationId: c.openConversationId,
      name,
      createdFor: owner,
      createdByBot: true,
    });
    return c;
  };
  for (let i = 0; i < o.renames; i++) {
    const owner = i % 2 === 0 ? 'lead1' : 'lead2';
    const c = await group(i, owner);
    const newName = `${tag} renamed ${i}`;
    messages.push({
      payload: h.emu.buildMessage(owner, `/chat rename here "${newName}"`, { chat: c.chatId }),
      kind: 'rename',
      user: owner,
      chatId: c.chatId,
      oldName: c.name,
      newName,
    });
  }
  for (let i = 0; i < o.infos; i++) {
    const c = await group(o.renames + i, 'lead1');
    messages.push({
      payload: h.emu.buildMessage('lead1', '/chat info', { chat: c.chatId }),
      kind: 'info',
      user: 'lead1',
      chatId: c.chatId,
      oldName: c.name,
    });
  }
  for (const u of DM_USERS)
    messages.push({ payload: h.emu.buildMessage(u, '/whoami'), kind: 'whoami', user: u });
  // Interleave kinds so that faults injected mid-burst hit every kind.
  messages.sort((a, b) => a.payload.msgId.localeCompare(b.payload.msgId));
  return { replyMark: h.emu.replies.length, requestMark: h.emu.requests.length, messages };
}

/** Delivers messages [from, to) of the burst. */
export function deliver(h: Harness, b: Burst, from = 0, to = b.messages.length): void {
  for (const m of b.messages.slice(from, to)) h.emu.deliver(m.payload);
}

function repliesTo(h: Harness, b: Burst, m: Sent): SentReply[] {
  return h.emu.replies.slice(b.replyMark).filter((r) => {
    if (r.via === 'webhook') return r.msgId === m.payload.msgId;
    if (r.via === 'group')
      return m.payload.conversationType === '2' && r.conversationId === m.payload.conversationId;
    return m.payload.conversationType === '1' && (r.userIds ?? []).includes(m.user);
  });
}

/** Waits until every message has a reply and the bot has nothing left to do. */
export async function settle(h: Harness, b: Burst, timeoutMs = 20_000): Promise<void> {
  try {
    await h.emu.waitFor(() => b.messages.every((m) => repliesTo(h, b, m).length > 0), timeoutMs);
  } catch {
    const missing = b.messages.filter((m) => repliesTo(h, b, m).length === 0);
    throw new Error(
      `no reply to ${missing.length}/${b.messages.length} messages: ${missing.map((m) => `${m.kind}:${m.user}`).join(', ')}`,
    );
  }
  await h.app.pipeline.idle();
}

function carriedOut(r: RecordedRequest): boolean {
  if (r.status !== 200) return false;
  const body = r.response as { errcode?: number; success?: boolean } | undefined;
  return body?.errcode === 0 || body?.success === true;
}

/** The four invariants. Returns the rename outcomes for case-specific checks. */
export async function checkInvariants(h: Harness, b: Burst): Promise<{ renamed: number; refused: number }> {
  const problems: string[] = [];
  let renamed = 0;
  let refused = 0;
  for (const m of b.messages) {
    const replies = repliesTo(h, b, m);
    if (replies.length !== 1) problems.push(`${m.kind} from ${m.user}: ${replies.length} replies`);
    const text = replies[0]?.text ?? '';
    if (m.kind === 'whoami' && !text.includes(m.user)) problems.push(`whoami ${m.user}: ${text}`);
    // A read may be refused when DingTalk keeps throttling past every retry: an answer too.
    if (m.kind === 'info' && !text.includes(m.oldName ?? '?') && !text.includes('DingTalk refused'))
      problems.push(`info ${m.chatId}: ${text}`);
    if (m.kind !== 'rename' || !m.chatId) continue;
    const writes = h.emu.requests
      .slice(b.requestMark)
      .filter(
        (r) =>
          RENAME_ENDPOINTS.has(r.endpoint) &&
          (r.body as { chatid?: string } | undefined)?.chatid === m.chatId,
      );
    const done = writes.filter(carriedOut).length;
    const name = h.emu.org.chat(m.chatId)?.name;
    const claimsDone = text.includes('Renamed') && text.includes(m.newName ?? '?');
    if (done > 1) problems.push(`rename ${m.chatId}: carried out ${done} times`);
    if (claimsDone) {
      renamed++;
      if (name !== m.newName) problems.push(`rename ${m.chatId}: reply says renamed, org has "${name}"`);
      if (done !== 1) problems.push(`rename ${m.chatId}: reply says renamed, ${done} writes carried out`);
    } else {
      refused++;
      if (name !== m.oldName) problems.push(`rename ${m.chatId}: reply "${text}" but org has "${name}"`);
      if (done !== 0) problems.push(`rename ${m.chatId}: reply "${text}" but ${done} writes carried out`);
    }
  }
  expect(problems).toEqual([]);
  expect(h.app.pipeline.stats.errors).toBe(0);
  // Still up and answering.
  expect(await h.say('mallory', '/whoami')).toContain('mallory');
  return { renamed, refused };
}
