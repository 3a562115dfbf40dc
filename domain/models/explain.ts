/**
 * Explaining a model's prediction in the same terms as the rules: risk factors with a log-odds contribution and
 * recommended actions.
 *
 * At training time `buildExplanation` stores, per feature, its permutation importance on the validation rows and
 * its typical value (median) and 10th/90th percentiles over the training rows. For one prediction,
 * `explainPrediction` takes the most important features and asks the model what it would say if this row had the
 * typical value of that feature (everything else unchanged): contribution = logit(p) - logit(p with the feature
 * typical). So "free space 0.6x the expected size (typical 4.2x): +1.9" means the model's log-odds are 1.9 higher
 * because of that value. One extra prediction per factor: cheap (tens of microseconds).
 */
import type { RiskFactor } from '../risk/prediction.js';
import { recommendActions } from '../risk/rules.js';
import { FEATURE_NAMES, UNKNOWN_FEATURE_VALUE, type FeatureName } from '../ml/features.js';
import type { DenseMatrix } from '../ml/matrix.js';
import { permutationImportance } from '../ml/importance.js';
import { createRng } from '../ml/rng.js';

export interface ModelExplanation {
  /** Mean PR-AUC drop when the feature is shuffled, most important first; empty when it could not be measured. */
  importance: { feature: string; meanDrop: number }[];
  /** Median over the training rows (unknown values left out), per feature. */
  typical: Record<string, number>;
  p10: Record<string, number>;
  p90: Record<string, number>;
}

const MAX_IMPORTANCE_ROWS = 20_000;
const MAX_TYPICAL_ROWS = 100_000;

function sampleIndices(count: number, max: number, seed: number): Uint32Array {
  if (count <= max) return Uint32Array.from({ length: count }, (_, i) => i);
  const rng = createRng(seed);
  const picked = rng.shuffle(Uint32Array.from({ length: count }, (_, i) => i)).slice(0, max);
  return picked.sort();
}

