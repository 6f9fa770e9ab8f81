/**
 * `<when>` (issue 22): a duration from now (`45s`, `30m`, `2h`, `7d`, `1h30m`) or a date and
 * time in the organisation's time zone (BOT_TIMEZONE): `2026-12-24` (midnight),
 * `2026-12-24 18:00`, `2026-12-24T18:00`, seconds optional. A time that is not in the future,
 * a word that is no time, or one more than a year ahead is refused. Time-zone arithmetic uses
 * Intl alone (no dependency): the zone's offset at an instant is read from formatToParts.
 */

/** The furthest ahead a change may be scheduled: one year. */
export const MAX_AHEAD_MS = 365 * 24 * 60 * 60_000;

export type WhenResult =
  | { ok: true; at: number }
  | { ok: false; reason: 'nonsense' | 'past' | 'too-far'; value: string };

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
/** Unit words, English and Chinese, to s/m/h/d. */
const UNITS: Readonly<Record<string, string>> = {
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  秒: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  分: 'm',
  分钟: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  小时: 'h',
  时: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  天: 'd',
};
const DURATION_PART = /(\d{1,7})\s*([a-z]+|秒|分钟|分|小时|时|天)/gy;
const DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:(?:[ T]|\s+)(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$/;

/** A duration in ms, or undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const s = text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
  if (s === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let pos = 0;
  for (let m = DURATION_PART.exec(s); m !== null; m = DURATION_PART.exec(s)) {
    const unit = UNITS[m[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * (UNIT_MS[unit] ?? 0);
    pos = DURATION_PART.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

/** Reads `<when>` against `now` in `timeZone`. Never throws. */
export function parseWhen(text: string, now: number, timeZone: string): WhenResult {
  const value = text.trim();
  const refuse = (reason: 'nonsense' | 'past' | 'too-far'): WhenResult => ({ ok: false, reason, value });
  let at: number | undefined;
  const duration = parseDuration(value);
  if (duration !== undefined) at = now + duration;
  else {
    const m = DATE.exec(value.normalize('NFKC'));
    if (m === null) return refuse('nonsense');
    const [y, mo, d, h = 0, mi = 0, sec = 0] = m
      .slice(1)
      .map((v) => (v === undefined ? undefined : Number(v)));
    if (y === undefined || mo === undefined || d === undefined) return refuse('nonsense');
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59)
      return refuse('nonsense');
    at = zonedToUtc({ y, mo, d, h, mi, s: sec }, timeZone);
  }
  if (!Number.isFinite(at)) return refuse('nonsense');
  if (at <= now) return refuse('past');
  if (at - now > MAX_AHEAD_MS) return refuse('too-far');
  return { ok: true, at };
}

function daysIn(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface Civil {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** The wall-clock time at `ms` in `timeZone`. */
export function civil(ms: number, timeZone: string): Civil {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    y: parts.year ?? 0,
    mo: parts.month ?? 1,
    d: parts.day ?? 1,
    h: (parts.hour ?? 0) % 24,
    mi: parts.minute ?? 0,
    s: parts.second ?? 0,
  };
}

/** The offset of `timeZone` from UTC at `ms`, in ms (Asia/Shanghai: +8 h). */
function offsetAt(ms: number, timeZone: string): number {
  const c = civil(ms, timeZone);
  const wall = Date.UTC(c.y, c.mo - 1, c.d, c.h, c.mi, c.s);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant whose wall-clock time in `timeZone` is `c` (two passes, so that a time near a
 * clock change takes the offset in force then).
 */
export function zonedToUtc(c: Civil, timeZone: string): number {
  const wall = Date.UTC(c.y, c.mo - 1, c.d, c.h, c.mi, c.s);
  const first = offsetAt(wall, timeZone);
  const guess = wall - first;
  const second = offsetAt(guess, timeZone);
  return second === first ? guess : wall - second;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-24 18:00` in `timeZone` (seconds only when not zero). */
export function formatLocal(ms: number, timeZone: string): string {
  const c = civil(ms, timeZone);
  const secs = c.s === 0 ? '' : `:${pad(c.s)}`;
  return `${c.y}-${pad(c.mo)}-${pad(c.d)} ${pad(c.h)}:${pad(c.mi)}${secs}`;
}

/** A span as its two largest units: `2d 3h`, `45m`, `10s` (Chinese: `2天3小时`). */
export function formatSpan(ms: number, locale: 'en' | 'zh-CN'): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const units: [number, string, string][] = [
    [Math.floor(total / 86_400), 'd', '天'],
    [Math.floor((total % 86_400) / 3_600), 'h', '小时'],
    [Math.floor((total % 3_600) / 60), 'm', '分钟'],
    [total % 60, 's', '秒'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first < 0) return locale === 'en' ? '0s' : '0秒';
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, en, zh]) => `${n}${locale === 'en' ? en : zh}`)
    .join(locale === 'en' ? ' ' : '');
}
