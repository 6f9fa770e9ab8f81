/**
 * Errors as replies: a UserError about the input (with the command's usage and example), and any
 * error as what the user sees and what the audit records (DingTalk's, the store's, ours).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DingTalkError } from '../../dingtalk/errors.ts';
import { explainDingTalkError } from '../../dingtalk/explain.ts';
import type { Metrics } from '../../health.ts';
import { StoreUnavailableError } from '../../store/errors.ts';
import type { AuditReason } from '../audit.ts';
import { userErrorText } from '../i18n.ts';
import { dingtalkErrorCode } from '../kit.ts';
import { md } from '../render.ts';
import { type CommandSpec, type IncomingMessage, type Reply, type Translate, UserError } from '../types.ts';
import { auditBase, type Outcome, type Turn } from './turn.ts';

/** Parse errors of a line that meant a command (audited); the others are chit-chat (not). */
export const MALFORMED = new Set(['parse.unclosed-quote', 'parse.too-long', 'parse.control']);

/** A handler ran past the command timeout. */
export class CommandTimeoutError extends Error {
  constructor() {
    super('command timed out');
    this.name = 'CommandTimeoutError';
  }
}

/** A UserError as an audit reason: what the user was told, without the usage line's key. */
export function reasonOf(err: UserError): AuditReason {
  const { usageKey: _usage, ...params } = err.params;
  return { key: err.code, params };
}

/**
 * A UserError about the input: with the command's usage where the message has a place for it,
 * and then the command's own example. In a 1:1 chat the usage shows `<chat>` as required.
 */
export function userErrorReply(
  err: UserError,
  t: Translate,
  spec?: CommandSpec<unknown>,
  msg?: Pick<IncomingMessage, 'conversationType'>,
): Reply {
  if (spec === undefined) return { text: userErrorText(err, t) };
  const withUsage =
    err.params.usage === undefined && err.params.usageKey === undefined
      ? new UserError(err.code, { ...err.params, usageKey: spec.usage })
      : err;
  let text = userErrorText(withUsage, t);
  if (t(err.code).includes('{usage}') && msg?.conversationType === 'direct') {
    const chat = t('param.chat');
    text = text.replaceAll(`[${chat}]`, chat);
  }
  // The example goes with errors about the line's shape, not with e.g. an unknown chat name.
  const exampleKey = `${spec.usage.replace(/\.usage$/, '')}.example`;
  const example = t(exampleKey);
  if (example !== exampleKey && (t(err.code).includes('{usage}') || MALFORMED.has(err.code)))
    text += `\n${t('usage.example', { example: md(example) })}`;
  return { text };
}

/** A people error: like {@link userErrorText}, but a permission point is shown as it is spelled. */
export function peopleErrorText(err: UserError, t: Translate): string {
  const { permission, ...rest } = err.params;
  return t(err.code, typeof permission === 'string' ? { ...rest, permission: md(permission) } : rest);
}

/** Turns any error into the reply the user sees and what the audit records. */
export function failure(
  err: unknown,
  t: Translate,
  log: Logger,
  command: string,
  metrics: Metrics | undefined,
): Outcome & { audit: NonNullable<Outcome['audit']> } {
  if (err instanceof StoreUnavailableError) {
    metrics?.errors.inc({ kind: 'store' });
    log.error({ err: err.message }, 'store unavailable while running a command');
    return {
      reply: { text: t('pipeline.store-unavailable') },
      audit: { command, outcome: 'failed', reason: { key: 'audit.reason.store', params: {} } },
    };
  }
  if (err instanceof UserError) {
    return {
      reply: { text: userErrorText(err, t) },
      audit: { command, outcome: 'refused', reason: reasonOf(err) },
    };
  }
  if (err instanceof DingTalkError) {
    metrics?.errors.inc({ kind: 'dingtalk' });
    const locale = t('locale.code') === 'zh-CN' ? 'zh-CN' : 'en';
    const e = explainDingTalkError(err, locale);
    log.warn({ err: describe(err) }, 'DingTalk refused a call');
    return {
      reply: {
        text: t('pipeline.dingtalk-error', {
          // The explanation is the bot's own text.
          cause: md(e.cause),
          next: md(e.next),
          permission: e.permission === undefined ? '-' : md(e.permission),
          ids: e.ids,
        }),
      },
      audit: {
        command,
        outcome: 'failed',
        // In both languages: the reader of /audit decides which one they see.
        reason: {
          key: 'audit.reason.dingtalk',
          params: {
            'cause@en': explainDingTalkError(err, 'en').cause,
            'cause@zh-CN': explainDingTalkError(err, 'zh-CN').cause,
          },
        },
        errcode: dingtalkErrorCode(err) ?? 'unknown',
      },
    };
  }
  const incident = randomBytes(4).toString('hex');
  metrics?.errors.inc({ kind: 'internal' });
  log.error({ err, incident }, 'command failed');
  return {
    reply: { text: t('pipeline.internal-error', { incident }) },
    audit: { command, outcome: 'failed', reason: { key: 'audit.reason.internal', params: { incident } } },
  };
}

/** An error for a log line: name, message and DingTalk's code, never a stack of secrets. */
export function describe(err: unknown): object {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, code: dingtalkErrorCode(err) };
  }
  return { message: String(err) };
}

/** The reply and audit of a command past its time: the outcome is unknown, and how to check. */
export function timedOut(turn: Turn, timeoutMs: number, command: string): Outcome {
  turn.log.warn({ timeoutMs }, 'command timed out');
  const seconds = Number((timeoutMs / 1000).toFixed(1));
  return {
    reply: { text: turn.t('pipeline.timeout', { seconds, check: checkLine(turn) }) },
    audit: {
      ...auditBase(turn),
      command,
      outcome: 'failed',
      reason: { key: 'audit.reason.timeout', params: { seconds } },
    },
  };
}

/** The command that shows how things stand after an unknown outcome. */
export function checkLine(turn: Turn): string {
  const chatId = (turn.plan?.chat ?? turn.draft?.chat)?.chatId ?? turn.concerned;
  return chatId !== undefined ? `/chat info ${chatId}` : '/chat list';
}
