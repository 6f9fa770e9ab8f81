import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditTrail, decodeReason, encodeReason, sanitizeArgs } from '../../../src/bot/audit.ts';
import { createLogger } from '../../../src/log.ts';
import { MemoryAuditStore } from './fakes.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { lines, log };
}

const chatRef = {
  chatId: 'chat123',
  openConversationId: 'cid9',
  label: '#"Design team"',
  record: { chatId: 'chat123', name: 'Design team', createdFor: 'lead1' },
};

describe('sanitizeArgs', () => {
  it('keeps keys and short values, replaces long and multi-line text by its length', () => {
    const long = 'x'.repeat(65);
    expect(
      sanitizeArgs({
        name: 'Design',
        nickname: long,
        note: 'a\nb',
        n: 3,
        on: true,
        none: null,
        skip: undefined,
      }),
    ).toEqual({
      name: 'Design',
      nickname: '[text: 65 chars]',
      note: '[text: 3 chars]',
      n: 3,
      on: true,
      none: null,
    });
  });

  it('never keeps message text fields, even short ones', () => {
    expect(sanitizeArgs({ text: 'hi', content: 'secret plan', message: 'm', users: ['u1'] })).toEqual({
      text: '[text: 2 chars]',
      content: '[text: 11 chars]',
      message: '[text: 1 chars]',
      users: ['u1'],
    });
  });

  it('redacts secret-looking keys and secrets inside values', () => {
    expect(
      sanitizeArgs({
        accessToken: 'abc',
        sessionWebhook: 'https://x',
        nested: { clientSecret: 's' },
        url: 'https://o/x?access_token=abcdef',
      }),
    ).toEqual({
      accessToken: '[redacted]',
      sessionWebhook: '[redacted]',
      nested: { clientSecret: '[redacted]' },
      url: 'https://o/x?access_token=[redacted]',
    });
  });

  it('reduces a resolved chat to its chatId and cuts long lists', () => {
    const users = Array.from({ length: 55 }, (_, i) => `u${i}`);
    const out = sanitizeArgs({ chat: chatRef, users }) as { chat: unknown; users: string[] };
    expect(out.chat).toBe('chat123');
    expect(out.users).toHaveLength(51);
    expect(out.users[50]).toBe('[+5 more]');
  });

  it('honours a custom length limit and survives odd values', () => {
    expect(sanitizeArgs({ a: 'abcdef' }, 5)).toEqual({ a: '[text: 6 chars]' });
    expect(sanitizeArgs(undefined)).toBeNull();
    expect(sanitizeArgs({ f: () => 1, big: 10n, inf: Number.POSITIVE_INFINITY })).toEqual({
      big: '10',
      inf: 'Infinity',
    });
    expect(sanitizeArgs({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[…]' } } } });
  });
});

describe('AuditTrail', () => {
  it('writes the record with sanitised args and logs an audit event', async () => {
    const store = new MemoryAuditStore();
    const { lines, log } = capture();
    const trail = new AuditTrail(store, log, { now: () => 10_000 });
    const rec = await trail.record({
      userId: 'lead1',
      command: 'chat rename',
      chatId: 'chat123',
      args: { chat: chatRef, name: 'N'.repeat(100), text: '/chat rename here something' },
      outcome: 'failed',
      reason: { key: 'audit.reason.dingtalk', params: { 'cause@en': 'No such chat.' } },
      errcode: '60011',
      durationMs: 250,
    });
    expect(rec).toMatchObject({
      seq: 1,
      at: 9_750,
      userId: 'lead1',
      command: 'chat rename',
      chatId: 'chat123',
      outcome: 'failed',
      reason: 'audit.reason.dingtalk {"cause@en":"No such chat."}',
      errcode: '60011',
      durationMs: 250,
    });
    expect(JSON.parse(rec.args)).toEqual({
      chat: 'chat123',
      name: '[text: 100 chars]',
      text: '[text: 27 chars]',
    });
    expect(store.rows).toEqual([rec]);
    expect(rec.args).not.toContain('something');

    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 30,
      msg: 'audit',
      audit: true,
      seq: 1,
      userId: 'lead1',
      command: 'chat rename',
      chatId: 'chat123',
      outcome: 'failed',
      errcode: '60011',
      durationMs: 250,
    });
    // Info lines carry ids, not names or typed text: the arguments stay in the store.
    expect(line).not.toHaveProperty('args');
    expect(JSON.stringify(line)).not.toContain('something');
  });

  it('records refusals without a chat', async () => {
    const store = new MemoryAuditStore();
    const { lines, log } = capture();
    const rec = await new AuditTrail(store, log).record({
      userId: 'stranger',
      command: 'audit',
      args: {},
      outcome: 'refused',
      reason: { key: 'audit.reason.role-needed', params: { needed: 'admin', role: 'lead' } },
      durationMs: 1.6,
    });
    const stored = 'audit.reason.role-needed {"needed":"admin","role":"lead"}';
    expect(rec).toMatchObject({ chatId: undefined, reason: stored, errcode: undefined, durationMs: 2 });
    // The log line has the reason's key; its params (names, typed words) stay in the store.
    expect(lines[0]).toMatchObject({ audit: true, outcome: 'refused', reason: 'audit.reason.role-needed' });
    expect(decodeReason(stored)).toEqual({
      key: 'audit.reason.role-needed',
      params: { needed: 'admin', role: 'lead' },
    });
    // A reason without params is its key; free text from older records comes back as text.
    expect(encodeReason({ key: 'confirm.unknown' })).toBe('confirm.unknown');
    expect(decodeReason('not the owner')).toEqual({ text: 'not the owner' });
  });

  it('an info line shows a command word that names no command as ?, the store keeps it', async () => {
    const store = new MemoryAuditStore();
    const { lines, log } = capture();
    const trail = new AuditTrail(store, log, { knownCommand: (n) => n === 'chat add' });
    const rec = await trail.record({
      userId: 'u1',
      command: 'glimmerfeld',
      args: {},
      outcome: 'refused',
      durationMs: 1,
    });
    await trail.record({ userId: 'u1', command: 'chat add', args: {}, outcome: 'allowed', durationMs: 1 });
    expect(rec.command).toBe('glimmerfeld');
    expect(lines.map((l) => (l as { command: string }).command)).toEqual(['?', 'chat add']);
  });

  it('still logs the event when the store fails, and rethrows', async () => {
    const store = new MemoryAuditStore();
    store.fail = true;
    const { lines, log } = capture();
    const trail = new AuditTrail(store, log);
    await expect(
      trail.record({ userId: 'u', command: 'help', args: {}, outcome: 'allowed', durationMs: 1 }),
    ).rejects.toThrow('disk full');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, audit: true, command: 'help', userId: 'u' });
  });
});

describe('sanitizeArgs (property)', () => {
  it('never lets a long or multi-line string through and always gives JSON', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string({ minLength: 65, maxLength: 200 }), (value, long) => {
        const out = sanitizeArgs({ value, long, nested: [{ deep: long }] });
        const json = JSON.stringify(out);
        expect(json).not.toContain(long);
        const strings: string[] = [];
        JSON.parse(json, (_k, v: unknown) => {
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        for (const s of strings) {
          expect(s.length <= 64 || s.startsWith('[text: ') || s.includes('[redacted]')).toBe(true);
          expect(s).not.toMatch(/[\r\n]/);
        }
      }),
    );
  });
});
