/**
 * Reply -> what DingTalk accepts: a sessionWebhook markdown body (dingtalk-api.md §4.1) and the
 * OpenAPI `sampleMarkdown` form for when the webhook has expired (§4.2, §4.3; no @ there).
 */
import { USER_ID } from './person-word.ts';
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
const STRAY_LT = /<(?!\/?(?:font|br)\b)/giu;

/**
 * Renders a reply. In a group the sender is @-mentioned: DingTalk needs both `at.atUserIds` and
 * `@userId` in the text to show a mention. `reply.link` becomes a tappable markdown link line.
 */
export function renderReply(reply: Reply, to: RenderTarget): RenderedReply {
  let body = cleanMarkdown(String(reply.text));
  if (reply.link !== undefined) body = `${body}\n\n${mdLink(md(String(reply.link.title)), reply.link.url)}`;
  body = clipText(body);
  const title = clipTitle(plainText(reply.title !== undefined ? String(reply.title) : firstLine(body)));

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

/**
 * A markdown link `[title](url)`. A plain-string title is escaped like any user text; a
 * {@link Markdown} title (a translated label, whose parameters are escaped already) keeps its
 * escapes and only has stray brackets escaped. Characters that end a link in the url are escaped.
 */
export function mdLink(title: string | Markdown, url: string): string {
  const t =
    title instanceof Markdown
      ? stripControls(title.text)
          .replace(/\n/g, ' ')
          .replace(/\\[\s\S]|[[\]]/g, (m) => (m.length === 2 ? m : `\\${m}`))
          .replace(/</g, '＜')
          .replace(/>/g, '＞')
      : mdEscape(title);
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
    .replace(/^(\s*)([#>+-]|\d+[.)])/, '$1\\$2')
    .replace(/</g, '＜')
    .replace(/>/g, '＞');
}

/**
 * Markdown made by the bot: a catalogue text, a list it built, a command's preview. The
 * translator inserts a `Markdown` parameter as it is; every plain string parameter is text from a
 * user or from DingTalk and is escaped ({@link escapeText}). `String(m)` and `${m}` give the text.
 */
export class Markdown {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks text the bot made as markdown to insert as it is (see {@link Markdown}). */
export function md(text: string | Markdown): Markdown {
  return text instanceof Markdown ? text : new Markdown(text);
}

/** How many characters of a typed text a reply echoes before it cuts with `…`. */
export const ECHO_MAX = 40;

/** The first `max` characters of `s` (by code point) and `…` when it was longer. */
export function clipEcho(s: string, max = ECHO_MAX): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/**
 * Text from a user or from DingTalk made inert for a markdown body: {@link mdEscape}, and at the
 * start of a line (`atLineStart`) also the characters that would start a heading, quote or list.
 */
export function escapeText(s: string, atLineStart = false): string {
  const e = mdEscape(s);
  return atLineStart ? e : e.replace(/^(\s*)\\(?=[#>+-]|\d+[.)])/, '$1');
}

/** A title as plain text: escapes undone, then nothing that reads as markup (`<`, `[`, `*`…). */
export function plainText(s: string): string {
  return stripControls(s)
    .replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, '$1')
    .replace(/[*`_~|]/g, '')
    .replace(/</g, '＜')
    .replace(/>/g, '＞')
    .replace(/\[/g, '［')
    .replace(/\]/g, '］')
    .replace(/^[\s#>]+/, '');
}

/** Removes control and format characters except line breaks (and ZWJ); lone surrogates go too. */
export function stripControls(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(CONTROLS, '');
}

function cleanMarkdown(text: string): string {
  return (
    stripControls(text)
      .replace(PSEUDO_TAG, '＜$1＞')
      // A longer one (`<{param}>` around a long value) must not open an autolink `<dtmd:…>` either.
      .replace(STRAY_LT, '＜')
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
  const plain = plainText(line).trim();
  return plain === '' ? 'dingtalk-group-bot' : plain;
}

function clipTitle(title: string): string {
  const chars = Array.from(title.replace(/\n/g, ' ').trim());
  if (chars.length === 0) return 'dingtalk-group-bot';
  return chars.length > MAX_TITLE_CHARS ? `${chars.slice(0, MAX_TITLE_CHARS - 1).join('')}…` : chars.join('');
}
