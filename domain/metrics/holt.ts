import { studentT975 } from './student-t.js';
import type { IntervalPrediction } from './ols.js';

/** Grid for Holt's smoothing weights, chosen by the smallest one-step squared error (ties: first in grid order). */
export const HOLT_ALPHA_GRID: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
export const HOLT_BETA_GRID: readonly number[] = [0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];

export interface HoltFit {
  alpha: number;
  /** Trend smoothing weight (the beta* of b_t = beta*(l_t - l_{t-1}) + (1 - beta)*b_{t-1}). */
  beta: number;
  /** Level at the last point. */
  level: number;
  /** Trend per unit of x (per day) at the last point. */
  trend: number;
  lastX: number;
  /** Sum of squared one-step errors. */
  sse: number;
  /** Number of one-step errors (n - 2: the first two points initialise level and trend). */
  errorCount: number;
  /** sqrt(SSE / errorCount). */
  residualStd: number;
}

/**
 * Holt's linear trend over points [from, to) with x strictly increasing (gaps allowed: the trend is per unit x).
 * Initialisation: l = y0, b = (y1 - y0) / (x1 - x0). For each later point with gap dt:
 *   forecast f = l + b*dt; error e = y - f; l' = alpha*y + (1 - alpha)*f; b' = beta*(l' - l)/dt + (1 - beta)*b.
 * Errors count from the third point on (the second is reproduced exactly by the initial trend).
 * `fitted`, when given, receives each point's one-step forecast (the first point's is y0 itself).
 */
export function fitHolt(xs: ArrayLike<number>, ys: ArrayLike<number>, alpha: number, beta: number, from = 0, to = xs.length, fitted?: Float64Array): HoltFit {
  const n = to - from;
  if (n < 3) throw new RangeError(`Holt needs at least 3 points, got ${n}`);
  let level = ys[from]!;
  let trend = (ys[from + 1]! - level) / (xs[from + 1]! - xs[from]!);
  if (fitted) fitted[0] = level;
  let sse = 0;
  for (let i = from + 1; i < to; i++) {
    const dt = xs[i]! - xs[i - 1]!;
    const y = ys[i]!;
    const forecast = level + trend * dt;
    if (fitted) fitted[i - from] = forecast;
    if (i >= from + 2) {
      const e = y - forecast;
      sse += e * e;
    }
    const nextLevel = alpha * y + (1 - alpha) * forecast;
    trend = (beta * (nextLevel - level)) / dt + (1 - beta) * trend;
    level = nextLevel;
  }
  const errorCount = n - 2;
  return { alpha, beta, level, trend, lastX: xs[to - 1]!, sse, errorCount, residualStd: Math.sqrt(sse / errorCount) };
}

/** Grid search over HOLT_ALPHA_GRID x HOLT_BETA_GRID on one-step squared error. */
export function fitHoltGrid(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  from = 0,
  to = xs.length,
  alphas: readonly number[] = HOLT_ALPHA_GRID,
  betas: readonly number[] = HOLT_BETA_GRID,
): HoltFit {
  let best: HoltFit | null = null;
  for (const alpha of alphas) {
    for (const beta of betas) {
      const fit = fitHolt(xs, ys, alpha, beta, from, to);
      if (best === null || fit.sse < best.sse) best = fit;
    }
  }
  return best!;
}

/**
 * Forecast h days after the last point with a 95% interval. Variance grows with the horizon as for the
 * equivalent state-space model ETS(A,A,N): sigma^2 * (1 + sum_{j=1}^{h-1} (alpha + alpha*beta*j)^2)
 * = sigma^2 * (1 + (h-1)*(a^2 + a*B*h + B^2*h*(2h-1)/6)) with B = alpha*beta; sigma is the one-step residual
 * std, the quantile Student t with max(1, errors - 2) degrees of freedom (two weights were fitted).
 */
export function holtPredict(fit: HoltFit, h: number): IntervalPrediction {
  const predicted = fit.level + fit.trend * h;
  const a = fit.alpha;
  const B = fit.alpha * fit.beta;
  const growth = Math.max(0, 1 + (h - 1) * (a * a + a * B * h + (B * B * h * (2 * h - 1)) / 6));
  const half = studentT975(Math.max(1, fit.errorCount - 2)) * fit.residualStd * Math.sqrt(growth);
  return { predicted, lower: predicted - half, upper: predicted + half };
}
