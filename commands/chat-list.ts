/**
 * `/chat list` (我的群): the registry's chats the caller may manage: all for admins, the ones
 * created for or linked by the caller for leads.
 */
import { z } from 'zod';
import { defineCommand, normalizeTag, UserError } from '../src/bot/kit.ts';

/** `tag:<tag>` / `标签:<tag>` after /chat list. */
const TAG_FILTER = /^(?:tag|标签):(.*)$/iu;

/** Longer lists are cut (a reply holds about 4500 characters). */
const SHOWN = 50;

export default defineCommand({
  name: 'chat list',
  aliases: ['我的群'],
  summary: 'chat.list.summary',
  usage: 'chat.list.usage',
  params: [{ name: 'filter', kind: 'word', optional: true }],
  args: z.object({ filter: z.string().optional() }),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.list.summary': 'List the chats you manage through me.',
      'chat.list.usage': '/chat list [tag:<tag>]',
      'chat.list.example': '/chat list',
      'chat.list.empty':
        'You have no chats with me yet. Create one with /chat create "<name>" @people, or register one you own with /chat link <chatId>.',
      'chat.list.mine': 'Your chats ({count}):',
      'chat.list.all': 'All registered chats ({count}):',
      'chat.list.row': '- **{name}** `{chatId}` · {date}',
      'chat.list.linked': 'linked',
      'chat.list.for': 'for {user}',
      'chat.list.more': '… and {count} more.',
      'chat.list.tags': 'tags: {tags}',
      'chat.list.bad-filter': 'I can list by tag only: /chat list tag:<tag>, not "{value}".',
      'chat.list.tag-empty': 'None of your chats has the tag {tag}. Tag one with /chat tag <chat> {tag}.',
      'chat.list.tagged': 'Your chats with the tag {tag} ({count}):',
      'chat.list.tagged-all': 'Chats with the tag {tag} ({count}):',
    },
    'zh-CN': {
      'chat.list.summary': '列出你通过我管理的群。',
      'chat.list.usage': '/我的群 [标签:<标签>]',
      'chat.list.example': '/我的群',
      'chat.list.empty':
        '你还没有通过我管理的群。可以用 /建群 "<群名>" @成员 新建，或用 /关联群 <chatId> 登记你是群主的群。',
      'chat.list.mine': '你的群（{count} 个）：',
      'chat.list.all': '所有已登记的群（{count} 个）：',
      'chat.list.row': '- **{name}** `{chatId}` · {date}',
      'chat.list.linked': '登记',
      'chat.list.for': '属于 {user}',
      'chat.list.more': '…… 另有 {count} 个。',
      'chat.list.tags': '标签：{tags}',
      'chat.list.bad-filter': '只能按标签列出：/我的群 tag:<标签>，而不是“{value}”。',
      'chat.list.tag-empty': '你的群都没有标签 {tag}。用 /群标签 <群> {tag} 加标签。',
      'chat.list.tagged': '你带标签 {tag} 的群（{count} 个）：',
      'chat.list.tagged-all': '带标签 {tag} 的群（{count} 个）：',
    },
  },
  async handler({ args, caller, registry, tags, t, people }) {
    const admin = caller.role === 'admin';
    let chats = await (admin ? registry.list() : registry.listFor(caller.userId));
    let tag: string | undefined;
    if (args.filter !== undefined) {
      const m = TAG_FILTER.exec(args.filter.normalize('NFKC'));
      tag = m === null ? undefined : normalizeTag(m[1] ?? '');
      if (tag === undefined) throw new UserError('chat.list.bad-filter', { value: args.filter });
      const tagged = new Set(await tags.chats(tag));
      chats = chats.filter((c) => tagged.has(c.chatId));
      if (chats.length === 0) return { text: t('chat.list.tag-empty', { tag }) };
    }
    if (chats.length === 0) return { text: t('chat.list.empty') };
    const shown = chats.slice(0, SHOWN);
    const tagsOf = await tags.of(shown.map((c) => c.chatId));
    // Only an admin's list says whom each chat is for.
    const owners = admin ? [...new Set(shown.map((c) => c.createdFor))] : [];
    const named = await people.labels(owners);
    const rows = shown.map((c) => {
      const notes = [];
      if (!c.createdByBot) notes.push(t('chat.list.linked'));
      if (admin)
        notes.push(t('chat.list.for', { user: named[owners.indexOf(c.createdFor)] ?? c.createdFor }));
      const its = tagsOf.get(c.chatId);
      if (its !== undefined) notes.push(t('chat.list.tags', { tags: its.join(', ') }));
      const row = t('chat.list.row', {
        name: c.name,
        chatId: c.chatId,
        date: new Date(c.createdAt).toISOString().slice(0, 10),
      });
      return notes.length > 0 ? `${row} · ${notes.join(' · ')}` : row;
    });
    if (chats.length > SHOWN) rows.push(t('chat.list.more', { count: chats.length - SHOWN }));
    return {
      text: `${
        tag !== undefined
          ? t(admin ? 'chat.list.tagged-all' : 'chat.list.tagged', { tag, count: chats.length })
          : t(admin ? 'chat.list.all' : 'chat.list.mine', { count: chats.length })
      }\n${rows.join('\n')}`,
    };
  },
});
