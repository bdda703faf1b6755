/**
 * SillyTavern's message and chat dates. Files carry several forms (times without a zone are read as UTC):
 * - `"October 18, 2024 8:52pm"` (what ST writes in `send_date`), also `"Oct 18, 2024 8:52 PM"`;
 * - Unix time in milliseconds (old files), as a number or a numeric string (seconds when small);
 * - `"2024-7-12@01h31m37s"` and `"2024-6-5 @14h 56m 50s 682ms"` (humanized, as in `create_date`);
 * - ISO 8601 and anything else `Date.parse` understands.
 */
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

const HUMANIZED = /^(\d{4})-(\d{1,2})-(\d{1,2})\s*@\s*(\d{1,2})h\s*(\d{1,2})m\s*(\d{1,2})s(?:\s*(\d{1,3})\s*ms)?$/i;
const MONTH_NAME = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*m?\.?$/i;

/** Only dates an ISO string can carry with a four-digit year. */
const sane = (date: Date): Date | null =>
  Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1000 || date.getUTCFullYear() > 9999 ? null : date;

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): Date | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  return sane(new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms)));
}

function fromNumber(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  return sane(new Date(n < 1e11 ? n * 1000 : n));
}

export function parseSendDate(value: unknown): Date | null {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return fromNumber(Number(text));
  const h = HUMANIZED.exec(text);
  if (h) return utc(+h[1]!, +h[2]!, +h[3]!, +h[4]!, +h[5]!, +h[6]!, h[7] ? +h[7].padEnd(3, '0') : 0);
  const m = MONTH_NAME.exec(text);
  if (m) {
    const name = m[1]!.toLowerCase();
    const month = MONTHS.findIndex((full) => full === name || (name.length >= 3 && full.startsWith(name))) + 1;
    let hour = +m[4]!;
    if (m[7]) {
      if (hour < 1 || hour > 12) return null;
      hour = (hour % 12) + (m[7].toLowerCase() === 'p' ? 12 : 0);
    }
    return month ? utc(+m[3]!, month, +m[2]!, hour, +m[5]!, m[6] ? +m[6] : 0) : null;
  }
  const parsed = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) || !/^\d{4}-\d{2}-\d{2}T/.test(text) ? text : `${text}Z`);
  return sane(new Date(parsed));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `"October 18, 2024 8:52pm"` (UTC), as SillyTavern writes `send_date`. */
export function formatSendDate(date: Date): string {
  const hour = date.getUTCHours();
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const month = MONTHS[date.getUTCMonth()]!;
  return `${month[0]!.toUpperCase()}${month.slice(1)} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${h12}:${pad(date.getUTCMinutes())}${hour < 12 ? 'am' : 'pm'}`;
}

/** `"2024-10-18@20h52m05s"` (UTC), as SillyTavern writes `create_date`. */
export function formatCreateDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}@${pad(date.getUTCHours())}h${pad(date.getUTCMinutes())}m${pad(date.getUTCSeconds())}s`;
}