function rowsOf(X: DenseMatrix, indices: Uint32Array): DenseMatrix {
  const p = X.columnCount;
  const values = new Float64Array(indices.length * p);
  for (let k = 0; k < indices.length; k++) values.set(X.values.subarray((indices[k] as number) * p, ((indices[k] as number) + 1) * p), k * p);
  return { rowCount: indices.length, columnCount: p, values };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return UNKNOWN_FEATURE_VALUE;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

const round = (v: number, digits = 6): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Importance on (a sample of) the validation rows, typical values from (a sample of) the training rows. Seeded.
 * Without failures and successes in validation, importance is left empty (explanations then use every feature).
 */
export function buildExplanation(
  predictBatch: (X: DenseMatrix) => Float64Array,
  trainX: DenseMatrix,
  validationX: DenseMatrix,
  validationY: Uint8Array,
  seed: number,
): ModelExplanation {
  const typical: Record<string, number> = {};
  const p10: Record<string, number> = {};
  const p90: Record<string, number> = {};
  const sample = sampleIndices(trainX.rowCount, MAX_TYPICAL_ROWS, seed);
  const p = trainX.columnCount;
  FEATURE_NAMES.forEach((name, f) => {
    const values: number[] = [];
    for (const i of sample) {
      const v = trainX.values[i * p + f] as number;
      if (v !== UNKNOWN_FEATURE_VALUE) values.push(v);
    }
    const sorted = Float64Array.from(values).sort();
    typical[name] = round(quantile(sorted, 0.5));
    p10[name] = round(quantile(sorted, 0.1));
    p90[name] = round(quantile(sorted, 0.9));
  });

  let importance: ModelExplanation['importance'] = [];
  const picked = sampleIndices(validationX.rowCount, MAX_IMPORTANCE_ROWS, seed + 1);
  const y = Uint8Array.from(picked, (i) => validationY[i] as number);
  const positives = y.reduce((a, b) => a + b, 0);
  if (positives > 0 && positives < y.length) {
    importance = permutationImportance(predictBatch, rowsOf(validationX, picked), y, { seed, repeats: 2, featureNames: FEATURE_NAMES }).map((r) => ({
      feature: r.feature,
      meanDrop: round(r.meanDrop),
    }));
  }
  return { importance, typical, p10, p90 };
}

/** How each feature is described to an operator. */
const DESCRIBE: Record<FeatureName, (v: number, typical: number) => string> = {
  hour_of_day_utc: (v) => `starts at ${String(v).padStart(2, '0')}:00 UTC`,
  hour_sin: () => 'time of day (UTC)',
  hour_cos: () => 'time of day (UTC)',
  day_of_week_utc: (v) => `starts on ${WEEKDAYS[v] ?? v} (UTC)`,
  weekday_sin: () => 'day of the week (UTC)',
  weekday_cos: () => 'day of the week (UTC)',
  team_failure_rate_90_days: (v, t) => `team failure rate ${pct(v)} over the last 90 days (typical ${pct(t)})`,
  failure_rate_last_5_runs: (v, t) => `failure rate ${pct(v)} over the last 5 runs (typical ${pct(t)})`,
  failure_rate_last_20_runs: (v, t) => `failure rate ${pct(v)} over the last 20 runs (typical ${pct(t)})`,
  failure_rate_last_50_runs: (v, t) => `failure rate ${pct(v)} over the last 50 runs (typical ${pct(t)})`,
  failure_rate_last_7_days: (v, t) => `failure rate ${pct(v)} over the last 7 days (typical ${pct(t)})`,
  failure_rate_last_30_days: (v, t) => `failure rate ${pct(v)} over the last 30 days (typical ${pct(t)})`,
  failure_rate_ewm: (v, t) => `recent failure rate ${pct(v)}, weighted towards the latest runs (typical ${pct(t)})`,
  failures_last_24_hours: (v) => `${v} failure(s) in the last 24 h`,
  consecutive_failures: (v) => `${v} consecutive failure(s) just before this run`,
  hours_since_last_failure: (v, t) => `${v >= 720 ? 'no failed run in 30 days' : `${v.toFixed(1)} h since the last failed run`} (typical ${t.toFixed(1)} h)`,
  hours_since_last_success: (v, t) =>
    `${v >= 720 ? 'no successful run in 30 days' : `${v.toFixed(1)} h since the last successful run`} (typical ${t.toFixed(1)} h)`,
  same_hour_failure_rate_14_days: (v, t) => `failure rate ${pct(v)} at this hour over the last 14 days (typical ${pct(t)})`,
  estimated_duration_ratio: (v, t) => `expected duration ${v.toFixed(2)}x the typical run (usual ratio ${t.toFixed(2)}x)`,
  estimated_size_ratio: (v, t) => `expected size ${v.toFixed(2)}x the typical run (usual ratio ${t.toFixed(2)}x)`,
  size_growth_per_day: (v, t) => `backup size growing ${(v * 100).toFixed(2)} %/day (typical ${(t * 100).toFixed(2)} %/day)`,
  free_space_to_expected_size: (v, t) => `free space ${v.toFixed(2)}x the expected backup size (typical ${t.toFixed(2)}x)`,
  database_size_gb: (v, t) => `database size ${v.toFixed(1)} GB (typical ${t.toFixed(1)} GB)`,
  database_size_growth_ratio: (v, t) => `database ${v.toFixed(2)}x its recent median size (typical ${t.toFixed(2)}x)`,
  prior_runs_capped: (v) => (v >= 50 ? '50 or more earlier runs' : `only ${v} earlier run(s) of this target`),
};

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function pct(v: number): string {
  return v === UNKNOWN_FEATURE_VALUE ? 'unknown' : `${(v * 100).toFixed(0)} %`;
}

/** Rule factors whose recommended actions fit a model feature (recommendActions in domain/risk/rules.ts). */
const ACTION_FACTOR: Partial<Record<FeatureName, string>> = {
  failure_rate_last_5_runs: 'recent_failures',
  failure_rate_last_20_runs: 'historical_failure_rate',
  failure_rate_last_50_runs: 'historical_failure_rate',
  failure_rate_last_7_days: 'historical_failure_rate',
  failure_rate_last_30_days: 'historical_failure_rate',
  failure_rate_ewm: 'recent_failures',
  failures_last_24_hours: 'recent_failures',
  consecutive_failures: 'recent_failures',
  estimated_duration_ratio: 'duration_vs_typical',
  estimated_size_ratio: 'size_vs_typical',
  size_growth_per_day: 'size_vs_typical',
  database_size_gb: 'database_size',
  database_size_growth_ratio: 'database_size',
  free_space_to_expected_size: 'free_space',
  hours_since_last_success: 'time_since_success',
  hour_of_day_utc: 'maintenance_window',
  hour_sin: 'maintenance_window',
  hour_cos: 'maintenance_window',
  day_of_week_utc: 'maintenance_window',
  weekday_sin: 'maintenance_window',
  weekday_cos: 'maintenance_window',
  same_hour_failure_rate_14_days: 'maintenance_window',
};

const EPS = 1e-6;
const logit = (p: number): number => {
  const c = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(c / (1 - c));
};

export interface ExplainOptions {
  maxFactors?: number;
  /** Factors whose |contribution| is below this are left out (log-odds). */
  minContribution?: number;
}

/**
 * Risk factors of one prediction (largest |contribution| first). `predict` is the calibrated model on a feature row
 * in FEATURE_NAMES order; `probability` is predict(row).
 */
export function explainPrediction(
  predict: (row: ArrayLike<number>) => number,
  row: readonly number[],
  probability: number,
  explanation: ModelExplanation | null,
  options: ExplainOptions = {},
): RiskFactor[] {
  const maxFactors = options.maxFactors ?? 5;
  const minContribution = options.minContribution ?? 0.05;
  const ranked =
    explanation && explanation.importance.length > 0 ? explanation.importance.filter((r) => r.meanDrop > 0).map((r) => r.feature) : [...FEATURE_NAMES];
  const base = logit(probability);
  const factors: RiskFactor[] = [];
  const probe = row.slice();
  for (const feature of ranked.slice(0, 8)) {
    const f = FEATURE_NAMES.indexOf(feature as FeatureName);
    if (f < 0) continue;
    const value = row[f] as number;
    const typical = explanation?.typical[feature];
    if (typical === undefined || typical === value) continue;
    probe[f] = typical;
    const contribution = base - logit(predict(probe));
    probe[f] = value;
    if (Math.abs(contribution) < minContribution) continue;
    factors.push({
      factor: feature,
      value: value === UNKNOWN_FEATURE_VALUE ? null : round(value, 4),
      contribution: round(contribution, 3),
      description: value === UNKNOWN_FEATURE_VALUE ? `${feature.replaceAll('_', ' ')} unknown` : DESCRIBE[feature as FeatureName](value, typical),
    });
  }
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return factors.slice(0, maxFactors);
}

/** Recommended actions for model factors, worded like the rules' (one per kind of risk, highest first). */
export function recommendActionsForModel(factors: readonly RiskFactor[], probability: number, threshold: number): string[] {
  const mapped = factors.map((f) => ({ ...f, factor: ACTION_FACTOR[f.factor as FeatureName] ?? f.factor }));
  const actions = recommendActions(mapped, probability, threshold);
  if (factors.some((f) => f.factor === 'prior_runs_capped' && f.contribution > 0)) {
    actions.splice(actions.length > 0 && probability > threshold ? 1 : 0, 0, 'Little history for this target: watch this run and its logs.');
  }
  return [...new Set(actions)].filter((a, _, all) => !(a.startsWith('No action needed') && all.length > 1));
}
