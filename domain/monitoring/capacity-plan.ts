import { MetricsInputError } from '../metrics/errors.js';
import { forecastSeries, type SeriesForecast } from '../metrics/series-forecast.js';
import type { TimedValue } from '../metrics/daily-series.js';
import type { Severity } from '../metrics/zscore.js';
import type { CapacityAlert, CapacityEntry, CapacitySeriesKind, CapacitySource } from './contract.js';
import { applyRetention, type RetentionPolicy } from '../config-backup/retention.js';

/** Capacity figures are in GB = 10^9 bytes (as `df -H` and disk vendors count). */
export const BYTES_PER_GB = 1e9;

/**
 * Daily totals of retained backups: Sentinel prunes nothing itself, so every completed run's artifact counts from
 * its day on and the series is the running sum of the daily sizes (in GB). Pruning done elsewhere makes this an
 * over-estimate, which errs on the safe side for capacity planning.
 */
export function retainedSeries(daily: ReadonlyArray<{ day: string; bytes: number }>): TimedValue[] {
  const sorted = [...daily].sort((a, b) => a.day.localeCompare(b.day));
  let total = 0;
  return sorted.map(({ day, bytes }) => {
    total += bytes;
    return { at: `${day}T00:00:00Z`, value: total / BYTES_PER_GB };
  });
}

/**
 * Daily store size (GB) under a `keep` policy: for each day with dumps, the policy applied to every dump made by the
 * end of that day, summing the sizes it keeps. A policy makes the store level off (e.g. 7 daily + 4 weekly ≈ 11
 * dumps), which a running sum would miss, and the forecast then predicts a plateau instead of a full disk.
 * `dumps` is every completed dump with a size, pruned or not (retention history, not what is on disk now).
 */
export function keptUnderPolicySeries(dumps: ReadonlyArray<{ startedAt: Date; bytes: number }>, policy: RetentionPolicy, timeZone = 'UTC'): TimedValue[] {
  const sorted = [...dumps].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const days = [...new Set(sorted.map((d) => d.startedAt.toISOString().slice(0, 10)))];
  const snapshots = sorted.map((d, k) => ({ id: String(k), group: 'dumps', time: d.startedAt, bytes: d.bytes }));
  let upTo = 0;
  return days.map((day) => {
    const end = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
    while (upTo < snapshots.length && snapshots[upTo]!.time.getTime() < end) upTo++;
    const kept = applyRetention(snapshots.slice(0, upTo), policy, { timeZone }).keep;
    return { at: `${day}T00:00:00Z`, value: kept.reduce((sum, k) => sum + k.snapshot.bytes, 0) / BYTES_PER_GB };
  });
}

/** Sum of several running totals on the union of their days; each series holds its last value between points. */
export function combineRunningTotals(series: ReadonlyArray<readonly TimedValue[]>): TimedValue[] {
  const days = [...new Set(series.flatMap((s) => s.map((p) => String(p.at))))].sort();
  const cursors = series.map(() => ({ index: 0, value: 0 }));
  return days.map((day) => {
    let total = 0;
    series.forEach((s, k) => {
      const c = cursors[k]!;
      while (c.index < s.length && String(s[c.index]!.at) <= day) c.value = s[c.index++]!.value;
      total += c.value;
    });
    return { at: day, value: total };
  });
}

/**
 * Alert when the conservative days-until-full (from the 95% upper bound) is below the horizon; critical when
 * even the point estimate is, or the series is already at capacity.
 */
export function capacityVerdict(daysUntilFull: CapacityEntry['daysUntilFull'], horizonDays: number): { alert: boolean; severity: Severity | null } {
  if (!daysUntilFull) return { alert: false, severity: null };
  const { conservative, point, alreadyFull } = daysUntilFull;
  if (conservative === null || !(conservative < horizonDays)) return { alert: false, severity: null };
  return { alert: true, severity: alreadyFull || (point !== null && point < horizonDays) ? 'critical' : 'warning' };
}

