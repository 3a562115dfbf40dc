/**
 * Live quality of the active failure model (issue 16, item 8): the pure judgement behind `modelMonitorWorkflow` and
 * `sentinel model monitor`. The caller gives the window of live outcomes (finished runs whose gate was predicted by
 * the active model, with the probability and threshold the gate used), the same runs scored in shadow by the rules
 * and by the model the active one replaced, and the active model's own validation scores from training.
 *
 * Degradation rule (docs/models.md, "Live monitoring and automatic rollback"). With at least `minOutcomes` outcomes
 * and `minFailures` failures in the window, the model is degraded when, for any of these gaps, the one-sided lower
 * confidence bound (level `confidence`, stratified bootstrap over the window's runs) exceeds its tolerance:
 * - live Brier minus the model's validation Brier (`brierTolerance`): its probabilities stopped matching outcomes.
 *   The validation Brier is taken as a fixed reference (its own noise is not resampled: a stated simplification);
 * - live Brier minus the Brier of the replaced model / the rules on the same runs (`brierTolerance`, paired);
 * - PR-AUC of the replaced model / the rules minus live PR-AUC on the same runs (`prAucTolerance`, paired).
 * A point estimate beyond the tolerance is not enough: the bound must be, so a small unlucky window does not roll
 * back a good model. The bootstrap is seeded, so the same window always gives the same verdict.
 */
import { averagePrecision, baselineBrier, brierScore, rocAuc } from '../ml/metrics.js';
import { SeededRng } from '../ml/rng.js';

export interface ModelMonitorPolicy {
  /** Only outcomes of runs that started in the last `windowDays` days count. */
  windowDays: number;
  /** At most the newest `maxOutcomes` of them (the window in runs). */
  maxOutcomes: number;
  /** No verdict below these counts: too few outcomes (or failures) to tell a bad model from bad luck. */
  minOutcomes: number;
  minFailures: number;
  /** Largest tolerated Brier-score excess (live over validation, or over the replaced model / rules). */
  brierTolerance: number;
  /** Largest tolerated PR-AUC shortfall against the replaced model / rules on the same runs. */
  prAucTolerance: number;
  /** Level of the one-sided lower bound, e.g. 0.95. */
  confidence: number;
  bootstrapSamples: number;
  /** What a degradation does: roll back automatically (when there is a model to roll back to), or only alert. */
  onDegraded: 'rollback' | 'alert';
}

export const DEFAULT_MODEL_MONITOR_POLICY: ModelMonitorPolicy = {
  windowDays: 14,
  maxOutcomes: 1000,
  minOutcomes: 100,
  minFailures: 10,
  brierTolerance: 0.02,
  prAucTolerance: 0.05,
  confidence: 0.95,
  bootstrapSamples: 500,
  onDegraded: 'rollback',
};

/** Same seed every time: the verdict on a given window is reproducible. */
const BOOTSTRAP_SEED = 168;

export interface LiveWindow {
  /** 1 for a failed run, 0 for a completed one. */
  labels: ArrayLike<number>;
  /** The probability the gate recorded (the active model's). */
  active: ArrayLike<number>;
  /** The threshold each gate compared it with. */
  thresholds: ArrayLike<number>;
  /** Shadow scores of the same runs, or null when they could not be computed. */
  rules: ArrayLike<number> | null;
  replaced: ArrayLike<number> | null;
}

export interface LiveMetrics {
  prAuc: number | null;
  rocAuc: number | null;
  brier: number | null;
}

export interface ActiveLiveMetrics extends LiveMetrics {
  /** At each run's own threshold (the gate flags a probability above it). */
  precision: number | null;
  recall: number | null;
  flagged: number;
}

export type CheckName = 'brier-vs-validation' | 'brier-vs-replaced' | 'pr-auc-vs-replaced' | 'brier-vs-rules' | 'pr-auc-vs-rules';

export interface DegradationCheck {
  name: CheckName;
  /** The gap in the direction of "worse": positive means the active model is worse. */
  gap: number;
  /** One-sided lower confidence bound of the gap. */
  lowerBound: number;
  tolerance: number;
  degraded: boolean;
}

export type LiveVerdict = 'insufficient-data' | 'healthy' | 'degraded';

export interface LiveQualityJudgement {
  verdict: LiveVerdict;
  reason: string;
  outcomes: number;
  failures: number;
  active: ActiveLiveMetrics;
  rules: LiveMetrics | null;
  replaced: LiveMetrics | null;
  /** Brier of always predicting the window's own failure rate. */
  baseRateBrier: number | null;
  validation: { brier: number | null; prAuc: number | null } | null;
  checks: DegradationCheck[];
}

const fmt = (v: number | null): string => (v === null ? '-' : v.toFixed(4));

function liveMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): LiveMetrics {
  return { prAuc: averagePrecision(scores, labels), rocAuc: rocAuc(scores, labels), brier: brierScore(scores, labels) };
}

