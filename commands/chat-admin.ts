/**
 * `/chat admin add|remove <chat> <users…>` (群管理员): v1 subAdministrators (role 2/3, by
 * openConversationId) or legacy topapi subadmin/update, as GroupApi picks. Only members can be
 * admins; the owner already manages the chat. Both are reported per user, not sent.
 */
import { z } from 'zod';
import { defineCommand, formatPeople, zChat, zUserIds } from '../src/bot/kit.ts';

/** The action words, English and Chinese. */
const ACTIONS: Readonly<Record<string, 'add' | 'remove'>> = {
  add: 'add',
  remove: 'remove',
  添加: 'add',
  设置: 'add',
  移除: 'remove',
  取消: 'remove',
};

export default defineCommand({
  name: 'chat admin',
  aliases: ['群管理员'],
  summary: 'chat.admin.summary',
  usage: 'chat.admin.usage',
  params: [
    { name: 'action', kind: 'word', choices: ACTIONS },
    { name: 'chat', kind: 'chat' },
    { name: 'users', kind: 'users' },
  ],
  args: z.object({ action: z.enum(['add', 'remove']), chat: zChat(), users: zUserIds().min(1) }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.admin.summary': 'Make members admins of a chat (or a set of chats), or take the role away.',
      'chat.admin.usage': '/chat admin add|remove <chat> <users…>',
      'chat.admin.example': '/chat admin add here @alice',
      'chat.admin.added': 'Made admins of **{name}**: {users}.',
      'chat.admin.removed': 'No longer admins of **{name}**: {users}.',
      'chat.admin.not-in': 'Not in the chat (skipped; add them first with /chat add): {users}.',
      'chat.admin.owner': '{owner} owns the chat and needs no admin role (skipped).',
      'chat.admin.none': 'Nothing to change in **{name}**.',
      'chat.admin.batch-add': 'make admins: {users}',
      'chat.admin.batch-remove': 'no longer admins: {users}',
      'chat.admin.skip-none': 'nothing to change: none of them is a member other than the owner',
    },
    'zh-CN': {
      'chat.admin.summary': '设置或取消群管理员（一个群或一组群）。',
      'chat.admin.usage': '/群管理员 添加|移除 <群> <成员…>',
      'chat.admin.example': '/群管理员 添加 here @alice',
      'chat.admin.added': '已设为 **{name}** 的管理员：{users}。',
      'chat.admin.removed': '已取消 **{name}** 的管理员：{users}。',
      'chat.admin.not-in': '不在群里（已跳过，请先用 /拉人 拉进群）：{users}。',
      'chat.admin.owner': '{owner} 是群主，无需设为管理员（已跳过）。',
      'chat.admin.none': '**{name}** 无需改动。',
      'chat.admin.batch-add': '设为管理员：{users}',
      'chat.admin.batch-remove': '取消管理员：{users}',
      'chat.admin.skip-none': '无需改动：他们都不是群主以外的成员',
    },
  },
  batch: {
    async plan({ args, t, people }, info) {
      const inChat = new Set(info.members);
      const target = args.users.filter((u) => inChat.has(u) && u !== info.owner);
      if (target.length === 0) return { skip: t('chat.admin.skip-none') };
      const users = await formatPeople(people, target, { max: 20 });
      return {
        change: t(args.action === 'add' ? 'chat.admin.batch-add' : 'chat.admin.batch-remove', { users }),
      };
    },
    retry: (args, chatId) => `${args.action} ${chatId} ${args.users.join(' ')}`,
  },
  async handler({ args, api, t, people, changes }) {
    const { action, chat } = args;
    const info = await api.get(chat.chatId);
    const inChat = new Set(info.members);
    const notIn = args.users.filter((u) => !inChat.has(u));
    const owner = args.users.includes(info.owner);
    const target = args.users.filter((u) => inChat.has(u) && u !== info.owner);
    const name = info.name;
    const lines: string[] = [];
    if (target.length > 0) {
      // DingTalk does not list admins: an undo of an add leaves alone those the bot knew were
      // admins already (read before the write, which the journal notes); an undo of a remove
      // makes them all admins again.
      const knew = new Set((await changes.known(chat.chatId)).admins);
      await api.setAdmins(
        chat.openConversationId
          ? { chatId: chat.chatId, openConversationId: chat.openConversationId }
          : { chatId: chat.chatId },
        target,
        action,
      );
      const inverse = action === 'add' ? target.filter((u) => !knew.has(u)) : target;
      if (inverse.length > 0)
        await changes.record(chat.chatId, [
          { kind: 'admins', action: action === 'add' ? 'remove' : 'add', users: inverse },
        ]);
      lines.push(
        t(action === 'add' ? 'chat.admin.added' : 'chat.admin.removed', {
          name,
          users: await formatPeople(people, target, { max: 50 }),
        }),
      );
    } else {
      lines.push(t('chat.admin.none', { name }));
    }
    if (notIn.length > 0)
      lines.push(t('chat.admin.not-in', { users: await formatPeople(people, notIn, { max: 50 }) }));
    if (owner) lines.push(t('chat.admin.owner', { owner: await people.label(info.owner) }));
    return { text: lines.join('\n\n') };
  },
});
