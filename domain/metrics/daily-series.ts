import { MetricsInputError } from './errors.js';
import { MS_PER_DAY } from './time-buckets.js';

export interface TimedValue {
  /** A Date, epoch milliseconds, or an ISO-8601 string. */
  at: Date | number | string;
  value: number;
}

/**
 * How several points on the same day become one:
 * - `max` (default): the day's peak, order-independent and conservative for capacity planning;
 * - `last`: the latest timestamp (input order breaks exact ties), for level readings;
 * - `sum`: for flows (bytes written per run) that add up to a daily total;
 * - `mean`.
 */
export type DuplicateAggregation = 'max' | 'last' | 'sum' | 'mean';
const AGGREGATIONS: readonly DuplicateAggregation[] = ['max', 'last', 'sum', 'mean'];

export interface DailySeries {
  /** Day numbers (days since 1970-01-01 in the shifted clock), strictly increasing. */
  days: Float64Array;
  values: Float64Array;
  /** Input points folded into an existing day. */
  duplicatesMerged: number;
}

function epochMs(at: TimedValue['at']): number {
  if (at instanceof Date) return at.getTime();
  if (typeof at === 'number') return at;
  if (typeof at === 'string') return Date.parse(at);
  return Number.NaN;
}

/** Validates, sorts by time and folds points into one value per calendar day. Throws MetricsInputError on bad points. */
export function toDailySeries(points: readonly TimedValue[], aggregate: DuplicateAggregation = 'max', utcOffsetMinutes = 0): DailySeries {
  if (!Array.isArray(points)) throw new MetricsInputError('INVALID_VALUE', 'points must be an array of { at, value }');
  if (points.length === 0) throw new MetricsInputError('EMPTY_SERIES', 'points is empty: nothing to forecast from');
  if (!AGGREGATIONS.includes(aggregate)) {
    throw new MetricsInputError('INVALID_OPTION', `aggregate must be one of ${AGGREGATIONS.join(', ')}, got ${String(aggregate)}`);
  }
  const n = points.length;
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    const t = epochMs(p.at);
    if (!Number.isFinite(t)) throw new MetricsInputError('INVALID_TIMESTAMP', `points[${i}].at is not a valid date: ${String(p.at)}`);
    const v = p.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new MetricsInputError('INVALID_VALUE', `points[${i}].value must be a finite, non-negative number, got ${String(v)}`);
    }
    times[i] = t;
  }
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && times[i]! < times[i - 1]!) sorted = false;
  }
  // Typed-array sort is not guaranteed stable, so the index breaks ties explicitly ('last' depends on it).
  if (!sorted) order.sort((a, b) => times[a]! - times[b]! || a - b);

  const offsetMs = utcOffsetMinutes * 60_000;
  const days = new Float64Array(n);
  const values = new Float64Array(n);
  let count = 0;
  let sameDay = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const day = Math.floor((times[i]! + offsetMs) / MS_PER_DAY);
    const v = points[i]!.value;
    if (count > 0 && days[count - 1] === day) {
      const j = count - 1;
      sameDay++;
      if (aggregate === 'max') values[j] = Math.max(values[j]!, v);
      else if (aggregate === 'last') values[j] = v;
      else values[j] = values[j]! + v; // sum, and mean's running total
      continue;
    }
    if (aggregate === 'mean' && sameDay > 0) values[count - 1] = values[count - 1]! / (sameDay + 1);
    sameDay = 0;
    days[count] = day;
    values[count] = v;
    count++;
  }
  if (aggregate === 'mean' && sameDay > 0) values[count - 1] = values[count - 1]! / (sameDay + 1);
  return { days: days.slice(0, count), values: values.slice(0, count), duplicatesMerged: n - count };
}