function activeMetrics(window: LiveWindow): ActiveLiveMetrics {
  let tp = 0;
  let flagged = 0;
  let failures = 0;
  for (let i = 0; i < window.labels.length; i++) {
    // The gate's own rule (domain/risk/levels.ts isHighRisk): strictly above the threshold.
    const flag = (window.active[i] as number) > (window.thresholds[i] as number);
    if (flag) flagged++;
    if (window.labels[i] === 1) {
      failures++;
      if (flag) tp++;
    }
  }
  return {
    ...liveMetrics(window.active, window.labels),
    precision: flagged === 0 ? null : tp / flagged,
    recall: failures === 0 ? null : tp / failures,
    flagged,
  };
}

/** Mean of squared errors over the chosen rows. */
function brierOf(scores: ArrayLike<number>, labels: ArrayLike<number>, rows: Uint32Array): number {
  let sum = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k] as number;
    const d = (scores[i] as number) - (labels[i] as number);
    sum += d * d;
  }
  return sum / rows.length;
}

function gather(values: ArrayLike<number>, rows: Uint32Array, out: Float64Array): Float64Array {
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k] as number] as number;
  return out;
}

/** Lower `1 - confidence` quantile of the sorted sample (nearest rank). */
function lowerQuantile(sorted: Float64Array, confidence: number): number {
  const rank = Math.max(0, Math.min(sorted.length - 1, Math.floor((1 - confidence) * sorted.length)));
  return sorted[rank] as number;
}

interface GapSpec {
  name: CheckName;
  tolerance: number;
  /** The gap on a resample (rows) of the window; `labels` are the resampled labels for PR-AUC. */
  gap: (rows: Uint32Array) => number;
}

/**
 * Stratified bootstrap: each resample keeps the window's numbers of failures and successes (drawn with replacement
 * within each class), so every resample has a PR-AUC and the rarity of failures does not add resamples without any.
 */
function bootstrapLowerBounds(specs: GapSpec[], labels: ArrayLike<number>, policy: ModelMonitorPolicy): number[] {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positives : negatives).push(i);
  const rng = new SeededRng(BOOTSTRAP_SEED);
  const samples = specs.map(() => new Float64Array(policy.bootstrapSamples));
  const rows = new Uint32Array(labels.length);
  for (let b = 0; b < policy.bootstrapSamples; b++) {
    let k = 0;
    for (let j = 0; j < positives.length; j++) rows[k++] = positives[rng.intBelow(positives.length)] as number;
    for (let j = 0; j < negatives.length; j++) rows[k++] = negatives[rng.intBelow(negatives.length)] as number;
    specs.forEach((spec, s) => {
      (samples[s] as Float64Array)[b] = spec.gap(rows);
    });
  }
  return samples.map((sample) => lowerQuantile(sample.sort(), policy.confidence));
}

export interface JudgeInput {
  window: LiveWindow;
  /** The active model's validation scores stored at training; null for a model without them (imported). */
  validation: { brier: number | null; prAuc: number | null } | null;
  policy: ModelMonitorPolicy;
}

export function judgeLiveQuality({ window, validation, policy }: JudgeInput): LiveQualityJudgement {
  const n = window.labels.length;
  for (const [name, values] of [
    ['active', window.active],
    ['thresholds', window.thresholds],
    ['rules', window.rules],
    ['replaced', window.replaced],
  ] as const) {
    if (values && values.length !== n) throw new RangeError(`${name} has ${values.length} values for ${n} outcomes`);
  }
  let failures = 0;
  for (let i = 0; i < n; i++) failures += window.labels[i] === 1 ? 1 : 0;
  const base = {
    outcomes: n,
    failures,
    active: activeMetrics(window),
    rules: window.rules ? liveMetrics(window.rules, window.labels) : null,
    replaced: window.replaced ? liveMetrics(window.replaced, window.labels) : null,
    baseRateBrier: baselineBrier(window.labels),
    validation,
  };
  if (n < policy.minOutcomes || failures < policy.minFailures) {
    return {
      ...base,
      verdict: 'insufficient-data',
      reason: `no verdict: ${n} live outcomes with ${failures} failures in the window; at least ${policy.minOutcomes} outcomes and ${policy.minFailures} failures are needed`,
      checks: [],
    };
  }

  const labels = window.labels;
  const resampledLabels = new Float64Array(n);
  const a = new Float64Array(n);
  const c = new Float64Array(n);
  const specs: GapSpec[] = [];
  const observed: number[] = [];
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  if (validation?.brier !== null && validation?.brier !== undefined) {
    const reference = validation.brier;
    specs.push({ name: 'brier-vs-validation', tolerance: policy.brierTolerance, gap: (rows) => brierOf(window.active, labels, rows) - reference });
  }
  for (const [which, scores] of [
    ['replaced', window.replaced],
    ['rules', window.rules],
  ] as const) {
    if (!scores) continue;
    specs.push({
      name: `brier-vs-${which}`,
      tolerance: policy.brierTolerance,
      gap: (rows) => brierOf(window.active, labels, rows) - brierOf(scores, labels, rows),
    });
    specs.push({
      name: `pr-auc-vs-${which}`,
      tolerance: policy.prAucTolerance,
      gap: (rows) => {
        const y = gather(labels, rows, resampledLabels);
        return (averagePrecision(gather(scores, rows, c), y) as number) - (averagePrecision(gather(window.active, rows, a), y) as number);
      },
    });
  }
  for (const spec of specs) observed.push(spec.gap(all));
  const bounds = bootstrapLowerBounds(specs, labels, policy);
  const checks: DegradationCheck[] = specs.map((spec, s) => {
    const lowerBound = bounds[s] as number;
    return { name: spec.name, gap: observed[s] as number, lowerBound, tolerance: spec.tolerance, degraded: lowerBound > spec.tolerance };
  });
  const failed = checks.filter((check) => check.degraded);
  const level = `${Math.round(policy.confidence * 100)}%`;
  if (failed.length === 0) {
    return {
      ...base,
      verdict: 'healthy',
      reason:
        checks.length === 0
          ? `healthy: nothing to compare with (no validation Brier, no shadow scores) over ${n} outcomes`
          : `healthy over ${n} outcomes (${failures} failures): live Brier ${fmt(base.active.brier)}, PR-AUC ${fmt(base.active.prAuc)}; no gap's ${level} lower bound exceeds its tolerance`,
      checks,
    };
  }
  return {
    ...base,
    verdict: 'degraded',
    reason: `degraded over ${n} live outcomes (${failures} failures): ${failed.map((check) => describeCheck(check, base, level)).join('; ')}`,
    checks,
  };
}

