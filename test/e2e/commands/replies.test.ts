import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../helpers/harness.ts';
import { confirmCode, seedChat } from './helpers.ts';

/**
 * Every reply a lead trips over when something is wrong, word for word, in both languages: the
 * language holds on every path, each error names the actual problem with the command's own
 * example, and a hint is given only to someone who can follow it. (Replies arrive as DingTalk
 * markdown: a line break is `  \n`, and `<…>` is shown as `＜…＞`.)
 */
const NO_SUCH_CHAT = 'chat00000000000000000000000000000000';
const LONG = 'x'.repeat(31);

describe('replies in English', () => {
  let h: Harness;
  let pw: string;
  beforeAll(async () => {
    h = await startHarness();
    pw = seedChat(h, 'Product Weekly', 'lead1', ['lead1', 'alice', 'bob']).chatId;
    await h.say('lead1', `/chat link ${pw}`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a second chat of the same name is pointed out, and #name lists both by chatId', async () => {
    await h.say('lead1', '/chat create "Design Review" alice');
    // A second chat of a name the lead already uses is confirmed first.
    const ask = await h.say('lead1', '/chat create "Design Review" bob');
    const again = await h.say('lead1', `/confirm ${confirmCode(ask)}`);
    const [first, second] = h.emu.org
      .chats()
      .filter((c) => c.name === 'Design Review')
      .map((c) => c.chatId);
    expect(again).toContain(
      `Another chat is named **Design Review** too (${first}), so #"Design Review" no longer names one chat. Name this one by its chatId \`${second}\`, or give it a name of its own: /chat rename ${second} "＜new name＞"`,
    );
    expect(await h.say('lead1', '/chat info #"Design Review"')).toBe(
      `Several chats are named "Design Review": Design Review (${second}), Design Review (${first}). Name the one you mean by its chatId.`,
    );
  });

  it('a count of one reads as one', async () => {
    expect(await h.say('lead1', '/chat create Val')).toMatch(
      /^Created \*\*Val\*\* with 1 member; owner Lee Lead \(lead1\)\./,
    );
  });

  it('parse errors and unknown commands', async () => {
    expect(await h.say('lead1', '/chat create "Design Review alice')).toBe(
      'A quote " is not closed: add the closing quote.  \nExample: /chat create "Design Review" @alice bob owner=alice validation=on',
    );
    expect(await h.say('lead1', '/chta create x')).toBe(
      'Unknown command /chta create. Did you mean /chat, /chat create?',
    );
  });

  it('each error names the actual problem', async () => {
    expect(await h.say('lead1', '/chat admin #"Product Weekly" alice')).toBe(
      'Start with one of add / remove.  \nUsage: /chat admin add|remove ＜chat＞ ＜users…＞  \nExample: /chat admin add here @alice',
    );
    expect(await h.say('lead1', '/chat info')).toBe(
      'In a 1:1 chat I need to know which chat: name it by chatId (chat…), #name or #"name with spaces"; /chat list shows yours.  \nUsage: /chat info ＜chat＞  \nExample: /chat info #"Design Review"',
    );
    expect(await h.say('lead1', `/chat create "${LONG}"`)).toBe(
      `"${LONG}" is too long for a chat name: it has 31 characters, DingTalk allows at most 20.`,
    );
    expect(await h.say('lead1', `/chat link ${NO_SUCH_CHAT}`)).toBe(
      `DingTalk knows no chat ${NO_SUCH_CHAT} that I may manage. Check the id: I can link only a chat of this organisation that was created through DingTalk's server API (by me or another app), not one made in the DingTalk app.`,
    );
    expect(await h.say('lead2', '/chat rename #"Product Weekly" X')).toEqual(
      expect.stringMatching(
        /^Li Lead \(lead2\), you may not change \*\*Product Weekly\*\* \(`chat[0-9a-f]+`\): its owner is Lee Lead \(lead1\)\. Ask Lee Lead \(lead1\) or a bot admin; \/chat list shows the chats you may change\.$/,
      ),
    );
  });

  it('a hint only for whoever can follow it', async () => {
    // lead2 may not add people to lead1's chat; an admin may.
    expect(await h.say('lead2', '/chat qr #"Product Weekly"')).toBe(
      'DingTalk lets only members share the join link of **Product Weekly**, and you, Li Lead (lead2), are not one. Ask its owner Lee Lead (lead1) to share it.',
    );
    expect(await h.say('admin1', '/chat qr #"Product Weekly"')).toBe(
      `DingTalk lets only members share the join link of **Product Weekly**, and you, Ada Admin (admin1), are not one. Ask its owner Lee Lead (lead1) to share it, or add yourself first: /chat add ${pw} me`,
    );
    // zed is nobody in the directory: named back, nothing tried.
    expect(await h.say('lead1', '/chat nick #"Product Weekly" zed Zed')).toBe(
      'Nobody in the directory matches "zed". Nothing was changed.',
    );
    // erin exists but is no member: no "add erin" for a lead who may not add to the chat.
    expect(await h.say('lead2', '/chat nick #"Product Weekly" erin Zed')).toContain(
      'Li Lead (lead2), you may not change',
    );
    expect(await h.say('admin1', '/chat nick #"Product Weekly" me Boss')).toBe(
      `Ada Admin (admin1) is not a member of **Product Weekly**, so they have no nickname there. Add them first: /chat add ${pw} admin1`,
    );
    // Someone of role everyone is shown an example they can run.
    const help = await h.say('alice', '/help');
    expect(help.split('\n').at(-1)).toBe('Send /help ＜command＞ for details, e.g. /help whoami.');
    expect(await h.say('alice', '/help whoami')).toMatch(/^\*\*\/whoami\*\*/);
    expect((await h.say('lead1', '/help')).split('\n').at(-1)).toBe(
      'Send /help ＜command＞ for details, e.g. /help chat create.',
    );
  });

  it('settings that are already so, in sentences', async () => {
    expect(await h.say('lead1', '/chat set #"Product Weekly" mute=off')).toBe(
      'Nothing to change in **Product Weekly**: mute is already off.',
    );
    expect(await h.say('lead1', '/chat set #"Product Weekly" mute=off searchable=on')).toBe(
      'Changed **Product Weekly**:  \n- searchable: off → **on**\n\nNot sent: mute is already off.',
    );
  });
});

describe('replies in Chinese (a Chinese command word)', () => {
  let h: Harness;
  let pw: string;
  beforeAll(async () => {
    h = await startHarness();
    pw = seedChat(h, 'Product Weekly', 'lead1', ['lead1', 'alice', 'bob']).chatId;
    await h.say('lead1', `/chat link ${pw}`);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('parse errors, unknown commands and help', async () => {
    expect(await h.say('lead1', '/建群 “未闭合 alice')).toBe(
      '引号 “ 没有闭合：请补上另一半引号。  \n示例：/建群 "设计评审" @alice bob validation=on',
    );
    expect(await h.say('lead1', '/建裙 x')).toBe('未知命令 /建裙。你是不是想用 /建群？');
    expect((await h.say('lead1', '/帮助')).split('\n').at(-1)).toBe(
      '发送 /帮助 ＜命令＞ 查看详情，例如 /帮助 建群。',
    );
    expect((await h.say('alice', '/帮助')).split('\n').at(-1)).toBe(
      '发送 /帮助 ＜命令＞ 查看详情，例如 /帮助 我是谁。',
    );
    const detail = await h.say('lead1', '/帮助 建群');
    expect(detail).toContain('[owner=＜用户＞]');
    expect(detail).toContain('- owner=＜用户＞');
    expect(detail).not.toMatch(/user|text/);
  });

  it('each error names the actual problem', async () => {
    expect(await h.say('lead1', '/建群 小组')).toMatch(
      /^已创建 \*\*小组\*\*，共 1 人，群主 Lee Lead \(lead1\)。/,
    );
    expect(await h.say('lead1', '/群信息')).toBe(
      '在单聊中需要指定群：chatId（chat…）、#群名 或 #"带空格的群名"；/我的群 列出你的群。  \n用法：/群信息 ＜群＞  \n示例：/群信息 #"设计评审"',
    );
    expect(await h.say('lead1', '/群管理员 #"Product Weekly" alice')).toBe(
      '请以其中之一开头：添加 / 移除。  \n用法：/群管理员 添加|移除 ＜群＞ ＜成员…＞  \n示例：/群管理员 添加 here @alice',
    );
    expect(await h.say('lead1', `/建群 "${LONG}"`)).toBe(
      `"${LONG}" 作为群名太长：有 31 个字符，钉钉最多允许 20 个。`,
    );
    expect(await h.say('lead2', '/群二维码 #"Product Weekly"')).toBe(
      '钉钉只允许群成员分享 **Product Weekly** 的入群链接，而你 Li Lead (lead2) 不在群里。请群主 Lee Lead (lead1) 分享。',
    );
    // Someone who may add themselves is told how, with the Chinese command.
    expect(await h.say('admin1', `/群二维码 ${pw}`)).toBe(
      `钉钉只允许群成员分享 **Product Weekly** 的入群链接，而你 Ada Admin (admin1) 不在群里。请群主 Lee Lead (lead1) 分享，或先把自己拉进群：/拉人 ${pw} me`,
    );
    expect(await h.say('lead1', '/群昵称 #"Product Weekly" zed Zed')).toBe(
      '通讯录中没有与"zed"匹配的人。未做任何更改。',
    );
    expect(await h.say('lead1', '/群昵称 #"Product Weekly" erin Erin')).toContain(
      '不是 **Product Weekly** 的成员，不能设群昵称。',
    );
    expect(await h.say('lead1', '/群设置 #"Product Weekly" mute=off')).toBe(
      '**Product Weekly** 无需修改：全员禁言 mute 已经是关。',
    );
    expect(await h.say('lead2', '/改群名 #"Product Weekly" X')).toEqual(
      expect.stringMatching(
        /^Li Lead \(lead2\)，你不能修改 \*\*Product Weekly\*\* \(`chat[0-9a-f]+`\)：它的群主是 Lee Lead \(lead1\)。请找 Lee Lead \(lead1\) 或机器人管理员；\/我的群 列出你可以修改的群。$/,
      ),
    );
  });

  it("DingTalk's refusal is explained in Chinese", async () => {
    expect(await h.say('lead1', `/群信息 ${NO_SUCH_CHAT}`)).toBe(
      '钉钉拒绝了请求：群 id 不合法（可能不属于本企业）。  \n怎么办：请检查群 id：只有通过服务端接口创建（或用 /chat link 关联）的群可以操作。  \n编号：errcode 40016 · endpoint chat.get',
    );
  });

  it('a confirmation stays in Chinese: the prompt, the link it sends, the result', async () => {
    const ask = await h.say('lead1', '/踢人 #"Product Weekly" bob');
    const code = /\/确认 ([A-Z0-9]{6})/.exec(ask)?.[1] ?? '';
    expect(ask).toBe(
      `将有 1 人离开 **Product Weekly**（\`${pw}\`）：Bob (bob)。\n\n请在 2 分钟内发送 /确认 ${code} 继续（或点击链接），或发送 /取消。\n\n[确认 ${code}](dtmd://dingtalkclient/sendMessage?content=${encodeURIComponent(`/确认 ${code}`)})`,
    );
    expect(await h.say('lead1', `/确认 ${code}`)).toBe(
      '已把 1 人移出 **Product Weekly**：Bob (bob)。现有 2 人。',
    );
  });
});

describe('replies in Chinese (BOT_LOCALE=zh-CN)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { BOT_LOCALE: 'zh-CN' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('English command words answer in Chinese on every path', async () => {
    expect(await h.say('lead1', '/chat create "未闭合 alice')).toBe(
      '引号 " 没有闭合：请补上另一半引号。  \n示例：/建群 "设计评审" @alice bob validation=on',
    );
    expect(await h.say('lead1', '/chta x')).toBe('未知命令 /chta。你是不是想用 /chat？');
    expect(await h.say('lead1', '/chat info')).toContain('在单聊中需要指定群');
    expect(await h.say('alice', '/chat create X')).toBe(
      '/建群 需要负责人角色；你是 Alice (alice)（角色：所有人）。可以发送 /我是谁 查看。',
    );
  });
});

