import { MAX_CAPACITY_HORIZON_DAYS, estimateDaysUntilFull, validateCapacity, type CapacityEstimate } from './capacity.js';
import { toDailySeries, type DuplicateAggregation, type TimedValue } from './daily-series.js';
import { MetricsInputError, requirePositiveInteger } from './errors.js';
import { FORECAST_CONFIDENCE, validateHorizon } from './forecast.js';
import { fitHolt, fitHoltGrid, holtPredict, type HoltFit } from './holt.js';
import { fitOls, olsPredict, olsTrend, type IntervalPrediction, type OlsFit, type Trend } from './ols.js';
import { isoDate } from './time-buckets.js';

/** OLS looks at the last this-many days only: old growth regimes should not steer the line. */
export const OLS_WINDOW_DAYS = 90;
/**
 * Holt's weights are fitted on the last this-many days: they should describe current behaviour, and the level
 * and trend forget older points anyway (it also keeps a 10k-day series cheap).
 */
export const HOLT_WINDOW_DAYS = 365;
/** Below this many daily points there is no holdout comparison and OLS is used. */
export const MIN_POINTS_FOR_SELECTION = 10;
/** Holdout = the newest min(14, max(2, floor(n/5))) daily points. */
export const MAX_HOLDOUT_POINTS = 14;
/** The forecast path holds at most this many points (it steps by more than a day for long horizons). */
const MAX_PATH_POINTS = 366;

export type ForecastMethod = 'ols' | 'holt';

export interface SeriesForecastOptions {
  daysAhead: number;
  /** Same unit as the values; adds `daysUntilFull`. */
  capacity?: number;
  /** 'auto' (default) picks by holdout error. */
  method?: 'auto' | ForecastMethod;
  /** OLS window in days (default 90). */
  windowDays?: number;
  /** Holt fitting window in days (default 365). */
  holtWindowDays?: number;
  aggregate?: DuplicateAggregation;
  utcOffsetMinutes?: number;
  maxHorizonDays?: number;
}

export interface DatedValue {
  date: string;
  value: number;
}

export interface ForecastPathPoint extends IntervalPrediction {
  date: string;
  /** Days after the last observation. */
  daysAhead: number;
}

export interface MethodSelection {
  holdoutPoints: number;
  /** Mean absolute error over the holdout, each model fitted on the older points only. */
  olsMae: number;
  holtMae: number;
}

export interface SeriesForecast extends IntervalPrediction {
  method: ForecastMethod;
  confidence: number;
  /** From the OLS window slope's 95% confidence interval, whichever method forecasts. */
  trend: Trend;
  /** The chosen model's growth per day at the end of the series. */
  slopePerDay: number;
  daysAhead: number;
  lastDate: string;
  targetDate: string;
  /** Daily points after folding duplicates (what the models saw). */
  n: number;
  duplicatesMerged: number;
  ols: {
    windowPoints: number;
    windowStartDate: string;
    slopePerDay: number;
    slopeInterval: { lower: number; upper: number };
    /** Fitted value on the last observed day. */
    fittedAtLastDate: number;
    residualStd: number;
    r2: number;
  };
  holt: {
    windowPoints: number;
    alpha: number;
    beta: number;
    level: number;
    trendPerDay: number;
    residualStd: number;
    errorCount: number;
  };
  /** null when there were too few points to compare (OLS is then used) or a method was forced. */
  selection: MethodSelection | null;
  reason: string;
  /** Sizes cannot be negative: values below 0 were raised to 0. */
  clampedAtZero: boolean;
  /** The daily points of the last max(windowDays, holtWindowDays) days: what the models saw. */
  history: DatedValue[];
  /** The chosen model's fit over history: the OLS line over its window, or Holt's one-step forecasts. */
  fitted: DatedValue[];
  path: ForecastPathPoint[];
  daysUntilFull?: CapacityEstimate;
}

