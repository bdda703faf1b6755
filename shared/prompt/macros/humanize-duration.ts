/**
 * English relative durations with moment.js's `duration.humanize()` thresholds (the text `{{idle_duration}}`
 * shows in SillyTavern): under 45 s "a few seconds", then "a minute", "N minutes" under 45 min, "an hour",
 * "N hours" under 22 h, "a day", "N days" under 26 days, "a month", "N months" under 11 months, "a year",
 * "N years". Each unit is rounded on its own, as moment does.
 */

const DAYS_PER_MONTH = 146097 / 4800;

export function humanizeDuration(milliseconds: number): string {
  const ms = Math.abs(milliseconds);
  const seconds = Math.round(ms / 1000);
  const minutes = Math.round(ms / 60_000);
  const hours = Math.round(ms / 3_600_000);
  const daysExact = ms / 86_400_000;
  const days = Math.round(daysExact);
  const months = Math.round(daysExact / DAYS_PER_MONTH);
  const years = Math.round(daysExact / DAYS_PER_MONTH / 12);

  if (seconds < 45) return 'a few seconds';
  if (minutes <= 1) return 'a minute';
  if (minutes < 45) return `${minutes} minutes`;
  if (hours <= 1) return 'an hour';
  if (hours < 22) return `${hours} hours`;
  if (days <= 1) return 'a day';
  if (days < 26) return `${days} days`;
  if (months <= 1) return 'a month';
  if (months < 11) return `${months} months`;
  if (years <= 1) return 'a year';
  return `${years} years`;
}
