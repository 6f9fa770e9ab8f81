/**
 * The "Why" of issue 19 (hostile users and hostile input), end to end through the emulator: each
 * attack as a member or a lead sends it, and what must come back. Markdown through `/confirm`
 * (`/确认`), markup in chat names reaching titles and join-link labels, `constructor=` as an
 * option, U+0000 in a write command (SQLite and a real PostgreSQL server), a 5,000-character
 * chat name and nickname, and one message naming ~60 unknown people. Each is refused or
 * harmless, nothing crashes (no incident id), nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../../src/dingtalk/endpoints.ts';
import type { EndpointName } from '../../../src/dingtalk/errors.ts';
import type { RecordedRequest, SentReply } from '../../../src/emulator/index.ts';
import { openPostgresStore } from '../../../src/store/index.ts';
import { type Harness, type HarnessOptions, startHarness } from '../../helpers/harness.ts';
import { freshDatabase, type TestDatabase } from '../../helpers/pg.ts';
import { seedChat } from './helpers.ts';

/** The markup a hostile string could bring, looked for once escaped pairs (`\*`) are hidden. */
const MARKUP: readonly [string, RegExp][] = [
  ['tag', /<[A-Za-z/!?]/],
  ['link', /\]\(/],
  ['image', /!\[/],
  ['emphasis', /\*\*(Please|b\b)/],
  ['dtmd link', /\(dtmd:/],
];
const hideEscapes = (s: string): string => s.replace(/\\[\s\S]/g, '\uE000');

/** The bot's own join link in a body, `[Join <name>](https://qr.dingtalk.com/…)`, taken apart. */
function joinLink(text: string): { label: string; url: string; rest: string } | undefined {
  const at = text.lastIndexOf('](https://qr.dingtalk.com/');
  const start = text.lastIndexOf('[Join ', at);
  if (at < 0 || start < 0) return undefined;
  const end = text.indexOf(')', at);
  return {
    label: text.slice(start + 1, at),
    url: text.slice(at + 2, end),
    rest: text.slice(0, start) + text.slice(end + 1),
  };
}

/** What of `MARKUP` a reply carries in its body, title, or link and button labels. */
function markupIn(r: SentReply): string[] {
  const join = joinLink(r.text);
  const parts: [string, string][] = [
    ['body', join ? join.rest : r.text],
    ['title', r.title ?? ''],
    ...(join ? ([['join-link label', join.label]] as [string, string][]) : []),
    ...(r.link ? ([['link label', r.link.title]] as [string, string][]) : []),
    ...(r.links ?? []).map((l): [string, string] => ['button label', l.title]),
  ];
  const found: string[] = [];
  for (const [where, text] of parts) {
    for (const [what, re] of MARKUP)
      if (re.test(hideEscapes(text))) found.push(`${what} in ${where}: ${text}`);
    // A label is inside [ ]: a bracket of its own would end it or open another.
    if (where.endsWith('label') && /[[\]]/.test(hideEscapes(text)))
      found.push(`bracket in ${where}: ${text}`);
  }
  return found;
}

/** A chat write: a request the write journal records (create, update, admins, nicknames…). */
const isChatWrite = (r: RecordedRequest): boolean =>
  ENDPOINTS[r.endpoint as EndpointName]?.journaled === true;
/** A contact lookup: the directory's calls to DingTalk. */
const isContactCall = (r: RecordedRequest): boolean =>
  r.endpoint.startsWith('contact.') || r.endpoint.startsWith('user.') || r.endpoint.startsWith('department.');

const INCIDENT = /Incident id|事故编号|incident/i;

const CONFIRM_ATTACK =
  '"<br>**Please confirm** [Confirm K7PQ2M](dtmd://dingtalkclient/sendMessage?content=%2Fchat%20remove%20here%20alice) ![x](https://evil.example/p.png) <font color=#ff0000>urgent</font>"';

describe('hostile input (SQLite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('/confirm with markdown: the reply carries no link, image, tag or emphasis; a short echo and the explanation', async () => {
    for (const command of ['/confirm', '/确认']) {
      // A member with no role, in a group.
      const [reply] = await h.sayAll('mallory', `${command} ${CONFIRM_ATTACK}`, { expect: 1 });
      if (!reply) throw new Error('no reply');
      expect(markupIn(reply)).toEqual([]);
      expect(reply.text).not.toContain('evil.example/p.png)');
      expect(reply.text).not.toContain('dtmd://dingtalkclient/sendMessage?content=%2Fchat');
      // A short echo (clipped with an ellipsis), then why nothing happened.
      expect(reply.text.length).toBeLessThan(300);
      expect(reply.text).toContain('…');
      expect(reply.text).toMatch(command === '/confirm' ? /Nothing waits for the code/ : /没有等待确认码/);
      expect(reply.text).not.toMatch(INCIDENT);
    }
  });

  it('chat names with markup stay text in titles, join-link labels and bodies (/chat create, /chat qr)', async () => {
    for (const name of ['<a href=//ev.il>x', '**b** <b>', '](//ev.il)[']) {
      const created = await h.sayAll('lead1', `/chat create '${name}' alice`, { expect: 1 });
      const reply = created[0];
      if (!reply) throw new Error('no reply');
      const chatId = /chat[0-9a-f]{32}/.exec(reply.text)?.[0];
      expect(chatId, reply.text).toBeDefined();
      // The join link is there, with the name in its label, as text.
      expect(joinLink(reply.text)?.url).toMatch(/^https:\/\/qr\.dingtalk\.com\//);
      expect(markupIn(reply)).toEqual([]);
      const qr = (await h.sayAll('lead1', `/chat qr ${chatId}`, { expect: 1 }))[0];
      if (!qr) throw new Error('no qr reply');
      expect(joinLink(qr.text)?.url ?? qr.link?.url).toMatch(/^https:\/\/qr\.dingtalk\.com\//);
      expect(markupIn(qr)).toEqual([]);
    }
  });

  it('/whoami constructor=1 and /help constructor=x: unknown options, no internal error', async () => {
    for (const text of [
      '/whoami constructor=1',
      '/help constructor=x',
      '/whoami __proto__=1',
      '/help toString=x',
    ]) {
      const reply = await h.say('mallory', text);
      expect(reply).not.toMatch(INCIDENT);
      // `__proto__` is no option word: a stray word, answered as one.
      expect(reply).toMatch(/Unknown option|takes no key=value options|did not expect/);
    }
  });

  it('a 5,000-character chat name: a short echo and the explanation, nothing created', async () => {
    const before = h.emu.requests.filter(isChatWrite).length;
    const reply = await h.say('lead1', `/chat create "${'n'.repeat(5_000)}" alice`);
    expect(reply.length).toBeLessThan(400);
    expect(reply).toContain('…');
    expect(reply).toMatch(/5000 characters.*at most 20/s);
    const chat = seedChat(h, 'Short', 'lead1', ['lead1', 'alice']);
    const renamed = await h.say('lead1', `/chat rename ${chat.chatId} "${'r'.repeat(5_000)}"`);
    expect(renamed.length).toBeLessThan(400);
    expect(renamed).toContain('…');
    expect(renamed).not.toMatch(INCIDENT);
    expect(h.emu.requests.filter(isChatWrite).length).toBe(before);
    expect(h.emu.org.chat(chat.chatId)?.name).toBe('Short');
  });

  it('a 5,000-character nickname is refused, with a short echo; DingTalk is not asked', async () => {
    const chat = seedChat(h, 'Nicks', 'lead1', ['lead1', 'alice']);
    const before = h.emu.requests.filter(isChatWrite).length;
    const reply = await h.say('lead1', `/chat nick ${chat.chatId} alice "${'k'.repeat(5_000)}"`);
    expect(reply).toMatch(/too long.*5000 characters.*at most 20/s);
    expect(reply.length).toBeLessThan(400);
    expect(h.emu.requests.filter(isChatWrite).length).toBe(before);
    expect(h.emu.requests.filter((r) => r.endpoint === 'updategroupnick')).toEqual([]);
  });

  it('one message naming ~60 unknown people is refused before any contact call', async () => {
    const chat = seedChat(h, 'Many', 'lead1', ['lead1', 'alice']);
    const names = Array.from({ length: 60 }, (_, i) => `Nobody${String(i).padStart(2, '0')}`);
    const mark = h.emu.requests.length;
    const reply = await h.say('lead1', `/chat add ${chat.chatId} ${names.join(' ')}`);
    expect(reply).toMatch(/60/);
    expect(reply).toMatch(/50/);
    expect(reply).not.toMatch(INCIDENT);
    const after = h.emu.requests.slice(mark);
    expect(after.filter(isContactCall)).toEqual([]);
    expect(after.filter(isChatWrite)).toEqual([]);
  });
});

/** U+0000 and friends in write commands, on either store: the clear reply, nothing written. */
function controlCharacters(
  store: string,
  options: () => Promise<HarnessOptions>,
  cleanup?: () => Promise<void>,
) {
  describe(`control characters in a write command (${store})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(await options());
    });
    afterAll(async () => {
      await h?.stop();
      await cleanup?.();
    });

    it('U+0000 in a rename, a create and a nickname: the clear reply, no incident, nothing written', async () => {
      const chat = seedChat(h, 'Plain', 'lead1', ['lead1', 'alice']);
      const before = h.emu.requests.filter(isChatWrite).length;
      for (const text of [
        `/chat rename ${chat.chatId} "bad\u0000name"`,
        '/chat create "nul\u0000chat" alice',
        `/chat nick ${chat.chatId} alice "a\u0000b"`,
        `/改群名 ${chat.chatId} 坏\u0000名`,
      ]) {
        const reply = await h.say('lead1', text);
        expect(reply).not.toMatch(INCIDENT);
        expect(reply).toMatch(/control character \(U\+0000\)|控制字符/);
      }
      expect(h.emu.requests.filter(isChatWrite).length).toBe(before);
      expect(h.emu.org.chat(chat.chatId)?.name).toBe('Plain');
      // The bot goes on answering, and the store took the refusals (their audit records).
      expect(await h.say('lead1', `/chat rename ${chat.chatId} Fine`)).not.toMatch(INCIDENT);
      expect(h.emu.org.chat(chat.chatId)?.name).toBe('Fine');
    });

    // KNOWN GAP, for the lead (src/bot/steps/failure.ts, MALFORMED): a line refused for a control
    // character is not audited (issue item 9). When 'parse.control' joins MALFORMED this test
    // fails: make it an ordinary `it`.
    it('the refusal leaves an audit record', async () => {
      await h.say('lead1', '/chat create "nul\u0000chat" alice');
      const audit = await h.say('admin1', '/audit 1');
      expect(audit).not.toMatch(INCIDENT);
      expect(audit).toContain('refused');
    });
  });
}

controlCharacters('SQLite', async () => ({}));

let db: TestDatabase | undefined;
controlCharacters(
  'PostgreSQL',
  async () => {
    db = await freshDatabase();
    return { app: { store: await openPostgresStore({ url: db.url, replica: 'hostile-1' }) } };
  },
  async () => {
    await db?.drop();
  },
);
