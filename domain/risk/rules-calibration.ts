/**
 * The rules calibrated to the team (issue 16, item 6). The rules' log-odds (domain/risk/rules.ts) assume a 5% prior
 * and fixed weights; a team whose failures are rarer or more frequent, or whose failures the rules cannot see, gets
 * probabilities that are worse than always predicting its own failure rate (measured: Brier 0.110 against the base
 * rate's 0.078). So, with history but no model, the rule score is mapped through the team's own outcomes:
 *
 * - fewer than MIN_CALIBRATION_RUNS past runs: unchanged (`none`), the rules as written;
 * - else the best on the newest quarter of the past runs (fitted on the older three quarters) of: `base-rate`, the
 *   team's observed failure rate whatever the rules say; `shift`, the rules' log-odds moved by one intercept so that
 *   their mean is that rate; `platt` (with MIN_PLATT_FAILURES failures and successes), a * logit(rule probability)
 *   + b fitted on the past runs' rule probabilities against their outcomes (Platt scaling, domain/ml/calibration.ts,
 *   on the logit so a = 1, b = 0 is the identity). Choosing on runs the map did not see keeps it from being worse
 *   than the team's own rate when the rules carry nothing for this team.
 *
 * "Past runs" are point in time: the evaluation (domain/models/rules-scores.ts `scoreRunsWithCalibratedRules`)
 * refits every UTC day on the runs that ended before that day, within the lookback below, and live prediction
 * (capabilities/prediction/rules-calibration.ts) fits on the same window before now. Pure; no I/O.
 */
import { fitPlattCalibration } from '../ml/calibration.js';
import { riskLevel } from './levels.js';
import type { Prediction } from './prediction.js';
import { recommendActions } from './rules.js';

/** Past runs the map is fitted on: those of the last 90 days, at most the newest 20000 (about 2.5 per target-hour). */
export const RULES_CALIBRATION_LOOKBACK_DAYS = 90;
export const RULES_CALIBRATION_MAX_RUNS = 20_000;
/** Below this the team's rate is too noisy to trust more than the rules' own prior. */
export const MIN_CALIBRATION_RUNS = 50;
/** Platt's slope needs enough of both classes; below, only the intercept is fitted. */
export const MIN_PLATT_FAILURES = 20;

export type RulesCalibration =
  | { method: 'none'; reason: string }
  | { method: 'base-rate' | 'shift' | 'platt'; a: number; b: number; runs: number; failures: number };

const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Fits the map on past rule probabilities and their outcomes (1 = failed), oldest first. Three maps compete: the
 * constant observed rate (`base-rate`: the rules carry nothing for this team), the rules' log-odds shifted to that
 * rate (`shift`), and Platt scaling (`platt`, with enough failures). Each is fitted on the oldest 75% and scored
 * (Brier) on the newest 25%, the one that predicts the newer runs best is refitted on all of them: a map is chosen
 * on how it would have done on runs it did not see, point in time, never on the runs it was fitted on.
 */
export function fitRulesCalibration(ruleProbabilities: ArrayLike<number>, labels: ArrayLike<number>): RulesCalibration {
  const n = ruleProbabilities.length;
  if (labels.length !== n) throw new RangeError(`${n} scores for ${labels.length} labels`);
  if (n < MIN_CALIBRATION_RUNS) return { method: 'none', reason: `${n} past runs, at least ${MIN_CALIBRATION_RUNS} needed to calibrate the rules` };
  const z = new Float64Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = logit(ruleProbabilities[i] as number);
    y[i] = labels[i] === 1 ? 1 : 0;
  }
  const cut = Math.floor(n * 0.75);
  const older = { z: z.subarray(0, cut), y: y.subarray(0, cut) };
  const newer = { z: z.subarray(cut), y: y.subarray(cut) };
  let best: Method = 'base-rate';
  let bestBrier = Number.POSITIVE_INFINITY;
  for (const method of METHODS) {
    const fitted = fitMethod(method, older.z, older.y);
    if (!fitted) continue;
    const brier = brierOf(fitted, newer.z, newer.y);
    // A map beyond the constant must beat it clearly on the newer runs (by CONSTANT_MARGIN of its Brier score), not
    // by chance: when the rules carry nothing for this team, a map fitted on noise would be slightly worse than the rate.
    const bar = method === 'base-rate' ? Number.POSITIVE_INFINITY : bestBrier * (best === 'base-rate' ? 1 - CONSTANT_MARGIN : 1);
    if (brier < bar - 1e-12) {
      best = method;
      bestBrier = brier;
    }
  }
  return fitMethod(best, z, y) ?? (fitMethod('base-rate', z, y) as RulesCalibration);
}