interface Model {
  method: ForecastMethod;
  slopePerDay: number;
  predict(h: number): IntervalPrediction;
}

/** First index of the points within `windowDays` of xs[to-1], keeping at least 3 points. */
function windowStart(xs: Float64Array, to: number, windowDays: number): number {
  const lastX = xs[to - 1]!;
  let from = to - 1;
  while (from > 0 && xs[from - 1]! > lastX - windowDays) from--;
  return Math.min(from, to - 3);
}

function olsModel(fit: OlsFit, lastX: number): Model {
  return { method: 'ols', slopePerDay: fit.slope, predict: (h) => olsPredict(fit, lastX + h) };
}

function holtModel(fit: HoltFit): Model {
  return { method: 'holt', slopePerDay: fit.trend, predict: (h) => holtPredict(fit, h) };
}

function holdoutMae(model: Model, xs: Float64Array, ys: Float64Array, trainEnd: number): number {
  const lastTrainX = xs[trainEnd - 1]!;
  let total = 0;
  for (let i = trainEnd; i < xs.length; i++) total += Math.abs(ys[i]! - model.predict(xs[i]! - lastTrainX).predicted);
  return total / (xs.length - trainEnd);
}

function clamp(p: IntervalPrediction): IntervalPrediction {
  return { predicted: Math.max(0, p.predicted), lower: Math.max(0, p.lower), upper: Math.max(0, p.upper) };
}

/**
 * Forecast from timestamped points: sorted, folded to one value per day (see DuplicateAggregation), x = day
 * index. Fits OLS over the last `windowDays` (90) and Holt's linear trend over the last `holtWindowDays` (365); with at least 10 days,
 * the one with the lower mean absolute error on the newest holdout days (each refitted without them) wins,
 * ties going to OLS. Throws MetricsInputError on empty input, fewer than 3 distinct days, bad values,
 * timestamps or options.
 */
