/**
 * Bench item 7, names (issue 11): DingTalk calls spent per resolved name, cold and warm cache,
 * measured on the Directory itself over the emulator; and `/chat info` on a 500-member chat
 * whose members are in the directory but not in the bot's cache, through the real bot.
 */
import { pino } from 'pino';
import { Directory } from '../src/bot/directory.ts';
import { createDingTalk } from '../src/dingtalk/index.ts';
import type { Emulator, SeedUser } from '../src/emulator/index.ts';
import { BENCH_USERS, LEADS, Recorder, send, startBot, startEmulator } from './lib.ts';

/** People of the directory only: nobody of them ever writes to the bot. */
const PEOPLE: SeedUser[] = Array.from({ length: 500 }, (_, i) => {
  const n = String(i + 1).padStart(3, '0');
  return { userId: `p${n}`, nick: `P${n}`, name: `Person ${n}` };
});
/** Names resolved per pass, each matching exactly one person. */
const RESOLVED = 20;
/** How many members /chat info names; the reply's line holds them, then `(+N)`. */
export const INFO_NAMED = 50;
export const INFO_MEMBERS = 500;
/** Runs rotate the members by this much, so that each run meets people the bot has not named. */
const ROTATE = 60;

const CONTACT_ENDPOINTS = new Set([
  'contact.users.search',
  'contact.departments.search',
  'user.get',
  'user.getbymobile',
  'user.listsimple',
  'department.get',
]);

const contactCalls = (emu: Emulator, from: number): number =>
  emu.requests.slice(from).filter((r) => CONTACT_ENDPOINTS.has(r.endpoint)).length;

export interface NameCallsRun {
  /** contact calls per resolved name, first pass (empty cache) and second pass */
  cold: number;
  warm: number;
  /** names that resolved to exactly one person, per pass (both should be RESOLVED) */
  resolvedCold: number;
  resolvedWarm: number;
}

/** Resolves RESOLVED names twice with one Directory, counting the emulator's contact requests. */
export async function nameCalls(): Promise<NameCallsRun> {
  const emu = await startEmulator({ users: [...BENCH_USERS, ...PEOPLE] });
  const env = emu.env();
  const dt = createDingTalk({
    apiBase: env.DINGTALK_API_BASE as string,
    oapiBase: env.DINGTALK_OAPI_BASE as string,
    clientId: env.DINGTALK_CLIENT_ID as string,
    clientSecret: env.DINGTALK_CLIENT_SECRET as string,
    robotCode: env.DINGTALK_CLIENT_ID as string,
    groupApi: 'auto',
    logger: pino({ level: 'silent' }),
  });
  try {
    const directory = new Directory({ contact: dt.contact });
    const names = PEOPLE.slice(0, RESOLVED).map((p) => p.name as string);
    const pass = async (): Promise<{ calls: number; one: number }> => {
      const mark = emu.requests.length;
      let one = 0;
      for (const text of names) if ((await directory.resolve({ kind: 'name', text })).kind === 'one') one++;
      return { calls: contactCalls(emu, mark), one };
    };
    const cold = await pass();
    const warm = await pass();
    return {
      cold: cold.calls / RESOLVED,
      warm: warm.calls / RESOLVED,
      resolvedCold: cold.one,
      resolvedWarm: warm.one,
    };
  } finally {
    await dt.close();
    await emu.stop();
  }
}

export interface BigInfoRun {
  /** message pushed → reply at the emulator */
  answeredMs: number;
  /** members shown with a name beside the userId (target INFO_NAMED) */
  named: number;
  userGets: number;
}

/** `/chat info` on a 500-member chat, `runs` times, each on members the bot has not named yet. */
export async function bigInfo(runs: number): Promise<BigInfoRun[]> {
  const emu = await startEmulator({ users: [...BENCH_USERS, ...PEOPLE] });
  const rec = new Recorder(emu);
  const bot = await startBot(emu, { where: 'worker', kind: 'ours' });
  const out: BigInfoRun[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const ids = PEOPLE.map((p) => p.userId);
      const members = [...ids.slice(r * ROTATE), ...ids.slice(0, r * ROTATE)];
      const owner = members[0] as string;
      const chat = emu.org.addChat({ name: `bench-500-${r}`, owner, members, createdByApi: true });
      rec.clear();
      const mark = emu.requests.length;
      const s = send(emu, LEADS[0] as string, `/chat info ${chat.chatId}`);
      await rec.waitReplies([s.msgId], 30_000);
      const reply = rec.replies.get(s.msgId)?.[0];
      const line = reply?.text.split('\n').find((l) => l.includes(`members (${INFO_MEMBERS})`)) ?? '';
      const named = (line.match(/Person \d{3} \(p\d{3}\)/g) ?? []).length;
      out.push({
        answeredMs: (reply?.at ?? Number.NaN) - s.sentAt,
        named,
        userGets: emu.requests.slice(mark).filter((q) => q.endpoint === 'user.get').length,
      });
      // let the per-API windows (ours and the emulator's, 1 s) empty before the next run
      await new Promise((res) => setTimeout(res, 1_100));
    }
    return out;
  } finally {
    await bot.stop();
    await emu.stop();
  }
}
