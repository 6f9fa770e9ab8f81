/**
 * The runtime issue's conversation checks, through the emulator and the real Stream path:
 * what a user sees for help, whoami, typos, broken quoting, a group mention, a reply after the
 * sessionWebhook expired, and a Chinese alias.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RobotPayload, SentReply } from '../../../src/emulator/index.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';

/** Delivers a payload and waits for the replies it caused (webhook by msgId, OpenAPI by target). */
async function deliverAndWait(h: Harness, p: RobotPayload, via: SentReply['via']): Promise<SentReply> {
  h.emu.deliver(p);
  return h.emu.waitFor(() =>
    h.emu.replies.find((r) =>
      via === 'webhook'
        ? r.msgId === p.msgId
        : via === 'group'
          ? r.via === 'group' && r.conversationId === p.conversationId
          : r.via === 'oto' && (r.userIds ?? []).includes(p.senderStaffId),
    ),
  );
}

describe('runtime: what a user sees', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/help lists what the caller may run, in English', async () => {
    const text = await h.say('lead1', '/help');
    expect(text).toContain('/whoami');
    expect(text).toContain('/chat create');
    expect(text).not.toContain('/audit');
  });

  it('/whoami names the caller, the role and the conversation', async () => {
    const text = await h.say('alice', '/whoami');
    expect(text).toContain('alice');
    expect(text).toContain(h.emu.dmConversationId('alice'));
    expect(text).not.toContain('lead');
  });

  it('an unknown command gets a did-you-mean hint, not silence', async () => {
    const text = await h.say('lead1', '/chta info');
    expect(text).toContain('Unknown command');
    expect(text).toContain('/chat info');
  });

  it('an unterminated quote is explained, and the bot keeps answering', async () => {
    const text = await h.say('lead1', '/chat rename here "Design Review');
    expect(text).toMatch(/quote .* not closed/i);
    expect(await h.say('lead1', '/whoami')).toContain('lead1');
  });

  it('answers a group message that @-mentions it, and `here` works after /chat link', async () => {
    const c = h.emu.org.addChat({
      name: 'Team Room',
      owner: 'lead1',
      members: ['lead1', 'alice'],
      botInChat: true,
    });
    const linked = await h.say('lead1', `/chat link ${c.chatId}`, { chat: c.chatId });
    expect(linked).toContain(`Linked **Team Room**`);
    expect(linked).toContain('`here` now means this chat');
    expect((await h.app.store.registry.byOpenConversationId(c.openConversationId))?.chatId).toBe(c.chatId);

    const replies = await h.sayAll('lead1', '/chat info', { chat: c.chatId });
    expect(replies).toHaveLength(1);
    expect(replies[0]?.conversationId).toBe(c.openConversationId);
    // In a group the reply @-mentions the sender.
    expect(replies[0]?.atUserIds).toEqual(['lead1']);
    expect(replies[0]?.text).toContain('members (2): Lee Lead (lead1), Alice (alice)');
  });

  it('replies through robot.batchSend when a 1:1 sessionWebhook has expired', async () => {
    const p = h.emu.buildMessage('lead1', '/whoami');
    h.emu.faults.expireSessions();
    const reply = await deliverAndWait(h, p, 'oto');
    expect(reply.text).toContain('lead1');
    expect(reply.userIds).toEqual(['lead1']);
    // The webhook was tried (and refused with 300001) before the OpenAPI send.
    const tried = h.emu.requests.filter((r) => r.endpoint === 'robot.sendBySession').at(-1);
    expect(tried?.response).toMatchObject({ errcode: 300001 });
    expect(h.emu.replies.filter((r) => r.msgId === p.msgId)).toEqual([]);
  });

  it('replies through robot.groupSend when a group sessionWebhook has expired', async () => {
    const c = h.emu.org.addChat({ name: 'Late Room', owner: 'lead1', members: ['lead1'], botInChat: true });
    const p = h.emu.buildMessage('lead1', '/whoami', { chat: c.chatId });
    h.emu.faults.expireSessions();
    const reply = await deliverAndWait(h, p, 'group');
    expect(reply.conversationId).toBe(c.openConversationId);
    expect(reply.text).toContain('lead1');
  });

  it('a Chinese alias answers in Chinese', async () => {
    const text = await h.say('lead1', '/我是谁');
    expect(text).toContain('你是谁');
    expect(text).toContain('角色');
    expect(text).not.toContain('Who you are');
    const help = await h.say('alice', '/帮助');
    expect(help).toContain('你可以使用的命令');
  });
});

describe('runtime: replies after the webhook expired, by the emulator option webhookTtlMs', () => {
  let h: Harness;
  beforeAll(async () => {
    // Shorter than the replier's safety margin: the bot must not even try the webhook.
    h = await startHarness({ emulator: { webhookTtlMs: 1_000 } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('goes straight to the OpenAPI send and still answers exactly once', async () => {
    const replies = await h.sayAll('alice', '/whoami');
    expect(replies).toHaveLength(1);
    expect(replies[0]?.via).toBe('oto');
    expect(h.emu.requests.filter((r) => r.endpoint === 'robot.sendBySession')).toEqual([]);
  });
});
