import { describeValue } from '../describe-value.js';
import { MAX_CAPACITY_HORIZON_DAYS } from '../metrics/capacity.js';

/** Default look-back of an anomaly scan without `since`: a day, so an hourly scan overlaps the previous ones. */
export const DEFAULT_SCAN_LOOKBACK_HOURS = 24;
/** Capacity alert horizon when neither the input nor CAPACITY_ALERT_HORIZON_DAYS sets one. */
export const DEFAULT_CAPACITY_HORIZON_DAYS = 14;

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

function isObject(input: unknown): input is Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/** Problems with an anomalyMonitorWorkflow input (empty when valid). `undefined` counts as `{}`. */
export function validateAnomalyMonitorInput(input: unknown, nowMs: number): string[] {
  if (input === undefined || input === null) return [];
  if (!isObject(input)) return ['input must be an object like {} or { since: "<ISO date-time>" }'];
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (key !== 'since') problems.push(`unknown field ${describeValue(key)} (allowed: since)`);
  if (input.since !== undefined) {
    const since = typeof input.since === 'string' ? Date.parse(input.since) : Number.NaN;
    if (!Number.isFinite(since)) problems.push(`since must be an ISO 8601 date-time (got ${describeValue(input.since)})`);
    else if (since > nowMs) problems.push(`since must not be in the future (got ${input.since})`);
  }
  return problems;
}

/** Problems with a capacityForecastWorkflow input (empty when valid). `undefined` counts as `{}`. */
export function validateCapacityForecastInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!isObject(input)) return ['input must be an object like {} or { horizonDays: 14, targets: ["orders-db"] }'];
  const problems: string[] = [];
  for (const key of Object.keys(input))
    if (key !== 'horizonDays' && key !== 'targets') problems.push(`unknown field ${describeValue(key)} (allowed: horizonDays, targets)`);
  if (input.horizonDays !== undefined) {
    const h = input.horizonDays;
    if (typeof h !== 'number' || !Number.isFinite(h) || h <= 0 || h > MAX_CAPACITY_HORIZON_DAYS)
      problems.push(`horizonDays must be a number of days in (0, ${MAX_CAPACITY_HORIZON_DAYS}] (got ${describeValue(h)})`);
  }
  if (input.targets !== undefined) {
    const t = input.targets;
    if (!Array.isArray(t) || t.length === 0) problems.push('targets must be a non-empty list of target names');
    else
      t.forEach((name, i) => {
        if (typeof name !== 'string' || !TARGET_NAME.test(name)) problems.push(`targets[${i}] must be a target name (got ${describeValue(name)})`);
      });
  }
  return problems;
}

/**
 * The horizon to alert on: the input's, else CAPACITY_ALERT_HORIZON_DAYS, else 14 days. A malformed environment
 * value is an error, not silently the default: an operator who set it expects it to apply.
 */
export function resolveHorizonDays(
  inputHorizon: number | undefined,
  envValue: string | undefined,
): { horizonDays: number; source: 'input' | 'env' | 'default' } {
  if (inputHorizon !== undefined) return { horizonDays: inputHorizon, source: 'input' };
  const raw = envValue?.trim();
  if (raw === undefined || raw === '') return { horizonDays: DEFAULT_CAPACITY_HORIZON_DAYS, source: 'default' };
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_CAPACITY_HORIZON_DAYS)
    throw new RangeError(`CAPACITY_ALERT_HORIZON_DAYS must be a number of days in (0, ${MAX_CAPACITY_HORIZON_DAYS}] (got "${raw}")`);
  return { horizonDays: value, source: 'env' };
}
