/**
 * Authorize, in two steps. {@link authorizeRole} before anything is bound: may the caller run the
 * command at all. {@link authorizeChat} once the chat is pinned: the options the policy forbids
 * them, and ownership of the pinned chat for commands that change it. A plan read back from a
 * confirmation or a pick goes through both again (things change in two minutes), and its chat
 * must still exist.
 */
import { md, mdEscape } from '../render.ts';
import { failure } from './failure.ts';
import { type Deps, end, type Step } from './turn.ts';

export function authorizeRole(deps: Pick<Deps, 'authorizer' | 'people'>): Step {
  return async (turn, next) => {
    const spec = turn.spec;
    if (spec === undefined) throw new Error('authorizeRole needs a routed command');
    // Checked once per command: the chain checks again only when pending switched to a stored plan's.
    if (turn.roleChecked === spec) return next();
    turn.roleChecked = spec;
    const userId = turn.msg.senderUserId;
    const can = deps.authorizer.canRun(spec, userId);
    if (!can.ok) {
      // The caller's name was learned from this message: no lookup.
      const user = await deps.people.label(userId);
      return end(
        turn,
        {
          text: turn.t('auth.role-needed', {
            command: spec.name,
            needed: can.needed,
            role: can.role,
            userId,
            user,
          }),
        },
        {
          command: spec.name,
          outcome: 'refused',
          reason: { key: 'audit.reason.role-needed', params: { needed: can.needed, role: can.role } },
        },
      );
    }
    await next();
  };
}

export function authorizeChat(deps: Pick<Deps, 'authorizer' | 'groups' | 'metrics' | 'people'>): Step {
  return async (turn, next) => {
    const spec = turn.spec;
    const bound = turn.plan ?? turn.draft;
    if (spec === undefined || bound === undefined) throw new Error('authorizeChat needs a bound command');
    const { t } = turn;
    const userId = turn.msg.senderUserId;
    const forbidden = deps.authorizer.forbiddenOptions(spec, userId, bound.usedOptions);
    if (forbidden.length > 0) {
      const role = deps.authorizer.roleOf(userId).role;
      const user = await deps.people.label(userId);
      return end(
        turn,
        { text: t('auth.option-forbidden', { options: forbidden.join(', '), role, userId, user }) },
        {
          outcome: 'refused',
          reason: { key: 'audit.reason.options-forbidden', params: { options: forbidden.join(', ') } },
        },
      );
    }
    const chat = bound.chat;
    if (chat !== undefined) {
      try {
        // A stored plan's chat must still be there (dissolved: status 2; unknown: chat/get throws).
        if (turn.stored && (await deps.groups.get(chat.chatId)).status === 2) {
          return end(
            turn,
            { text: t('chat.gone', { chat: chat.chatId }) },
            { outcome: 'refused', reason: { key: 'chat.gone', params: { chat: chat.chatId } } },
          );
        }
        if (spec.ownership === 'chat') {
          const own = await deps.authorizer.checkOwnership(userId, chat, deps.groups);
          if (!own.ok) {
            return end(
              turn,
              {
                text: t('auth.not-owner', {
                  chat: chat.label,
                  owner: own.owner,
                  userId,
                  user: await deps.people.label(userId),
                  ownerName: await deps.people.label(own.owner),
                  chatName: md(`**${mdEscape(own.name)}** (\`${chat.chatId}\`)`),
                }),
              },
              { outcome: 'refused', reason: { key: 'audit.reason.not-owner', params: { owner: own.owner } } },
            );
          }
        }
      } catch (err) {
        const f = failure(err, t, turn.log, spec.name, deps.metrics);
        return end(turn, f.reply, f.audit);
      }
    }
    await next();
  };
}