export function forecastSeries(points: readonly TimedValue[], options: SeriesForecastOptions): SeriesForecast {
  const daysAhead = validateHorizon(options?.daysAhead);
  const windowDays = requirePositiveInteger(options.windowDays ?? OLS_WINDOW_DAYS, 'windowDays');
  const holtWindowDays = requirePositiveInteger(options.holtWindowDays ?? HOLT_WINDOW_DAYS, 'holtWindowDays');
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'ols' && method !== 'holt') {
    throw new MetricsInputError('INVALID_OPTION', `method must be auto, ols or holt, got ${String(method)}`);
  }
  if (options.capacity !== undefined) validateCapacity(options.capacity);
  const daily = toDailySeries(points, options.aggregate ?? 'max', options.utcOffsetMinutes ?? 0);
  const n = daily.days.length;
  if (n < 3) {
    throw new MetricsInputError('TOO_FEW_POINTS', `${n} distinct day(s) after folding duplicates; a forecast needs at least 3`);
  }
  const firstDay = daily.days[0]!;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = daily.days[i]! - firstDay;
  const ys = daily.values;
  const lastX = xs[n - 1]!;

  const olsFrom = windowStart(xs, n, windowDays);
  const holtFrom = windowStart(xs, n, holtWindowDays);
  const ols = fitOls(xs, ys, olsFrom, n);
  const holt = fitHoltGrid(xs, ys, holtFrom, n);

  let selection: MethodSelection | null = null;
  let chosen: ForecastMethod;
  let reason: string;
  if (method !== 'auto') {
    chosen = method;
    reason = `method ${method} was requested`;
  } else if (n < MIN_POINTS_FOR_SELECTION) {
    chosen = 'ols';
    reason = `only ${n} daily points (< ${MIN_POINTS_FOR_SELECTION}): no holdout comparison, OLS used`;
  } else {
    const holdoutPoints = Math.min(MAX_HOLDOUT_POINTS, Math.max(2, Math.floor(n / 5)));
    const trainEnd = n - holdoutPoints;
    const olsTrain = fitOls(xs, ys, windowStart(xs, trainEnd, windowDays), trainEnd);
    const holtTrain = fitHoltGrid(xs, ys, windowStart(xs, trainEnd, holtWindowDays), trainEnd);
    const olsMae = holdoutMae(olsModel(olsTrain, xs[trainEnd - 1]!), xs, ys, trainEnd);
    const holtMae = holdoutMae(holtModel(holtTrain), xs, ys, trainEnd);
    selection = { holdoutPoints, olsMae, holtMae };
    chosen = holtMae < olsMae ? 'holt' : 'ols';
    reason = `lower mean absolute error on the newest ${holdoutPoints} days (OLS ${olsMae.toPrecision(4)}, Holt ${holtMae.toPrecision(4)})`;
  }

  const model = chosen === 'ols' ? olsModel(ols, lastX) : holtModel(holt);
  const raw = model.predict(daysAhead);
  const at = clamp(raw);
  const lastDay = daily.days[n - 1]!;

  const history: DatedValue[] = [];
  for (let i = Math.min(olsFrom, holtFrom); i < n; i++) history.push({ date: isoDate(daily.days[i]!), value: ys[i]! });
  const fitted: DatedValue[] = [];
  if (chosen === 'ols') {
    for (let i = olsFrom; i < n; i++) fitted.push({ date: isoDate(daily.days[i]!), value: Math.max(0, ols.intercept + ols.slope * xs[i]!) });
  } else {
    const oneStep = new Float64Array(n - holtFrom);
    fitHolt(xs, ys, holt.alpha, holt.beta, holtFrom, n, oneStep);
    for (let i = holtFrom; i < n; i++) fitted.push({ date: isoDate(daily.days[i]!), value: Math.max(0, oneStep[i - holtFrom]!) });
  }
  const step = Math.max(1, Math.ceil(daysAhead / MAX_PATH_POINTS));
  const path: ForecastPathPoint[] = [];
  let clampedAtZero = raw.lower < 0;
  for (let h = step; h < daysAhead + step; h += step) {
    const horizon = Math.min(h, daysAhead);
    const p = model.predict(horizon);
    if (p.lower < 0) clampedAtZero = true;
    path.push({ date: isoDate(lastDay + Math.ceil(horizon)), daysAhead: horizon, ...clamp(p) });
  }

  const result: SeriesForecast = {
    ...at,
    method: chosen,
    confidence: FORECAST_CONFIDENCE,
    trend: olsTrend(ols),
    slopePerDay: model.slopePerDay,
    daysAhead,
    lastDate: isoDate(lastDay),
    targetDate: isoDate(lastDay + Math.ceil(daysAhead)),
    n,
    duplicatesMerged: daily.duplicatesMerged,
    ols: {
      windowPoints: n - olsFrom,
      windowStartDate: isoDate(daily.days[olsFrom]!),
      slopePerDay: ols.slope,
      slopeInterval: { lower: ols.slopeLower, upper: ols.slopeUpper },
      fittedAtLastDate: ols.intercept + ols.slope * lastX,
      residualStd: ols.residualStd,
      r2: ols.r2,
    },
    holt: {
      windowPoints: n - holtFrom,
      alpha: holt.alpha,
      beta: holt.beta,
      level: holt.level,
      trendPerDay: holt.trend,
      residualStd: holt.residualStd,
      errorCount: holt.errorCount,
    },
    selection,
    reason,
    clampedAtZero,
    history,
    fitted,
    path,
  };
  if (options.capacity !== undefined) {
    result.daysUntilFull = estimateDaysUntilFull(
      { slopePerDay: model.slopePerDay, lastObserved: ys[n - 1]!, predict: model.predict },
      options.capacity,
      options.maxHorizonDays ?? MAX_CAPACITY_HORIZON_DAYS,
    );
  }
  return result;
}
