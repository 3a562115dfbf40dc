/**
 * The interval of a target's `schedule`: the LONGEST gap between two consecutive firings, so a freshness objective
 * derived from it (twice the interval) never calls a weekday-only schedule stale every weekend. Deterministic: it
 * depends only on the spec, never on "now". Temporal's semantics are followed (proto ScheduleSpec / CalendarSpec):
 * every field must match, day-of-month AND day-of-week (not cron's OR); missing calendar fields default to second 0,
 * minute 0, hour 0 and `*` for the day fields; a cron string without seconds fires at second 0. Firings are counted
 * on the wall clock of the schedule's timezone over the whole year range Temporal accepts (2000-2100), so DST shifts
 * (±1 h) are ignored. `@every` is its own interval. Hand-written because no maintained library computes the maximum
 * gap of a Temporal calendar spec (cron libraries iterate next firings with Vixie's OR rule for the day fields).
 * Pure (no I/O).
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DAY_MS = 86_400_000;
const FIRST_YEAR = 2000;
const LAST_YEAR = 2100;

/** A calendar spec as sentinel.yaml holds it (a value, a `{ start, end, step }` range, a list of them, or `*`). */
type CalendarValue = number | string | { start: number | string; end?: number | string | undefined; step?: number | undefined };
export type CalendarField = '*' | CalendarValue | CalendarValue[] | undefined;
export interface CalendarLike {
  second?: CalendarField;
  minute?: CalendarField;
  hour?: CalendarField;
  dayOfMonth?: CalendarField;
  month?: CalendarField;
  year?: CalendarField;
  dayOfWeek?: CalendarField;
  comment?: string | undefined;
}

interface Compiled {
  second: Set<number>;
  minute: Set<number>;
  hour: Set<number>;
  dayOfMonth: Set<number>;
  month: Set<number>;
  dayOfWeek: Set<number>;
  year: Set<number> | null;
}

/**
 * The longest gap between consecutive firings of `schedule`, in milliseconds; undefined when it fires at most once
 * (or cannot be read: the settings schema has already refused such a spec).
 */
export function scheduleIntervalMs(schedule: string | CalendarLike): number | undefined {
  if (typeof schedule === 'string') {
    const every = everyMs(schedule);
    if (every !== undefined) return every > 0 ? every : undefined;
    const compiled = compileCron(schedule);
    return compiled ? longestGapMs(compiled) : undefined;
  }
  return longestGapMs(compileCalendar(schedule));
}

function everyMs(cron: string): number | undefined {
  const text = stripCron(cron);
  const match = /^@every\s+(\S+?)(\/\S+)?$/.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const part of match[1]!.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return total;
}

