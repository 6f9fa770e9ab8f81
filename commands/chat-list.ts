/**
 * `/chat list` (我的群): the registry's chats the caller may manage: all for admins, the ones
 * created for or linked by the caller for leads.
 */
import { z } from 'zod';
import { defineCommand } from '../src/bot/kit.ts';

/** Longer lists are cut (a reply holds about 4500 characters). */
const SHOWN = 50;

export default defineCommand({
  name: 'chat list',
  aliases: ['我的群'],
  summary: 'chat.list.summary',
  usage: 'chat.list.usage',
  params: [],
  args: z.object({}),
  role: 'lead',
  changes: false,
  messages: {
    en: {
      'chat.list.summary': 'List the chats you manage through me.',
      'chat.list.usage': '/chat list',
      'chat.list.example': '/chat list',
      'chat.list.empty':
        'You have no chats with me yet. Create one with /chat create "<name>" @people, or register one you own with /chat link <chatId>.',
      'chat.list.mine': 'Your chats ({count}):',
      'chat.list.all': 'All registered chats ({count}):',
      'chat.list.row': '- **{name}** `{chatId}` · {date}',
      'chat.list.linked': 'linked',
      'chat.list.for': 'for {user}',
      'chat.list.more': '… and {count} more.',
    },
    'zh-CN': {
      'chat.list.summary': '列出你通过我管理的群。',
      'chat.list.usage': '/我的群',
      'chat.list.example': '/我的群',
      'chat.list.empty':
        '你还没有通过我管理的群。可以用 /建群 "<群名>" @成员 新建，或用 /关联群 <chatId> 登记你是群主的群。',
      'chat.list.mine': '你的群（{count} 个）：',
      'chat.list.all': '所有已登记的群（{count} 个）：',
      'chat.list.row': '- **{name}** `{chatId}` · {date}',
      'chat.list.linked': '登记',
      'chat.list.for': '属于 {user}',
      'chat.list.more': '…… 另有 {count} 个。',
    },
  },
  async handler({ caller, registry, t, people }) {
    const admin = caller.role === 'admin';
    const chats = await (admin ? registry.list() : registry.listFor(caller.userId));
    if (chats.length === 0) return { text: t('chat.list.empty') };
    const shown = chats.slice(0, SHOWN);
    // Only an admin's list says whom each chat is for.
    const owners = admin ? [...new Set(shown.map((c) => c.createdFor))] : [];
    const named = await people.labels(owners);
    const rows = shown.map((c) => {
      const notes = [];
      if (!c.createdByBot) notes.push(t('chat.list.linked'));
      if (admin)
        notes.push(t('chat.list.for', { user: named[owners.indexOf(c.createdFor)] ?? c.createdFor }));
      const row = t('chat.list.row', {
        name: c.name,
        chatId: c.chatId,
        date: new Date(c.createdAt).toISOString().slice(0, 10),
      });
      return notes.length > 0 ? `${row} · ${notes.join(' · ')}` : row;
    });
    if (chats.length > SHOWN) rows.push(t('chat.list.more', { count: chats.length - SHOWN }));
    return {
      text: `${t(admin ? 'chat.list.all' : 'chat.list.mine', { count: chats.length })}\n${rows.join('\n')}`,
    };
  },
});
