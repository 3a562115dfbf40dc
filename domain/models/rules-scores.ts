/**
 * The rule-based predictor (domain/risk/rules.ts) as a scorer of historical runs, point in time, so the rules
 * can be measured on exactly the validation rows a model is measured on.
 *
 * For a run starting at t it rebuilds what live prediction would have seen at t: the historical context of
 * domain/history/context.ts over the target's runs that started before t and ended by t (the same rule as the
 * feature pipeline), and the run's own pre-run facts (estimates, database size, free space) as the request.
 * Its own status, duration and size are never read.
 *
 * Incremental per target: runs are visited in start order while a pointer adds runs to the history in end order;
 * only the 20 most recent visible runs (the context window) are kept, so n runs cost O(n log n + 20 n).
 * Live prediction reads at most the 200 newest runs (backup_runs.recentHistory), so a last success further back
 * than 200 runs is not seen here either.
 */
import { CONTEXT_WINDOW_RUNS, RECENT_FAILURE_RUNS } from '../history/context.js';
import { sweepPointInTime } from '../history/point-in-time-sweep.js';
import type { BackupRunRecord, HistoricalContext } from '../history/types.js';
import { predictWithRules } from '../risk/rules.js';
import {
  applyRulesCalibration,
  fitRulesCalibration,
  RULES_CALIBRATION_LOOKBACK_DAYS,
  RULES_CALIBRATION_MAX_RUNS,
  type RulesCalibration,
} from '../risk/rules-calibration.js';

/** Runs live prediction loads per target (backup_runs.recentHistory's default limit). */
export const RULES_HISTORY_LIMIT = 200;

const finiteOrUndefined = (v: number | null | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Median of the first `count` values of `values`, sorted in place by insertion (windows hold at most 20). */
function medianOf(values: Float64Array, count: number): number | null {
  if (count === 0) return null;
  for (let a = 1; a < count; a++) {
    const v = values[a] as number;
    let b = a;
    while (b > 0 && (values[b - 1] as number) > v) {
      values[b] = values[b - 1] as number;
      b--;
    }
    values[b] = v;
  }
  const mid = count >> 1;
  return count % 2 ? (values[mid] as number) : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

const scratchDurations = new Float64Array(CONTEXT_WINDOW_RUNS);
const scratchSizes = new Float64Array(CONTEXT_WINDOW_RUNS);

/**
 * Historical context of each run (row i for runs[i]; only the rows in `only` when given) as domain/history/context.ts
 * computes it at the run's start.
 * Exposed for tests and explanations; `scoreRunsWithRules` is what evaluation uses.
 */
export function pointInTimeContexts(runs: readonly BackupRunRecord[], only?: ArrayLike<number>): (HistoricalContext | undefined)[] {
  const n = runs.length;
  const contexts: (HistoricalContext | undefined)[] = new Array(n);
  const startMs = new Float64Array(n);
  const endMs = new Float64Array(n);
  const wanted = only ? new Uint8Array(n) : null;
  if (wanted && only) {
    for (let k = 0; k < only.length; k++) {
      const i = only[k] as number;
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`row ${i} is not one of the ${n} runs`);
      wanted[i] = 1;
    }
  }
  for (let i = 0; i < n; i++) {
    const run = runs[i] as BackupRunRecord;
    const start = run.startedAt.getTime();
    startMs[i] = start;
    endMs[i] = start + run.durationSeconds * 1000;
  }
  // Position of each run in its target's start order: "most recent" in context.ts means the largest start.
  const rankOf = new Int32Array(n);
  let byStart: Int32Array = new Int32Array(0);
  // Start ranks of the newest visible runs, ascending, at most CONTEXT_WINDOW_RUNS of them.
  let window: number[] = [];
  let lastSuccessRank = -1;
  sweepPointInTime((i) => (runs[i] as BackupRunRecord).target, startMs, endMs, {
    beginTarget: (targetByStart) => {
      byStart = targetByStart;
      for (let k = 0; k < byStart.length; k++) rankOf[byStart[k] as number] = k;
      window = [];
      lastSuccessRank = -1;
    },
    reveal: (j) => {
      const r = rankOf[j] as number;
      if ((runs[j] as BackupRunRecord).status === 'completed' && r > lastSuccessRank) lastSuccessRank = r;
      if (window.length === CONTEXT_WINDOW_RUNS && r < (window[0] as number)) return;
      let at = window.length;
      while (at > 0 && (window[at - 1] as number) > r) at--;
      window.splice(at, 0, r);
      if (window.length > CONTEXT_WINDOW_RUNS) window.shift();
    },
    visit: (i, k, t) => {
      if (wanted === null || wanted[i] === 1) contexts[i] = contextFrom(runs, byStart, endMs, window, lastSuccessRank, k, t);
    },
  });
  return contexts;
}

function contextFrom(
  runs: readonly BackupRunRecord[],
  byStart: Int32Array,
  endMs: Float64Array,
  window: readonly number[],
  lastSuccessRank: number,
  currentRank: number,
  t: number,
): HistoricalContext {
  if (window.length === 0) {
    return { successRate: null, recentFailures: 0, typicalDurationSeconds: null, typicalSizeBytes: null, runCount: 0, hoursSinceLastSuccess: null };
  }
  let successes = 0;
  let recentFailures = 0;
  for (let w = window.length - 1, seen = 0; w >= 0; w--, seen++) {
    const run = runs[byStart[window[w] as number] as number] as BackupRunRecord;
    if (run.status === 'completed') {
      scratchDurations[successes] = run.durationSeconds;
      scratchSizes[successes] = run.sizeBytes;
      successes++;
    } else if (seen < RECENT_FAILURE_RUNS) recentFailures++;
  }
  const lastSuccess = lastSuccessRank >= 0 && currentRank - lastSuccessRank <= RULES_HISTORY_LIMIT ? (byStart[lastSuccessRank] as number) : -1;
  return {
    successRate: successes / window.length,
    recentFailures,
    typicalDurationSeconds: medianOf(scratchDurations, successes),
    typicalSizeBytes: medianOf(scratchSizes, successes),
    runCount: window.length,
    hoursSinceLastSuccess: lastSuccess >= 0 ? (t - (endMs[lastSuccess] as number)) / 3_600_000 : null,
  };
}

/** What live prediction would have been asked for this run, before it started. */
function requestFor(run: BackupRunRecord, threshold: number) {
  return {
    target: run.target,
    threshold,
    startAt: run.startedAt.toISOString(),
    estimatedDurationSeconds: finiteOrUndefined(run.estimatedDuration),
    estimatedSizeBytes: finiteOrUndefined(run.estimatedSize),
    databaseSizeGb: finiteOrUndefined(run.databaseSizeGb),
    freeSpaceGb: finiteOrUndefined(run.freeSpaceGb),
  };
}

/**
 * The rules' failure probability of each run, point in time: row k for runs[only[k]] when `only` is given (e.g. the
 * validation rows; history before them is still read), else row i for runs[i].
 */
export function scoreRunsWithRules(runs: readonly BackupRunRecord[], options: { only?: ArrayLike<number>; threshold?: number } = {}): Float64Array {
  const { only, threshold = 0.5 } = options;
  const contexts = pointInTimeContexts(runs, only);
  const count = only ? only.length : runs.length;
  const scores = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const i = only ? (only[k] as number) : k;
    scores[k] = predictWithRules(requestFor(runs[i] as BackupRunRecord, threshold), contexts[i] as HistoricalContext, '').failureProbability;
  }
  return scores;
}