function describeCheck(check: DegradationCheck, m: Omit<LiveQualityJudgement, 'verdict' | 'reason' | 'checks'>, level: string): string {
  const by = `by ${check.gap.toFixed(4)} (${level} lower bound ${check.lowerBound.toFixed(4)} > tolerance ${check.tolerance})`;
  switch (check.name) {
    case 'brier-vs-validation':
      return `live Brier ${fmt(m.active.brier)} is worse than its validation Brier ${fmt(m.validation?.brier ?? null)} ${by}`;
    case 'brier-vs-replaced':
      return `live Brier ${fmt(m.active.brier)} is worse than the replaced model's ${fmt(m.replaced?.brier ?? null)} on the same runs ${by}`;
    case 'brier-vs-rules':
      return `live Brier ${fmt(m.active.brier)} is worse than the rules' ${fmt(m.rules?.brier ?? null)} on the same runs ${by}`;
    case 'pr-auc-vs-replaced':
      return `live PR-AUC ${fmt(m.active.prAuc)} is below the replaced model's ${fmt(m.replaced?.prAuc ?? null)} on the same runs ${by}`;
    case 'pr-auc-vs-rules':
      return `live PR-AUC ${fmt(m.active.prAuc)} is below the rules' ${fmt(m.rules?.prAuc ?? null)} on the same runs ${by}`;
  }
}

export type MonitorResponse = { action: 'none' } | { action: 'rollback'; toVersion: number } | { action: 'alert-only'; why: string };

/**
 * What a verdict does. Never a rollback to nothing: with no model before the active one (the rules predicted), the
 * monitor alerts and leaves the choice to a person (`sentinel model rollback` restores "no model" by hand). Nor to
 * a model that was itself rolled back automatically, nor to one that does no better on the same runs.
 */
export function planResponse(input: {
  judgement: Pick<LiveQualityJudgement, 'verdict' | 'active' | 'replaced'>;
  onDegraded: ModelMonitorPolicy['onDegraded'];
  replacedVersion: number | null;
  replacedWasRolledBackAutomatically: boolean;
}): MonitorResponse {
  const { judgement } = input;
  if (judgement.verdict !== 'degraded') return { action: 'none' };
  if (input.onDegraded === 'alert') return { action: 'alert-only', why: 'modelMonitor.onDegraded is "alert"' };
  if (input.replacedVersion === null)
    return {
      action: 'alert-only',
      why: 'no model was active before this one (the rules predicted); the monitor never rolls back to nothing: `sentinel model rollback` does it by hand',
    };
  if (input.replacedWasRolledBackAutomatically)
    return { action: 'alert-only', why: `model ${input.replacedVersion}, which it replaced, was itself rolled back automatically as degraded` };
  const replacedBrier = judgement.replaced?.brier ?? null;
  const activeBrier = judgement.active.brier;
  if (replacedBrier !== null && activeBrier !== null && replacedBrier >= activeBrier)
    return {
      action: 'alert-only',
      why: `model ${input.replacedVersion} does no better on the same runs (Brier ${replacedBrier.toFixed(4)} against ${activeBrier.toFixed(4)}): rolling back would not help`,
    };
  return { action: 'rollback', toVersion: input.replacedVersion };
}
