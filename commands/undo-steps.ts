/**
 * What an undo's steps do (chat-undo.ts, chat-undo-batch.ts): each step of a recorded change
 * checked against the chat as it is now, one line each, with the call that carries it out.
 */
import {
  type Change,
  type ChatRef,
  dingtalkErrorCode,
  formatLocal,
  formatPeople,
  type HandlerContext,
  SETTING_OPTION,
  type Translate,
  type UndoStep,
  UserError,
} from '../src/bot/kit.ts';
import type { ChatInfo, ChatSettings } from '../src/dingtalk/types.ts';

export interface Args {
  chat?: ChatRef | undefined;
}

/** A step that failed: its line says so, with DingTalk's code. */
export function failedLine(line: string, err: unknown, t: Translate): string {
  const raw = dingtalkErrorCode(err);
  const code = raw === undefined ? 'unknown error' : /^\d+$/.test(raw) ? `errcode ${raw}` : raw;
  return `${line} (${t('chat.undo.step-failed', { code })})`;
}

/** What the steps will do (or did), one line each, checked against the chat as it is now. */
export async function plan(
  ctx: HandlerContext<Args>,
  change: Change,
  chat: ChatRef,
  info: ChatInfo,
): Promise<{ lines: string[]; run: { line: number; go: () => Promise<void> }[] }> {
  const { t, people, api, mayRun, registry } = ctx;
  const inChat = new Set(info.members);
  const list = (ids: readonly string[]) => formatPeople(people, ids, { max: 50 });
  const lines: string[] = [];
  // Each write goes with the line that announced it (the last one pushed).
  const run: { line: number; go: () => Promise<void> }[] = [];
  const push = (go: () => Promise<void>) => {
    run.push({ line: lines.length - 1, go });
  };
  const target = chat.openConversationId
    ? { chatId: chat.chatId, openConversationId: chat.openConversationId }
    : { chatId: chat.chatId };
  for (const step of change.undo) {
    switch (step.kind) {
      case 'rename':
        lines.push(t('chat.undo.step.rename', { from: info.name, to: step.name }));
        push(async () => {
          await api.update(chat.chatId, { name: step.name });
          if (await registry.get(chat.chatId)) await registry.rename(chat.chatId, step.name);
        });
        break;
      case 'add': {
        const back = step.users.filter((u) => !inChat.has(u));
        if (back.length === 0) {
          lines.push(t('chat.undo.step.add-none', { users: await list(step.users) }));
          break;
        }
        lines.push(t('chat.undo.step.add', { users: await list(back) }));
        push(() => api.update(chat.chatId, { add: back }));
        break;
      }
      case 'remove': {
        const out = step.users.filter((u) => inChat.has(u) && u !== info.owner);
        if (step.users.includes(info.owner))
          lines.push(t('chat.undo.step.remove-owner', { owner: await people.label(info.owner) }));
        if (out.length === 0) {
          lines.push(t('chat.undo.step.remove-none'));
          break;
        }
        lines.push(t('chat.undo.step.remove', { users: await list(out) }));
        push(() => api.update(chat.chatId, { remove: out }));
        break;
      }
      case 'owner': {
        if (info.owner !== step.current)
          throw new UserError('chat.undo.owner-moved', {
            owner: await people.label(info.owner),
            name: info.name,
          });
        if (!(await mayRun('chat owner', chat)))
          throw new UserError('chat.undo.owner-not-allowed', { name: info.name, chat: chat.chatId });
        if (!inChat.has(step.owner))
          throw new UserError('chat.undo.owner-gone', {
            user: await people.label(step.owner),
            name: info.name,
          });
        const [from, to] = await people.labels([info.owner, step.owner]);
        lines.push(t('chat.undo.step.owner', { from: from ?? info.owner, to: to ?? step.owner }));
        push(async () => {
          await api.update(chat.chatId, { owner: step.owner });
          // The registry follows the owner back, as /chat owner moved it.
          const rec = chat.record ?? (await registry.get(chat.chatId));
          if (rec !== undefined) await registry.upsert({ ...rec, createdFor: step.owner });
        });
        break;
      }
      case 'settings':
        lines.push(t('chat.undo.step.settings', { settings: settingsLine(step.settings, t) }));
        push(() => api.update(chat.chatId, { settings: step.settings }));
        break;
      case 'private-chat': {
        const on = step.on;
        if (on === null) {
          lines.push(t('chat.undo.step.private-chat-unknown', { chat: chat.chatId }));
          break;
        }
        lines.push(t('chat.undo.step.private-chat', { value: t(on ? 'word.on' : 'word.off') }));
        push(() => api.setPrivateChat(chat.chatId, !on));
        break;
      }
      case 'admins': {
        const who = step.users.filter((u) => inChat.has(u) && u !== info.owner);
        if (who.length === 0) {
          lines.push(t('chat.undo.step.admins-none'));
          break;
        }
        const action = step.action;
        lines.push(
          t(action === 'add' ? 'chat.undo.step.admins-add' : 'chat.undo.step.admins-remove', {
            users: await list(who),
          }),
        );
        push(() => api.setAdmins(target, who, action));
        break;
      }
      case 'nick': {
        const user = await people.label(step.user);
        const nick = step.nick;
        if (nick === null) {
          lines.push(t('chat.undo.step.nick-unknown', { user }));
          break;
        }
        if (!inChat.has(step.user)) {
          lines.push(t('chat.undo.step.nick-gone', { user }));
          break;
        }
        lines.push(t('chat.undo.step.nick', { user, nick }));
        push(() => api.setNick(chat.chatId, step.user, nick));
        break;
      }
      case 'job': {
        // A scheduling (at=): cancelled while it waits; once it ran, its own change is undone instead.
        const id = `J${step.job}`;
        const job = await ctx.jobs?.find(id);
        if (job === undefined || job.state !== 'pending') {
          lines.push(t('chat.undo.step.job-gone', { job: id }));
          break;
        }
        lines.push(t('chat.undo.step.job', { job: id, at: formatLocal(job.dueAt, ctx.timeZone) }));
        push(async () => {
          if (!(await ctx.jobs?.cancel(job.n))) throw new UserError('chat.undo.job-raced', { job: id });
        });
        break;
      }
    }
  }
  return { lines, run };
}

function settingsLine(settings: Partial<ChatSettings>, t: Translate): string {
  const word = (v: ChatSettings[keyof ChatSettings]): string =>
    t(v === true ? 'word.on' : v === false ? 'word.off' : v === 'owner' ? 'word.owner' : 'word.everyone');
  return (Object.keys(SETTING_OPTION) as (keyof ChatSettings)[])
    .filter((k) => settings[k] !== undefined)
    .map(
      (k) => `${t(`settings.${SETTING_OPTION[k]}`)} ${word(settings[k] as ChatSettings[keyof ChatSettings])}`,
    )
    .join(', ');
}

/** The undo takes people out or moves the owner: that waits for /confirm. */
export const risky = (steps: readonly UndoStep[]): boolean =>
  steps.some((s) => s.kind === 'remove' || s.kind === 'owner');

export const minutesAgo = (at: number): number => Math.max(0, Math.round((Date.now() - at) / 60_000));
