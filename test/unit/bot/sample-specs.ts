/** Specs shaped like the real /chat commands, for bind tests and the fuzz tests. */
import { z } from 'zod';
import { zChat, zUserId, zUserIds } from '../../../src/bot/kit.ts';
import { spec } from './fakes.ts';

export const chatInfo = spec({
  name: 'chat info',
  changes: false,
  params: [{ name: 'chat', kind: 'chat', optional: true }],
  args: z.object({ chat: zChat().optional() }),
});
export const chatRename = spec({
  name: 'chat rename',
  ownership: 'chat',
  changes: true,
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'name', kind: 'text' },
  ],
  args: z.object({ chat: zChat(), name: z.string().min(1).max(20) }),
});
export const chatAdd = spec({
  name: 'chat add',
  ownership: 'chat',
  changes: true,
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'users', kind: 'users' },
  ],
  args: z.object({ chat: zChat(), users: zUserIds().min(1) }),
});
export const chatNick = spec({
  name: 'chat nick',
  ownership: 'chat',
  changes: true,
  params: [
    { name: 'chat', kind: 'chat' },
    { name: 'user', kind: 'user' },
    { name: 'nickname', kind: 'text' },
  ],
  args: z.object({ chat: zChat(), user: zUserId(), nickname: z.string() }),
});
export const chatCreate = spec({
  name: 'chat create',
  params: [
    { name: 'name', kind: 'word' },
    { name: 'users', kind: 'users', optional: true },
  ],
  options: {
    owner: { kind: 'user' },
    mute: { kind: 'onoff' },
    'mention-all': { kind: 'enum', values: ['everyone', 'owner'] },
    note: { kind: 'text' },
  },
  args: z.object({
    name: z.string().min(1).max(20),
    users: zUserIds().optional(),
    owner: zUserId().optional(),
    mute: z.boolean().optional(),
    mentionAll: z.enum(['everyone', 'owner']).optional(),
    note: z.string().optional(),
  }),
});
export const audit = spec({
  name: 'audit',
  params: [
    { name: 'n', kind: 'int', optional: true },
    { name: 'chat', kind: 'chat', optional: true },
  ],
  args: z.object({ n: z.number().int().positive().optional(), chat: zChat().optional() }),
});
