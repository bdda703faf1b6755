import { humanizeDuration } from '../macros/index.ts';
import { expand } from './helpers/macro-env.ts';

describe('time macros', () => {
  test('{{time}} {{date}} {{weekday}} {{isotime}} {{isodate}} in UTC', () => {
    expect(expand('{{time}}|{{date}}|{{weekday}}|{{isotime}}|{{isodate}}')).toBe('3:07 PM|January 6, 2025|Monday|15:07|2025-01-06');
  });

  test('the time zone moves the date and the weekday', () => {
    expect(expand('{{time}}|{{date}}|{{weekday}}|{{isotime}}|{{isodate}}', { timeZone: 'Pacific/Kiritimati' })).toBe(
      '5:07 AM|January 7, 2025|Tuesday|05:07|2025-01-07',
    );
  });

  test('midnight and noon in 12-hour time', () => {
    expect(expand('{{time}}', { now: () => new Date('2025-03-01T00:05:00Z') })).toBe('12:05 AM');
    expect(expand('{{time}}', { now: () => new Date('2025-03-01T12:00:00Z') })).toBe('12:00 PM');
  });

  test('an unknown time zone is rejected when the evaluator is built', () => {
    expect(() => expand('{{time}}', { timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});

describe('humanizeDuration (moment thresholds)', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  test.each([
    [10 * s, 'a few seconds'],
    [44 * s, 'a few seconds'],
    [45 * s, 'a minute'],
    [89 * s, 'a minute'],
    [90 * s, '2 minutes'],
    [44 * m, '44 minutes'],
    [45 * m, 'an hour'],
    [89 * m, 'an hour'],
    [90 * m, '2 hours'],
    [21 * h, '21 hours'],
    [22 * h, 'a day'],
    [35 * h, 'a day'],
    [36 * h, '2 days'],
    [25 * d, '25 days'],
    [26 * d, 'a month'],
    [45 * d, 'a month'],
    [46 * d, '2 months'],
    [319 * d, '10 months'],
    [320 * d, 'a year'],
    [548 * d, '2 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanizeDuration(ms)).toBe(text);
  });
});