function stripCron(cron: string): string {
  let text = cron.trim();
  if (/^(CRON_)?TZ=/.test(text)) text = text.replace(/^\S+\s*/, '');
  return text.replace(/#.*$/, '').trim();
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function compileCron(cron: string): Compiled | undefined {
  let text = stripCron(cron);
  text = SHORTHANDS[text.toLowerCase()] ?? text;
  const fields = text.split(/\s+/);
  let second = '0';
  let year = '*';
  let rest: string[];
  if (fields.length === 5) rest = fields;
  else if (fields.length === 6) {
    rest = fields.slice(0, 5);
    year = fields[5]!;
  } else if (fields.length === 7) {
    second = fields[0]!;
    rest = fields.slice(1, 6);
    year = fields[6]!;
  } else return undefined;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = rest as [string, string, string, string, string];
  try {
    return {
      second: cronField(second, 0, 59),
      minute: cronField(minute, 0, 59),
      hour: cronField(hour, 0, 23),
      dayOfMonth: cronField(dayOfMonth, 1, 31),
      month: cronField(month, 1, 12, MONTHS, 1),
      dayOfWeek: sundayIsZero(cronField(dayOfWeek, 0, 7, DAYS, 0)),
      year: year === '*' ? null : cronField(year, FIRST_YEAR, LAST_YEAR),
    };
  } catch {
    return undefined;
  }
}

function cronValue(raw: string, names: readonly string[] | undefined, namesFrom: number): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const lower = raw.toLowerCase();
  const index = names?.findIndex((name) => name === lower || name.slice(0, 3) === lower) ?? -1;
  if (index < 0) throw new Error(`not a value: ${raw}`);
  return index + namesFrom;
}

/** `*`, `a`, `a-b`, `*\/n`, `a/n` (a to the maximum), `a-b/n` and comma lists of them. */
function cronField(text: string, min: number, max: number, names?: readonly string[], namesFrom = 0): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== '*') {
      const bounds = range!.split('-');
      from = cronValue(bounds[0]!, names, namesFrom);
      to = bounds.length === 2 ? cronValue(bounds[1]!, names, namesFrom) : stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function sundayIsZero(days: Set<number>): Set<number> {
  if (days.delete(7)) days.add(0);
  return days;
}

function calendarValue(value: number | string, names: readonly string[] | undefined, namesFrom: number): number {
  if (typeof value === 'number') return value;
  return cronValue(value, names, namesFrom);
}

function calendarField(field: CalendarField, fallback: '*' | number, min: number, max: number, names?: readonly string[], namesFrom = 0): Set<number> {
  const spec = field ?? fallback;
  const values = new Set<number>();
  if (spec === '*') {
    for (let v = min; v <= max; v++) values.add(v);
    return values;
  }
  for (const item of Array.isArray(spec) ? spec : [spec]) {
    if (typeof item === 'object') {
      const from = calendarValue(item.start, names, namesFrom);
      const to = item.end === undefined ? from : calendarValue(item.end, names, namesFrom);
      for (let v = from; v <= to; v += item.step ?? 1) values.add(v);
    } else values.add(calendarValue(item, names, namesFrom));
  }
  return values;
}

function compileCalendar(spec: CalendarLike): Compiled {
  return {
    second: calendarField(spec.second, 0, 0, 59),
    minute: calendarField(spec.minute, 0, 0, 59),
    hour: calendarField(spec.hour, 0, 0, 23),
    dayOfMonth: calendarField(spec.dayOfMonth, '*', 1, 31),
    month: calendarField(spec.month, '*', 1, 12, MONTHS, 1),
    dayOfWeek: sundayIsZero(calendarField(spec.dayOfWeek, '*', 0, 6, DAYS, 0)),
    year: spec.year === undefined || spec.year === '*' ? null : calendarField(spec.year, '*', FIRST_YEAR, LAST_YEAR),
  };
}

/**
 * The firings within a day are the same on every matching day, so the longest gap is the larger of the longest
 * gap within a day and the longest gap between the last firing of one matching day and the first of the next.
 */
function longestGapMs(spec: Compiled): number | undefined {
  const offsets: number[] = [];
  for (const h of [...spec.hour].sort((a, b) => a - b))
    for (const m of [...spec.minute].sort((a, b) => a - b))
      for (const s of [...spec.second].sort((a, b) => a - b)) offsets.push((h * 3600 + m * 60 + s) * 1000);
  if (offsets.length === 0) return undefined;
  let longest = 0;
  for (let i = 1; i < offsets.length; i++) longest = Math.max(longest, offsets[i]! - offsets[i - 1]!);
  const first = offsets[0]!;
  const last = offsets[offsets.length - 1]!;
  let firings = 0;
  let previousDay: number | undefined;
  const end = Date.UTC(LAST_YEAR, 11, 31);
  for (let day = Date.UTC(FIRST_YEAR, 0, 1); day <= end; day += DAY_MS) {
    const date = new Date(day);
    if (spec.year && !spec.year.has(date.getUTCFullYear())) continue;
    if (!spec.month.has(date.getUTCMonth() + 1) || !spec.dayOfMonth.has(date.getUTCDate()) || !spec.dayOfWeek.has(date.getUTCDay())) continue;
    if (previousDay !== undefined) longest = Math.max(longest, day + first - (previousDay + last));
    previousDay = day;
    firings += offsets.length;
  }
  return firings >= 2 ? longest : undefined;
}
