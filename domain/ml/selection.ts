/**
 * Model selection on the team's own history (issue 16, item 3): hyperparameters chosen by time-ordered
 * cross-validation with expanding windows, within a training-time budget.
 *
 * The rows (already restricted by the caller to the part it may look at, oldest first) are cut into `folds + 1`
 * consecutive time blocks; fold k trains on blocks 0..k-1 and validates on block k, so every validation row is newer
 * than every row its model learned from (a random k-fold would let a model learn from the future of the runs it is
 * scored on). A fold whose training or validation part lacks failures is skipped.
 *
 * The default configuration (the algorithm's defaults with the caller's params) is always evaluated first; further
 * candidates are drawn from the algorithm's search space (seeded, without repeats) and start only while the time
 * spent plus the slowest configuration so far stays within `budgetSeconds`, so the budget is a bound, not a target.
 * The winner has the highest mean PR-AUC over the folds (ties: lower mean Brier, then the earlier candidate) among
 * the default and the candidates whose PR-AUC is at least the default's on every fold.
 * Its out-of-fold predictions are what calibration is fitted on.
 *
 * Params the caller sets are never searched over. CPU-heavy: for activities and scripts, not workflow code.
 */
import { trainClassifier, ALGORITHMS, type TrainingRun } from './algorithms.js';
import type { AlgorithmName } from './classifier.js';
import { selectLabels, selectRows, type DenseMatrix } from './matrix.js';
import { evaluateBinary } from './metrics.js';
import { createRng } from './rng.js';

/** Default `selectionBudgetSeconds`: room for a few candidates at 100k runs on two cores. */
export const DEFAULT_SELECTION_BUDGET_SECONDS = 120;
/** Time-ordered folds (the rows are cut into this many + 1 blocks). */
export const DEFAULT_SELECTION_FOLDS = 3;
/** A fold counts only with at least this many failures on each side. */
export const MIN_FOLD_FAILURES = 3;
/** Candidates drawn from a search space at most (the default one included). */
export const MAX_CANDIDATES = 12;

export interface FoldScore {
  prAuc: number | null;
  rocAuc: number | null;
  brier: number | null;
}

export interface FoldWindow {
  trainRows: number;
  trainFailures: number;
  validationFrom: string;
  validationTo: string;
  validationRows: number;
  validationFailures: number;
}

export interface CandidateScore {
  /** The params the candidate was trained with (the caller's fixed ones included). */
  params: Record<string, unknown>;
  folds: FoldScore[];
  mean: FoldScore;
  seconds: number;
}

export interface SelectionReport {
  budgetSeconds: number;
  elapsedSeconds: number;
  folds: FoldWindow[];
  /** Every candidate evaluated, in evaluation order; `chosen` is an index into it. */
  candidates: CandidateScore[];
  chosen: number;
  /** Why the search stopped: every candidate tried, or the budget. */
  stopped: 'exhausted' | 'budget';
}

export interface SelectionResult {
  report: SelectionReport;
  params: Record<string, unknown>;
  /** Raw (uncalibrated) out-of-fold scores of the chosen params and their labels and row indices (into `rows`). */
  oof: { scores: Float64Array; labels: Uint8Array; rows: Uint32Array };
}

export interface SelectionOptions {
  algorithm: AlgorithmName;
  /** Params the caller set: kept in every candidate and never searched. */
  fixedParams: Record<string, unknown>;
  /** Passed to every training but not part of a candidate's params (e.g. `threads`: it does not change the model). */
  trainOnlyParams?: Record<string, unknown>;
  budgetSeconds: number;
  folds?: number;
  seed?: number;
  run?: TrainingRun;
  /** Reports (candidates done, candidates planned). */
  onCandidate?: (done: number, planned: number) => void;
  /** Monotonic clock in ms (tests pass a fake one); default performance.now. */
  now?: () => number;
}

/** Expanding-window folds over `rows` (indices in time order): per fold the training and validation row indices. */
export function expandingWindowFolds(rows: Uint32Array, folds: number): { train: Uint32Array; validation: Uint32Array }[] {
  if (!(Number.isInteger(folds) && folds >= 1)) throw new RangeError('folds must be a whole number >= 1');
  const blocks = folds + 1;
  const cut = (k: number) => Math.floor((k * rows.length) / blocks);
  const out: { train: Uint32Array; validation: Uint32Array }[] = [];
  for (let k = 1; k <= folds; k++) out.push({ train: rows.slice(0, cut(k)), validation: rows.slice(cut(k), cut(k + 1)) });
  return out;
}

function countOnes(labels: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) n += labels[i] as number;
  return n;
}

function mean(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}

