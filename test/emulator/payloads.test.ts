import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, groupContent } from '../../src/emulator/index.ts';
import { startEmu } from './helpers.ts';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmu();
});
afterEach(async () => {
  await emu.stop();
});

describe('robot payloads', () => {
  it('1:1: conversationType "1", no group fields, text as typed', () => {
    const p = emu.buildMessage('admin', '/whoami');
    expect(p).toMatchObject({
      conversationType: '1',
      conversationId: emu.dmConversationId('admin'),
      text: { content: '/whoami' },
      msgtype: 'text',
      senderStaffId: 'admin',
      senderNick: 'Ada Admin',
      senderCorpId: emu.corpId,
      chatbotCorpId: emu.corpId,
      chatbotUserId: emu.botDingtalkId,
      isAdmin: true,
      robotCode: emu.clientId,
    });
    expect(p.senderId).toMatch(/^\$:LWCP_v1:\$/);
    expect(p.msgId).toMatch(/^msg[A-Za-z0-9+/]+==$/);
    expect(p.sessionWebhookExpiredTime - p.createAt).toBe(5_400_000);
    expect(p).not.toHaveProperty('atUsers');
    expect(p).not.toHaveProperty('isInAtList');
    expect(p).not.toHaveProperty('conversationTitle');
    expect(emu.buildMessage('admin', 'x').conversationId).toBe(p.conversationId);
    expect(emu.buildMessage('bob', 'x').conversationId).not.toBe(p.conversationId);
    expect(emu.buildMessage('admin', 'x').msgId).not.toBe(p.msgId);
  });

  it('group: bot mention stripped leaving a leading space, picked mentions rendered as nicks', () => {
    const chat = emu.org.addChat({ name: 'Team', owner: 'alice', members: ['bob', 'carol'] });
    const p = emu.buildMessage('alice', '/chat add @bob', { chat: chat.chatId, mentions: ['bob', 'carol'] });
    expect(p).toMatchObject({
      conversationType: '2',
      conversationId: chat.openConversationId,
      conversationTitle: 'Team',
      isInAtList: true,
      text: { content: ' /chat add @Bob Li @Carol Zhang' },
    });
    const bob = emu.org.user('bob');
    expect(p.atUsers).toEqual([
      { dingtalkId: emu.botDingtalkId },
      { dingtalkId: bob?.dingtalkId, staffId: 'bob' },
      { dingtalkId: emu.org.user('carol')?.dingtalkId, staffId: 'carol' },
    ]);
    expect(p.senderStaffId).toBe('alice');
  });

  it('stripOtherMentions removes the picked @Nick too', async () => {
    const e2 = await startEmu({ stripOtherMentions: true });
    try {
      const chat = e2.org.addChat({ name: 'T', owner: 'alice', members: ['bob'] });
      const p = e2.buildMessage('alice', '/chat add @bob now', { chat: chat.chatId, mentions: ['bob'] });
      expect(p.text?.content).toBe(' /chat add  now');
    } finally {
      await e2.stop();
    }
  });

  it('refuses impossible messages', () => {
    const chat = emu.org.addChat({ name: 'T', owner: 'alice', members: ['bob'], botInChat: false });
    expect(() => emu.buildMessage('alice', 'x', { chat: chat.chatId })).toThrow(/bot is not in chat/);
    chat.botInChat = true;
    expect(() => emu.buildMessage('dave', 'x', { chat: chat.chatId })).toThrow(/not a member/);
    expect(() => emu.buildMessage('alice', 'x', { chat: chat.chatId, mentions: ['dave'] })).toThrow(
      /not a member/,
    );
    expect(() => emu.buildMessage('ghost', 'x')).toThrow(/unknown user/);
    expect(() => emu.buildMessage('alice', 'x', { mentions: ['bob'] })).toThrow(/group/);
  });

  it('groupContent: always a leading space, text without mentions unchanged', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(groupContent(text, [], false)).toBe(` ${text}`);
        expect(groupContent(text, [], true)).toBe(` ${text}`);
      }),
    );
  });
});
