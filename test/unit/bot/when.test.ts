import { describe, expect, it } from 'vitest';
import { formatLocal, formatSpan, MAX_AHEAD_MS, parseDuration, parseWhen } from '../../../src/bot/when.ts';

// 2026-12-03 10:00:00 UTC = 18:00 in Asia/Shanghai.
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const SH = 'Asia/Shanghai';

describe('<when>', () => {
  it('reads durations, English and Chinese, and sums parts', () => {
    expect(parseDuration('45s')).toBe(45_000);
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('2h')).toBe(2 * 3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('2 hours')).toBe(2 * 3_600_000);
    expect(parseDuration('3天')).toBe(3 * 86_400_000);
    expect(parseDuration('10分钟')).toBe(600_000);
    expect(parseDuration('2x')).toBeUndefined();
    expect(parseDuration('h')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('5')).toBeUndefined();
  });

  it('reads a local date and time in the organisation time zone', () => {
    expect(parseWhen('2026-12-24 18:00', NOW, SH)).toEqual({ ok: true, at: Date.UTC(2026, 11, 24, 10, 0) });
    expect(parseWhen('2026-12-24T18:00', NOW, SH)).toEqual({ ok: true, at: Date.UTC(2026, 11, 24, 10, 0) });
    expect(parseWhen('2026-12-24', NOW, SH)).toEqual({ ok: true, at: Date.UTC(2026, 11, 23, 16, 0) });
    expect(parseWhen('2026-12-24 18:00', NOW, 'UTC')).toEqual({
      ok: true,
      at: Date.UTC(2026, 11, 24, 18, 0),
    });
    // New York in summer is UTC-4, in winter UTC-5.
    expect(parseWhen('2027-07-01 12:00', NOW, 'America/New_York')).toEqual({
      ok: true,
      at: Date.UTC(2027, 6, 1, 16, 0),
    });
    expect(parseWhen('2027-01-15 12:00', NOW, 'America/New_York')).toEqual({
      ok: true,
      at: Date.UTC(2027, 0, 15, 17, 0),
    });
  });

  it('refuses the past, nonsense and more than a year ahead', () => {
    expect(parseWhen('2026-12-01 10:00', NOW, SH)).toMatchObject({ ok: false, reason: 'past' });
    expect(parseWhen('2026-12-03 18:00', NOW, SH)).toMatchObject({ ok: false, reason: 'past' });
    expect(parseWhen('0s', NOW, SH)).toMatchObject({ ok: false, reason: 'past' });
    expect(parseWhen('tomorrow', NOW, SH)).toMatchObject({
      ok: false,
      reason: 'nonsense',
      value: 'tomorrow',
    });
    expect(parseWhen('2026-02-30', NOW, SH)).toMatchObject({ ok: false, reason: 'nonsense' });
    expect(parseWhen('2026-12-24 25:00', NOW, SH)).toMatchObject({ ok: false, reason: 'nonsense' });
    expect(parseWhen('', NOW, SH)).toMatchObject({ ok: false, reason: 'nonsense' });
    expect(parseWhen('400d', NOW, SH)).toMatchObject({ ok: false, reason: 'too-far' });
    expect(parseWhen('2028-01-01', NOW, SH)).toMatchObject({ ok: false, reason: 'too-far' });
    expect(parseWhen('365d', NOW, SH)).toEqual({ ok: true, at: NOW + MAX_AHEAD_MS });
    expect(parseWhen('99999999999d', NOW, SH)).toMatchObject({ ok: false });
  });

  it('shows times in the zone and spans in two units', () => {
    expect(formatLocal(Date.UTC(2026, 11, 24, 10, 0), SH)).toBe('2026-12-24 18:00');
    expect(formatLocal(Date.UTC(2026, 11, 24, 10, 0, 5), SH)).toBe('2026-12-24 18:00:05');
    expect(formatLocal(Date.UTC(2026, 11, 24, 16, 0), SH)).toBe('2026-12-25 00:00');
    expect(formatSpan(90 * 60_000, 'en')).toBe('1h 30m');
    expect(formatSpan(2 * 86_400_000 + 5_000, 'en')).toBe('2d');
    expect(formatSpan(3_000, 'zh-CN')).toBe('3秒');
    expect(formatSpan(0, 'en')).toBe('0s');
  });
});
