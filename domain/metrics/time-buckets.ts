/** Seasonal bucket arithmetic on epoch milliseconds, with a fixed UTC offset (no DST: domain code has no tz data). */

const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;
/** 1970-01-01 was a Thursday; with Sunday = 0 that is day-of-week 4. */
const EPOCH_DAY_OF_WEEK = 4;

export const HOURS_PER_DAY = 24;
export const DAY_HOUR_BUCKETS = 7 * HOURS_PER_DAY;

/** Whole days since the epoch in the shifted clock (may be negative). */
export function dayNumber(epochMs: number, utcOffsetMinutes: number): number {
  return Math.floor((epochMs + utcOffsetMinutes * 60_000) / MS_PER_DAY);
}

export function hourOfDay(epochMs: number, utcOffsetMinutes: number): number {
  const shifted = epochMs + utcOffsetMinutes * 60_000;
  const msIntoDay = ((shifted % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  return Math.floor(msIntoDay / MS_PER_HOUR);
}

/** 0 = Sunday .. 6 = Saturday. */
export function dayOfWeek(epochMs: number, utcOffsetMinutes: number): number {
  return (((dayNumber(epochMs, utcOffsetMinutes) + EPOCH_DAY_OF_WEEK) % 7) + 7) % 7;
}

/**
 * Index into a target's `byDayHour` array: dayOfWeek * 24 + hourOfDay. Integer arithmetic on purpose: a
 * floating-point `%` is a slow library call and this runs once per scored run.
 */
export function dayHourIndex(epochMs: number, utcOffsetMinutes: number): number {
  const shifted = epochMs + utcOffsetMinutes * 60_000;
  const day = Math.floor(shifted / MS_PER_DAY);
  const hour = ((shifted - day * MS_PER_DAY) / MS_PER_HOUR) | 0;
  // Shift by a multiple of 7 so the day count stays non-negative for any date after the year 1300.
  const d = (day + EPOCH_DAY_OF_WEEK + 7 * 40_000) | 0;
  return (d - ((d / 7) | 0) * 7) * HOURS_PER_DAY + hour;
}

/**
 * 'YYYY-MM-DD' of a day number (years 0..9999). Civil-from-days arithmetic (Hinnant) instead of
 * Date#toISOString: forecasts format thousands of dates and this is several times cheaper.
 */
export function isoDate(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${dayOfMonth < 10 ? '0' : ''}${dayOfMonth}`;
}