export interface CapacityEntryInput {
  name: string;
  kind: 'target' | 'filesystem';
  series: CapacitySeriesKind | null;
  points: readonly TimedValue[];
  capacityGb: number | null;
  capacitySource: CapacitySource;
  horizonDays: number;
}

/**
 * Forecasts one series over the horizon and judges it against its capacity. Too little history is an entry with
 * status `insufficient_history` and the reason (not an error): one new target must not fail the daily run.
 */
export function capacityEntry(input: CapacityEntryInput): { entry: CapacityEntry; forecast: SeriesForecast | null } {
  const base: CapacityEntry = {
    name: input.name,
    kind: input.kind,
    series: input.series,
    status: 'insufficient_history',
    message: null,
    points: 0,
    lastDate: null,
    lastValueGb: null,
    capacityGb: input.capacityGb,
    capacitySource: input.capacitySource,
    forecast: null,
    daysUntilFull: null,
    alert: false,
    severity: null,
  };
  let result: SeriesForecast;
  try {
    result = forecastSeries(input.points, {
      daysAhead: input.horizonDays,
      ...(input.capacityGb !== null ? { capacity: input.capacityGb } : {}),
    });
  } catch (error) {
    if (error instanceof MetricsInputError && (error.code === 'EMPTY_SERIES' || error.code === 'TOO_FEW_POINTS')) {
      return { entry: { ...base, message: `not enough history: ${error.message}` }, forecast: null };
    }
    throw error;
  }
  const last = result.history[result.history.length - 1];
  const daysUntilFull = result.daysUntilFull
    ? {
        point: result.daysUntilFull.pointDays,
        conservative: result.daysUntilFull.conservativeDays,
        alreadyFull: result.daysUntilFull.alreadyFull,
        growing: result.daysUntilFull.growing,
      }
    : null;
  const verdict = capacityVerdict(daysUntilFull, input.horizonDays);
  const entry: CapacityEntry = {
    ...base,
    status: 'forecast',
    points: result.n,
    lastDate: result.lastDate,
    lastValueGb: last ? last.value : null,
    forecast: {
      method: result.method,
      daysAhead: result.daysAhead,
      targetDate: result.targetDate,
      predictedSizeGb: result.predicted,
      lower: result.lower,
      upper: result.upper,
      confidence: result.confidence,
      trend: result.trend,
      slopePerDay: result.slopePerDay,
      r2: result.ols.r2,
      n: result.n,
      reason: result.reason,
    },
    daysUntilFull,
    alert: verdict.alert,
    severity: verdict.severity,
  };
  return { entry, forecast: result };
}

const days = (d: number | null): string => (d === null ? 'not within 10 years' : `${d.toFixed(1)} days`);

export function capacityAlert(entry: CapacityEntry, horizonDays: number): CapacityAlert | null {
  if (!entry.alert || !entry.severity || !entry.daysUntilFull) return null;
  const { conservative, point, alreadyFull } = entry.daysUntilFull;
  const what = entry.kind === 'filesystem' ? `${entry.name} (all targets without capacityGb)` : entry.name;
  const message = alreadyFull
    ? `${what}: backup storage already at capacity (${entry.lastValueGb?.toFixed(1)} of ${entry.capacityGb?.toFixed(1)} GB)`
    : `${what}: backup storage may be full in ${days(conservative)} (95% upper bound; point estimate ${days(point)}), ` +
      `below the ${horizonDays}-day horizon; ${entry.lastValueGb?.toFixed(1)} of ${entry.capacityGb?.toFixed(1)} GB used (${entry.capacitySource})`;
  return {
    name: entry.name,
    target: entry.kind === 'target' ? entry.name : null,
    severity: entry.severity,
    message,
    details: {
      horizonDays,
      daysUntilFull: entry.daysUntilFull,
      capacityGb: entry.capacityGb,
      capacitySource: entry.capacitySource,
      lastValueGb: entry.lastValueGb,
      forecast: entry.forecast,
    },
  };
}
