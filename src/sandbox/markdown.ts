/**
 * DingTalk markdown as a terminal shows it: headings and bold stand out, list items get a bullet,
 * links read `title <url>`, `code` loses its backticks, hard breaks and escapes disappear.
 */

/** How emphasis is drawn: ANSI styles on a colour terminal, nothing otherwise. */
export interface TermStyle {
  bold(s: string): string;
  code(s: string): string;
  link(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

/** Plain text: every style is the identity. */
export const PLAIN: TermStyle = { bold: id, code: id, link: id, dim: id, warn: id };

/** A few ANSI styles, used sparingly. */
export const ANSI: TermStyle = {
  bold: wrap(1, 22),
  code: wrap(36, 39),
  link: wrap(4, 24),
  dim: wrap(2, 22),
  warn: wrap(33, 39),
};

function id(s: string): string {
  return s;
}

// Backslash escapes (CommonMark's punctuation set) are swapped for private-use characters while
// the markup is read, so `\*` never starts bold and `\[` never starts a link.
const ESCAPABLE = '\\`*_{}[]()#+-.!|~<>';
const PUA = 0xe000;
const hide = (s: string): string =>
  s.replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, (_m, c: string) =>
    String.fromCharCode(PUA + ESCAPABLE.indexOf(c)),
  );
const unhide = (s: string): string =>
  s.replace(/[\ue000-\ue013]/g, (c) => ESCAPABLE[c.charCodeAt(0) - PUA] ?? c);

/** `dtmd://dingtalkclient/sendMessage?content=…`: tapping it sends `content` as the user's message. */
function dtmdText(url: string): string | undefined {
  const m = /^dtmd:\/\/dingtalkclient\/sendMessage\?content=(.*)$/.exec(url);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

function inline(text: string, st: TermStyle): string {
  // Code spans first: nothing inside them is markup.
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => {
      if (i % 2 === 1) return st.code(unhide(part.slice(1, -1)));
      let s = part.replace(/\[([^\]]*)\]\(([^)\s]*)\)/g, (_m, title: string, url: string) => {
        const send = dtmdText(unhide(url));
        if (send !== undefined) return `${title} (type: ${send})`;
        return `${title} <${st.link(unhide(url))}>`;
      });
      s = s.replace(/\*\*(.+?)\*\*/g, (_m, b: string) => st.bold(b));
      s = s.replace(/__(.+?)__/g, (_m, b: string) => st.bold(b));
      return unhide(s);
    })
    .join('');
}

/**
 * Renders one reply's markdown for a terminal. `＜` `＞`, which the bot uses so that DingTalk
 * does not read `<chat>` as an HTML tag, become `<` `>` again.
 */
export function renderMarkdown(markdown: string, st: TermStyle = PLAIN): string {
  const src = hide(markdown)
    .replace(/\r\n?/g, '\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?font[^>]*>/gi, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/＜/g, '<')
    .replace(/＞/g, '>');
  const out: string[] = [];
  for (const line of src.split('\n')) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      out.push(st.bold(inline(heading[1] ?? '', st)));
      continue;
    }
    const item = /^(\s*)[-*+]\s+(.*)$/.exec(line);
    if (item) {
      out.push(`${item[1] ?? ''}• ${inline(item[2] ?? '', st)}`);
      continue;
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) {
      out.push(`│ ${inline(quote[1] ?? '', st)}`);
      continue;
    }
    if (/^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      out.push('────────');
      continue;
    }
    if (/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)) continue; // table rule
    out.push(inline(line, st));
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Every DingTalk join link (`https://qr.dingtalk.com/…`) in a text, once each, in order. */
export function joinLinks(text: string): string[] {
  const found = text.match(/https:\/\/qr\.dingtalk\.com\/[^\s)<>\]]+/g) ?? [];
  return [...new Set(found)];
}
