/**
 * The FailureClassifier interface over the `ml-random-forest` package (RandomForestClassifier 2.1.0), with the
 * workarounds from shared/notes/ml.md:
 * - treeOptions { gainThreshold: 0, maxDepth: 10, minNumSamples: 5 }: the default gain threshold grows single-leaf
 *   trees on imbalanced data (every probability 0);
 * - probability = fraction of trees voting "failed", computed from predictionValues (the package's
 *   predictProbability drops one vote);
 * - OOB probabilities from the per-row OOB votes the package keeps after training;
 * - serialisation through the package's toJSON()/load(), which round-trip exactly;
 * - its OOB aggregation throws when a row was in every tree's bootstrap: empty vote lists are tolerated.
 *
 * Limits: training time grows quadratically with rows (keep it to a few thousand rows), no class weights, no
 * parallelism, features are sampled per tree (not per split), training blocks the event loop and reports
 * progress only at start and end.
 */
import { RandomForestClassifier } from 'ml-random-forest';
import { z } from 'zod';
import type { FailureClassifier, OobPredictions, ProgressCallback } from './classifier.js';
import { assertFiniteMatrix, checkBinaryLabels, matrixToRows, type DenseMatrix } from './matrix.js';

export const mlRandomForestParamsSchema = z
  .object({
    nTrees: z.number().int().min(1).max(1000),
    /** Fraction in (0, 1] of the features each tree uses (drawn per tree). */
    maxFeatures: z.number().gt(0).max(1),
    /** Draw each tree's features with replacement (the package default) or without. */
    replacement: z.boolean(),
    maxDepth: z.number().int().min(1).max(64),
    minNumSamples: z.number().int().min(1),
    gainThreshold: z.number().min(0),
    /** 32-bit integer seed of the package's Mersenne Twister. */
    seed: z.number().int().min(0).max(0x7fffffff),
  })
  .strict();

export type MlRandomForestParams = z.infer<typeof mlRandomForestParamsSchema>;

export const DEFAULT_ML_RANDOM_FOREST_PARAMS: MlRandomForestParams = {
  nTrees: 50,
  maxFeatures: 0.8,
  replacement: false,
  maxDepth: 10,
  minNumSamples: 5,
  gainThreshold: 0,
  seed: 42,
};

const FORMAT_VERSION = 1;

const adapterJsonSchema = z.object({
  format: z.literal('ml-random-forest'),
  formatVersion: z.number().int(),
  featureCount: z.number().int().min(1),
  params: mlRandomForestParamsSchema,
  model: z.object({ name: z.literal('RFClassifier'), baseModel: z.object({ estimators: z.array(z.unknown()).min(1) }).passthrough() }).passthrough(),
});

interface PredictionMatrix {
  rows: number;
  columns: number;
  getRow(i: number): number[];
}

function voteFraction(votes: readonly number[]): number {
  if (votes.length === 0) return 0;
  let failed = 0;
  for (const v of votes) if (v === 1) failed++;
  return failed / votes.length;
}

export class MlRandomForestClassifier implements FailureClassifier {
  readonly algorithm = 'ml-random-forest' as const;

  constructor(
    readonly featureCount: number,
    readonly params: MlRandomForestParams,
    private readonly model: RandomForestClassifier,
  ) {}

  predictProba(row: ArrayLike<number>): number {
    if (row.length !== this.featureCount) throw new RangeError(`expected ${this.featureCount} features, got ${row.length}`);
    const values = this.model.predictionValues([Array.from(row)]) as unknown as PredictionMatrix;
    return voteFraction(values.getRow(0));
  }

  predictProbaBatch(X: DenseMatrix): Float64Array {
    if (X.columnCount !== this.featureCount) throw new RangeError(`expected ${this.featureCount} features, got ${X.columnCount}`);
    const out = new Float64Array(X.rowCount);
    if (X.rowCount === 0) return out;
    const values = this.model.predictionValues(matrixToRows(X)) as unknown as PredictionMatrix;
    for (let i = 0; i < X.rowCount; i++) out[i] = voteFraction(values.getRow(i));
    return out;
  }

  toJSON(): unknown {
    return {
      format: 'ml-random-forest',
      formatVersion: FORMAT_VERSION,
      featureCount: this.featureCount,
      params: { ...this.params },
      // The package's toJSON holds tree node instances; a JSON round trip makes it plain data.
      model: JSON.parse(JSON.stringify(this.model.toJSON())) as unknown,
    };
  }

  static fromJSON(json: unknown): MlRandomForestClassifier {
    const parsed = adapterJsonSchema.safeParse(json);
    if (!parsed.success) throw new Error(`not an ml-random-forest model: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.formatVersion > FORMAT_VERSION) {
      throw new Error(`ml-random-forest adapter format ${parsed.data.formatVersion} is newer than supported (${FORMAT_VERSION})`);
    }
    let model: RandomForestClassifier;
    try {
      model = RandomForestClassifier.load(parsed.data.model as unknown as Parameters<typeof RandomForestClassifier.load>[0]);
    } catch (error) {
      throw new Error(`ml-random-forest model could not be loaded: ${(error as Error).message}`);
    }
    return new MlRandomForestClassifier(parsed.data.featureCount, parsed.data.params, model);
  }
}

export interface MlRandomForestTrainingResult {
  classifier: MlRandomForestClassifier;
  oob: OobPredictions;
}

/** Synchronous training. y holds 1 for failed runs and 0 for completed ones. */
export function trainMlRandomForest(
  X: DenseMatrix,
  y: ArrayLike<number>,
  params: Partial<MlRandomForestParams> = {},
  onProgress?: ProgressCallback,
): MlRandomForestTrainingResult {
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const resolved = mlRandomForestParamsSchema.parse({ ...DEFAULT_ML_RANDOM_FOREST_PARAMS, ...defined });
  if (X.rowCount === 0) throw new RangeError('cannot train on zero rows');
  assertFiniteMatrix(X);
  const labels = checkBinaryLabels(y, X.rowCount);
  onProgress?.(0, resolved.nTrees);
  const model = new RandomForestClassifier({
    nEstimators: resolved.nTrees,
    maxFeatures: resolved.maxFeatures,
    replacement: resolved.replacement,
    seed: resolved.seed,
    useSampleBagging: true,
    noOOB: false,
    treeOptions: { gainThreshold: resolved.gainThreshold, maxDepth: resolved.maxDepth, minNumSamples: resolved.minNumSamples },
  });
  // The package aggregates each row's OOB votes with a mode that throws on an empty list, i.e. whenever a row was
  // in every tree's bootstrap (likely with few trees). The vote lists are all we use, so give empty ones a dummy.
  const packageSelection = model.selection.bind(model);
  model.selection = (values: number[]) => (values.length === 0 ? 0 : packageSelection(values));
  model.train(matrixToRows(X), Array.from(labels));
  onProgress?.(resolved.nTrees, resolved.nTrees);

  const probabilities = new Float64Array(X.rowCount);
  const votes = new Uint16Array(X.rowCount);
  (model.oobResults ?? []).forEach((result, i) => {
    votes[i] = result.all.length;
    probabilities[i] = voteFraction(result.all);
  });
  return { classifier: new MlRandomForestClassifier(X.columnCount, resolved, model), oob: { probabilities, votes } };
}
