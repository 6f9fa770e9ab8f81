/**
 * `/chat link <chatId>`: registers a chat the bot did not create, so that `#name`, `here` and
 * `/chat list` know it. A lead may link only a chat DingTalk names them the owner of. In a group,
 * the chat must be this very group (its openConversationId is this conversation); then `here`
 * means it from now on.
 */
import { z } from 'zod';
import { CHAT_ID, defineCommand, dingtalkErrorCode, UserError } from '../src/bot/kit.ts';

/** chat/get status of a dissolved chat. */
const DISSOLVED = 2;
/** chat/get's "invalid chatid" (40016; 34001 on topapi): no chat with that id this app may manage. */
const NO_SUCH_CHAT = new Set(['40016', '34001']);

export default defineCommand({
  name: 'chat link',
  aliases: ['关联群'],
  summary: 'chat.link.summary',
  usage: 'chat.link.usage',
  params: [{ name: 'chatId', kind: 'word' }],
  args: z.object({ chatId: z.string() }),
  role: 'lead',
  // Ownership is checked here: the chat is not a <chat> param until it is registered.
  changes: true,
  messages: {
    en: {
      'chat.link.summary': 'Register an existing chat you own, so I know it (in a group: as "here").',
      'chat.link.usage': '/chat link <chatId>',
      'chat.link.example': '/chat link chat5a79c1e4f0d2b3a6978812345abcdef0',
      'chat.link.bad-id': '"{value}" is not a chatId (they look like chat0123abcd…).',
      'chat.link.not-found':
        "DingTalk knows no chat {chatId} that I may manage. Check the id: I can link only a chat of this organisation that was created through DingTalk's server API (by me or another app), not one made in the DingTalk app.",
      'chat.link.not-owner':
        'DingTalk names {owner} the owner of **{name}** (`{chatId}`), not you, {you|userId}; only its owner or an admin can link it.',
      'chat.link.dissolved': '{chatId} has been dissolved; there is nothing to link.',
      'chat.link.not-here':
        '{chatId} is not this group (its openConversationId is {cid}). Send /chat link in the group it belongs to, or in a 1:1 chat with me.',
      'chat.link.done': 'Linked **{name}** (`{chatId}`).',
      'chat.link.cid': 'openConversationId: `{cid}`',
      'chat.link.here': 'In this group, `here` now means this chat.',
      'chat.link.bot-created': 'I created it for {user|userId}; that stays as it was.',
    },
    'zh-CN': {
      'chat.link.summary': '登记一个你是群主的现有群，让我认识它（在群里发送则绑定为 here）。',
      'chat.link.usage': '/关联群 <chatId>',
      'chat.link.example': '/关联群 chat5a79c1e4f0d2b3a6978812345abcdef0',
      'chat.link.bad-id': '"{value}" 不是 chatId（形如 chat0123abcd…）。',
      'chat.link.not-found':
        '钉钉里没有我可以管理的群 {chatId}。请检查 id：我只能登记本企业通过钉钉服务端接口（由我或其他应用）创建的群，不能登记在钉钉客户端里建的群。',
      'chat.link.not-owner':
        '钉钉显示 **{name}**（`{chatId}`）的群主是 {owner}，不是你 {you|userId}；只有群主或管理员可以登记。',
      'chat.link.dissolved': '{chatId} 已解散，无法登记。',
      'chat.link.not-here':
        '{chatId} 不是本群（它的 openConversationId 是 {cid}）。请在它所在的群里或与我的单聊中发送 /关联群。',
      'chat.link.done': '已登记 **{name}**（`{chatId}`）。',
      'chat.link.cid': 'openConversationId：`{cid}`',
      'chat.link.here': '在本群中，`here` 现在指这个群。',
      'chat.link.bot-created': '它是我为 {user|userId} 创建的，这一点保持不变。',
    },
  },
  async handler({ args, caller, message, api, registry, t, log, concerns, people }) {
    const chatId = args.chatId.trim();
    if (!CHAT_ID.test(chatId)) throw new UserError('chat.link.bad-id', { value: chatId });
    concerns(chatId);
    let info: Awaited<ReturnType<typeof api.get>>;
    try {
      info = await api.get(chatId);
    } catch (err) {
      // The generic explanation ("only chats … linked with /chat link work") is circular here.
      if (NO_SUCH_CHAT.has(dingtalkErrorCode(err) ?? ''))
        throw new UserError('chat.link.not-found', { chatId });
      throw err;
    }
    if (info.status === DISSOLVED) throw new UserError('chat.link.dissolved', { chatId });
    if (caller.role !== 'admin' && info.owner !== caller.userId) {
      // People by name (the userId beside it), as DingTalk and the directory know them.
      const [owner = info.owner, you = caller.userId] = await people.labels([info.owner, caller.userId]);
      throw new UserError('chat.link.not-owner', {
        chatId,
        name: info.name,
        owner,
        you,
        userId: caller.userId,
      });
    }
    const inGroup = message.conversationType === 'group';
    let cid: string | undefined;
    if (inGroup) {
      cid = await api.toOpenConversationId(chatId);
      if (cid !== message.conversationId) throw new UserError('chat.link.not-here', { chatId, cid });
    } else {
      try {
        cid = await api.toOpenConversationId(chatId);
      } catch (err) {
        // Not needed to link in a 1:1 chat; /chat cid can fetch it later.
        log.warn({ err, chatId }, 'openConversationId not fetched while linking');
      }
    }
    const existing = await registry.get(chatId);
    // A chat the bot created keeps who it was created for (that is what grants its lead ownership).
    const keep = existing?.createdByBot === true;
    await registry.upsert({
      chatId,
      openConversationId: cid ?? existing?.openConversationId,
      name: info.name,
      createdFor: keep ? existing.createdFor : caller.userId,
      createdByBot: keep,
      ...(existing ? { createdAt: existing.createdAt } : {}),
    });
    const lines = [t('chat.link.done', { name: info.name, chatId })];
    if (cid) lines.push(t('chat.link.cid', { cid }));
    if (inGroup) lines.push(t('chat.link.here'));
    if (keep)
      lines.push(
        t('chat.link.bot-created', {
          user: await people.label(existing.createdFor),
          userId: existing.createdFor,
        }),
      );
    return { text: lines.join('\n\n') };
  },
});
