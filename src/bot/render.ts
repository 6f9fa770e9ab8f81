/**
 * Reply -> what DingTalk accepts: a sessionWebhook markdown body (dingtalk-api.md §4.1) and the
 * OpenAPI `sampleMarkdown` form for when the webhook has expired (§4.2, §4.3; no @ there).
 */
import { USER_ID } from './bind.ts';
import type { Reply } from './types.ts';

export interface RenderTarget {
  conversationType: 'direct' | 'group';
  senderUserId: string;
}

export interface WebhookMarkdownBody {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  at: { atUserIds: string[]; isAtAll: false };
}

export interface RenderedReply {
  webhookBody: WebhookMarkdownBody;
  openApi: { msgKey: 'sampleMarkdown'; msgParam: string };
}

/** Longest markdown body sent; the group-send API takes at most 15 000 bytes of msgParam (CJK is 3 bytes a char). */
export const MAX_TEXT_CHARS = 4500;
const MAX_TITLE_CHARS = 40;
/** Controls other than line breaks, format characters (bidi, zero width; ZWJ kept) and lone surrogates. */
const CONTROLS = /(?![\n\u200d])[\p{Cc}\p{Cf}\p{Cs}]/gu;
/** `<chat>` in a usage line would be read as an HTML tag; DingTalk's own `<font>` and `<br>` stay. */
const PSEUDO_TAG = /<(?!\/?(?:font|br)\b)([^<>\n]{1,80})>/giu;

/**
 * Renders a reply. In a group the sender is @-mentioned: DingTalk needs both `at.atUserIds` and
 * `@userId` in the text to show a mention. `reply.link` becomes a tappable markdown link line.
 */
export function renderReply(reply: Reply, to: RenderTarget): RenderedReply {
  let body = cleanMarkdown(reply.text);
  if (reply.link !== undefined) body = `${body}\n\n${mdLink(reply.link.title, reply.link.url)}`;
  body = clipText(body);
  const title = clipTitle(reply.title !== undefined ? stripControls(reply.title) : firstLine(body));

  const mention =
    to.conversationType === 'group' && USER_ID.test(to.senderUserId) ? to.senderUserId : undefined;
  const webhookText =
    mention === undefined ? body : `@${mention} ${/^[#>*\-+|]|^\d+\./.test(body) ? '\n\n' : ''}${body}`;

  return {
    webhookBody: {
      msgtype: 'markdown',
      markdown: { title, text: webhookText },
      at: { atUserIds: mention === undefined ? [] : [mention], isAtAll: false },
    },
    openApi: { msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title, text: body }) },
  };
}

/** A markdown link `[title](url)`; brackets in the title and characters that end a link in the url are escaped. */
export function mdLink(title: string, url: string): string {
  const t = stripControls(title)
    .replace(/[\n]/g, ' ')
    .replace(/([[\]\\])/g, '\\$1');
  const u = stripControls(url).replace(
    /[\s()<>]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return `[${t}](${u})`;
}

/**
 * A link that makes the DingTalk client send `text` as the user's own message when tapped
 * (`dtmd://dingtalkclient/sendMessage`), e.g. the confirm link. Use it inside {@link mdLink}.
 */
export function dtmdSendLink(text: string): string {
  // encodeURIComponent leaves ( ) ' ! * alone; ( ) would end a markdown link.
  const encoded = encodeURIComponent(stripControls(text).replace(/\n/g, ' ')).replace(
    /[()'!*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `dtmd://dingtalkclient/sendMessage?content=${encoded}`;
}

/**
 * Escapes text a user typed (chat names, nicks, ids) for inline use in markdown: emphasis, code,
 * link brackets and tables are backslash-escaped, `<` `>` become full-width, line breaks spaces.
 */
export function mdEscape(s: string): string {
  return stripControls(s)
    .replace(/\n/g, ' ')
    .replace(/([\\`*_[\]~|])/g, '\\$1')
    .replace(/^([#>+-]|\d+\.)/, '\\$1')
    .replace(/</g, '＜')
    .replace(/>/g, '＞');
}

/** Removes control and format characters except line breaks (and ZWJ); lone surrogates go too. */
export function stripControls(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(CONTROLS, '');
}

function cleanMarkdown(text: string): string {
  return (
    stripControls(text)
      .replace(PSEUDO_TAG, '＜$1＞')
      // DingTalk renders a lone newline only as a hard break (two spaces before it).
      .replace(/([^\n])(?<! {2})\n(?=[^\n])/g, '$1  \n')
  );
}

function clipText(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= MAX_TEXT_CHARS) return text;
  const cut = chars.slice(0, MAX_TEXT_CHARS - 1).join('');
  const lastBreak = cut.lastIndexOf('\n');
  return `${lastBreak > MAX_TEXT_CHARS / 2 ? cut.slice(0, lastBreak) : cut}\n…`;
}

function firstLine(body: string): string {
  const line = body.split('\n').find((l) => l.trim() !== '') ?? '';
  const plain = line.replace(/[#>*_`[\]]/g, '').trim();
  return plain === '' ? 'dingtalk-group-bot' : plain;
}

function clipTitle(title: string): string {
  const chars = Array.from(title.replace(/\n/g, ' ').trim());
  if (chars.length === 0) return 'dingtalk-group-bot';
  return chars.length > MAX_TITLE_CHARS ? `${chars.slice(0, MAX_TITLE_CHARS - 1).join('')}…` : chars.join('');
}