describe('the audit trail in words', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** The /audit rows without their time and duration. */
  const rows = async (line: string): Promise<string[]> =>
    (await h.say('admin1', line))
      .split('\n')
      .filter((l) => l.startsWith('- '))
      .map((l) => l.replace(/^- [^·]+ · /, '').replace(/ · \d+ (?:ms|毫秒) {0,2}$/, ''));

  it('records command, chat and a worded reason for every kind of attempt', async () => {
    const pw = seedChat(h, 'Audit Me', 'lead1', ['lead1', 'alice', 'bob']).chatId;
    await h.say('lead1', `/chat link ${pw}`);
    await h.say('lead1', '/chat create "Made Here" alice'); // allowed; the chat it made
    const made = h.emu.org.chats().find((c) => c.name === 'Made Here')?.chatId;
    await h.say('alice', '/chat create Nope'); // refused: role
    await h.say('lead2', `/chat rename ${pw} Mine`); // refused: owner
    await h.say('lead1', `/chat remove ${pw} lead1`); // refused by the command: the owner
    await h.say('lead1', '/chat create "Oops alice'); // malformed
    await h.say('lead1', '/chta x'); // unknown
    const code = confirmCode(await h.say('lead1', `/chat remove ${pw} alice`)); // pending
    await h.say('lead1', `/confirm ${code}`); // confirmed
    const cancelled = confirmCode(await h.say('lead1', `/chat remove ${pw} bob`));
    await h.say('lead1', '/cancel'); // refused: cancelled
    await h.say('lead1', `/chat info ${NO_SUCH_CHAT}`); // failed

    expect(await rows('/audit 12')).toEqual([
      `Lee Lead (lead1) · /chat info · ${NO_SUCH_CHAT} · failed (DingTalk refused: The chat id is not valid for this organisation, errcode 40016)`,
      `Lee Lead (lead1) · /chat remove · Audit Me (${pw}) · refused (cancelled by the user (${cancelled}))`,
      `Lee Lead (lead1) · /chat remove · Audit Me (${pw}) · pending (waits for confirmation ${cancelled})`,
      `Lee Lead (lead1) · /chat remove · Audit Me (${pw}) · confirmed (confirmed with ${code})`,
      `Lee Lead (lead1) · /chat remove · Audit Me (${pw}) · pending (waits for confirmation ${code})`,
      'Lee Lead (lead1) · /chta · — · refused (Unknown command /chta)',
      'Lee Lead (lead1) · /chat create · — · refused (A quote " is not closed: add the closing quote)',
      `Lee Lead (lead1) · /chat remove · Audit Me (${pw}) · refused (Lee Lead (lead1) owns the chat and cannot be removed: transfer ownership first (/chat owner ${pw} ＜user＞))`,
      `Li Lead (lead2) · /chat rename · Audit Me (${pw}) · refused (not the owner; the owner is lead1)`,
      'Alice (alice) · /chat create · — · refused (needs the role lead, has everyone)',
      `Lee Lead (lead1) · /chat create · Made Here (${made}) · allowed`,
      `Lee Lead (lead1) · /chat link · Audit Me (${pw}) · allowed`,
    ]);
    expect(await rows('/审计 12')).toEqual([
      'Ada Admin (admin1) · /审计 · — · 已执行',
      `Lee Lead (lead1) · /群信息 · ${NO_SUCH_CHAT} · 失败（钉钉拒绝：群 id 不合法（可能不属于本企业），errcode 40016）`,
      `Lee Lead (lead1) · /踢人 · Audit Me（${pw}） · 已拒绝（用户已取消（${cancelled}））`,
      `Lee Lead (lead1) · /踢人 · Audit Me（${pw}） · 待确认（等待确认 ${cancelled}）`,
      `Lee Lead (lead1) · /踢人 · Audit Me（${pw}） · 已确认（已用 ${code} 确认）`,
      `Lee Lead (lead1) · /踢人 · Audit Me（${pw}） · 待确认（等待确认 ${code}）`,
      'Lee Lead (lead1) · /chta · — · 已拒绝（未知命令 /chta）',
      'Lee Lead (lead1) · /建群 · — · 已拒绝（引号 " 没有闭合：请补上另一半引号）',
      `Lee Lead (lead1) · /踢人 · Audit Me（${pw}） · 已拒绝（Lee Lead (lead1) 是群主，不能移出：请先转让群主（/转让群主 ${pw} ＜用户＞））`,
      `Li Lead (lead2) · /改群名 · Audit Me（${pw}） · 已拒绝（不是群主；群主是 lead1）`,
      'Alice (alice) · /建群 · — · 已拒绝（需要负责人角色，实际为所有人）',
      `Lee Lead (lead1) · /建群 · Made Here（${made}） · 已执行`,
    ]);
    // The record itself holds a stable key and its params, never a sentence in one language.
    const stored = (await h.app.store.audit.latest(20)).map((r) => r.reason);
    expect(stored).toContain('audit.reason.not-owner {"owner":"lead1"}');
    expect(stored).toContain('command.unknown-suggest {"command":"chta","suggestions":"/chat"}');
    // …and /audit for the chat a create made finds the create.
    expect(await rows(`/audit ${made}`)).toEqual([
      `Lee Lead (lead1) · /chat create · Made Here (${made}) · allowed`,
    ]);
  });
});
