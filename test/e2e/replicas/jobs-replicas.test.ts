/**
 * Scheduled changes with two real bot processes on one PostgreSQL: both poll the same jobs and
 * race for them, and each job runs once (one write, one 1:1 notice); a job scheduled on one
 * replica is listed and cancelled on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../src/emulator/index.ts';
import { type Replicas, startReplicas } from '../../helpers/replicas.ts';

const RENAMES = new Set(['chat.update', 'im.group.update']);

describe('jobs on two replicas sharing PostgreSQL', () => {
  let rs: Replicas;
  let emu: Emulator;

  const jobOf = (reply: string) => {
    const m = /\*\*(J\d+)\*\*/.exec(reply);
    if (!m?.[1]) throw new Error(`no job in ${reply}`);
    return m[1];
  };

  beforeAll(async () => {
    rs = await startReplicas({ replyTimeoutMs: 10_000 });
    emu = rs.emu;
  }, 60_000);
  afterAll(async () => {
    await rs?.stop();
  });
  const sayTo: Replicas['sayTo'] = (...a) => rs.sayTo(...a);

  it('twelve jobs falling due together: each runs once, one rename and one notice each', async () => {
    const chats = Array.from({ length: 12 }, (_, i) =>
      emu.org.addChat({
        name: `Race ${i}`,
        owner: 'lead1',
        members: ['lead1', 'alice'],
        createdByApi: true,
        botInChat: true,
      }),
    );
    const jobs: string[] = [];
    for (const [i, c] of chats.entries()) {
      // Scheduled on either replica; all fall due within about a second of each other.
      const reply = await sayTo(i % 2, 'lead1', `/chat rename ${c.chatId} "Raced ${i}" at=3s`);
      jobs.push(jobOf(reply));
    }
    const notices = () => emu.otoTo('lead1');
    await emu.waitFor(() => jobs.every((j) => notices().some((n) => n.text.includes(`**${j}**`))), 20_000);
    // Let a loser of any race have its chance to do it twice.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const [i, c] of chats.entries()) {
      expect(emu.org.chat(c.chatId)?.name).toBe(`Raced ${i}`);
      const writes = emu.requests.filter(
        (r) => RENAMES.has(r.endpoint) && JSON.stringify(r.body ?? '').includes(`Raced ${i}"`),
      );
      expect(writes).toHaveLength(1);
    }
    for (const j of jobs) {
      const mine = notices().filter((n) => n.text.includes(`**${j}**`));
      expect(mine).toHaveLength(1);
      expect(mine[0]?.text).toContain('is done');
    }
  }, 60_000);

  it('a job scheduled on one replica is listed and cancelled on the other', async () => {
    const c = emu.org.addChat({
      name: 'Shared Job',
      owner: 'lead1',
      members: ['lead1', 'alice'],
      createdByApi: true,
      botInChat: true,
    });
    const job = jobOf(await sayTo(0, 'lead1', `/chat rename ${c.chatId} Later at=1h`));
    expect(await sayTo(1, 'lead1', '/chat jobs')).toContain(`**${job}**`);
    expect(await sayTo(1, 'lead1', `/chat jobs cancel ${job}`)).toContain(`Cancelled job **${job}**`);
    expect(await sayTo(0, 'lead1', '/chat jobs')).not.toContain(job);
  }, 30_000);
});
