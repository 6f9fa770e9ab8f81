/**
 * The store contract (src/store/types.ts) as one suite, run against every implementation:
 * `storeContract(name, open, close)` registers it; each test gets a fresh, empty store from
 * `open` and hands it to `close` afterwards. Behaviour that only one implementation has (files,
 * tuning, raw tampering) is tested beside that implementation, not here.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  auditHash,
  type ClaimOwner,
  GENESIS_HASH,
  type JournalRun,
  type PendingAction,
  type Store,
} from '../../src/store/index.ts';

const HOUR = 60 * 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function chat(
  chatId: string,
  name: string,
  createdFor: string,
  createdAt: number,
  openConversationId: string | undefined = undefined,
) {
  return { chatId, name, createdFor, createdAt, openConversationId, createdByBot: true };
}

function action(
  code: string,
  userId: string,
  createdAt: number,
  ttl = 120_000,
  over: Partial<PendingAction> = {},
): PendingAction {
  return {
    code,
    kind: 'confirm',
    userId,
    conversationId: 'cidX',
    command: 'chat remove',
    plan: JSON.stringify({ chat: 'chat1', users: ['u9'] }),
    preview: 'remove u9 from Ops',
    createdAt,
    expiresAt: createdAt + ttl,
    ...over,
  };
}

const pick = (code: string, userId: string, createdAt: number, conversationId = 'cidX', ttl = 120_000) =>
  action(code, userId, createdAt, ttl, { kind: 'pick', conversationId, command: 'chat add', preview: '' });

function entry(i: number): Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'> {
  return {
    at: 1_700_000_000_000 + i * 1000,
    userId: i % 3 === 0 ? 'admin1' : 'lead1',
    command: i % 2 === 0 ? 'chat add' : 'chat rename',
    chatId: i % 5 === 0 ? undefined : `chat${i % 4}`,
    args: JSON.stringify({ i, users: ['u1', 'u2'] }),
    outcome: i % 7 === 0 ? 'refused' : 'allowed',
    reason: i % 7 === 0 ? 'not owner' : undefined,
    errcode: i % 11 === 0 ? '40035' : undefined,
    durationMs: i * 3 + 0.5,
  };
}

const run = (
  key: string,
  replicaId = 'r1',
  startedAt = 1000,
): Omit<JournalRun, 'finishedAt' | 'reportedAt'> => ({
  key,
  userId: 'lead1',
  conversationId: 'cidX',
  command: 'chat add',
  chatId: 'chat1',
  plan: JSON.stringify({ add: ['u1', 'u2'] }),
  replicaId,
  startedAt,
});

const write = (runKey: string, startedAt = 1100, chatId: string | undefined = 'chat1') => ({
  runKey,
  endpoint: 'chat/update',
  chatId,
  request: JSON.stringify({ chatid: chatId, add_useridlist: ['u1'] }),
  startedAt,
});

const owner = (replicaId: string, text = 'hello'): ClaimOwner => ({
  replicaId,
  message: JSON.stringify({ msgId: `m-${replicaId}`, text }),
});

/** Registers the contract suite for one implementation. */
export function storeContract(
  name: string,
  open: () => Promise<Store>,
  close: (s: Store) => Promise<void>,
): void {
  describe(`store contract: ${name}`, () => {
    let s: Store;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(async () => {
      await close(s);
    });

    async function seed(): Promise<void> {
      await s.registry.upsert(chat('chatA', 'Team Alpha', 'lead1', 1000, 'cidA'));
      await s.registry.upsert(chat('chatB', 'team alpha', 'lead2', 2000));
      await s.registry.upsert(chat('chatC', 'Beta', 'lead1', 3000, 'cidC'));
    }

    describe('store', () => {
      it('names its kind, answers ping, and has a rate budget only when shared', async () => {
        expect(['sqlite', 'postgres']).toContain(s.kind);
        await expect(s.ping()).resolves.toBeUndefined();
        if (s.kind === 'sqlite') expect(s.rateBudget).toBeUndefined();
        else expect(typeof s.rateBudget?.reserve).toBe('function');
      });
    });

    describe('registry', () => {
      it('upsert inserts with timestamps and returns the stored record', async () => {
        const before = Date.now();
        const rec = await s.registry.upsert({
          chatId: 'chat1',
          openConversationId: undefined,
          name: 'Ops',
          createdFor: 'lead1',
          createdByBot: false,
        });
        expect(rec).toMatchObject({ chatId: 'chat1', openConversationId: undefined, createdByBot: false });
        expect(rec.createdAt).toBeGreaterThanOrEqual(before);
        expect(rec.updatedAt).toBe(rec.createdAt);
        expect(await s.registry.get('chat1')).toEqual(rec);
        expect(await s.registry.get('nope')).toBeUndefined();
      });

      it('upsert updates in place, keeps createdAt, and keeps a known cid when given none', async () => {
        await seed();
        const updated = await s.registry.upsert({
          chatId: 'chatA',
          openConversationId: undefined,
          name: 'Alpha 2',
          createdFor: 'lead3',
          createdByBot: false,
        });
        expect(updated).toMatchObject({
          chatId: 'chatA',
          openConversationId: 'cidA',
          name: 'Alpha 2',
          createdFor: 'lead3',
          createdByBot: false,
          createdAt: 1000,
        });
        expect(updated.updatedAt).toBeGreaterThan(1000);
        expect(await s.registry.list()).toHaveLength(3);
      });

      it('byName is case-insensitive, exact, and returns every match newest first', async () => {
        await seed();
        expect((await s.registry.byName('TEAM ALPHA')).map((c) => c.chatId)).toEqual(['chatB', 'chatA']);
        expect((await s.registry.byName('beta')).map((c) => c.chatId)).toEqual(['chatC']);
        expect(await s.registry.byName('Team')).toEqual([]);
      });

      it('finds by openConversationId and sets it later', async () => {
        await seed();
        expect((await s.registry.byOpenConversationId('cidC'))?.chatId).toBe('chatC');
        expect(await s.registry.byOpenConversationId('cidB')).toBeUndefined();
        await s.registry.setOpenConversationId('chatB', 'cidB');
        expect((await s.registry.byOpenConversationId('cidB'))?.chatId).toBe('chatB');
        expect((await s.registry.get('chatB'))?.openConversationId).toBe('cidB');
      });

      it('rejects one openConversationId on two chats, and keeps both records as they were', async () => {
        await seed();
        await expect(s.registry.setOpenConversationId('chatB', 'cidA')).rejects.toThrow();
        await expect(s.registry.upsert(chat('chatD', 'D', 'lead1', 4000, 'cidC'))).rejects.toThrow();
        expect((await s.registry.get('chatB'))?.openConversationId).toBeUndefined();
        expect(await s.registry.get('chatD')).toBeUndefined();
      });

      it('list is newest first and listFor filters by createdFor', async () => {
        await seed();
        expect((await s.registry.list()).map((c) => c.chatId)).toEqual(['chatC', 'chatB', 'chatA']);
        expect((await s.registry.listFor('lead1')).map((c) => c.chatId)).toEqual(['chatC', 'chatA']);
        expect(await s.registry.listFor('nobody')).toEqual([]);
      });

      it('rename changes what byName finds', async () => {
        await seed();
        await s.registry.rename('chatC', 'Gamma');
        expect(await s.registry.byName('beta')).toEqual([]);
        expect((await s.registry.byName('gamma')).map((c) => c.chatId)).toEqual(['chatC']);
      });
    });

    describe('dedupe', () => {
      it('claim twice → running with claimedAt; finish → done with the reply; markDelivered', async () => {
        expect(await s.dedupe.claim('m1', 1000)).toEqual({ state: 'claimed' });
        expect(await s.dedupe.claim('m1', 2000)).toMatchObject({ state: 'running', claimedAt: 1000 });
        await s.dedupe.finish('m1', '{"text":"ok"}', 3000);
        expect(await s.dedupe.claim('m1', 4000)).toEqual({
          state: 'done',
          reply: '{"text":"ok"}',
          delivered: false,
        });
        await s.dedupe.markDelivered('m1');
        expect(await s.dedupe.claim('m1', 5000)).toEqual({
          state: 'done',
          reply: '{"text":"ok"}',
          delivered: true,
        });
        expect(await s.dedupe.claim('m2', 5000)).toEqual({ state: 'claimed' });
      });

      it('a running claim names the replica that holds it', async () => {
        expect(await s.dedupe.claim('m1', 1000, owner('r1'))).toEqual({ state: 'claimed' });
        expect(await s.dedupe.claim('m1', 2000, owner('r2'))).toMatchObject({
          state: 'running',
          claimedAt: 1000,
          replicaId: 'r1',
        });
      });

      it('release drops a running claim so a redelivery can retry, but never a finished one', async () => {
        await s.dedupe.claim('m1', 1000);
        await s.dedupe.release('m1');
        expect(await s.dedupe.claim('m1', 2000)).toEqual({ state: 'claimed' });
        await s.dedupe.finish('m1', 'r');
        await s.dedupe.release('m1');
        expect(await s.dedupe.claim('m1', 3000)).toMatchObject({ state: 'done', reply: 'r' });
      });

      it('an old running claim is not stolen by a later claim', async () => {
        await s.dedupe.claim('m1', 0);
        expect(await s.dedupe.claim('m1', 48 * HOUR)).toMatchObject({ state: 'running', claimedAt: 0 });
      });

      it('prune deletes rows older than the window (default 24 h) and counts them', async () => {
        const t0 = 1_000_000_000;
        await s.dedupe.claim('old-running', t0);
        await s.dedupe.claim('old-done', t0);
        await s.dedupe.finish('old-done', 'r', t0 + 1000);
        await s.dedupe.claim('recent', t0 + 20 * HOUR);
        expect(await s.dedupe.prune(t0 + 25 * HOUR)).toBe(2);
        expect(await s.dedupe.claim('old-running', t0 + 25 * HOUR)).toEqual({ state: 'claimed' });
        expect(await s.dedupe.claim('recent', t0 + 25 * HOUR)).toMatchObject({ state: 'running' });
        expect(await s.dedupe.prune(t0 + 25 * HOUR, HOUR)).toBe(1);
        expect(await s.dedupe.claim('recent', t0 + 25 * HOUR)).toEqual({ state: 'claimed' });
      });

      it('of many concurrent claims on one key exactly one wins', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => s.dedupe.claim('race', 1000 + i, owner(`r${i}`))),
        );
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.state === 'running')).toHaveLength(19);
      });

      it('a copy resends a finished reply only when nobody is sending it: after unsend, or past the lease', async () => {
        await s.dedupe.claim('rs', 1_000);
        await s.dedupe.finish('rs', '{"r":1}', 2_000);
        // The finisher is sending it (from 2_000): a copy within the lease leaves it alone.
        expect(await s.dedupe.takeResend('rs', 3_000, 10_000)).toBe(false);
        // Past the lease the finisher is taken to be gone: exactly one copy takes it.
        const takes = await Promise.all(
          Array.from({ length: 8 }, () => s.dedupe.takeResend('rs', 12_001, 10_000)),
        );
        expect(takes.filter(Boolean)).toHaveLength(1);
        // Its send failed: the next copy may send at once.
        await s.dedupe.unsend('rs');
        expect(await s.dedupe.takeResend('rs', 12_002, 10_000)).toBe(true);
        await s.dedupe.markDelivered('rs');
        await s.dedupe.unsend('rs');
        expect(await s.dedupe.takeResend('rs', 99_000, 10_000)).toBe(false);
        // Never a running or unknown claim.
        await s.dedupe.claim('running', 1_000);
        expect(await s.dedupe.takeResend('running', 99_000, 10_000)).toBe(false);
        expect(await s.dedupe.takeResend('unknown', 99_000, 10_000)).toBe(false);
      });
    });

    describe('orphaned claims and adopt', () => {
      it('lists running claims of replicas without a heartbeat, oldest first, never its own', async () => {
        await s.dedupe.claim('k-new', 3000, owner('ghost', 'second'));
        await s.dedupe.claim('k-old', 1000, owner('ghost', 'first'));
        await s.dedupe.claim('k-mine', 500, owner('self'));
        await s.dedupe.claim('k-plain', 400);
        await s.dedupe.claim('k-done', 300, owner('ghost'));
        await s.dedupe.finish('k-done', 'r', 350);
        const found = await s.dedupe.orphaned('self', 60_000);
        expect(found).toEqual([
          { key: 'k-old', replicaId: 'ghost', claimedAt: 1000, message: owner('ghost', 'first').message },
          { key: 'k-new', replicaId: 'ghost', claimedAt: 3000, message: owner('ghost', 'second').message },
        ]);
        expect((await s.dedupe.orphaned('self', 60_000, 1)).map((o) => o.key)).toEqual(['k-old']);
        // From another replica's view, `self` has no heartbeat either.
        expect((await s.dedupe.orphaned('other', 60_000)).map((o) => o.key)).toEqual([
          'k-mine',
          'k-old',
          'k-new',
        ]);
      });

      it('a replica that beats recently is alive; once its beat is older than deadAfterMs its claims are orphans', async () => {
        await s.replicas.beat('r1');
        await s.dedupe.claim('k1', 1000, owner('r1'));
        expect(await s.dedupe.orphaned('self', 60_000)).toEqual([]);
        await sleep(30);
        expect((await s.dedupe.orphaned('self', 5)).map((o) => o.key)).toEqual(['k1']);
        await s.replicas.forget('r1');
        expect((await s.dedupe.orphaned('self', 60_000)).map((o) => o.key)).toEqual(['k1']);
      });

      it('adopt is a compare-and-set: one survivor moves the claim, the next one fails', async () => {
        await s.dedupe.claim('k1', 1000, owner('ghost'));
        expect(await s.dedupe.adopt('k1', 'ghost', 'self')).toBe(true);
        expect(await s.dedupe.adopt('k1', 'ghost', 'other')).toBe(false);
        expect(await s.dedupe.claim('k1', 2000)).toMatchObject({ state: 'running', replicaId: 'self' });
        expect(await s.dedupe.orphaned('self', 60_000)).toEqual([]);
        expect((await s.dedupe.orphaned('other', 60_000)).map((o) => [o.key, o.replicaId])).toEqual([
          ['k1', 'self'],
        ]);
      });

      it('of concurrent adopts of one orphan exactly one succeeds', async () => {
        await s.dedupe.claim('k1', 1000, owner('ghost'));
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => s.dedupe.adopt('k1', 'ghost', `survivor${i}`)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        const winner = `survivor${wins.indexOf(true)}`;
        expect(await s.dedupe.claim('k1', 2000)).toMatchObject({ state: 'running', replicaId: winner });
      });

      it('adopt fails on a finished, released or unknown claim, and when `from` is not the holder', async () => {
        await s.dedupe.claim('done', 1000, owner('ghost'));
        await s.dedupe.finish('done', 'r', 1500);
        await s.dedupe.claim('gone', 1000, owner('ghost'));
        await s.dedupe.release('gone');
        await s.dedupe.claim('held', 1000, owner('ghost'));
        expect(await s.dedupe.adopt('done', 'ghost', 'self')).toBe(false);
        expect(await s.dedupe.adopt('gone', 'ghost', 'self')).toBe(false);
        expect(await s.dedupe.adopt('never', 'ghost', 'self')).toBe(false);
        expect(await s.dedupe.adopt('held', 'someone-else', 'self')).toBe(false);
        expect(await s.dedupe.claim('done', 2000)).toMatchObject({ state: 'done', reply: 'r' });
        expect(await s.dedupe.claim('held', 2000)).toMatchObject({ state: 'running', replicaId: 'ghost' });
      });
    });

    describe('pending', () => {
      it('put then get reads without taking, expired ones too; take removes it exactly once', async () => {
        const p = action('K7Q2AB', 'lead1', 1000, 100);
        await s.pending.put(p);
        expect(await s.pending.get('K7Q2AB')).toEqual(p);
        expect(await s.pending.get('K7Q2AB')).toEqual(p);
        expect(await s.pending.get('NOPE')).toBeUndefined();
        expect(await s.pending.take('K7Q2AB', 1099)).toEqual({ state: 'taken', action: p });
        expect(await s.pending.take('K7Q2AB', 1099)).toBeUndefined();
        expect(await s.pending.get('K7Q2AB')).toBeUndefined();
      });

      it('take of an expired row removes it and says expired', async () => {
        const p = action('OLD111', 'lead1', 1000, 100);
        await s.pending.put(p);
        expect(await s.pending.take('OLD111', 1100)).toEqual({ state: 'expired', action: p });
        expect(await s.pending.get('OLD111')).toBeUndefined();
        expect(await s.pending.take('OLD111', 1100)).toBeUndefined();
      });

      it('concurrent takes of one code: only one gets it', async () => {
        await s.pending.put(action('RACE11', 'lead1', 1000));
        const got = await Promise.all(Array.from({ length: 10 }, () => s.pending.take('RACE11', 1500)));
        expect(got.filter((x) => x !== undefined)).toEqual([
          { state: 'taken', action: action('RACE11', 'lead1', 1000) },
        ]);
      });

      it('rejects a code clash and keeps the first', async () => {
        await s.pending.put(action('AAAAAA', 'lead1', 1000));
        await expect(s.pending.put(action('AAAAAA', 'lead2', 1000))).rejects.toThrow();
        await expect(s.pending.put(pick('AAAAAA', 'lead2', 1000))).rejects.toThrow();
        expect((await s.pending.get('AAAAAA'))?.userId).toBe('lead1');
      });

      it('a pick replaces the same user’s picks in the same conversation only', async () => {
        await s.pending.put(action('CONF01', 'lead1', 500));
        await s.pending.put(pick('p1', 'lead1', 1000));
        await s.pending.put(pick('p2', 'lead1', 1100, 'cidY'));
        await s.pending.put(pick('p3', 'lead2', 1200));
        await s.pending.put(pick('p4', 'lead1', 2000));
        expect(await s.pending.get('p1')).toBeUndefined();
        expect((await s.pending.list('lead1')).map((p) => p.code)).toEqual(['CONF01', 'p2', 'p4']);
        expect((await s.pending.list('lead2')).map((p) => p.code)).toEqual(['p3']);
      });

      it('list is oldest first, expired ones too, filtered by conversation and kind', async () => {
        await s.pending.put(action('BBBBBB', 'lead1', 2000));
        await s.pending.put(action('AAAAAA', 'lead1', 1000, 10));
        await s.pending.put(action('CCCCCC', 'lead1', 3000, 120_000, { conversationId: 'cidY' }));
        await s.pending.put(pick('p1', 'lead1', 1500));
        await s.pending.put(action('DDDDDD', 'lead2', 1000));
        expect((await s.pending.list('lead1')).map((p) => p.code)).toEqual([
          'AAAAAA',
          'p1',
          'BBBBBB',
          'CCCCCC',
        ]);
        expect((await s.pending.list('lead1', { conversationId: 'cidX' })).map((p) => p.code)).toEqual([
          'AAAAAA',
          'p1',
          'BBBBBB',
        ]);
        expect((await s.pending.list('lead1', { kind: 'pick' })).map((p) => p.code)).toEqual(['p1']);
        expect(
          (await s.pending.list('lead1', { conversationId: 'cidY', kind: 'confirm' })).map((p) => p.code),
        ).toEqual(['CCCCCC']);
        expect(await s.pending.list('lead1', { conversationId: 'cidY', kind: 'pick' })).toEqual([]);
        expect(await s.pending.list('nobody')).toEqual([]);
      });

      it('prune deletes rows that expired before the given time and counts them', async () => {
        await s.pending.put(action('AAAAAA', 'lead1', 1000, 100));
        await s.pending.put(action('BBBBBB', 'lead1', 1000, 200));
        await s.pending.put(pick('p1', 'lead1', 1000, 'cidX', 150));
        await s.pending.put(action('CCCCCC', 'lead1', 1000, 10_000));
        expect(await s.pending.prune(1200)).toBe(2);
        expect((await s.pending.list('lead1')).map((p) => p.code)).toEqual(['BBBBBB', 'CCCCCC']);
        expect(await s.pending.prune(1201)).toBe(1);
        expect(await s.pending.prune(1201)).toBe(0);
      });
    });

    describe('audit', () => {
      it('an empty log verifies', async () => {
        expect(await s.audit.verify()).toEqual({ ok: true, count: 0 });
      });

      it('append numbers and chains records; the first prevHash is 64 zeros', async () => {
        const a = await s.audit.append(entry(1));
        const b = await s.audit.append(entry(2));
        expect(a.seq).toBe(1);
        expect(a.prevHash).toBe(GENESIS_HASH);
        expect(a.prevHash).toMatch(/^0{64}$/);
        expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(a.hash).toBe(auditHash(a));
        expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
        expect(await s.audit.get(1)).toEqual(a);
        expect(await s.audit.get(2)).toEqual(b);
        expect(await s.audit.get(3)).toBeUndefined();
      });

      it('a chain of 50 appends verifies', async () => {
        for (let i = 1; i <= 50; i++) await s.audit.append(entry(i));
        expect(await s.audit.verify()).toEqual({ ok: true, count: 50 });
      });

      it('concurrent appends are serialised: one chain, no fork, no duplicate seq', async () => {
        const recs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.audit.append(entry(i + 1))));
        expect(recs.map((r) => r.seq).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        expect(await s.audit.verify()).toEqual({ ok: true, count: 20 });
      });

      it('latest is newest first and filters by chat or user', async () => {
        for (let i = 1; i <= 20; i++) await s.audit.append(entry(i));
        expect((await s.audit.latest(3)).map((r) => r.seq)).toEqual([20, 19, 18]);
        expect(await s.audit.latest(100)).toHaveLength(20);
        expect(await s.audit.latest(0)).toEqual([]);
        const forChat = await s.audit.latest(100, { chatId: 'chat1' });
        expect(forChat.length).toBeGreaterThan(0);
        expect(forChat.every((r) => r.chatId === 'chat1')).toBe(true);
        expect(forChat.map((r) => r.seq)).toEqual([...forChat.map((r) => r.seq)].sort((x, y) => y - x));
        const both = await s.audit.latest(100, { chatId: 'chat1', userId: 'admin1' });
        expect(both.map((r) => r.seq)).toEqual([9]);
        const rec = (await s.audit.latest(1, { userId: 'lead1' }))[0];
        expect(rec).toMatchObject({ seq: 20, chatId: undefined, reason: undefined, errcode: undefined });
      });
    });

    describe('journal', () => {
      it('startRun records a run once; getRun reads it; finishRun finishes it', async () => {
        expect(await s.journal.startRun(run('m1'))).toBe(true);
        expect(await s.journal.startRun({ ...run('m1', 'r2', 5000), command: 'other' })).toBe(false);
        expect(await s.journal.getRun('m1')).toEqual({
          ...run('m1'),
          finishedAt: undefined,
          reportedAt: undefined,
        });
        expect(await s.journal.getRun('none')).toBeUndefined();
        await s.journal.startRun({ ...run('m2'), chatId: undefined });
        expect((await s.journal.getRun('m2'))?.chatId).toBeUndefined();
        await s.journal.finishRun('m1', 3000);
        expect((await s.journal.getRun('m1'))?.finishedAt).toBe(3000);
      });

      it('begin and finish journal the writes of a run, in the order they began', async () => {
        await s.journal.startRun(run('m1'));
        await s.journal.startRun(run('m2'));
        const a = await s.journal.begin(write('m1', 1100));
        const b = await s.journal.begin(write('m2', 1150, undefined));
        const c = await s.journal.begin(write('m1', 1200, 'chat2'));
        expect(b).toBeGreaterThan(a);
        expect(c).toBeGreaterThan(b);
        await s.journal.finish(a, 'ok', '{"errcode":0}', 1300);
        await s.journal.finish(b, 'failed', '{"errcode":40035}', 1400);
        expect(await s.journal.writes('m1')).toEqual([
          { id: a, ...write('m1', 1100), finishedAt: 1300, outcome: 'ok', answer: '{"errcode":0}' },
          {
            id: c,
            ...write('m1', 1200, 'chat2'),
            finishedAt: undefined,
            outcome: undefined,
            answer: undefined,
          },
        ]);
        expect(await s.journal.writes('m2')).toEqual([
          {
            id: b,
            ...write('m2', 1150, undefined),
            finishedAt: 1400,
            outcome: 'failed',
            answer: '{"errcode":40035}',
          },
        ]);
        expect(await s.journal.writes('none')).toEqual([]);
      });

      it('unfinished lists runs neither finished nor reported, oldest first, of some replicas when given', async () => {
        await s.journal.startRun(run('m3', 'r1', 3000));
        await s.journal.startRun(run('m1', 'r1', 1000));
        await s.journal.startRun(run('m2', 'r2', 2000));
        await s.journal.startRun(run('m4', '', 4000));
        await s.journal.startRun(run('m5', 'r1', 500));
        await s.journal.finishRun('m5', 600);
        expect((await s.journal.unfinished()).map((r) => r.key)).toEqual(['m1', 'm2', 'm3', 'm4']);
        expect((await s.journal.unfinished(['r1'])).map((r) => r.key)).toEqual(['m1', 'm3']);
        expect((await s.journal.unfinished(['r1', 'r2'])).map((r) => r.key)).toEqual(['m1', 'm2', 'm3']);
        expect((await s.journal.unfinished([''])).map((r) => r.key)).toEqual(['m4']);
        expect(await s.journal.unfinished([])).toEqual([]);
        expect(await s.journal.unfinished(['r9'])).toEqual([]);
        expect(await s.journal.markReported('m2', 5000)).toBe(true);
        expect((await s.journal.unfinished()).map((r) => r.key)).toEqual(['m1', 'm3', 'm4']);
        expect((await s.journal.getRun('m2'))?.reportedAt).toBe(5000);
      });

      it('markReported is a compare-and-set: of racing callers exactly one wins', async () => {
        await s.journal.startRun(run('race'));
        const wins = await Promise.all([1, 2, 3, 4].map((i) => s.journal.markReported('race', 1000 + i)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await s.journal.markReported('race', 9000)).toBe(false);
        expect(await s.journal.markReported('none', 9000)).toBe(false);
      });

      it('prune deletes finished or reported runs started before a time, with their writes', async () => {
        await s.journal.startRun(run('old-done', 'r1', 1000));
        await s.journal.startRun(run('old-reported', 'r1', 1000));
        await s.journal.startRun(run('old-open', 'r1', 1000));
        await s.journal.startRun(run('new-done', 'r1', 5000));
        const w = await s.journal.begin(write('old-done'));
        await s.journal.finish(w, 'ok', '{}', 1200);
        await s.journal.finishRun('old-done', 1300);
        await s.journal.markReported('old-reported', 1300);
        await s.journal.finishRun('new-done', 5100);
        expect(await s.journal.prune(2000)).toBe(2);
        expect(await s.journal.getRun('old-done')).toBeUndefined();
        expect(await s.journal.writes('old-done')).toEqual([]);
        expect(await s.journal.getRun('old-reported')).toBeUndefined();
        expect((await s.journal.getRun('old-open'))?.key).toBe('old-open');
        expect((await s.journal.getRun('new-done'))?.key).toBe('new-done');
        expect(await s.journal.prune(2000)).toBe(0);
      });
    });

    describe('replicas and leases', () => {
      it('beat, dead and forget', async () => {
        await s.replicas.beat('r1');
        await s.replicas.beat('r2');
        expect(await s.replicas.dead(60_000)).toEqual([]);
        await sleep(30);
        await s.replicas.beat('r2');
        expect(await s.replicas.dead(5)).toContain('r1');
        expect(await s.replicas.dead(60_000)).toEqual([]);
        await s.replicas.forget('r1');
        expect(await s.replicas.dead(5)).not.toContain('r1');
        await s.replicas.forget('never-beat');
      });

      it('a lease is exclusive while it lasts, renewable by its holder, and released only by it', async () => {
        expect(await s.replicas.leaseHolder('prune')).toBeUndefined();
        expect(await s.replicas.lease('prune', 'a', 60_000)).toBe(true);
        expect(await s.replicas.lease('prune', 'b', 60_000)).toBe(false);
        expect(await s.replicas.leaseHolder('prune')).toBe('a');
        expect(await s.replicas.lease('prune', 'a', 60_000)).toBe(true);
        expect(await s.replicas.lease('other', 'b', 60_000)).toBe(true);
        await s.replicas.release('prune', 'b');
        expect(await s.replicas.leaseHolder('prune')).toBe('a');
        await s.replicas.release('prune', 'a');
        expect(await s.replicas.leaseHolder('prune')).toBeUndefined();
        expect(await s.replicas.lease('prune', 'b', 60_000)).toBe(true);
        expect(await s.replicas.leaseHolder('prune')).toBe('b');
        expect(await s.replicas.leaseHolder('other')).toBe('b');
      });

      it('an expired lease has no holder and can be taken by another', async () => {
        expect(await s.replicas.lease('prune', 'a', 60_000)).toBe(true);
        // Renewing with a short ttl shortens the lease; then let it run out.
        expect(await s.replicas.lease('prune', 'a', 1)).toBe(true);
        await sleep(30);
        expect(await s.replicas.leaseHolder('prune')).toBeUndefined();
        expect(await s.replicas.lease('prune', 'b', 60_000)).toBe(true);
        expect(await s.replicas.leaseHolder('prune')).toBe('b');
        expect(await s.replicas.lease('prune', 'a', 60_000)).toBe(false);
      });

      it('of concurrent takers of a free lease exactly one wins', async () => {
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => s.replicas.lease('race', `h${i}`, 60_000)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await s.replicas.leaseHolder('race')).toBe(`h${wins.indexOf(true)}`);
      });
    });

    describe('changes', () => {
      const change = (userId: string, chatId: string, at: number, undo = '[]') => ({
        chatId,
        userId,
        command: 'chat rename',
        at,
        undo,
      });

      it("latestUndoable is the user's newest change not undone, since a time, on a chat when given", async () => {
        expect(await s.changes.latestUndoable('lead1', 0)).toBeUndefined();
        const a = await s.changes.record(change('lead1', 'chatA', 1000, '[{"kind":"rename","name":"A"}]'));
        const b = await s.changes.record(change('lead1', 'chatB', 2000));
        await s.changes.record(change('lead2', 'chatA', 3000));
        expect(b).toBeGreaterThan(a);
        expect((await s.changes.latestUndoable('lead1', 0))?.id).toBe(b);
        const onA = await s.changes.latestUndoable('lead1', 0, 'chatA');
        expect(onA).toEqual({
          id: a,
          chatId: 'chatA',
          userId: 'lead1',
          command: 'chat rename',
          at: 1000,
          undo: '[{"kind":"rename","name":"A"}]',
          undoneAt: undefined,
        });
        expect(await s.changes.latestUndoable('lead1', 1500, 'chatA')).toBeUndefined();
        expect(await s.changes.latestUndoable('lead1', 0, 'chatC')).toBeUndefined();
        expect((await s.changes.get(b))?.chatId).toBe('chatB');
        expect(await s.changes.get(999_999)).toBeUndefined();
      });

      it('markUndone runs once; an undone change is skipped, so the next undo goes further back', async () => {
        const a = await s.changes.record(change('lead1', 'chatA', 1000));
        const b = await s.changes.record(change('lead1', 'chatA', 2000));
        expect(await s.changes.markUndone(b, 5000)).toBe(true);
        expect(await s.changes.markUndone(b, 6000)).toBe(false);
        expect((await s.changes.get(b))?.undoneAt).toBe(5000);
        expect((await s.changes.latestUndoable('lead1', 0, 'chatA'))?.id).toBe(a);
        expect(await s.changes.markUndone(a)).toBe(true);
        expect(await s.changes.latestUndoable('lead1', 0)).toBeUndefined();
        expect(await s.changes.markUndone(424_242)).toBe(false);
        // A failed undo gives the change back; it can then be undone (once) again.
        await s.changes.unmarkUndone(a);
        expect((await s.changes.latestUndoable('lead1', 0))?.id).toBe(a);
        expect(await s.changes.markUndone(a)).toBe(true);
      });

      it('of concurrent markUndone calls exactly one wins', async () => {
        const a = await s.changes.record(change('lead1', 'chatA', 1000));
        const wins = await Promise.all(Array.from({ length: 8 }, () => s.changes.markUndone(a)));
        expect(wins.filter(Boolean)).toHaveLength(1);
      });

      it('facts are set, overwritten and forgotten per chat, kind and user', async () => {
        expect(await s.changes.facts('chatA')).toEqual([]);
        await s.changes.setFact({ chatId: 'chatA', kind: 'nick', userId: 'alice', value: 'Al', at: 1 });
        await s.changes.setFact({ chatId: 'chatA', kind: 'nick', userId: 'alice', value: 'Ally', at: 2 });
        await s.changes.setFact({ chatId: 'chatA', kind: 'admin', userId: 'bob', value: '1', at: 3 });
        await s.changes.setFact({ chatId: 'chatA', kind: 'private-chat', userId: '', value: 'off', at: 4 });
        await s.changes.setFact({ chatId: 'chatB', kind: 'admin', userId: 'carol', value: '1', at: 5 });
        expect(await s.changes.facts('chatA')).toEqual([
          { chatId: 'chatA', kind: 'admin', userId: 'bob', value: '1', at: 3 },
          { chatId: 'chatA', kind: 'nick', userId: 'alice', value: 'Ally', at: 2 },
          { chatId: 'chatA', kind: 'private-chat', userId: '', value: 'off', at: 4 },
        ]);
        await s.changes.setFact({ chatId: 'chatA', kind: 'admin', userId: 'bob', value: undefined });
        await s.changes.setFact({ chatId: 'chatA', kind: 'admin', userId: 'nobody', value: undefined });
        expect((await s.changes.facts('chatA')).map((f) => f.kind)).toEqual(['nick', 'private-chat']);
        expect(await s.changes.facts('chatB')).toHaveLength(1);
      });
    });

    describe('jobs', () => {
      const job = (userId: string, dueAt: number, over: { chatId?: string | undefined } = {}) => ({
        kind: 'at' as const,
        userId,
        chatId: 'chatA' as string | undefined,
        ...over,
        command: 'chat rename',
        plan: JSON.stringify({ v: 1 }),
        what: '/chat rename #A "B"',
        dueAt,
        createdAt: 1000,
      });

      it('add, get and pending (by due time, of one user when given)', async () => {
        const a = await s.jobs.add(job('lead1', 5000));
        const b = await s.jobs.add(job('lead2', 3000, { chatId: undefined }));
        const c = await s.jobs.add(job('lead1', 4000));
        expect(new Set([a, b, c]).size).toBe(3);
        expect(await s.jobs.get(a)).toMatchObject({
          id: a,
          kind: 'at',
          userId: 'lead1',
          chatId: 'chatA',
          state: 'pending',
          dueAt: 5000,
          replicaId: undefined,
          result: undefined,
        });
        expect((await s.jobs.get(b))?.chatId).toBeUndefined();
        expect(await s.jobs.get(999_999)).toBeUndefined();
        expect((await s.jobs.pending()).map((j) => j.id)).toEqual([b, c, a]);
        expect((await s.jobs.pending('lead1')).map((j) => j.id)).toEqual([c, a]);
      });

      it('due lists pending jobs at or before a time, earliest first, up to a limit', async () => {
        const a = await s.jobs.add(job('lead1', 5000));
        const b = await s.jobs.add(job('lead1', 3000));
        await s.jobs.add(job('lead1', 9000));
        expect((await s.jobs.due(5000, 10)).map((j) => j.id)).toEqual([b, a]);
        expect((await s.jobs.due(5000, 1)).map((j) => j.id)).toEqual([b]);
        expect(await s.jobs.claim(b, 'r1', 6000)).toBe(true);
        expect((await s.jobs.due(5000, 10)).map((j) => j.id)).toEqual([a]);
      });

      it('of concurrent claims exactly one wins; a claimed job cannot be cancelled', async () => {
        const a = await s.jobs.add(job('lead1', 5000));
        const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => s.jobs.claim(a, `r${i}`, 6000)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        const got = await s.jobs.get(a);
        expect(got).toMatchObject({ state: 'running', startedAt: 6000 });
        expect(got?.replicaId).toBe(`r${wins.indexOf(true)}`);
        expect(await s.jobs.cancel(a, 7000)).toBe(false);
      });

      it('cancel is a compare-and-set; a cancelled job is neither due nor claimable', async () => {
        const a = await s.jobs.add(job('lead1', 5000));
        expect(await s.jobs.cancel(a, 2000)).toBe(true);
        expect(await s.jobs.cancel(a, 2000)).toBe(false);
        expect(await s.jobs.due(9000, 10)).toEqual([]);
        expect(await s.jobs.claim(a, 'r1', 9000)).toBe(false);
        expect(await s.jobs.get(a)).toMatchObject({ state: 'cancelled', finishedAt: 2000 });
      });

      it('finish only by the holder; markNotified once', async () => {
        const a = await s.jobs.add(job('lead1', 5000));
        await s.jobs.claim(a, 'r1', 6000);
        expect(await s.jobs.finish(a, 'r2', '{"x":1}', 7000)).toBe(false);
        expect(await s.jobs.finish(a, 'r1', '{"x":1}', 7000)).toBe(true);
        expect(await s.jobs.finish(a, 'r1', '{"x":2}', 7000)).toBe(false);
        await s.jobs.markNotified(a, 8000);
        await s.jobs.markNotified(a, 9000);
        expect(await s.jobs.get(a)).toMatchObject({
          state: 'done',
          result: '{"x":1}',
          finishedAt: 7000,
          notifiedAt: 8000,
        });
      });

      it('orphaned: running or untold jobs of dead replicas; adopt moves one to exactly one survivor', async () => {
        const running = await s.jobs.add(job('lead1', 1000));
        const untold = await s.jobs.add(job('lead1', 2000));
        const told = await s.jobs.add(job('lead1', 3000));
        const mine = await s.jobs.add(job('lead1', 4000));
        const alive = await s.jobs.add(job('lead1', 5000));
        await s.jobs.claim(running, 'dead', 1);
        await s.jobs.claim(untold, 'dead', 1);
        await s.jobs.finish(untold, 'dead', '{}', 2);
        await s.jobs.claim(told, 'dead', 1);
        await s.jobs.finish(told, 'dead', '{}', 2);
        await s.jobs.markNotified(told, 3);
        await s.jobs.claim(mine, 'self', 1);
        await s.jobs.claim(alive, 'alive', 1);
        await s.replicas.beat('alive');
        await s.replicas.beat('self');
        expect((await s.jobs.orphaned('self', 60_000)).map((j) => j.id)).toEqual([running, untold]);
        const wins = await Promise.all(
          ['self', 'alive', 'self'].map((to) => s.jobs.adopt(running, 'dead', to)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await s.jobs.orphaned('self', 60_000)).map((j) => j.id)).toEqual([untold]);
        expect(await s.jobs.adopt(alive, 'dead', 's1')).toBe(false);
      });

      it('prune deletes done and cancelled jobs finished before a time', async () => {
        const done = await s.jobs.add(job('lead1', 1000));
        const cancelled = await s.jobs.add(job('lead1', 1000));
        const waiting = await s.jobs.add(job('lead1', 1000));
        await s.jobs.claim(done, 'r1', 1);
        await s.jobs.finish(done, 'r1', '{}', 100);
        await s.jobs.cancel(cancelled, 100);
        expect(await s.jobs.prune(50)).toBe(0);
        expect(await s.jobs.prune(200)).toBe(2);
        expect((await s.jobs.pending()).map((j) => j.id)).toEqual([waiting]);
      });
    });

    describe('tags', () => {
      it('add once, list by tag in tagging order, the tags of chats, remove once', async () => {
        expect(await s.tags.chats('proj')).toEqual([]);
        expect(await s.tags.add('chatB', 'proj', 'lead1', 1000)).toBe(true);
        expect(await s.tags.add('chatA', 'proj', 'lead1', 2000)).toBe(true);
        expect(await s.tags.add('chatA', 'proj', 'lead2', 3000)).toBe(false);
        expect(await s.tags.add('chatA', 'oncall', 'lead1', 4000)).toBe(true);
        expect(await s.tags.chats('proj')).toEqual(['chatB', 'chatA']);
        const of = await s.tags.of(['chatA', 'chatB', 'chatC']);
        expect(Object.fromEntries(of)).toEqual({ chatA: ['oncall', 'proj'], chatB: ['proj'] });
        expect((await s.tags.of([])).size).toBe(0);
        expect(await s.tags.remove('chatB', 'proj')).toBe(true);
        expect(await s.tags.remove('chatB', 'proj')).toBe(false);
        expect(await s.tags.chats('proj')).toEqual(['chatA']);
      });
    });

    describe('batches', () => {
      const batch = (key: string, userId = 'lead1') => ({
        key,
        userId,
        command: 'chat add',
        setLabel: 'tag:proj',
        chats: 2,
        startedAt: 1000,
      });

      it('start once, items set and replaced in set order, finish, found by a change', async () => {
        expect(await s.batches.start(batch('m1'))).toBe(true);
        expect(await s.batches.start({ ...batch('m1'), chats: 9 })).toBe(false);
        await s.batches.setItem({
          batchKey: 'm1',
          chatId: 'chatB',
          seq: 1,
          state: 'unknown',
          detail: undefined,
          changeId: undefined,
          at: 1100,
        });
        await s.batches.setItem({
          batchKey: 'm1',
          chatId: 'chatA',
          seq: 0,
          state: 'done',
          detail: '{"line":"a"}',
          changeId: 42,
          at: 1200,
        });
        await s.batches.setItem({
          batchKey: 'm1',
          chatId: 'chatB',
          seq: 1,
          state: 'failed',
          detail: '{"cause":"x"}',
          changeId: undefined,
          at: 1300,
        });
        expect(await s.batches.items('m1')).toEqual([
          {
            batchKey: 'm1',
            chatId: 'chatA',
            seq: 0,
            state: 'done',
            detail: '{"line":"a"}',
            changeId: 42,
            at: 1200,
          },
          {
            batchKey: 'm1',
            chatId: 'chatB',
            seq: 1,
            state: 'failed',
            detail: '{"cause":"x"}',
            changeId: undefined,
            at: 1300,
          },
        ]);
        await s.batches.finish('m1', 2000);
        await s.batches.finish('m1', 3000);
        expect(await s.batches.get('m1')).toEqual({
          ...batch('m1'),
          finishedAt: 2000,
          undoneAt: undefined,
        });
        expect((await s.batches.byChange(42))?.key).toBe('m1');
        expect(await s.batches.byChange(43)).toBeUndefined();
        expect(await s.batches.get('nope')).toBeUndefined();
        expect(await s.batches.items('nope')).toEqual([]);
      });

      it('markUndone is a compare-and-set; unmarkUndone gives the batch back', async () => {
        await s.batches.start(batch('u1'));
        const wins = await Promise.all(Array.from({ length: 6 }, () => s.batches.markUndone('u1', 5000)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await s.batches.get('u1'))?.undoneAt).toBe(5000);
        await s.batches.unmarkUndone('u1');
        expect((await s.batches.get('u1'))?.undoneAt).toBeUndefined();
        expect(await s.batches.markUndone('u1', 6000)).toBe(true);
      });

      it('prune deletes finished batches started before a time, with their chats; running ones stay', async () => {
        await s.batches.start({ ...batch('old'), startedAt: 1000 });
        await s.batches.start({ ...batch('running'), startedAt: 1000 });
        await s.batches.start({ ...batch('new'), startedAt: 9000 });
        for (const key of ['old', 'running', 'new'])
          await s.batches.setItem({
            batchKey: key,
            chatId: 'chatA',
            seq: 0,
            state: 'done',
            detail: undefined,
            changeId: undefined,
            at: 1,
          });
        await s.batches.finish('old', 2000);
        await s.batches.finish('new', 9500);
        expect(await s.batches.prune(5000)).toBe(1);
        expect(await s.batches.get('old')).toBeUndefined();
        expect(await s.batches.items('old')).toEqual([]);
        expect((await s.batches.items('running')).length).toBe(1);
        expect((await s.batches.items('new')).length).toBe(1);
      });
    });

    describe('kv', () => {
      it('get returns undefined when unset; set overwrites', async () => {
        expect(await s.kv.get('groupApi')).toBeUndefined();
        await s.kv.set('groupApi', 'v1');
        await s.kv.set('groupApi', 'legacy');
        await s.kv.set('other', '');
        expect(await s.kv.get('groupApi')).toBe('legacy');
        expect(await s.kv.get('other')).toBe('');
      });
    });
  });
}
