import type { Plan } from '../../../src/bot/plan.ts';
import type {
  AuditRecord,
  AuditStore,
  AuditVerdict,
  PendingAction,
  PendingStore,
  PendingTake,
} from '../../../src/store/types.ts';

/** An in-memory PendingStore with the interface's semantics (take removes atomically). */
export class MemoryConfirmationStore implements PendingStore {
  readonly rows = new Map<string, PendingAction>();
  async put(p: PendingAction): Promise<void> {
    if (this.rows.has(p.code)) throw new Error(`duplicate code ${p.code}`);
    if (p.kind === 'pick')
      for (const [k, r] of this.rows)
        if (r.kind === 'pick' && r.userId === p.userId && r.conversationId === p.conversationId)
          this.rows.delete(k);
    this.rows.set(p.code, { ...p });
  }
  async get(code: string): Promise<PendingAction | undefined> {
    const p = this.rows.get(code);
    return p && { ...p };
  }
  async take(code: string, now: number): Promise<PendingTake | undefined> {
    const p = this.rows.get(code);
    this.rows.delete(code);
    return p && { state: p.expiresAt > now ? 'taken' : 'expired', action: p };
  }
  async list(userId: string, filter?: { conversationId?: string; kind?: 'confirm' | 'pick' }) {
    return [...this.rows.values()]
      .filter((p) => p.userId === userId && (filter?.kind === undefined || p.kind === filter.kind))
      .filter((p) => filter?.conversationId === undefined || p.conversationId === filter.conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
  async prune(before: number): Promise<number> {
    let n = 0;
    for (const [k, p] of this.rows) {
      if (p.expiresAt < before) {
        this.rows.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** An in-memory AuditStore (no real hash chain). */
export class MemoryAuditStore implements AuditStore {
  readonly rows: AuditRecord[] = [];
  fail = false;
  async append(rec: Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>): Promise<AuditRecord> {
    if (this.fail) throw new Error('disk full');
    const full: AuditRecord = { ...rec, seq: this.rows.length + 1, prevHash: '', hash: '' };
    this.rows.push(full);
    return full;
  }
  async latest(n: number, filter?: { chatId?: string; userId?: string }): Promise<AuditRecord[]> {
    return this.rows
      .filter((r) => filter?.chatId === undefined || r.chatId === filter.chatId)
      .filter((r) => filter?.userId === undefined || r.userId === filter.userId)
      .slice(-n)
      .reverse();
  }
  async get(seq: number): Promise<AuditRecord | undefined> {
    return this.rows.find((r) => r.seq === seq);
  }
  async verify(): Promise<AuditVerdict> {
    return { ok: true, count: this.rows.length };
  }
}

/** A plan as the pipeline stores it, for the pending-action tests. */
export function plan(userId = 'lead1', conversationId = 'cidA', command = 'chat remove'): Plan {
  return {
    v: 1,
    command,
    caller: { userId, nick: userId },
    locale: 'en',
    message: {
      msgId: 'm1',
      frameMessageId: 'f1',
      robotCode: 'r',
      msgtype: 'text',
      text: `/${command} chat1 u1`,
      senderUserId: userId,
      senderNick: userId,
      senderIsOrgAdmin: false,
      conversationType: 'direct',
      conversationId,
      conversationTitle: undefined,
      mentions: [],
      createdAt: 1,
    },
    chat: { chatId: 'chat1', openConversationId: undefined, record: undefined, label: '#Design' },
    args: { users: ['u1', 'u2'] },
    shown: { users: ['u1', 'u2'] },
    usedOptions: [],
    notes: [],
    people: [],
  };
}
