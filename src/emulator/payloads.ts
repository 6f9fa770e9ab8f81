/** Robot message payloads built as DingTalk builds them (stream-protocol.md §7, dingtalk-api.md §6.2, §6.3). */
import { newMsgId } from './ids.ts';
import type { Org } from './org.ts';
import type { Sessions } from './robot-api.ts';
import type { AtUser, RobotPayload } from './types.ts';

export interface PayloadEnv {
  org: Org;
  robotCode: string;
  corpId: string;
  botName: string;
  botDingtalkId: string;
  baseUrl: string;
  webhookTtlMs: number;
  stripOtherMentions: boolean;
  sessions: Sessions;
  dmConversationId(userId: string): string;
}

export interface BuildOptions {
  /** chatId (or openConversationId) of a group the bot is in; omitted = 1:1 chat */
  chat?: string;
  /** userIds picked with the @ picker (group only) */
  mentions?: string[];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What DingTalk puts in `text.content` for a group message:
 * 1. The user types `@<botName> ` first, then `text`. In `text`, each `@<userId>` of a picked
 *    member becomes `@<nick>` (the picker inserts nicks); picked members not written as
 *    `@<userId>` are appended as ` @<nick>`, in `mentions` order.
 * 2. DingTalk strips the bot mention, keeping the space after it (dingtalk-api.md §6.3):
 *    `say('alice', '/chat add @bob', {chat, mentions:['bob']})` → `" /chat add @Bob Li"`.
 * 3. With `stripOtherMentions`, each `@<nick>` of a picked member is removed as well, nothing
 *    else (`" /chat add "`): the references disagree (stream-protocol.md §7 keeps them,
 *    dingtalk-api.md §6.3 strips them).
 */
export function groupContent(
  text: string,
  picked: { userId: string; nick: string }[],
  stripOthers: boolean,
): string {
  let rendered = text;
  for (const u of picked) {
    const token = new RegExp(`@${escapeRe(u.userId)}(?![\\w.-])`, 'g');
    rendered = token.test(rendered)
      ? rendered.replace(token, `@${u.nick}`)
      : `${rendered}${rendered === '' || rendered.endsWith(' ') ? '' : ' '}@${u.nick}`;
  }
  if (stripOthers) for (const u of picked) rendered = rendered.split(`@${u.nick}`).join('');
  return ` ${rendered}`;
}

export function buildRobotMessage(
  env: PayloadEnv,
  from: string,
  text: string,
  opts: BuildOptions = {},
): RobotPayload {
  const sender = env.org.user(from);
  if (!sender) throw new Error(`emulator: unknown user ${from}`);
  const createAt = Date.now();
  const msgId = newMsgId();
  const mentions = opts.mentions ?? [];
  const common = {
    chatbotCorpId: env.corpId,
    chatbotUserId: env.botDingtalkId,
    msgId,
    msgtype: 'text',
    // DingTalk's senderNick is the sender's display name, the one the contact directory holds.
    senderNick: sender.name,
    senderId: sender.dingtalkId,
    senderStaffId: sender.userId,
    senderCorpId: env.corpId,
    senderPlatform: 'Mac',
    isAdmin: sender.isOrgAdmin,
    createAt,
    robotCode: env.robotCode,
    sessionWebhookExpiredTime: createAt + env.webhookTtlMs,
  };
  const webhook = (key: string): string => `${env.baseUrl}/robot/sendBySession?session=${key}`;

  if (opts.chat === undefined) {
    if (mentions.length > 0) throw new Error('emulator: mentions need a group chat');
    const conversationId = env.dmConversationId(sender.userId);
    const s = env.sessions.create({
      msgId,
      conversationId,
      conversationType: '1',
      chatId: undefined,
      userId: sender.userId,
      expiresAt: common.sessionWebhookExpiredTime,
    });
    // 1:1: no atUsers / isInAtList / conversationTitle, text as typed (stream-protocol.md §7 DM sample)
    return {
      conversationId,
      conversationType: '1',
      ...common,
      text: { content: text },
      sessionWebhook: webhook(s.key),
    };
  }

  const chat = env.org.chat(opts.chat) ?? env.org.chatByCid(opts.chat);
  if (!chat) throw new Error(`emulator: unknown chat ${opts.chat}`);
  if (!chat.botInChat)
    throw new Error(`emulator: the bot is not in chat ${chat.chatId} (set chat.botInChat = true)`);
  if (!chat.members.includes(sender.userId))
    throw new Error(`emulator: ${from} is not a member of ${chat.chatId}`);
  const picked = mentions.map((id) => {
    const u = env.org.user(id);
    if (!u || !chat.members.includes(id))
      throw new Error(`emulator: ${id} is not a member of ${chat.chatId}`);
    return u;
  });
  // The bot's own entry is listed first, then picked members (dingtalk-api.md §6.2 atUsers)
  const atUsers: AtUser[] = [
    { dingtalkId: env.botDingtalkId },
    ...picked.map((u) => ({ dingtalkId: u.dingtalkId, staffId: u.userId })),
  ];
  const s = env.sessions.create({
    msgId,
    conversationId: chat.openConversationId,
    conversationType: '2',
    chatId: chat.chatId,
    userId: sender.userId,
    expiresAt: common.sessionWebhookExpiredTime,
  });
  return {
    conversationId: chat.openConversationId,
    conversationType: '2',
    conversationTitle: chat.name,
    atUsers,
    isInAtList: true,
    ...common,
    text: { content: groupContent(text, picked, env.stripOtherMentions) },
    sessionWebhook: webhook(s.key),
  };
}
