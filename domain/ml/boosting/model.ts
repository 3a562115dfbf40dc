/**
 * A trained sentinel-boosting model: probability = sigmoid(base score + sum of the trees' leaf values). The trees
 * use the forest's flat layout (domain/ml/forest/tree.ts: a row goes left when row[feature] <= split) with the leaf
 * value, a log-odds step, in `split`; thresholds are real data values, so raw rows predict exactly as the binned
 * rows did in training.
 */
import { z } from 'zod';
import type { FailureClassifier } from '../classifier.js';
import type { DenseMatrix } from '../matrix.js';
import { predictTree, predictTreeAt, treeFromJson, treeToJson, type FlatTree } from '../forest/tree.js';
import { boostingOptionsSchema, resolveBoostingOptions, type BoostingOptions } from './options.js';

export const SENTINEL_BOOSTING_FORMAT_VERSION = 1;

const boostingJsonSchema = z.object({
  format: z.literal('sentinel-boosting'),
  formatVersion: z.number().int(),
  featureCount: z.number().int().min(1),
  baseScore: z.number().finite(),
  // Informational only (prediction does not use them); missing ones are filled with today's defaults.
  options: boostingOptionsSchema.partial(),
  /** Rounds kept (the best round on the held-out fold when it stopped early) and rounds trained. */
  iterations: z.number().int().min(0),
  iterationsTrained: z.number().int().min(0),
  trees: z.array(
    z.object({
      feature: z.array(z.number().int()),
      split: z.array(z.number()),
      children: z.array(z.number().int()),
    }),
  ),
});

export type SentinelBoostingJson = z.infer<typeof boostingJsonSchema>;

/** A leaf's log-odds step; generous bound, a finite value is all prediction needs. */
const isLeafValue = (v: number): boolean => Number.isFinite(v) && Math.abs(v) <= 1e6;

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export class SentinelBoosting implements FailureClassifier {
  readonly algorithm = 'sentinel-boosting' as const;

  constructor(
    readonly featureCount: number,
    readonly baseScore: number,
    readonly options: BoostingOptions,
    readonly trees: readonly FlatTree[],
    readonly iterationsTrained: number = trees.length,
  ) {}

  /** Log-odds of failure: base score plus every tree's leaf value, summed in tree order. */
  rawScore(row: ArrayLike<number>): number {
    let sum = this.baseScore;
    for (const tree of this.trees) sum += predictTree(tree, row);
    return sum;
  }

  predictProba(row: ArrayLike<number>): number {
    if (row.length !== this.featureCount) throw new RangeError(`expected ${this.featureCount} features, got ${row.length}`);
    return sigmoid(this.rawScore(row));
  }

  /** Same values as predictProba row by row (trees summed in the same order). */
  predictProbaBatch(X: DenseMatrix): Float64Array {
    if (X.columnCount !== this.featureCount) throw new RangeError(`expected ${this.featureCount} features, got ${X.columnCount}`);
    const out = new Float64Array(X.rowCount).fill(this.baseScore);
    const p = X.columnCount;
    for (const tree of this.trees) {
      for (let i = 0; i < X.rowCount; i++) out[i] = (out[i] as number) + predictTreeAt(tree, X.values, i * p);
    }
    for (let i = 0; i < X.rowCount; i++) out[i] = sigmoid(out[i] as number);
    return out;
  }

  toJSON(): SentinelBoostingJson {
    return {
      format: 'sentinel-boosting',
      formatVersion: SENTINEL_BOOSTING_FORMAT_VERSION,
      featureCount: this.featureCount,
      baseScore: this.baseScore,
      options: { ...this.options },
      iterations: this.trees.length,
      iterationsTrained: this.iterationsTrained,
      trees: this.trees.map(treeToJson),
    };
  }

  /** Validates shape and structure; throws a descriptive error for anything that is not a sentinel-boosting model. */
  static fromJSON(json: unknown): SentinelBoosting {
    const parsed = boostingJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`not a sentinel-boosting model: ${z.prettifyError(parsed.error)}`);
    const data = parsed.data;
    if (data.formatVersion > SENTINEL_BOOSTING_FORMAT_VERSION) {
      throw new Error(`sentinel-boosting format ${data.formatVersion} is newer than this code supports (${SENTINEL_BOOSTING_FORMAT_VERSION})`);
    }
    if (data.trees.length !== data.iterations) throw new Error(`sentinel-boosting model says ${data.iterations} iterations but has ${data.trees.length} trees`);
    const trees = data.trees.map((t, k) => treeFromJson(t, data.featureCount, `tree ${k}`, isLeafValue));
    return new SentinelBoosting(data.featureCount, data.baseScore, resolveBoostingOptions(data.options), trees, data.iterationsTrained);
  }
}
