/**
 * `/pick <n>…`: chooses among the people an ambiguous name matched (same user, within 2
 * minutes). The pipeline carries it out, because it re-binds and re-authorizes the stored
 * command; this spec gives it a name, aliases, help text and a role.
 */
import { z } from 'zod';
import { defineCommand, UserError } from '../src/bot/kit.ts';

export default defineCommand({
  name: 'pick',
  aliases: ['选'],
  summary: 'pick.summary',
  usage: 'pick.usage',
  params: [{ name: 'numbers', kind: 'text', optional: true }],
  args: z.object({ numbers: z.string().optional() }),
  role: 'everyone',
  changes: false,
  messages: {
    en: {
      'pick.summary': 'Choose among the people a name matched',
      'pick.usage': '/pick <n> [n…]  (one number per ambiguous name, in order)',
    },
    'zh-CN': {
      'pick.summary': '在一个名字匹配到的多个人中选择',
      'pick.usage': '/选 <序号> [序号…]（每个有歧义的名字一个序号，按顺序）',
    },
  },
  handler: async () => {
    throw new UserError('pick.nothing');
  },
});
