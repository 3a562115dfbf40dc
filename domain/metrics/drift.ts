import type { BackupRunRecord } from '../history/types.js';
import { LOG_SPREAD_FLOOR, isDangerousDirection, type RunMetric } from './anomaly-policy.js';
import { isBaselineEligible } from './baselines.js';
import { MetricsInputError, requirePositiveFinite, requirePositiveInteger } from './errors.js';
import { effectiveSigma, robustSummary } from './robust-stats.js';

/**
 * EWMA smoothing weight. Small weights remember long and catch small sustained shifts (creep) that no single
 * run trips; with L = 2.814 a one-sigma shift is signalled after about 8 runs on average.
 */
export const EWMA_LAMBDA = 0.1;
/**
 * Control-limit width in sigmas: with lambda 0.1, about 500 in-control runs between false alarms (Montgomery;
 * a simulation with known centre and sigma gave 514).
 */
export const EWMA_L = 2.814;
/** Leading points used to estimate the in-control centre and spread (median, 1.4826*MAD) when none are given. */
export const EWMA_CALIBRATION_POINTS = 20;

export interface EwmaOptions {
  lambda?: number;
  L?: number;
  calibrationPoints?: number;
  /** In-control centre; with `sigma`, skips calibration and monitors from the first point. */
  centre?: number;
  sigma?: number;
  /** Lower bound on the calibrated sigma (a constant calibration window would otherwise give zero-width limits). */
  sigmaFloor?: number;
}

export interface EwmaMonitored {
  status: 'monitored';
  signalled: boolean;
  /** Index into the input series of the first point whose EWMA left the control limits. */
  firstSignalIndex: number | null;
  direction: 'above' | 'below' | null;
  centre: number;
  sigma: number;
  lambda: number;
  L: number;
  /** Index of the first monitored point (= number of calibration points used). */
  monitoredFrom: number;
  /** EWMA statistic and limits after the last point. */
  final: { ewma: number; lower: number; upper: number };
}

export interface EwmaInsufficient {
  status: 'insufficient_history';
  message: string;
  available: number;
  required: number;
}

export type EwmaResult = EwmaMonitored | EwmaInsufficient;

/**
 * EWMA control chart over a time-ordered series: z_t = lambda*x_t + (1-lambda)*z_{t-1}, z_0 = centre, signal when
 * z_t leaves centre +- L*sigma*sqrt(lambda/(2-lambda)*(1-(1-lambda)^(2t))). Throws on non-finite values.
 */
export function ewmaChart(values: ArrayLike<number>, options: EwmaOptions = {}): EwmaResult {
  const lambda = requirePositiveFinite(options.lambda ?? EWMA_LAMBDA, 'lambda');
  if (lambda > 1) throw new MetricsInputError('INVALID_OPTION', `lambda must be in (0, 1], got ${lambda}`);
  const L = requirePositiveFinite(options.L ?? EWMA_L, 'L');
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new MetricsInputError('INVALID_VALUE', `values[${i}] is not a finite number`);
  }
  const given = options.centre !== undefined || options.sigma !== undefined;
  let centre: number;
  let sigma: number;
  let start: number;
  if (given) {
    if (!Number.isFinite(options.centre) || !(options.sigma! >= 0 && options.sigma! < Infinity)) {
      throw new MetricsInputError('INVALID_OPTION', 'centre and sigma must both be given, finite, with sigma >= 0');
    }
    centre = options.centre!;
    sigma = Math.max(options.sigma!, options.sigmaFloor ?? 0);
    start = 0;
  } else {
    const calibration = requirePositiveInteger(options.calibrationPoints ?? EWMA_CALIBRATION_POINTS, 'calibrationPoints');
    if (values.length <= calibration) {
      return {
        status: 'insufficient_history',
        message: `not enough history: ${values.length} points, need more than ${calibration} (calibration + monitoring)`,
        available: values.length,
        required: calibration + 1,
      };
    }
    const summary = robustSummary(Array.prototype.slice.call(values, 0, calibration) as number[]);
    centre = summary.median;
    sigma = effectiveSigma(summary, options.sigmaFloor ?? 0).sigma;
    start = calibration;
  }

  const steady = L * sigma * Math.sqrt(lambda / (2 - lambda));
  const decay = (1 - lambda) * (1 - lambda);
  let z = centre;
  let decayPow = 1;
  let width = 0;
  let firstSignalIndex: number | null = null;
  let direction: 'above' | 'below' | null = null;
  for (let i = start; i < values.length; i++) {
    z = lambda * values[i]! + (1 - lambda) * z;
    decayPow *= decay;
    width = steady * Math.sqrt(1 - decayPow);
    if (firstSignalIndex === null && (z > centre + width || z < centre - width)) {
      firstSignalIndex = i;
      direction = z > centre ? 'above' : 'below';
    }
  }
  return {
    status: 'monitored',
    signalled: firstSignalIndex !== null,
    firstSignalIndex,
    direction,
    centre,
    sigma,
    lambda,
    L,
    monitoredFrom: start,
    final: { ewma: z, lower: centre - width, upper: centre + width },
  };
}

export interface RunDriftSignal {
  status: 'monitored';
  metric: RunMetric;
  signalled: boolean;
  direction: 'above' | 'below' | null;
  /** Longer durations / smaller sizes: the drift that threatens backups. */
  dangerous: boolean;
  signalledAt: Date | null;
  backupId: string | null;
  /** In-control centre back in the metric's units (the calibration median). */
  centre: number;
  chart: EwmaMonitored;
}

export type RunDriftResult = RunDriftSignal | (EwmaInsufficient & { metric: RunMetric });

/**
 * EWMA drift of one target's successful runs on the log1p scale (relative creep), oldest first. The first
 * `calibrationPoints` successful runs define "in control"; the sigma floor matches the anomaly detector's.
 */
export function detectRunDrift(runs: readonly BackupRunRecord[], metric: RunMetric, options: EwmaOptions = {}): RunDriftResult {
  const usable = runs.filter(isBaselineEligible).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const targets = new Set(usable.map((r) => r.target));
  if (targets.size > 1) {
    throw new MetricsInputError('INVALID_OPTION', `detectRunDrift expects one target's runs, got ${targets.size} targets`);
  }
  const series = usable.map((r) => Math.log1p(r[metric]));
  const chart = ewmaChart(series, { sigmaFloor: LOG_SPREAD_FLOOR, ...options });
  if (chart.status !== 'monitored') return { ...chart, metric };
  const signalRun = chart.firstSignalIndex === null ? null : usable[chart.firstSignalIndex]!;
  return {
    status: 'monitored',
    metric,
    signalled: chart.signalled,
    direction: chart.direction,
    dangerous: chart.direction !== null && isDangerousDirection(metric, chart.direction),
    signalledAt: signalRun ? signalRun.startedAt : null,
    backupId: signalRun ? signalRun.backupId : null,
    centre: Math.expm1(chart.centre),
    chart,
  };
}