type Method = 'base-rate' | 'shift' | 'platt';
/** How much better than the constant rate (share of its Brier score) another map must be on the newer runs. */
const CONSTANT_MARGIN = 0.01;
const METHODS: readonly Method[] = ['base-rate', 'shift', 'platt'];

function fitMethod(method: Method, z: Float64Array, y: Uint8Array): RulesCalibration | null {
  const n = z.length;
  let failures = 0;
  for (let i = 0; i < n; i++) failures += y[i] as number;
  if (n === 0) return null;
  // Platt-regularised rate ((k + 1) / (n + 2)): a team without a failure yet gets a small probability, not zero.
  const rate = (failures + 1) / (n + 2);
  if (method === 'base-rate') return { method, a: 0, b: logit(rate), runs: n, failures };
  if (method === 'shift') return { method, a: 1, b: interceptFor(z, rate), runs: n, failures };
  if (failures < MIN_PLATT_FAILURES || n - failures < MIN_PLATT_FAILURES) return null;
  const platt = fitPlattCalibration(z, y);
  return platt.method === 'platt' ? { method, a: platt.a, b: platt.b, runs: n, failures } : null;
}

function brierOf(c: RulesCalibration, z: Float64Array, y: Uint8Array): number {
  if (c.method === 'none' || z.length === 0) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    const d = sigmoid(c.a * (z[i] as number) + c.b) - (y[i] as number);
    sum += d * d;
  }
  return sum / z.length;
}

/** The shift b with mean(sigmoid(z + b)) = rate. Bisection: the mean is increasing in b. */
function interceptFor(z: Float64Array, rate: number): number {
  const n = z.length;
  let lo = -30;
  let hi = 30;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sigmoid((z[i] as number) + mid);
    if (sum / n < rate) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function applyRulesCalibration(calibration: RulesCalibration, ruleProbability: number): number {
  if (calibration.method === 'none') return ruleProbability;
  return sigmoid(calibration.a * logit(ruleProbability) + calibration.b);
}

/** For the prediction's `model` field: how the rules were mapped to this team. */
export function describeRulesCalibration(calibration: RulesCalibration): string {
  if (calibration.method === 'none') return `rules as written: ${calibration.reason}`;
  const rate = `${calibration.failures} failures in ${calibration.runs} past runs`;
  return calibration.method === 'platt'
    ? `rules calibrated to the team (Platt: ${calibration.a.toFixed(3)} x rule log-odds ${calibration.b >= 0 ? '+' : '-'} ${Math.abs(calibration.b).toFixed(3)}; ${rate})`
    : calibration.method === 'shift'
      ? `rules shifted to the team's failure rate (${rate})`
      : `the team's failure rate: the rules rank this team's runs no better than it (${rate})`;
}

/**
 * The rules' prediction mapped through the team's calibration: the probability, its risk level and actions, a
 * `team_calibration` factor carrying the change in log-odds (so the factors still add up), and `model.calibration`.
 */
export function calibratePrediction(prediction: Prediction, calibration: RulesCalibration): Prediction {
  const description = describeRulesCalibration(calibration);
  if (calibration.method === 'none') return { ...prediction, model: { ...prediction.model, calibration: description } };
  const raw = prediction.failureProbability;
  const probability = Math.round(applyRulesCalibration(calibration, raw) * 10_000) / 10_000;
  const shift = Math.round((logit(probability) - logit(raw)) * 1000) / 1000;
  const factors = [...prediction.riskFactors];
  if (shift !== 0) {
    factors.push({ factor: 'team_calibration', value: calibration.failures / calibration.runs, contribution: shift, description });
    factors.sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution));
  }
  return {
    ...prediction,
    failureProbability: probability,
    riskLevel: riskLevel(probability, prediction.threshold),
    riskFactors: factors,
    recommendedActions: recommendActions(factors, probability, prediction.threshold),
    model: { ...prediction.model, calibration: description },
  };
}
