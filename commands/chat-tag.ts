/**
 * `/chat tag <chat> <tag>` (群标签) and `/chat untag <chat> <tag>` (取消标签): labels on
 * registered chats, kept with the registry (shared by replicas). `tag:<tag>` then names the set
 * of chats with that tag in add, remove, admin, set and nick; `/chat list tag:<tag>` lists them.
 */
import { z } from 'zod';
import {
  type ChatRef,
  defineCommand,
  type HandlerContext,
  normalizeTag,
  UserError,
  zChat,
} from '../src/bot/kit.ts';

interface Args {
  chat: ChatRef;
  tag: string;
}

/** The chat's record and the tag as stored, or a UserError that says what is wrong. */
function checked({ args }: HandlerContext<Args>): {
  chat: ChatRef & { record: NonNullable<ChatRef['record']> };
  tag: string;
} {
  const tag = normalizeTag(args.tag);
  if (tag === undefined) throw new UserError('chat.tag.bad', { tag: args.tag });
  const record = args.chat.record;
  if (record === undefined) throw new UserError('chat.tag.unknown', { chat: args.chat.chatId });
  return { chat: { ...args.chat, record }, tag };
}

const messages = {
  en: {
    'chat.tag.summary': 'Tag a chat, so that tag:<tag> names it with the others that have the tag.',
    'chat.tag.usage': '/chat tag <chat> <tag>',
    'chat.tag.example': '/chat tag #"Design Review" proj',
    'chat.untag.summary': 'Take a tag off a chat.',
    'chat.untag.usage': '/chat untag <chat> <tag>',
    'chat.untag.example': '/chat untag #"Design Review" proj',
    'chat.tag.bad': '"{tag}" is not a tag: use letters, digits, - and _ (at most 32), e.g. proj or on-call.',
    'chat.tag.unknown':
      'I can tag only a chat I know: {chat} is not registered. Register it with /chat link {chat} first.',
    'chat.tag.done': 'Tagged **{name}** with {tag}. /chat list tag:{tag} lists its chats.',
    'chat.tag.already': '**{name}** has the tag {tag} already.',
    'chat.untag.done': 'Took the tag {tag} off **{name}**.',
    'chat.untag.none': '**{name}** has no tag {tag}; nothing was changed.',
  },
  'zh-CN': {
    'chat.tag.summary': '给群加标签，之后 标签:<标签> 即指所有带这个标签的群。',
    'chat.tag.usage': '/群标签 <群> <标签>',
    'chat.tag.example': '/群标签 #"设计评审" 项目',
    'chat.untag.summary': '去掉群的标签。',
    'chat.untag.usage': '/取消标签 <群> <标签>',
    'chat.untag.example': '/取消标签 #"设计评审" 项目',
    'chat.tag.bad': '“{tag}”不是有效的标签：只能用字母、数字、- 和 _（最多 32 个），例如 项目 或 值班。',
    'chat.tag.unknown': '我只能给我知道的群加标签：{chat} 还没有登记。请先用 /关联群 {chat} 登记。',
    'chat.tag.done': '已给 **{name}** 加上标签 {tag}。/我的群 tag:{tag} 列出带这个标签的群。',
    'chat.tag.already': '**{name}** 已经有标签 {tag}。',
    'chat.untag.done': '已去掉 **{name}** 的标签 {tag}。',
    'chat.untag.none': '**{name}** 没有标签 {tag}；未做任何更改。',
  },
};

/** What tag and untag share: a chat you may change and a tag word; they differ in what they do. */
const shared = {
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'tag', kind: 'word' },
  ],
  args: z.object({ chat: zChat(), tag: z.string() }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages,
} as const;

export const chatTag = defineCommand<Args>({
  ...shared,
  name: 'chat tag',
  aliases: ['群标签'],
  summary: 'chat.tag.summary',
  usage: 'chat.tag.usage',
  async handler(ctx) {
    const { chat, tag } = checked(ctx);
    const added = await ctx.tags.add(chat.chatId, tag, ctx.caller.userId);
    return { text: ctx.t(added ? 'chat.tag.done' : 'chat.tag.already', { name: chat.record.name, tag }) };
  },
});

export const chatUntag = defineCommand<Args>({
  ...shared,
  name: 'chat untag',
  aliases: ['取消标签'],
  summary: 'chat.untag.summary',
  usage: 'chat.untag.usage',
  async handler(ctx) {
    const { chat, tag } = checked(ctx);
    const removed = await ctx.tags.remove(chat.chatId, tag);
    return { text: ctx.t(removed ? 'chat.untag.done' : 'chat.untag.none', { name: chat.record.name, tag }) };
  },
});

export default chatTag;
