/**
 * Sentinel forest: the project's own random forest for binary failure classification.
 *
 * - quantile-binned features (binning.ts), features sampled per split, class-weighted Gini and leaves;
 * - probability = mean over trees of the leaf's class-weighted failure fraction (calibrate before use);
 * - tree t is grown from deriveSeed(seed, t), so the model is identical for any thread count;
 * - out-of-bag predictions come with every training run.
 *
 * `trainForest` here is synchronous and pure; `trainForestWith` (runner.ts) lets the caller choose what grows the
 * trees (e.g. worker threads, supplied from outside domain/) and returns the same model.
 */
import { z } from 'zod';
import { coveredOob, type FailureClassifier, type OobPredictions, type ProgressCallback } from '../classifier.js';
import { permutationImportance, type FeatureImportance, type PermutationImportanceOptions } from '../importance.js';
import { assertFiniteMatrix, checkBinaryLabels, type DenseMatrix } from '../matrix.js';
import { averagePrecision, rocAuc } from '../metrics.js';
import { binFeatures, computeThresholds, type BinnedFeatures } from './binning.js';
import { OOB_FIXED_POINT_SCALE, TreeGrower } from './grow.js';
import { classWeights, forestOptionsSchema, resolveForestOptions, type ForestOptions } from './options.js';
import { predictTree, predictTreeAt, treeFromJson, treeToJson, type FlatTree } from './tree.js';

export const SENTINEL_FOREST_FORMAT_VERSION = 1;

const forestJsonSchema = z.object({
  format: z.literal('sentinel-forest'),
  formatVersion: z.number().int(),
  featureCount: z.number().int().min(1),
  // Informational only (prediction does not use them); missing ones are filled with today's defaults.
  options: forestOptionsSchema.partial(),
  trees: z
    .array(
      z.object({
        feature: z.array(z.number().int()),
        split: z.array(z.number()),
        children: z.array(z.number().int()),
      }),
    )
    .min(1),
});

export type SentinelForestJson = z.infer<typeof forestJsonSchema>;

export class SentinelForest implements FailureClassifier {
  readonly algorithm = 'sentinel-forest' as const;

  constructor(
    readonly featureCount: number,
    readonly options: ForestOptions,
    readonly trees: readonly FlatTree[],
  ) {
    if (trees.length === 0) throw new RangeError('a forest needs at least one tree');
  }

  predictProba(row: ArrayLike<number>): number {
    if (row.length !== this.featureCount) {
      throw new RangeError(`expected ${this.featureCount} features, got ${row.length}`);
    }
    let sum = 0;
    for (const tree of this.trees) sum += predictTree(tree, row);
    return sum / this.trees.length;
  }

  /** Same values as predictProba row by row (trees are summed in the same order). */
  predictProbaBatch(X: DenseMatrix): Float64Array {
    if (X.columnCount !== this.featureCount) {
      throw new RangeError(`expected ${this.featureCount} features, got ${X.columnCount}`);
    }
    const out = new Float64Array(X.rowCount);
    const p = X.columnCount;
    for (const tree of this.trees) {
      for (let i = 0; i < X.rowCount; i++) out[i] = (out[i] as number) + predictTreeAt(tree, X.values, i * p);
    }
    for (let i = 0; i < X.rowCount; i++) out[i] = (out[i] as number) / this.trees.length;
    return out;
  }

  /** Permutation importance on the given (preferably validation) rows; see importance.ts. */
  permutationImportance(X: DenseMatrix, y: ArrayLike<number>, options: PermutationImportanceOptions): FeatureImportance[] {
    return permutationImportance((rows) => this.predictProbaBatch(rows), X, y, options);
  }

  toJSON(): SentinelForestJson {
    return {
      format: 'sentinel-forest',
      formatVersion: SENTINEL_FOREST_FORMAT_VERSION,
      featureCount: this.featureCount,
      options: { ...this.options },
      trees: this.trees.map(treeToJson),
    };
  }

  /** Validates shape and structure; throws a descriptive error for anything that is not a sentinel forest. */
  static fromJSON(json: unknown): SentinelForest {
    const parsed = forestJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`not a sentinel-forest model: ${z.prettifyError(parsed.error)}`);
    const data = parsed.data;
    if (data.formatVersion > SENTINEL_FOREST_FORMAT_VERSION) {
      throw new Error(`sentinel-forest format ${data.formatVersion} is newer than this code supports (${SENTINEL_FOREST_FORMAT_VERSION})`);
    }
    const trees = data.trees.map((t, k) => treeFromJson(t, data.featureCount, `tree ${k}`));
    return new SentinelForest(data.featureCount, resolveForestOptions(data.options), trees);
  }
}

export interface ForestTrainingResult {
  forest: SentinelForest;
  oob: OobPredictions;
  /** Metrics of the OOB predictions on the rows at least one tree left out; null when undefined (one class). */
  oobScore: { prAuc: number | null; rocAuc: number | null; coveredRows: number };
}

/** Validated inputs plus binned data, shared by the single- and multi-threaded trainers. */
export interface PreparedTraining {
  options: ForestOptions;
  labels: Uint8Array;
  binned: BinnedFeatures;
  classWeights: [number, number];
}

/**
 * `allocate` lets a threaded tree runner put bins and labels into SharedArrayBuffers; the values are the same.
 */
export function prepareTraining(
  X: DenseMatrix,
  y: ArrayLike<number>,
  options: Partial<ForestOptions>,
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): PreparedTraining {
  const resolved = resolveForestOptions(options);
  if (X.rowCount === 0) throw new RangeError('cannot train on zero rows');
  assertFiniteMatrix(X);
  const labels = allocate(X.rowCount);
  labels.set(checkBinaryLabels(y, X.rowCount));
  const thresholds = computeThresholds(X, resolved.maxBins, resolved.binSampleSize);
  const binned = binFeatures(X, thresholds, allocate(X.rowCount * X.columnCount));
  return { options: resolved, labels, binned, classWeights: classWeights(labels, resolved.classWeight) };
}

export function finishTraining(prepared: PreparedTraining, trees: FlatTree[], oobFixedSum: Float64Array, oobVotes: Uint16Array): ForestTrainingResult {
  const n = prepared.binned.rowCount;
  const probabilities = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const votes = oobVotes[i] as number;
    if (votes > 0) probabilities[i] = (oobFixedSum[i] as number) / (votes * OOB_FIXED_POINT_SCALE);
  }
  const oob: OobPredictions = { probabilities, votes: oobVotes };
  const covered = coveredOob(oob, prepared.labels);
  return {
    forest: new SentinelForest(prepared.binned.featureCount, prepared.options, trees),
    oob,
    oobScore: {
      prAuc: averagePrecision(covered.scores, covered.labels),
      rocAuc: rocAuc(covered.scores, covered.labels),
      coveredRows: covered.scores.length,
    },
  };
}

/** Single-threaded, synchronous training. y holds 1 for failed runs and 0 for completed ones. */
export function trainForest(X: DenseMatrix, y: ArrayLike<number>, options: Partial<ForestOptions> = {}, onProgress?: ProgressCallback): ForestTrainingResult {
  const prepared = prepareTraining(X, y, options);
  const grower = new TreeGrower(prepared);
  const total = prepared.options.nTrees;
  const trees: FlatTree[] = [];
  for (let t = 0; t < total; t++) {
    trees.push(grower.grow(t));
    onProgress?.(t + 1, total);
  }
  return finishTraining(prepared, trees, grower.oobFixedSum, grower.oobVotes);
}
