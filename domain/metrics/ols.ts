import { studentT975 } from './student-t.js';

export type Trend = 'increasing' | 'decreasing' | 'stable';

/** Ordinary least squares of y on x with everything needed for 95% prediction intervals. */
export interface OlsFit {
  n: number;
  xMean: number;
  yMean: number;
  /** Sum of squared x deviations. */
  sxx: number;
  slope: number;
  intercept: number;
  /** Sum of squared residuals. */
  sse: number;
  /** Residual standard error s = sqrt(SSE / (n - 2)). */
  residualStd: number;
  /** 1 - SSE/SST; 1 when y is constant (a flat line fits it exactly). */
  r2: number;
  df: number;
  /** Student t_{0.975, n-2}. */
  tQuantile: number;
  slopeStdError: number;
  /** 95% confidence interval of the slope: b +- t * s / sqrt(Sxx). */
  slopeLower: number;
  slopeUpper: number;
}

/**
 * Fits y = intercept + slope * x over indexes [from, to). Needs at least 3 points (one residual degree of
 * freedom) and at least two distinct x; callers validate values beforehand. Sums are centred (two passes)
 * so large x offsets do not lose precision.
 */
export function fitOls(xs: ArrayLike<number>, ys: ArrayLike<number>, from = 0, to = xs.length): OlsFit {
  const n = to - from;
  if (n < 3) throw new RangeError(`OLS with an interval needs at least 3 points, got ${n}`);
  let xSum = 0;
  let ySum = 0;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let i = from; i < to; i++) {
    const y = ys[i]!;
    xSum += xs[i]!;
    ySum += y;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  const xMean = xSum / n;
  const yMean = yMin === yMax ? yMin : ySum / n;
  let sxx = 0;
  let sxy = 0;
  let sst = 0;
  for (let i = from; i < to; i++) {
    const dx = xs[i]! - xMean;
    const dy = ys[i]! - yMean;
    sxx += dx * dx;
    sxy += dx * dy;
    sst += dy * dy;
  }
  if (!(sxx > 0)) throw new RangeError('OLS needs at least two distinct x values');
  // An exactly constant series must come out exactly flat, not with a rounding-noise slope that tests "significant".
  const slope = yMin === yMax ? 0 : sxy / sxx;
  const intercept = yMean - slope * xMean;
  let sse = 0;
  for (let i = from; i < to; i++) {
    const r = ys[i]! - intercept - slope * xs[i]!;
    sse += r * r;
  }
  const df = n - 2;
  const residualStd = Math.sqrt(sse / df);
  const tQuantile = studentT975(df);
  const slopeStdError = residualStd / Math.sqrt(sxx);
  return {
    n,
    xMean,
    yMean,
    sxx,
    slope,
    intercept,
    sse,
    residualStd,
    r2: sst > 0 ? Math.max(0, 1 - sse / sst) : 1,
    df,
    tQuantile,
    slopeStdError,
    slopeLower: slope - tQuantile * slopeStdError,
    slopeUpper: slope + tQuantile * slopeStdError,
  };
}

export interface IntervalPrediction {
  predicted: number;
  lower: number;
  upper: number;
}

/** 95% prediction interval for a new observation at x0: y0 +- t * s * sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx). */
export function olsPredict(fit: OlsFit, x0: number): IntervalPrediction {
  const predicted = fit.intercept + fit.slope * x0;
  const dx = x0 - fit.xMean;
  const half = fit.tQuantile * fit.residualStd * Math.sqrt(1 + 1 / fit.n + (dx * dx) / fit.sxx);
  return { predicted, lower: predicted - half, upper: predicted + half };
}

/** Increasing / decreasing only when the slope's 95% confidence interval excludes zero. */
export function olsTrend(fit: OlsFit): Trend {
  if (fit.slopeLower > 0) return 'increasing';
  if (fit.slopeUpper < 0) return 'decreasing';
  return 'stable';
}
