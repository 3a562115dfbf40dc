/**
 * Checks a target's cron `schedule` before it reaches Temporal, so a typo is a config error naming the target and
 * field at start-up instead of a failed `schedules apply` (or no run at all). It accepts the syntax the Temporal
 * server's schedule spec parses from `cronExpressions` (what schedules/apply.ts passes): 5 fields (minute hour
 * day-of-month month day-of-week), 6 (plus year) or 7 (second first, year last); `*`, values, `a-b` ranges,
 * `/step`, comma lists, month and weekday names (`jan`, `mon`, `MONDAY`); the `@hourly`, `@daily`, `@midnight`,
 * `@weekly`, `@monthly`, `@yearly`, `@annually` shorthands and `@every <duration>[/<offset>]`; an optional `CRON_TZ=` / `TZ=`
 * prefix and a trailing `# comment`. Not `?`, `L`, `W` or `#` (Quartz): the server refuses them. Each case was
 * checked against the dev server (test/unit/settings/cron.test.ts lists them). Pure (no I/O).
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value the first name stands for (months count from 1, weekdays from 0). */
  namesFrom?: number;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const SECOND: Field = { name: 'second', min: 0, max: 59 };
const MINUTE: Field = { name: 'minute', min: 0, max: 59 };
const HOUR: Field = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: 'day of month', min: 1, max: 31 };
const MONTH: Field = { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 };
// 7 is Sunday too, as in Vixie cron.
const DAY_OF_WEEK: Field = { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 };
// The range the server accepts (checked against the dev server, CLI 1.5.1 / server 1.29.1).
const YEAR: Field = { name: 'year', min: 2000, max: 2100 };

const LAYOUTS: Record<number, readonly Field[]> = {
  5: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK],
  6: [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
  7: [SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
};

const SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const EVERY = /^@every\s+(\d+(ms|s|m|h|d))+(\/(\d+(ms|s|m|h|d))+)?$/;

/** Quotes a piece of the expression for a message, cut short: the text is the operator's and may be anything. */
export function quoted(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

function fieldValue(raw: string, field: Field): number | string {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    return n >= field.min && n <= field.max ? n : `${field.name} ${n} is out of range ${field.min}-${field.max}`;
  }
  const lower = raw.toLowerCase();
  const index = field.names?.findIndex((name) => name === lower || name.slice(0, 3) === lower) ?? -1;
  if (index >= 0) return index + (field.namesFrom ?? 0);
  return `${quoted(raw)} is not a valid ${field.name}${field.names ? ` (a number ${field.min}-${field.max} or a name like ${field.names[1]!.slice(0, 3)})` : ` (a number ${field.min}-${field.max})`}`;
}

function fieldProblem(text: string, field: Field): string | undefined {
  for (const item of text.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined || range === '') return `${quoted(text)} is not a valid ${field.name}`;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))
      return `step ${quoted(step)} in ${field.name} ${quoted(text)} must be a whole number > 0`;
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2 || bounds.some((b) => b === '')) return `${quoted(range!)} is not a valid ${field.name} range`;
    const values = bounds.map((b) => fieldValue(b, field));
    const problem = values.find((v) => typeof v === 'string');
    if (problem !== undefined) return problem as string;
    if (values.length === 2 && (values[0] as number) > (values[1] as number)) return `${field.name} range ${quoted(range!)} runs backwards`;
  }
  return undefined;
}

/** Why `expression` is not a cron string Temporal accepts, or undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  let text = expression.trim();
  if (/^(CRON_)?TZ=/.test(text)) text = text.replace(/^\S+\s*/, '');
  text = text.replace(/#.*$/, '').trim();
  if (text === '') return 'is empty';
  if (text.startsWith('@')) {
    if (SHORTHANDS.has(text.toLowerCase()) || EVERY.test(text)) return undefined;
    return `${quoted(text)} is not one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually or "@every <duration>"`;
  }
  const fields = text.split(/\s+/);
  const layout = LAYOUTS[fields.length];
  if (!layout)
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; expected 5 (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first)`;
  for (let i = 0; i < fields.length; i++) {
    const problem = fieldProblem(fields[i]!, layout[i]!);
    if (problem) return problem;
  }
  return undefined;
}
