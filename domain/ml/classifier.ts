/**
 * The interface both failure-classification algorithms implement, and the out-of-bag predictions they hand
 * back from training (the only predictions calibration may be fitted on besides a held-out set).
 */
import type { DenseMatrix } from './matrix.js';

export type AlgorithmName = 'sentinel-forest' | 'sentinel-boosting' | 'ml-random-forest';
export const ALGORITHM_NAMES: readonly AlgorithmName[] = ['sentinel-forest', 'sentinel-boosting', 'ml-random-forest'];

export interface FailureClassifier {
  readonly algorithm: AlgorithmName;
  readonly featureCount: number;
  /** Uncalibrated probability-like score in [0, 1] that the run fails. */
  predictProba(row: ArrayLike<number>): number;
  predictProbaBatch(X: DenseMatrix): Float64Array;
  /** Plain JSON (no typed arrays, no class instances) that `load` of the same algorithm accepts. */
  toJSON(): unknown;
}

/**
 * Out-of-bag score of each training row: the mean over the trees whose bootstrap did not contain the row.
 * Rows every tree saw have votes 0 and probability 0; use `coveredOob` to drop them.
 */
export interface OobPredictions {
  probabilities: Float64Array;
  votes: Uint16Array;
}

/** OOB scores and labels of the rows at least one tree left out. */
export function coveredOob(oob: OobPredictions, labels: ArrayLike<number>): { scores: Float64Array; labels: Uint8Array; indices: Uint32Array } {
  if (labels.length !== oob.probabilities.length) throw new RangeError('OOB predictions and labels differ in length');
  let covered = 0;
  for (let i = 0; i < oob.votes.length; i++) if ((oob.votes[i] as number) > 0) covered++;
  const scores = new Float64Array(covered);
  const outLabels = new Uint8Array(covered);
  const indices = new Uint32Array(covered);
  let k = 0;
  for (let i = 0; i < oob.votes.length; i++) {
    if ((oob.votes[i] as number) === 0) continue;
    scores[k] = oob.probabilities[i] as number;
    outLabels[k] = labels[i] as number;
    indices[k] = i;
    k++;
  }
  return { scores, labels: outLabels, indices };
}

export type ProgressCallback = (done: number, total: number) => void;
