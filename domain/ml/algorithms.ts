/**
 * Registry of failure-classification algorithms behind one interface: train (async, with progress) and load.
 *
 * The sentinel forest grows its trees with the `TreeRunner` of the `TrainingRun` (default: on the calling thread;
 * the worker side passes a threaded one); sentinel-boosting builds its histograms on the threads the runner's
 * `boostingThreads` offers, if any. Training is CPU-heavy: for activities, scripts and the CLI, not for
 * Temporal workflow code. Params are validated; the `params` returned by train are the resolved, model-defining
 * ones to store with the model (thread count is not among them: it does not change the model).
 */
import { z } from 'zod';
import { DEFAULT_BOOSTING_OPTIONS, resolveBoostingOptions, type BoostingOptions } from './boosting/options.js';
import { trainBoosting } from './boosting/train.js';
import type { AlgorithmName, FailureClassifier, OobPredictions, ProgressCallback } from './classifier.js';
import { CLASSIFIER_LOADERS } from './classifier-loaders.js';
import { DEFAULT_FOREST_OPTIONS, resolveForestOptions, type ForestOptions } from './forest/options.js';
import { trainForestWith, type TreeRunner } from './forest/runner.js';
import type { DenseMatrix } from './matrix.js';
import { DEFAULT_ML_RANDOM_FOREST_PARAMS, mlRandomForestParamsSchema, trainMlRandomForest, type MlRandomForestParams } from './ml-random-forest-adapter.js';

export interface TrainedClassifier {
  classifier: FailureClassifier;
  /** OOB predictions of the training rows (for calibration and an honest training score). */
  oob: OobPredictions | null;
  /** Resolved params that define the model. */
  params: Record<string, unknown>;
}

/** How one training call runs: progress, cancellation and, for the sentinel forest, what grows the trees. */
export interface TrainingRun {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Default: the trees grow on the calling thread (domain code starts no threads). */
  treeRunner?: TreeRunner;
}

/** Values model selection may try per param (domain/ml/selection.ts); params not listed keep their defaults. */
export type SearchSpace = Readonly<Record<string, readonly unknown[]>>;

export interface AlgorithmSpec<P extends object> {
  name: AlgorithmName;
  defaultParams: P;
  /** Hyperparameters chosen by time-ordered cross-validation; absent: the defaults (and the caller's params) only. */
  searchSpace?: SearchSpace;
  train(X: DenseMatrix, y: ArrayLike<number>, params?: Partial<P>, run?: TrainingRun): Promise<TrainedClassifier>;
  load(json: unknown): FailureClassifier;
}

/** Sentinel-forest params: the forest options plus the number of threads for a threaded tree runner (default: all cores). */
export type SentinelForestParams = ForestOptions & { threads?: number };

const sentinelForest: AlgorithmSpec<SentinelForestParams> = {
  name: 'sentinel-forest',
  defaultParams: { ...DEFAULT_FOREST_OPTIONS },
  // Trees, depth, leaf size, features per split and class weighting (issue 16, item 3). Larger forests and leaves
  // smooth the probabilities; 'none' class weights keep them near the base rate, which suits calibration.
  searchSpace: {
    nTrees: [50, 100, 200],
    maxDepth: [8, 12, 16],
    minSamplesLeaf: [5, 20, 50, 100],
    maxFeatures: ['sqrt', 0.5],
    classWeight: ['balanced', 'none'],
  },
  async train(X, y, params = {}, { onProgress, signal, treeRunner } = {}) {
    const { threads, ...forestParams } = params;
    const options = resolveForestOptions(forestParams);
    const result = await trainForestWith(X, y, options, treeRunner, {
      ...(threads !== undefined ? { threads } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    return { classifier: result.forest, oob: result.oob, params: { ...options } };
  },
  load: CLASSIFIER_LOADERS['sentinel-forest'],
};

/** Sentinel-boosting params: the boosting options plus the threads that build histograms (default: all cores). */
export type SentinelBoostingParams = BoostingOptions & { threads?: number };

/**
 * Histogram gradient-boosted trees (domain/ml/boosting/). Rows must come oldest first: the newest ones form the
 * held-out fold that stops training early, and its predictions are handed back as the "out-of-bag" ones (votes 1
 * on the fold, 0 elsewhere), so the pipeline calibrates on out-of-sample scores as it does for the forest.
 */
const sentinelBoosting: AlgorithmSpec<SentinelBoostingParams> = {
  name: 'sentinel-boosting',
  defaultParams: { ...DEFAULT_BOOSTING_OPTIONS },
  async train(X, y, params = {}, { onProgress, signal, treeRunner } = {}) {
    const { threads, ...boostingParams } = params;
    resolveBoostingOptions(boostingParams); // invalid params fail here, before any work
    const histogramThreads = treeRunner?.boostingThreads;
    // Unresolved: trainBoosting picks the defaults by the history's size (options.ts, SMALL_HISTORY_ROWS).
    const result = await trainBoosting(X, y, boostingParams, {
      ...(histogramThreads ? { histogramThreads, threads: threads ?? histogramThreads.defaultThreads } : threads !== undefined ? { threads } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    let oob: OobPredictions | null = null;
    if (result.heldOut) {
      const probabilities = new Float64Array(X.rowCount);
      const votes = new Uint16Array(X.rowCount);
      probabilities.set(result.heldOut.probabilities, result.heldOut.firstRow);
      votes.fill(1, result.heldOut.firstRow);
      oob = { probabilities, votes };
    }
    return { classifier: result.model, oob, params: { ...result.model.options } };
  },
  load: CLASSIFIER_LOADERS['sentinel-boosting'],
};

const mlRandomForest: AlgorithmSpec<MlRandomForestParams & { threads?: number }> = {
  name: 'ml-random-forest',
  defaultParams: { ...DEFAULT_ML_RANDOM_FOREST_PARAMS },
  async train(X, y, params = {}, { onProgress, signal } = {}) {
    signal?.throwIfAborted();
    const { threads: _ignored, ...rest } = params;
    const resolved = mlRandomForestParamsSchema.parse({ ...DEFAULT_ML_RANDOM_FOREST_PARAMS, ...rest });
    const result = trainMlRandomForest(X, y, resolved, onProgress);
    return { classifier: result.classifier, oob: result.oob, params: { ...resolved } };
  },
  load: CLASSIFIER_LOADERS['ml-random-forest'],
};

export const ALGORITHMS = {
  'sentinel-forest': sentinelForest,
  'sentinel-boosting': sentinelBoosting,
  'ml-random-forest': mlRandomForest,
} as const satisfies Record<AlgorithmName, AlgorithmSpec<object>>;

export const algorithmNameSchema = z.enum(['sentinel-forest', 'sentinel-boosting', 'ml-random-forest']);

export { loadClassifier } from './classifier-loaders.js';

/**
 * Trains with the algorithm chosen at run time (CLI, stored config). Params are validated by the algorithm;
 * unknown keys are rejected, except `threads`, which the sentinel forest and sentinel-boosting use.
 */
export function trainClassifier(
  algorithm: AlgorithmName,
  X: DenseMatrix,
  y: ArrayLike<number>,
  params: Record<string, unknown> = {},
  run: TrainingRun = {},
): Promise<TrainedClassifier> {
  const spec = ALGORITHMS[algorithm] as AlgorithmSpec<Record<string, unknown>>;
  return spec.train(X, y, params, run);
}
