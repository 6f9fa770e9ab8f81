import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.ts';
import { tempDir } from './tmp.ts';

const intent = (msgKey: string, chatId: string | undefined = 'chat1') => ({
  msgKey,
  userId: 'lead1',
  conversationId: 'cidX',
  command: 'chat add',
  chatId,
  summary: 'add u1, u2 to Ops',
  startedAt: 1000,
});

describe('intents', () => {
  it('begin → unfinished; finish, markReported take it off the list', () => {
    const s = openStore({ memory: true });
    const a = s.intents.begin(intent('m1'));
    const b = s.intents.begin(intent('m2', undefined));
    const c = s.intents.begin(intent('m3'));
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(s.intents.unfinished()).toEqual([
      { id: a, ...intent('m1'), finishedAt: undefined, outcome: undefined },
      { id: b, ...intent('m2', undefined), finishedAt: undefined, outcome: undefined },
      { id: c, ...intent('m3'), finishedAt: undefined, outcome: undefined },
    ]);
    s.intents.finish(a, 'ok', 2000);
    s.intents.markReported(c);
    expect(s.intents.unfinished().map((i) => i.id)).toEqual([b]);
  });

  it('unfinished intents survive a restart (crash safety)', () => {
    const dir = tempDir();
    const s1 = openStore({ dataDir: dir });
    const id = s1.intents.begin(intent('m1'));
    s1.intents.finish(s1.intents.begin(intent('m2')), 'failed');
    s1.close();
    const s2 = openStore({ dataDir: dir });
    expect(s2.intents.unfinished().map((i) => [i.id, i.msgKey])).toEqual([[id, 'm1']]);
    s2.close();
  });
});

describe('kv', () => {
  it('get returns undefined when unset; set overwrites', () => {
    const s = openStore({ memory: true });
    expect(s.kv.get('groupApi')).toBeUndefined();
    s.kv.set('groupApi', 'v1');
    s.kv.set('groupApi', 'legacy');
    s.kv.set('other', '');
    expect(s.kv.get('groupApi')).toBe('legacy');
    expect(s.kv.get('other')).toBe('');
  });
});
