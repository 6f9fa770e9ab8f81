/**
 * `/chat set <chat> key=value…` (群设置): chat settings through chat/update (or v1 group/update
 * managementOptions) and private chat through topapi friendswitch. Settings that already have
 * the asked value are reported and not sent.
 */
import { z } from 'zod';
import {
  defineCommand,
  dingtalkErrorCode,
  md,
  type Translate,
  type UndoStep,
  UserError,
  zChat,
} from '../src/bot/kit.ts';
import type { ChatSettings } from '../src/dingtalk/types.ts';

type Key = keyof ChatSettings;

/** The settings in `/chat set` order, with their option names (the labels are `settings.<option>`). */
const KEYS: readonly [Key, string][] = [
  ['searchable', 'searchable'],
  ['validation', 'validation'],
  ['mentionAll', 'mention-all'],
  ['management', 'management'],
  ['mute', 'mute'],
  ['history', 'history'],
];

function inWords(v: ChatSettings[Key], t: Translate): string {
  if (v === true) return t('word.on');
  if (v === false) return t('word.off');
  return t(v === 'owner' ? 'word.owner' : 'word.everyone');
}

const who = z.enum(['everyone', 'owner']).optional();

export default defineCommand({
  name: 'chat set',
  aliases: ['群设置'],
  summary: 'chat.set.summary',
  usage: 'chat.set.usage',
  params: [{ name: 'chat', kind: 'chat' }],
  options: {
    searchable: { kind: 'onoff' },
    validation: { kind: 'onoff' },
    'mention-all': { kind: 'enum', values: ['everyone', 'owner'] },
    management: { kind: 'enum', values: ['everyone', 'owner'] },
    mute: { kind: 'onoff' },
    history: { kind: 'onoff' },
    'private-chat': { kind: 'onoff' },
  },
  args: z.object({
    chat: zChat(),
    searchable: z.boolean().optional(),
    validation: z.boolean().optional(),
    mentionAll: who,
    management: who,
    mute: z.boolean().optional(),
    history: z.boolean().optional(),
    privateChat: z.boolean().optional(),
  }),
  role: 'lead',
  ownership: 'chat',
  changes: true,
  messages: {
    en: {
      'chat.set.summary': 'Change the settings of a chat or of a set of chats.',
      'chat.set.usage':
        '/chat set <chat> [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off] [private-chat=on|off]',
      'chat.set.example': '/chat set here searchable=on validation=on private-chat=off',
      'chat.set.nothing':
        'Say what to change, e.g. /chat set {chat} searchable=on. Keys: searchable, validation, mention-all, management, mute, history, private-chat.',
      'chat.set.done': 'Changed **{name}**:',
      'chat.set.same': '{label} is already {value}',
      'chat.set.separator': ', ',
      'chat.set.unchanged': 'Not sent: {items}.',
      'chat.set.none': 'Nothing to change in **{name}**: {items}.',
      'chat.set.private-chat': 'private-chat',
      'chat.set.private-chat-on': 'members may chat privately and add each other as friends',
      'chat.set.private-chat-off': 'members may not chat privately or add each other as friends',
      'chat.set.private-chat-failed':
        'But private-chat was **not** changed: DingTalk refused ({code}). Try again with /chat set {chat} private-chat={value}.',
      'chat.set.skip-same': 'nothing to change: {items}',
    },
    'zh-CN': {
      'chat.set.summary': '修改一个群或一组群的设置。',
      'chat.set.usage':
        '/群设置 <群> [searchable=on|off] [validation=on|off] [mention-all=everyone|owner] [management=everyone|owner] [mute=on|off] [history=on|off] [private-chat=on|off]',
      'chat.set.example': '/群设置 here searchable=on private-chat=off',
      'chat.set.nothing':
        '请说明要改什么，例如 /群设置 {chat} searchable=on。可用的键：searchable、validation、mention-all、management、mute、history、private-chat。',
      'chat.set.done': '**{name}** 已修改：',
      'chat.set.same': '{label} 已经是{value}',
      'chat.set.separator': '，',
      'chat.set.unchanged': '未发送：{items}。',
      'chat.set.none': '**{name}** 无需修改：{items}。',
      'chat.set.private-chat': '群内私聊 private-chat',
      'chat.set.private-chat-on': '成员可以私聊、互加好友',
      'chat.set.private-chat-off': '成员不能私聊、互加好友',
      'chat.set.private-chat-failed':
        '但群内私聊设置**没有**修改：钉钉拒绝了（{code}）。请重试：/群设置 {chat} private-chat={value}。',
      'chat.set.skip-same': '无需改动：{items}',
    },
  },
  batch: {
    async plan({ args, t, changes }, info) {
      const asked = KEYS.filter(([k]) => args[k] !== undefined);
      if (asked.length === 0 && args.privateChat === undefined)
        throw new UserError('chat.set.nothing', { chat: args.chat.label });
      const changed: string[] = [];
      const same: string[] = [];
      for (const [k, option] of asked) {
        const want = args[k] as ChatSettings[typeof k];
        const label = t(`settings.${option}`);
        if (info.settings[k] === want) same.push(t('chat.set.same', { label, value: inWords(want, t) }));
        else changed.push(`${label}: ${inWords(info.settings[k], t)} → **${inWords(want, t)}**`);
      }
      if (args.privateChat !== undefined) {
        // DingTalk does not tell the switch: only what the bot set there is known.
        const known = (await changes.known(info.chatId)).privateChat;
        const label = t('chat.set.private-chat');
        if (known === args.privateChat) same.push(t('chat.set.same', { label, value: inWords(known, t) }));
        else changed.push(`${label}: **${inWords(args.privateChat, t)}**`);
      }
      const sep = t('chat.set.separator');
      if (changed.length === 0) return { skip: t('chat.set.skip-same', { items: md(same.join(sep)) }) };
      return { change: changed.join(sep) };
    },
    retry: (args, chatId) =>
      [
        chatId,
        ...KEYS.filter(([k]) => args[k] !== undefined).map(([k, option]) => {
          const v = args[k];
          return `${option}=${v === true ? 'on' : v === false ? 'off' : String(v)}`;
        }),
        ...(args.privateChat === undefined ? [] : [`private-chat=${args.privateChat ? 'on' : 'off'}`]),
      ].join(' '),
  },
  async handler({ args, api, t, changes }) {
    const asked = KEYS.filter(([k]) => args[k] !== undefined);
    if (asked.length === 0 && args.privateChat === undefined) {
      throw new UserError('chat.set.nothing', { chat: args.chat.chatId });
    }
    const changed: string[] = [];
    const same: string[] = [];
    let name = args.chat.record?.name ?? args.chat.chatId;
    // What takes this set back: the previous values (chat/get tells the settings; the private
    // chat switch only the bot's own record knows).
    const undo: UndoStep[] = [];
    if (asked.length > 0) {
      const info = await api.get(args.chat.chatId);
      name = info.name;
      const patch: Partial<ChatSettings> = {};
      const before: Partial<ChatSettings> = {};
      for (const [k, option] of asked) {
        const want = args[k] as ChatSettings[typeof k];
        const label = t(`settings.${option}`);
        if (info.settings[k] === want) {
          same.push(t('chat.set.same', { label, value: inWords(want, t) }));
          continue;
        }
        Object.assign(patch, { [k]: want });
        Object.assign(before, { [k]: info.settings[k] });
        changed.push(`- ${label}: ${inWords(info.settings[k], t)} → **${inWords(want, t)}**`);
      }
      if (changed.length > 0) {
        await api.update(args.chat.chatId, { settings: patch });
        undo.push({ kind: 'settings', settings: before });
      }
    }
    if (args.privateChat !== undefined) {
      const previous = (await changes.known(args.chat.chatId)).privateChat;
      // friendswitch speaks of prohibiting: private-chat=off is is_prohibit=true.
      try {
        await api.setPrivateChat(args.chat.chatId, !args.privateChat);
      } catch (err) {
        // Nothing changed yet: the pipeline explains the error. Otherwise say what did change.
        if (changed.length === 0) throw err;
        await changes.record(args.chat.chatId, undo);
        const raw = dingtalkErrorCode(err);
        const code = raw === undefined ? 'unknown error' : /^\d+$/.test(raw) ? `errcode ${raw}` : raw;
        return {
          text: `${t('chat.set.done', { name: name })}\n${changed.join('\n')}\n\n${t(
            'chat.set.private-chat-failed',
            {
              code,
              chat: args.chat.chatId,
              value: args.privateChat ? 'on' : 'off',
            },
          )}`,
        };
      }
      undo.push({ kind: 'private-chat', on: previous ?? null });
      const state = args.privateChat ? 'chat.set.private-chat-on' : 'chat.set.private-chat-off';
      changed.push(`- ${t('chat.set.private-chat')}: **${inWords(args.privateChat, t)}** (${t(state)})`);
    }
    if (changed.length === 0) {
      return {
        text: t('chat.set.none', { name: name, items: md(same.join(t('chat.set.separator'))) }),
      };
    }
    await changes.record(args.chat.chatId, undo);
    const lines = [`${t('chat.set.done', { name: name })}\n${changed.join('\n')}`];
    if (same.length > 0)
      lines.push(t('chat.set.unchanged', { items: md(same.join(t('chat.set.separator'))) }));
    return { text: lines.join('\n\n') };
  },
});
