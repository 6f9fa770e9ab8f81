/** Small in-memory stand-ins for the bot's unit tests. */
import { z } from 'zod';
import type { CommandSpec, IncomingMessage } from '../../../src/bot/types.ts';
import type { ChatRecord, RegistryStore } from '../../../src/store/types.ts';

/** A RegistryStore over an array; enough for resolution tests. */
export class FakeRegistry implements RegistryStore {
  readonly rows: ChatRecord[] = [];

  constructor(seed: Partial<ChatRecord>[] = []) {
    for (const r of seed)
      this.put({
        chatId: 'chat0',
        name: 'x',
        createdFor: 'lead1',
        createdByBot: true,
        openConversationId: undefined,
        ...r,
      });
  }

  async upsert(
    rec: Omit<ChatRecord, 'createdAt' | 'updatedAt'> & { createdAt?: number },
  ): Promise<ChatRecord> {
    return this.put(rec);
  }
  private put(rec: Omit<ChatRecord, 'createdAt' | 'updatedAt'> & { createdAt?: number }): ChatRecord {
    const row: ChatRecord = { ...rec, createdAt: rec.createdAt ?? 1, updatedAt: 1 };
    const i = this.rows.findIndex((r) => r.chatId === rec.chatId);
    if (i >= 0) this.rows[i] = row;
    else this.rows.push(row);
    return row;
  }
  async get(chatId: string): Promise<ChatRecord | undefined> {
    return this.find(chatId);
  }
  private find(chatId: string): ChatRecord | undefined {
    return this.rows.find((r) => r.chatId === chatId);
  }
  async byOpenConversationId(cid: string): Promise<ChatRecord | undefined> {
    return this.rows.find((r) => r.openConversationId === cid);
  }
  async byName(name: string): Promise<ChatRecord[]> {
    return this.rows.filter((r) => r.name.toLowerCase() === name.toLowerCase());
  }
  async list(): Promise<ChatRecord[]> {
    return [...this.rows].reverse();
  }
  async listFor(userId: string): Promise<ChatRecord[]> {
    return this.rows.filter((r) => r.createdFor === userId);
  }
  async setOpenConversationId(chatId: string, cid: string): Promise<void> {
    const r = this.find(chatId);
    if (r) r.openConversationId = cid;
  }
  async rename(chatId: string, name: string): Promise<void> {
    const r = this.find(chatId);
    if (r) r.name = name;
  }
}

export const GROUP_CID = 'cidGroupHere0001==';
export const OTHER_CID = 'cidOtherGroup002==';
export const DESIGN_ID = 'chatfaabe59a460527f5fb72fbbdfe3f061e';
export const DESIGN2_ID = 'chat0000e59a460527f5fb72fbbdfe3f0001';
export const HERE_ID = 'chat1111e59a460527f5fb72fbbdfe3f1111';

/** Registry with: the group the test messages come from, two chats named Design, one with spaces. */
export function seededRegistry(): FakeRegistry {
  return new FakeRegistry([
    { chatId: HERE_ID, name: 'Team Here', openConversationId: GROUP_CID },
    { chatId: DESIGN_ID, name: 'Design', openConversationId: OTHER_CID },
    { chatId: DESIGN2_ID, name: 'design' },
    { chatId: 'chat2222e59a460527f5fb72fbbdfe3f2222', name: 'Design Review' },
  ]);
}

export function message(over: Partial<IncomingMessage> = {}): IncomingMessage {
  return {
    msgId: 'msg1==',
    frameMessageId: 'frame1',
    robotCode: 'dingrobot',
    msgtype: 'text',
    text: '',
    senderUserId: 'lead1',
    senderNick: 'Lee Lead',
    senderIsOrgAdmin: false,
    conversationType: 'group',
    conversationId: GROUP_CID,
    conversationTitle: 'Team Here',
    mentions: [],
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=abc',
    sessionWebhookExpiresAt: 2_000_000_000_000,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

const handler = async () => ({ text: 'ok' });

/** A spec with valid defaults, for registry and bind tests. */
export function spec(over: Partial<CommandSpec<unknown>> & { name: string }): CommandSpec<unknown> {
  const base = over.name.replace(/ /g, '.');
  return {
    summary: `${base}.summary`,
    usage: `${base}.usage`,
    params: [],
    args: z.unknown(),
    role: 'everyone',
    changes: false,
    messages: {
      en: { [`${base}.summary`]: `${over.name} summary`, [`${base}.usage`]: `/${over.name}` },
      'zh-CN': { [`${base}.summary`]: `${over.name} 摘要`, [`${base}.usage`]: `/${over.name}` },
    },
    handler,
    ...over,
  };
}
