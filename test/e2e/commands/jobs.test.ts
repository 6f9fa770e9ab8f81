/**
 * Changes that happen later (issue 22) through the emulator: `until=` adds now and takes back on
 * time, `at=` changes on time and not before, `/chat jobs` and cancel, refusals of bad times,
 * a job whose lead lost the chat, undo of a scheduling, and the lead's 1:1 message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocal } from '../../../src/bot/when.ts';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode } from './helpers.ts';

const JOB = /\*\*J(\d+)\*\*/;

describe('scheduled changes: at=, until=, /chat jobs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ emulator: { qpsLimit: null }, app: { jobs: { pollMs: 100 } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const create = async (lead: string, name: string, users = 'alice bob') => {
    await h.say(lead, `/chat create "${name}" ${users}`);
    const c = h.emu.org.chats().find((x) => x.name === name);
    if (!c) throw new Error(`${name} was not created`);
    return c.chatId;
  };
  const jobOf = (reply: string): string => {
    const m = JOB.exec(reply);
    if (!m) throw new Error(`no job id in: ${reply}`);
    return `J${m[1]}`;
  };
  /** The 1:1 message about `job` that `user` got. */
  const noticeOf = (user: string, job: string, timeoutMs = 8_000) =>
    h.emu.waitFor(() => h.emu.otoTo(user).find((r) => r.text.includes(`**${job}**`)), timeoutMs);

  it('until=: the person is added now and leaves on time; the lead is told 1:1', async () => {
    const id = await create('lead1', 'Until Add', 'alice');
    const reply = await h.say('lead1', `/chat add ${id} carol until=2s`);
    expect(reply).toContain('Added 1 to **Until Add**');
    expect(reply).toMatch(/I take this back at \d{4}-\d\d-\d\d \d\d:\d\d:?\d* \(Asia\/Shanghai\), in 2s/);
    const job = jobOf(reply);
    expect(h.emu.org.chat(id)?.members).toContain('carol');
    expect(await h.say('lead1', '/chat jobs')).toContain(`**${job}**`);
    const notice = await noticeOf('lead1', job);
    expect(h.emu.org.chat(id)?.members).not.toContain('carol');
    expect(h.emu.org.chat(id)?.members).toContain('alice');
    expect(notice.text).toContain(`Job **${job}** (take back /chat add ${id} carol`);
    expect(notice.text).toContain('is done');
    expect(notice.text).toContain('take out: Carol (carol)');
    expect(notice.text).not.toContain('late');
    // Read later, in a 1:1 chat: no "a second /chat undo goes further back" hint.
    expect(notice.text).not.toContain('/chat undo');
    expect(notice.userIds).toEqual(['lead1']);
    expect(await h.say('lead1', '/chat jobs')).toContain('No scheduled changes wait.');
    // Audited as carried out by the job.
    expect(await h.say('admin1', `/audit 3 ${id}`)).toContain(`carried out as job ${job}`);
  });

  it('until= on /chat admin add: an admin now, no longer one on time', async () => {
    const id = await create('lead1', 'Until Admin', 'alice bob');
    const reply = await h.say('lead1', `/chat admin add ${id} alice until=2s`);
    expect(reply).toContain('Made admins of **Until Admin**');
    const job = jobOf(reply);
    expect(h.emu.org.chat(id)?.admins).toContain('alice');
    const notice = await noticeOf('lead1', job);
    expect(h.emu.org.chat(id)?.admins).not.toContain('alice');
    expect(notice.text).toContain('no longer admins: Alice (alice)');
  });

  it('at=: the rename happens on time and not before', async () => {
    const id = await create('lead1', 'At Rename');
    const asked = Date.now();
    const reply = await h.say('lead1', `/chat rename ${id} "Renamed Later" at=2s`);
    expect(reply).toContain('Scheduled as **J');
    expect(reply).toContain('Nothing has changed yet');
    expect(reply).toContain(`**At Rename** (\`${id}\`)`);
    const job = jobOf(reply);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.emu.org.chat(id)?.name).toBe('At Rename');
    const notice = await noticeOf('lead1', job);
    expect(h.emu.org.chat(id)?.name).toBe('Renamed Later');
    expect(await h.app.metrics.registry.getSingleMetricAsString('jobs_total')).toMatch(
      /jobs_total\{outcome="done"\} \d+/,
    );
    const update = h.emu.requests.find(
      (r) =>
        (r.endpoint === 'chat.update' || r.endpoint === 'im.group.update') &&
        JSON.stringify(r.body ?? '').includes('Renamed Later'),
    );
    expect(update?.at).toBeGreaterThanOrEqual(asked + 2_000);
    expect(notice.text).toContain('Renamed **At Rename** → **Renamed Later**');
    expect(notice.text).toContain(`/chat rename ${id} "Renamed Later"`);
  });

  it('at= on a command that needs /confirm: confirmed first, then scheduled, done on time', async () => {
    const id = await create('lead1', 'At Remove', 'alice bob');
    const ask = await h.say('lead1', `/chat remove ${id} bob at=2s`);
    expect(ask).toMatch(/Done at \d{4}-\d\d-\d\d [\d:]+ \(Asia\/Shanghai\), not now/);
    const scheduled = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(scheduled).toContain('Scheduled as **J');
    const job = jobOf(scheduled);
    expect(h.emu.org.chat(id)?.members).toContain('bob');
    await noticeOf('lead1', job);
    expect(h.emu.org.chat(id)?.members).not.toContain('bob');
  });

  it('/chat jobs lists the caller’s (an admin: everyone’s); cancel follows the change’s rules', async () => {
    const id = await create('lead1', 'Jobs List');
    // Ten days ahead, 18:00 in the organisation's zone (typed quoted here, unquoted below).
    const day = formatLocal(Date.now() + 10 * 86_400_000, 'Asia/Shanghai').slice(0, 10);
    const when = `${day} 18:00`;
    const reply = await h.say('lead1', `/chat rename ${id} Later at="${when}"`);
    const job = jobOf(reply);
    expect(reply).toContain(`at ${when} (Asia/Shanghai)`);
    const mine = await h.say('lead1', '/chat jobs');
    expect(mine).toContain(`**${job}** ${when} · Jobs List (${id}) · /chat rename ${id} Later`);
    expect(await h.say('lead2', '/chat jobs')).not.toContain(job);
    expect(await h.say('admin1', '/chat jobs')).toContain(`**${job}** ${when} · Jobs List (${id})`);
    expect(await h.say('admin1', '/chat jobs')).toContain('by Lee Lead (lead1)');
    expect(await h.say('lead2', `/chat jobs cancel ${job}`)).toContain('is not yours');
    expect(await h.say('lead1', '/chat jobs cancel J999999')).toContain('There is no job J999999');
    expect(await h.say('lead1', '/chat jobs cancel')).toContain('Which job?');
    expect(await h.say('lead1', `/chat jobs cancel ${job.toLowerCase()}`)).toContain(
      `Cancelled job **${job}**`,
    );
    expect(await h.say('lead1', `/chat jobs cancel ${job}`)).toContain('no longer waits (it is cancelled)');
    expect(await h.say('lead1', '/chat jobs')).not.toContain(job);
    const unquoted = await h.say('lead1', `/chat rename ${id} Later at=${day} 09:30`);
    expect(unquoted).toContain(`at ${day} 09:30 (Asia/Shanghai)`);
    expect(unquoted).toContain(`/chat rename ${id} Later on **Jobs List**`);
    await h.say('lead1', `/chat jobs cancel ${jobOf(unquoted)}`);
    // Chinese alias, in Chinese.
    expect(await h.say('lead1', '/定时任务')).toContain('没有等待中的定时修改');
  });

  it('at= on a set of chats: one job, nothing before its time, then every chat and one ledger', async () => {
    const a = await create('lead2', 'Later Set A', 'alice');
    const b = await create('lead2', 'Later Set B', 'bob');
    for (const id of [a, b]) expect(await h.say('lead2', `/chat tag ${id} later`)).toContain('Tagged');
    const reply = await h.say('lead2', '/chat add tag:later carol at=2s');
    expect(reply).toMatch(/Scheduled as \*\*J\d+\*\*: \/chat add tag:later carol/);
    const job = jobOf(reply);
    for (const id of [a, b]) expect(h.emu.org.chat(id)?.members).not.toContain('carol');
    const listed = await h.say('lead2', '/chat jobs');
    expect(listed).toContain(`**${job}**`);
    expect(listed).toMatch(/· tag:later · \/chat add tag:later carol/);
    // Another lead may not cancel it (the set's chats are not theirs to change).
    expect(await h.say('lead1', `/chat jobs cancel ${job}`)).toMatch(/not yours/);
    const notice = await noticeOf('lead2', job);
    for (const id of [a, b]) expect(h.emu.org.chat(id)?.members).toContain('carol');
    expect(notice.text).toContain('2 done, 0 skipped, 0 failed');
    expect(notice.text).toContain('Later Set A');
    expect(notice.text).toContain('Later Set B');
    // A removal asks first, says when, and /confirm schedules it: nothing leaves before its time.
    const ask = await h.say('lead2', '/chat remove tag:later carol at=2s');
    expect(ask).toContain('not now: confirming schedules it');
    const scheduled = await h.say('lead2', `/confirm ${confirmCode(ask)}`);
    const second = jobOf(scheduled);
    for (const id of [a, b]) expect(h.emu.org.chat(id)?.members).toContain('carol');
    const done = await noticeOf('lead2', second);
    expect(done.text).toContain('2 done');
    for (const id of [a, b]) expect(h.emu.org.chat(id)?.members).not.toContain('carol');
    // Each chat written once per job.
    const adds = h.emu.requests.filter(
      (r) =>
        (r.endpoint === 'chat.update' || r.endpoint === 'im.group.update') &&
        JSON.stringify(r.body ?? '').includes('carol') &&
        [a, b].some((id) => JSON.stringify(r.body ?? '').includes(id)),
    );
    expect(adds).toHaveLength(4);
  });

  it('past, nonsense and far-off times are refused; nothing changes or is scheduled', async () => {
    const id = await create('lead1', 'Bad Times');
    const cases: [string, RegExp][] = [
      [`/chat rename ${id} X at=2020-01-01`, /is not in the future/],
      [`/chat rename ${id} X at=tomorrow`, /needs a time.*"tomorrow" is neither/s],
      [`/chat rename ${id} X at=400d`, /more than a year ahead/],
      [`/chat rename ${id} X at=2026-02-30`, /needs a time/],
      [`/chat add ${id} carol until=0s`, /is not in the future/],
      [`/chat rename ${id} X until=2h`, /until= works with \/chat add and \/chat admin add only/],
      [`/chat admin remove ${id} alice until=2h`, /until= works with/],
      [`/chat add ${id} carol at=2h until=1h`, /must come after at=/],
      [`/chat rename ${id} X at=1h at=2h`, /given twice/],
      // A set of chats (issue 21) may be scheduled, not taken back on its own.
      [`/chat add mine carol until=1h`, /until= works on one chat at a time, not on a set of chats \(mine\)/],
      [`/chat add ${id},${id} carol until=1h`, /until= works on one chat at a time/],
    ];
    for (const [text, want] of cases) expect(await h.say('lead1', text)).toMatch(want);
    expect(await h.say('lead1', `/改群名 ${id} 新名字 at=昨天`)).toContain('需要一个时间');
    expect(await h.say('lead1', '/拉人 我的群 carol until=1h')).toContain('不能用于一组群（我的群）');
    expect(h.emu.org.chat(id)?.name).toBe('Bad Times');
    expect(h.emu.org.chat(id)?.members).not.toContain('carol');
    expect(await h.say('lead1', '/chat jobs')).not.toContain('Bad Times');
    // A read-only command has no at=.
    expect(await h.say('lead1', `/chat info ${id} at=2h`)).toMatch(
      /takes no key=value options|Unknown option/,
    );
  });

  it('a job whose lead lost the chat is dropped, and the lead is told why', async () => {
    const id = await create('lead1', 'Lost Chat', 'alice lead2');
    const job = jobOf(await h.say('lead1', `/chat rename ${id} "Not Done" at=2s`));
    const ask = await h.say('admin1', `/chat owner ${id} lead2`);
    await h.say('admin1', `/confirm ${confirmCode(ask)}`);
    const notice = await noticeOf('lead1', job);
    expect(notice.text).toContain(`Job **${job}**`);
    expect(notice.text).toContain('was dropped; nothing was changed');
    expect(notice.text).toMatch(/owner/i);
    expect(h.emu.org.chat(id)?.name).toBe('Lost Chat');
  });

  it('/chat undo of a scheduling cancels the job', async () => {
    const id = await create('lead1', 'Undo Sched');
    const job = jobOf(await h.say('lead1', `/chat rename ${id} Never at=1h`));
    const undo = await h.say('lead1', `/chat undo ${id}`);
    expect(undo).toContain(`cancel the scheduled job ${job}`);
    expect(await h.say('lead1', '/chat jobs')).not.toContain(job);
    expect(await h.say('lead1', `/chat jobs cancel ${job}`)).toContain('it is cancelled');
  });

  it('a 1:1 message DingTalk flow-controls is sent again, and arrives once', async () => {
    const id = await create('lead1', 'Flow Ctl');
    h.emu.faults.otoFlowControlled = 1;
    const job = jobOf(await h.say('lead1', `/chat rename ${id} "Flowed" at=1s`));
    const notice = await noticeOf('lead1', job);
    expect(notice.text).toContain('is done');
    expect(h.emu.faults.otoFlowControlled).toBe(0);
    const sends = h.emu.requests.filter(
      (r) => r.endpoint === 'robot.batchSend' && JSON.stringify(r.body ?? '').includes(job),
    );
    expect(sends).toHaveLength(2);
    expect(h.emu.otoTo('lead1').filter((r) => r.text.includes(`**${job}**`))).toHaveLength(1);
  });

  it('/chat undo of a change made with until= cancels its take-back', async () => {
    const id = await create('lead1', 'Undo Until', 'alice');
    const job = jobOf(await h.say('lead1', `/chat add ${id} dave until=1h`));
    const ask = await h.say('lead1', `/chat undo ${id}`);
    const done = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    expect(done).toContain(`the take-back scheduled with until= (${job}) is cancelled`);
    expect(h.emu.org.chat(id)?.members).not.toContain('dave');
    expect(await h.say('lead1', '/chat jobs')).not.toContain(job);
  });

  it('/help of a changing command shows at= (and until= where it applies)', async () => {
    const add = await h.say('lead1', '/help chat add');
    expect(add).toContain('- at=＜when＞: do it then, not now');
    expect(add).toContain('in Asia/Shanghai');
    expect(add).toContain('- until=＜when＞: do it now and take it back then');
    const rename = await h.say('lead1', '/help chat rename');
    expect(rename).toContain('- at=＜when＞');
    expect(rename).not.toContain('until=');
    expect(await h.say('lead1', '/help chat info')).not.toContain('at=');
    expect(await h.say('lead1', '/帮助 拉人')).toContain('- until=＜时间＞: 现在就做，到时撤回');
  });

  it('in Chinese: scheduled and told in Chinese', async () => {
    const id = await create('lead1', 'Zh Sched');
    const reply = await h.say('lead1', `/改群名 ${id} 新群名 at=2s`);
    expect(reply).toContain('已安排为 **J');
    expect(reply).toMatch(/2秒后。.*\/定时任务 取消 J\d+ 取消它/s);
    const job = jobOf(reply);
    const notice = await noticeOf('lead1', job);
    expect(notice.text).toContain(`定时任务 **${job}**`);
    expect(notice.text).toContain('已完成');
    expect(h.emu.org.chat(id)?.name).toBe('新群名');
  });
});