const MS_PER_DAY = 86_400_000;

/**
 * The rules calibrated to the team (domain/risk/rules-calibration.ts), point in time, as live prediction gives them
 * with history but no model: for each row to score, the map is fitted on the raw rule probabilities and outcomes
 * of the runs (all targets) that ended before the UTC day the row starts on, within the lookback (90 days, newest
 * 20000 runs), refitted once per day. Row k for runs[only[k]] as in `scoreRunsWithRules`. With `constantBaseRate`,
 * every row gets the team's observed rate of that window instead: the constant predictor known at prediction time,
 * the reference the calibrated rules must not be worse than.
 */
export function scoreRunsWithCalibratedRules(
  runs: readonly BackupRunRecord[],
  options: { only?: ArrayLike<number>; threshold?: number; constantBaseRate?: boolean } = {},
): Float64Array {
  const raw = scoreRunsWithRules(runs, { ...(options.threshold === undefined ? {} : { threshold: options.threshold }) });
  const n = runs.length;
  const byEnd = Array.from({ length: n }, (_, i) => i);
  const endMs = Float64Array.from(runs, (r) => r.startedAt.getTime() + Math.max(0, r.durationSeconds) * 1000);
  byEnd.sort((a, b) => (endMs[a] as number) - (endMs[b] as number) || a - b);
  const sortedEnds = Float64Array.from(byEnd, (i) => endMs[i] as number);
  const { only } = options;
  const count = only ? only.length : n;
  const out = new Float64Array(count);
  const fitted = new Map<number, RulesCalibration>();
  for (let k = 0; k < count; k++) {
    const i = only ? (only[k] as number) : k;
    const day = Math.floor((runs[i] as BackupRunRecord).startedAt.getTime() / MS_PER_DAY);
    let calibration = fitted.get(day);
    if (!calibration) {
      calibration = fitOnWindow(runs, raw, byEnd, sortedEnds, day * MS_PER_DAY, options.constantBaseRate === true);
      fitted.set(day, calibration);
    }
    out[k] = applyRulesCalibration(calibration, raw[i] as number);
  }
  return out;
}

function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The map fitted on the runs that ended by `at` (and started within the lookback), newest RULES_CALIBRATION_MAX_RUNS. */
function fitOnWindow(
  runs: readonly BackupRunRecord[],
  raw: Float64Array,
  byEnd: number[],
  sortedEnds: Float64Array,
  at: number,
  constant: boolean,
): RulesCalibration {
  const end = upperBound(sortedEnds, at);
  const from = at - RULES_CALIBRATION_LOOKBACK_DAYS * MS_PER_DAY;
  const scores: number[] = [];
  const labels: number[] = [];
  for (let e = end - 1; e >= 0 && scores.length < RULES_CALIBRATION_MAX_RUNS; e--) {
    const j = byEnd[e] as number;
    const run = runs[j] as BackupRunRecord;
    if (run.startedAt.getTime() < from) continue;
    scores.push(raw[j] as number);
    labels.push(run.status === 'failed' ? 1 : 0);
  }
  if (constant) {
    // The reference: the team's observed rate over the same window, whatever the rules say.
    const failures = labels.reduce((sum, y) => sum + y, 0);
    const rate = (failures + 1) / (labels.length + 2);
    return { method: 'base-rate', a: 0, b: Math.log(rate / (1 - rate)), runs: labels.length, failures };
  }
  // Oldest first: the newest quarter is where the candidate maps are compared.
  return fitRulesCalibration(scores.reverse(), labels.reverse());
}
