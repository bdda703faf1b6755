/**
 * Date and time formats of the time macros, in English, for an IANA time zone. The formats are moment.js's as
 * SillyTavern uses them: `{{time}}` = `LT` ("3:07 PM"), `{{date}}` = `LL` ("January 5, 2025"),
 * `{{weekday}}` = `dddd`, `{{isotime}}` = `HH:mm`, `{{isodate}}` = `YYYY-MM-DD`. Only numeric fields are read
 * from `Intl`, so the output does not depend on the ICU version (which changes spaces in "3:07 PM").
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export interface ZonedDateParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  /** 0..23 */
  hour: number;
  minute: number;
  /** 0 = Sunday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a RangeError naming the zone when `timeZone` is not a valid IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
}

export function zonedDateParts(date: Date, timeZone: string): ZonedDateParts {
  const values: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  const year = values.year ?? date.getUTCFullYear();
  const month = values.month ?? date.getUTCMonth() + 1;
  const day = values.day ?? date.getUTCDate();
  return {
    year,
    month,
    day,
    hour: (values.hour ?? 0) % 24,
    minute: values.minute ?? 0,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `LT`: "3:07 PM". */
export function formatTime(p: ZonedDateParts): string {
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  return `${hour12}:${pad2(p.minute)} ${p.hour < 12 ? 'AM' : 'PM'}`;
}

/** `LL`: "January 5, 2025". */
export function formatDate(p: ZonedDateParts): string {
  return `${MONTHS[p.month - 1] ?? ''} ${p.day}, ${p.year}`;
}

export function formatWeekday(p: ZonedDateParts): string {
  return WEEKDAYS[p.weekday] ?? '';
}

/** `HH:mm` */
export function formatIsoTime(p: ZonedDateParts): string {
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** `YYYY-MM-DD` */
export function formatIsoDate(p: ZonedDateParts): string {
  return `${String(p.year).padStart(4, '0')}-${pad2(p.month)}-${pad2(p.day)}`;
}
