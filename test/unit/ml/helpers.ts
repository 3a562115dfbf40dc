import { FEATURE_NAMES } from '../../../domain/ml/features.js';
import { createMatrix, matrixRow, type DenseMatrix } from '../../../domain/ml/matrix.js';
import { createRng } from '../../../domain/ml/rng.js';

/** Random features in [0, 1); label 1 with probability 0.9 when x0 > 0.85 (plus 2% noise), so ~15% positives. */
export function thresholdDataset(rows: number, features: number, seed: number): { X: DenseMatrix; y: Uint8Array } {
  const rng = createRng(seed);
  const X = createMatrix(rows, features);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < features; f++) X.values[i * features + f] = rng.next();
    const signal = (X.values[i * features] as number) > 0.85;
    y[i] = rng.chance(signal ? 0.9 : 0.02) ? 1 : 0;
  }
  return { X, y };
}

/**
 * Local stand-in for the rule-based predictor (the real rules live elsewhere): risk from the success rate over the
 * last 20 runs and the failure streak.
 */
export function rulesStandInScores(X: DenseMatrix): Float64Array {
  const rate = FEATURE_NAMES.indexOf('failure_rate_last_20_runs');
  const recent = FEATURE_NAMES.indexOf('consecutive_failures');
  const out = new Float64Array(X.rowCount);
  for (let i = 0; i < X.rowCount; i++) {
    const row = matrixRow(X, i);
    const failureRate = row[rate] as number;
    out[i] = 0.5 * (failureRate < 0 ? 0.5 : failureRate) + 0.5 * Math.min(1, (row[recent] as number) / 5);
  }
  return out;
}
