/**
 * Calendar parts of an instant in one explicit IANA time zone, and ISO-8601 weeks. Pure: safe in workflow code
 * (Intl is deterministic for a given zone database).
 */

export interface CalendarParts {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** 0..23 */
  hour: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        hourCycle: 'h23',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as "UTC" or "Europe/Berlin")`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a RangeError naming the zone when it is not a valid IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

export function calendarParts(time: Date, timeZone: string): CalendarParts {
  if (Number.isNaN(time.getTime())) throw new RangeError('invalid date');
  const parts: CalendarParts = { year: 0, month: 0, day: 0, hour: 0 };
  for (const part of formatterFor(timeZone).formatToParts(time)) {
    if (part.type === 'year' || part.type === 'month' || part.type === 'day' || part.type === 'hour') {
      parts[part.type] = Number(part.value);
    }
  }
  return parts;
}

const DAY_MS = 86_400_000;

/** ISO-8601 week of a calendar date: weeks start on Monday, week 1 contains the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { weekYear: number; week: number } {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const mondayBased = (date.getUTCDay() + 6) % 7;
  const thursday = new Date(date.getTime() + (3 - mondayBased) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const januaryFirst = new Date(0);
  januaryFirst.setUTCFullYear(weekYear, 0, 1);
  const week = Math.floor((thursday.getTime() - januaryFirst.getTime()) / DAY_MS / 7) + 1;
  return { weekYear, week };
}

export function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}