function key(params: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

/** Candidate param sets: the default first, then seeded draws from the space over the params not fixed. */
export function candidateParams(algorithm: AlgorithmName, fixed: Record<string, unknown>, seed: number, max = MAX_CANDIDATES): Record<string, unknown>[] {
  const space = ALGORITHMS[algorithm].searchSpace ?? {};
  const free = Object.keys(space).filter((name) => fixed[name] === undefined);
  const out = [{ ...fixed }];
  if (free.length === 0) return out;
  const seen = new Set([key(out[0] as Record<string, unknown>)]);
  const rng = createRng(seed);
  for (let attempt = 0; attempt < max * 20 && out.length < max; attempt++) {
    const params: Record<string, unknown> = { ...fixed };
    for (const name of free) {
      const values = space[name] as readonly unknown[];
      params[name] = values[rng.intBelow(values.length)];
    }
    const k = key(params);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(params);
  }
  return out;
}

/**
 * Runs the search over `rows` (time order) of X/y. Null when no fold has enough failures on both sides: the caller
 * then trains its default params and calibrates as without selection.
 */
export async function selectHyperparameters(
  X: DenseMatrix,
  y: Uint8Array,
  startedAtMs: ArrayLike<number>,
  rows: Uint32Array,
  options: SelectionOptions,
): Promise<SelectionResult | null> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const folds = expandingWindowFolds(rows, options.folds ?? DEFAULT_SELECTION_FOLDS)
    .map((fold) => ({ ...fold, trainY: selectLabels(y, fold.train), validationY: selectLabels(y, fold.validation) }))
    .filter((fold) => countOnes(fold.trainY) >= MIN_FOLD_FAILURES && countOnes(fold.validationY) >= MIN_FOLD_FAILURES);
  if (folds.length === 0) return null;
  const iso = (ms: number | undefined) => new Date(ms ?? 0).toISOString();
  const windows: FoldWindow[] = folds.map((fold) => ({
    trainRows: fold.train.length,
    trainFailures: countOnes(fold.trainY),
    validationFrom: iso(startedAtMs[fold.validation[0] as number]),
    validationTo: iso(startedAtMs[fold.validation[fold.validation.length - 1] as number]),
    validationRows: fold.validation.length,
    validationFailures: countOnes(fold.validationY),
  }));
  const fitted = folds.map((fold) => ({ trainX: selectRows(X, fold.train), validationX: selectRows(X, fold.validation) }));

  const planned = candidateParams(options.algorithm, options.fixedParams, options.seed ?? 1);
  const candidates: CandidateScore[] = [];
  const oofOf: Float64Array[][] = [];
  let slowestMs = 0;
  let stopped: SelectionReport['stopped'] = 'exhausted';
  for (const params of planned) {
    const elapsedMs = now() - started;
    if (candidates.length > 0 && elapsedMs + slowestMs > options.budgetSeconds * 1000) {
      stopped = 'budget';
      break;
    }
    const t0 = now();
    const scores: FoldScore[] = [];
    const oof: Float64Array[] = [];
    for (let f = 0; f < folds.length; f++) {
      options.run?.signal?.throwIfAborted();
      const fold = folds[f] as (typeof folds)[number];
      const data = fitted[f] as (typeof fitted)[number];
      const trained = await trainClassifier(options.algorithm, data.trainX, fold.trainY, { ...params, ...options.trainOnlyParams }, options.run ?? {});
      const predicted = trained.classifier.predictProbaBatch(data.validationX);
      const m = evaluateBinary(predicted, fold.validationY);
      scores.push({ prAuc: m.prAuc, rocAuc: m.rocAuc, brier: m.brier });
      oof.push(predicted);
    }
    const seconds = (now() - t0) / 1000;
    slowestMs = Math.max(slowestMs, seconds * 1000);
    candidates.push({
      params,
      folds: scores,
      mean: { prAuc: mean(scores.map((s) => s.prAuc)), rocAuc: mean(scores.map((s) => s.rocAuc)), brier: mean(scores.map((s) => s.brier)) },
      seconds,
    });
    oofOf.push(oof);
    options.onCandidate?.(candidates.length, planned.length);
  }

  // Only candidates at least as good as the default configuration on every fold compete: on small histories the
  // fold means are noisy and the best mean alone often loses to the defaults on newer data (BENCHMARKS.md).
  const base = candidates[0] as CandidateScore;
  const beatsDefaultEverywhere = (c: CandidateScore) => c.folds.every((f, k) => (f.prAuc ?? -1) >= ((base.folds[k] as FoldScore).prAuc ?? -1));
  let chosen = 0;
  for (let c = 1; c < candidates.length; c++) {
    if (!beatsDefaultEverywhere(candidates[c] as CandidateScore)) continue;
    const a = (candidates[c] as CandidateScore).mean;
    const b = (candidates[chosen] as CandidateScore).mean;
    const pa = a.prAuc ?? -1;
    const pb = b.prAuc ?? -1;
    if (pa > pb || (pa === pb && (a.brier ?? 1) < (b.brier ?? 1))) chosen = c;
  }

  const total = folds.reduce((n, fold) => n + fold.validation.length, 0);
  const oofScores = new Float64Array(total);
  const oofLabels = new Uint8Array(total);
  const oofRows = new Uint32Array(total);
  let k = 0;
  folds.forEach((fold, f) => {
    const predicted = (oofOf[chosen] as Float64Array[])[f] as Float64Array;
    oofScores.set(predicted, k);
    oofLabels.set(fold.validationY, k);
    oofRows.set(fold.validation, k);
    k += fold.validation.length;
  });
  return {
    report: {
      budgetSeconds: options.budgetSeconds,
      elapsedSeconds: Math.round(now() - started) / 1000,
      folds: windows,
      candidates,
      chosen,
      stopped,
    },
    params: (candidates[chosen] as CandidateScore).params,
    oof: { scores: oofScores, labels: oofLabels, rows: oofRows },
  };
}
