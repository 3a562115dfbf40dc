/**
 * Permutation importance: how much a metric drops when one feature column is shuffled (breaking its link to the
 * outcome while keeping its distribution). Works for any classifier; run it on validation rows, not training rows,
 * so it measures what generalises.
 */
import { createMatrix, type DenseMatrix } from './matrix.js';
import { averagePrecision, rocAuc } from './metrics.js';
import { createRng } from './rng.js';

export interface FeatureImportance {
  feature: string;
  index: number;
  /** Mean drop of the metric over the repeats; around 0 (or below) means the model does not rely on it. */
  meanDrop: number;
  stdDrop: number;
}

export interface PermutationImportanceOptions {
  seed: number;
  /** Shuffles per feature (default 3). */
  repeats?: number;
  metric?: 'pr-auc' | 'roc-auc';
  featureNames?: readonly string[];
}

/** Sorted by meanDrop, most important first. */
export function permutationImportance(
  predictBatch: (X: DenseMatrix) => Float64Array,
  X: DenseMatrix,
  y: ArrayLike<number>,
  options: PermutationImportanceOptions,
): FeatureImportance[] {
  const repeats = options.repeats ?? 3;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError('repeats must be a positive integer');
  const score = options.metric === 'roc-auc' ? rocAuc : averagePrecision;
  const baseline = score(predictBatch(X), y);
  if (baseline === null) throw new RangeError('permutation importance needs both failed and completed rows');
  const rng = createRng(options.seed);
  const work = createMatrix(X.rowCount, X.columnCount, Float64Array.from(X.values));
  const p = X.columnCount;
  const order = new Uint32Array(X.rowCount);
  const results: FeatureImportance[] = [];
  for (let f = 0; f < p; f++) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
      for (let i = 0; i < X.rowCount; i++) work.values[i * p + f] = X.values[(order[i] as number) * p + f] as number;
      drops.push(baseline - (score(predictBatch(work), y) as number));
    }
    for (let i = 0; i < X.rowCount; i++) work.values[i * p + f] = X.values[i * p + f] as number;
    const mean = drops.reduce((a, b) => a + b, 0) / repeats;
    const variance = drops.reduce((a, b) => a + (b - mean) ** 2, 0) / repeats;
    results.push({ feature: options.featureNames?.[f] ?? `feature_${f}`, index: f, meanDrop: mean, stdDrop: Math.sqrt(variance) });
  }
  return results.sort((a, b) => b.meanDrop - a.meanDrop || a.index - b.index);
}
