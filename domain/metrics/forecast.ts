import { estimateDaysUntilFull, validateCapacity, type CapacityEstimate } from './capacity.js';
import { MetricsInputError } from './errors.js';
import { fitOls, olsPredict, olsTrend, type Trend } from './ols.js';

/** Level of every prediction interval produced here. */
export const FORECAST_CONFIDENCE = 0.95;

export interface ForecastResult {
  /** Predicted size `daysAhead` days after the last point (same unit as the input; GB by convention). */
  predictedSizeGb: number;
  /** 95% prediction interval for that day. */
  lower: number;
  upper: number;
  /** The interval's level (0.95), not a goodness of fit. */
  confidence: number;
  /** From the slope's 95% confidence interval: increasing/decreasing only when it excludes zero. */
  trend: Trend;
  method: 'ols';
  r2: number;
  n: number;
  daysAhead: number;
  slopePerDay: number;
  slopeInterval: { lower: number; upper: number };
  /** Fitted value at day index 0 (the first point). */
  intercept: number;
  residualStd: number;
  /** Sizes cannot be negative: predictedSizeGb/lower/upper were raised to 0 where the line went below it. */
  clampedAtZero: boolean;
  /** Present when `capacityGb` was given. */
  daysUntilFull?: CapacityEstimate;
}

export interface ForecastOptions {
  capacityGb?: number;
  maxHorizonDays?: number;
}

/**
 * Largest size accepted, in GB (a billion TB): far above any real storage, far below where the least-squares sums
 * overflow (sizes near 1e308 gave an Infinity/NaN forecast instead of an error).
 */
export const MAX_FORECAST_SIZE_GB = 1e12;

/** Rejects what cannot be forecast honestly; returns the values as a Float64Array. */
export function validateSizes(values: readonly number[], name = 'historicalSizes'): Float64Array {
  if (!Array.isArray(values)) throw new MetricsInputError('INVALID_VALUE', `${name} must be an array of numbers`);
  if (values.length === 0) throw new MetricsInputError('EMPTY_SERIES', `${name} is empty: nothing to forecast from`);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new MetricsInputError('INVALID_VALUE', `${name}[${i}] must be a finite, non-negative number, got ${String(v)}`);
    }
    if (v > MAX_FORECAST_SIZE_GB) throw new MetricsInputError('INVALID_VALUE', `${name}[${i}] is implausibly large (${v} > ${MAX_FORECAST_SIZE_GB} GB)`);
    out[i] = v;
  }
  if (values.length < 3) {
    throw new MetricsInputError('TOO_FEW_POINTS', `${name} has ${values.length} point(s); a forecast with an interval needs at least 3`);
  }
  return out;
}

/** Horizons beyond 100 years are rejected: the numbers would overflow long before they meant anything. */
export const MAX_FORECAST_DAYS = 36_500;

export function validateHorizon(daysAhead: number): number {
  if (typeof daysAhead !== 'number' || !Number.isFinite(daysAhead) || daysAhead <= 0 || daysAhead > MAX_FORECAST_DAYS) {
    throw new MetricsInputError('INVALID_HORIZON', `daysAhead must be a number of days in (0, ${MAX_FORECAST_DAYS}], got ${String(daysAhead)}`);
  }
  return daysAhead;
}

/**
 * Compatible with the original `predict_space_needs_ml(historical_sizes, days_ahead)`: one value per day, oldest
 * first, x = day index 0..n-1. OLS line with a 95% prediction interval at day n-1+daysAhead.
 * Throws MetricsInputError for an empty series, fewer than 3 points, NaN/negative/infinite sizes or daysAhead <= 0.
 */
export function forecast(historicalSizes: readonly number[], daysAhead: number, options: ForecastOptions = {}): ForecastResult {
  const ys = validateSizes(historicalSizes);
  validateHorizon(daysAhead);
  if (options.capacityGb !== undefined) validateCapacity(options.capacityGb);
  const n = ys.length;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = i;
  const fit = fitOls(xs, ys);
  const lastX = n - 1;
  const at = olsPredict(fit, lastX + daysAhead);
  const clampedAtZero = at.lower < 0;
  const result: ForecastResult = {
    predictedSizeGb: Math.max(0, at.predicted),
    lower: Math.max(0, at.lower),
    upper: Math.max(0, at.upper),
    confidence: FORECAST_CONFIDENCE,
    trend: olsTrend(fit),
    method: 'ols',
    r2: fit.r2,
    n,
    daysAhead,
    slopePerDay: fit.slope,
    slopeInterval: { lower: fit.slopeLower, upper: fit.slopeUpper },
    intercept: fit.intercept,
    residualStd: fit.residualStd,
    clampedAtZero,
  };
  if (options.capacityGb !== undefined) {
    result.daysUntilFull = estimateDaysUntilFull(
      { slopePerDay: fit.slope, lastObserved: ys[lastX]!, predict: (h) => olsPredict(fit, lastX + h) },
      options.capacityGb,
      options.maxHorizonDays,
    );
  }
  return result;
}
