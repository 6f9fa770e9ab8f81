/**
 * Route: the message's text to a command (parse, then match), or the reply that says why not.
 * A line that meant a command but is malformed is answered with that command's example and
 * audited; chit-chat is answered and not audited.
 */
import { leadingWords, parseLine } from '../parse.ts';
import { MALFORMED, reasonOf, userErrorReply } from './failure.ts';
import { clip, type Deps, end, type Step } from './turn.ts';

export function route(deps: Pick<Deps, 'commands' | 'directory'>): Step {
  return async (turn, next) => {
    const { msg, t } = turn;
    if (!msg.senderUserId) return end(turn, { text: t('pipeline.no-user-id') });
    if (msg.msgtype !== 'text' && msg.msgtype !== 'richText')
      return end(turn, { text: t('pipeline.text-only') });
    const parsed = parseLine(msg.text, {
      conversationType: msg.conversationType,
      isCommandWord: deps.commands.isCommandWord,
    });
    if (!parsed.ok) {
      const words = leadingWords(msg.text);
      const meant = deps.commands.get(words.join(' ')) ?? deps.commands.get(words[0] ?? '');
      const reply = userErrorReply(parsed.error, t, meant, msg);
      if (!MALFORMED.has(parsed.error.code)) return end(turn, reply);
      return end(turn, reply, {
        command: meant?.name ?? clip(words[0] ?? ''),
        outcome: 'refused',
        reason: reasonOf(parsed.error),
      });
    }
    const match = deps.commands.match(parsed.words);
    if (!match.ok) {
      const typed = match.error.params.command;
      return end(turn, userErrorReply(match.error, t), {
        command: typeof typed === 'string' ? typed : clip(leadingWords(msg.text)[0] ?? ''),
        outcome: 'refused',
        reason: reasonOf(match.error),
      });
    }
    turn.spec = match.spec;
    turn.rest = match.rest;
    turn.log = turn.log.child({ command: match.spec.name });
    // Names seen for free label people in later replies.
    deps.directory.learn(msg.senderUserId, msg.senderNick);
    await next();
  };
}
