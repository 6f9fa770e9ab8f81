/**
 * `/cancel [code]`: drops the caller's pending risky command. Carried out by the pipeline next to
 * `/confirm`; this spec gives it a name, aliases, help text and a role.
 */
import { z } from 'zod';
import { defineCommand, UserError } from '../src/bot/kit.ts';

export default defineCommand({
  name: 'cancel',
  aliases: ['取消'],
  summary: 'cancel.summary',
  usage: 'cancel.usage',
  params: [{ name: 'code', kind: 'word', optional: true }],
  args: z.object({ code: z.string().optional() }),
  role: 'everyone',
  changes: false,
  messages: {
    en: {
      'cancel.summary': 'Drop a command that waits for your confirmation',
      'cancel.usage': '/cancel [code]',
    },
    'zh-CN': {
      'cancel.summary': '取消等待确认的操作',
      'cancel.usage': '/取消 [确认码]',
    },
  },
  handler: async () => {
    throw new UserError('confirm.nothing-to-cancel');
  },
});
