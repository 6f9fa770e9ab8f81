/**
 * Robot payload (`data` of a `/v1.0/im/bot/messages/get` frame, stream-protocol.md §7) ->
 * {@link IncomingMessage}. Total: any input gives a message or a reason, never an exception.
 */
import { z } from 'zod';
import type { IncomingMessage } from './types.ts';

export type NormalizeResult = { ok: true; message: IncomingMessage } | { ok: false; reason: string };

export interface NormalizeOptions {
  /** The bot's own dingtalkId, when known from elsewhere; `chatbotUserId` of the payload is used too. */
  botDingtalkId?: string;
  /** Receive time, used when the payload has no `createAt`. */
  now?: () => number;
}

/** Optional fields never make a payload unusable: a wrong type reads as absent. */
const optString = z.string().optional().catch(undefined);
const epochMs = z
  .union([
    z.number().nonnegative(),
    z
      .string()
      .regex(/^\d{1,16}$/)
      .transform(Number),
  ])
  .optional()
  .catch(undefined);
const flag = z.unknown().transform((v) => v === true || v === 'true');

const AtUser = z.object({ dingtalkId: z.string().min(1), staffId: optString });

const RichTextPart = z.object({
  type: optString,
  text: optString,
  atName: optString,
  atUserId: optString,
});

const RobotPayload = z.object({
  msgId: z.string().min(1),
  msgtype: optString,
  conversationId: z.string().min(1),
  conversationType: z.union([z.enum(['1', '2']), z.literal(1), z.literal(2)]),
  conversationTitle: optString,
  senderStaffId: optString,
  senderNick: optString,
  isAdmin: flag,
  chatbotUserId: optString,
  robotCode: optString,
  atUsers: z.array(z.unknown()).optional().catch(undefined),
  sessionWebhook: optString,
  sessionWebhookExpiredTime: epochMs,
  createAt: epochMs,
  text: z.object({ content: z.string() }).optional().catch(undefined),
  content: z.unknown().optional(),
});

type Payload = z.infer<typeof RobotPayload>;
type Mention = IncomingMessage['mentions'][number];

/**
 * Validates and flattens a robot payload.
 *
 * - `conversationType` "1" is a 1:1 chat, "2" a group; `createAt` may be a number or a numeric string.
 * - The bot's own `atUsers` entry (dingtalkId = `chatbotUserId` or `opts.botDingtalkId`) is left out.
 * - `text`: `text.content` trimmed; for `richText`, the text parts joined (its `at` parts become
 *   mentions when the payload has no `atUsers`); other msgtypes give `''` with `msgtype` kept.
 * - A missing `senderStaffId` (users outside the org) gives `senderUserId: ''`; the pipeline refuses it.
 */
export function normalizeRobotPayload(
  data: unknown,
  frameMessageId: string,
  opts: NormalizeOptions = {},
): NormalizeResult {
  try {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { ok: false, reason: 'payload is not an object' };
    }
    const parsed = RobotPayload.safeParse(data);
    if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
    return { ok: true, message: toMessage(parsed.data, frameMessageId, opts) };
  } catch (err) {
    // Only exotic inputs (proxies, throwing getters) get here; JSON never does.
    return {
      ok: false,
      reason: `payload could not be read: ${err instanceof Error ? err.name : typeof err}`,
    };
  }
}

function toMessage(p: Payload, frameMessageId: string, opts: NormalizeOptions): IncomingMessage {
  const botIds = new Set([p.chatbotUserId, opts.botDingtalkId].filter((x): x is string => !!x));
  const group = p.conversationType === '2' || p.conversationType === 2;
  const richText = p.msgtype === 'richText' ? richTextParts(p.content) : undefined;
  const msgtype = p.msgtype ?? (p.text !== undefined ? 'text' : 'unknown');

  let text = '';
  if (msgtype === 'text') text = p.text?.content ?? (typeof p.content === 'string' ? p.content : '');
  else if (richText !== undefined) text = richText.text;

  const fromAtUsers = (p.atUsers ?? []).flatMap((u): Mention[] => {
    const at = AtUser.safeParse(u);
    if (!at.success || botIds.has(at.data.dingtalkId)) return [];
    return [{ dingtalkId: at.data.dingtalkId, userId: at.data.staffId || undefined }];
  });
  const mentions =
    fromAtUsers.length > 0
      ? fromAtUsers
      : (richText?.mentions ?? []).filter((m) => !botIds.has(m.dingtalkId));

  return {
    msgId: p.msgId,
    frameMessageId,
    robotCode: p.robotCode ?? '',
    msgtype,
    text: text.trim(),
    senderUserId: p.senderStaffId ?? '',
    senderNick: p.senderNick ?? '',
    senderIsOrgAdmin: p.isAdmin,
    conversationType: group ? 'group' : 'direct',
    conversationId: p.conversationId,
    conversationTitle: group ? p.conversationTitle : undefined,
    mentions,
    sessionWebhook: p.sessionWebhook ?? '',
    sessionWebhookExpiresAt: p.sessionWebhookExpiredTime ?? 0,
    createdAt: p.createAt ?? (opts.now ?? Date.now)(),
  };
}

/** The text and the `at` parts of a richText body: `{richText: [{text} | {type:"at",atName,atUserId} | …]}`. */
function richTextParts(content: unknown): { text: string; mentions: Mention[] } {
  const list = z.object({ richText: z.array(z.unknown()) }).safeParse(content);
  if (!list.success) return { text: '', mentions: [] };
  let text = '';
  const mentions: Mention[] = [];
  for (const raw of list.data.richText) {
    const part = RichTextPart.safeParse(raw);
    if (!part.success) continue;
    const { type, atName, atUserId } = part.data;
    if (type === 'at') {
      // Whether atUserId is a userId or a dingtalkId is unconfirmed; encrypted ids start with `$:`.
      const id = atUserId ?? atName ?? '';
      if (id !== '')
        mentions.push({ dingtalkId: id, userId: atUserId?.startsWith('$:') ? undefined : atUserId });
      text += ' ';
    } else if (part.data.text !== undefined && (type === undefined || type === 'text')) {
      text += part.data.text;
    }
  }
  return { text, mentions };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}
