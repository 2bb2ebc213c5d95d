const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function parse(value: string): Date | null {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Mar 4, 2026" in the browser's locale; the raw value if it is not a date. */
export function formatDate(value: string): string {
  const date = parse(value);
  return date ? dateFormat.format(date) : value;
}

/** "Mar 4, 2026, 10:15 AM" in the browser's locale. */
export function formatDateTime(value: string): string {
  const date = parse(value);
  return date ? dateTimeFormat.format(date) : value;
}

const dateTimeSecondsFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** "Mar 4, 2026, 10:15:42 AM": for things seconds apart (a webhook's delivery attempts). */
export function formatDateTimeSeconds(value: string): string {
  const date = parse(value);
  return date ? dateTimeSecondsFormat.format(date) : value;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days from `now` until `value` (negative when past); null if `value` is not a date. */
export function daysFrom(value: string, now: number = Date.now()): number | null {
  const date = parse(value);
  if (!date) return null;
  return Math.round((date.getTime() - now) / DAY_MS);
}

/** "in 12 days", "today", "3 days ago". */
export function relativeDays(days: number): string {
  if (days === 0) return 'today';
  if (days > 0) return `in ${plural(days, 'day')}`;
  return `${plural(-days, 'day')} ago`;
}

/** "812 bytes", "4.2 KB", "1.3 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return plural(bytes, 'byte');
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** "10:15 AM" in the browser's locale. */
export function formatTime(value: string): string {
  const date = parse(value);
  return date ? timeFormat.format(date) : '';
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const RELATIVE_STEPS: readonly [Intl.RelativeTimeFormatUnit, number, number][] = [
  // unit, its length in ms, and up to how many of it are said before the next unit is used
  ['minute', 60_000, 45],
  ['hour', 3_600_000, 22],
  ['day', DAY_MS, 26],
  ['month', 30 * DAY_MS, 11],
  ['year', 365 * DAY_MS, Infinity],
];

/** "just now", "3 minutes ago", "yesterday", "in 2 hours"; the raw value if it is not a date. */
export function relativeTime(value: string, now: number = Date.now()): string {
  const date = parse(value);
  if (!date) return value;
  const diff = date.getTime() - now;
  if (Math.abs(diff) < 45_000) return 'just now';
  for (const [unit, length, max] of RELATIVE_STEPS) {
    const count = Math.round(diff / length);
    if (Math.abs(count) <= max) return relativeFormat.format(count === 0 ? Math.sign(diff) : count, unit);
  }
  return dateFormat.format(date);
}
