/**
 * `/confirm <code>`: runs a pending risky command (same user, within 2 minutes). The pipeline
 * carries it out, because it re-binds and re-authorizes the stored command; this spec gives it a
 * name, aliases, help text and a role.
 */
import { z } from 'zod';
import { defineCommand, UserError } from '../src/bot/kit.ts';

export default defineCommand({
  name: 'confirm',
  aliases: ['确认'],
  summary: 'confirm.summary',
  usage: 'confirm.usage',
  params: [{ name: 'code', kind: 'word' }],
  args: z.object({ code: z.string() }),
  role: 'everyone',
  changes: false,
  messages: {
    en: {
      'confirm.summary': 'Run a command that waits for your confirmation',
      'confirm.usage': '/confirm <code>',
    },
    'zh-CN': {
      'confirm.summary': '执行等待你确认的操作',
      'confirm.usage': '/确认 <确认码>',
    },
  },
  handler: async () => {
    throw new UserError('confirm.need-code');
  },
});
