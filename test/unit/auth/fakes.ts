import type {
  AuditRecord,
  AuditStore,
  AuditVerdict,
  ConfirmationStore,
  PendingConfirmation,
} from '../../../src/store/types.ts';

/** An in-memory ConfirmationStore with the interface's semantics (take removes atomically). */
export class MemoryConfirmationStore implements ConfirmationStore {
  readonly rows = new Map<string, PendingConfirmation>();
  async create(p: PendingConfirmation): Promise<void> {
    if (this.rows.has(p.code)) throw new Error(`duplicate code ${p.code}`);
    this.rows.set(p.code, { ...p });
  }
  async get(code: string): Promise<PendingConfirmation | undefined> {
    const p = this.rows.get(code);
    return p && { ...p };
  }
  async take(code: string): Promise<PendingConfirmation | undefined> {
    const p = this.rows.get(code);
    this.rows.delete(code);
    return p;
  }
  async latestFor(userId: string): Promise<PendingConfirmation | undefined> {
    let best: PendingConfirmation | undefined;
    for (const p of this.rows.values()) {
      if (p.userId === userId && (best === undefined || p.createdAt >= best.createdAt)) best = p;
    }
    return best && { ...best };
  }
  async delete(code: string): Promise<void> {
    this.rows.delete(code);
  }
  async prune(now: number = Date.now()): Promise<number> {
    let n = 0;
    for (const [k, p] of this.rows) {
      if (p.expiresAt <= now) {
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
