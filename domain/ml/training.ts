/**
 * The whole candidate-training pipeline as one call, for activities and the CLI:
 * runs -> point-in-time features -> time split (oldest 80% train) -> train -> Platt calibration on the OOB
 * predictions of the training rows -> calibrated metrics on the validation rows -> artifact.
 *
 * It does not decide promotion: score the active model and the rules on the returned validation rows and call
 * `decidePromotion`. CPU-heavy, not for workflow code; threads only through the `treeRunner` the caller passes.
 */
import type { BackupRunRecord } from '../history/types.js';
import { trainClassifier } from './algorithms.js';
import type { TreeRunner } from './forest/runner.js';
import { applyCalibrationBatch, fitPlattCalibration, type Calibration } from './calibration.js';
import { coveredOob, type AlgorithmName, type ProgressCallback } from './classifier.js';
import { buildFeatureTable, type FeatureTable } from './features.js';
import { selectLabels, selectRows, type DenseMatrix } from './matrix.js';
import { evaluateBinary, type BinaryMetrics } from './metrics.js';
import { createArtifact, type ArtifactMetrics, type ModelArtifact } from './model-artifact.js';
import { loadFailureModel, type FailureModel } from './model.js';
import { DEFAULT_TRAIN_FRACTION, timeSplit, type TimeSplit } from './split.js';

export interface TrainFailureModelOptions {
  algorithm: AlgorithmName;
  /** Algorithm params (validated by the algorithm); `threads` for the sentinel forest. */
  params?: Record<string, unknown>;
  trainFraction?: number;
  /** Recorded as the creation time (domain code reads no clock). */
  createdAt: Date;
  createdBy: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** What grows the sentinel forest's trees; default the calling thread (see domain/ml/forest/runner.ts). */
  treeRunner?: TreeRunner;
}

export interface TrainedFailureModel {
  artifact: ModelArtifact;
  model: FailureModel;
  table: FeatureTable;
  split: TimeSplit;
  /** Validation rows (split.validation order) to score the active model and the rules on. */
  validationMatrix: DenseMatrix;
  validationLabels: Uint8Array;
  /** Calibrated candidate probabilities of the validation rows. */
  validationScores: Float64Array;
  validationMetrics: BinaryMetrics | null;
  trainingFailures: number;
  validationFailures: number;
}

export function toArtifactMetrics(m: BinaryMetrics): ArtifactMetrics {
  return { rows: m.count, failures: m.positives, baseRate: m.baseRate, prAuc: m.prAuc, rocAuc: m.rocAuc, brier: m.brier };
}

function countFailures(labels: Uint8Array): number {
  let failures = 0;
  for (let i = 0; i < labels.length; i++) failures += labels[i] as number;
  return failures;
}

function isoAt(ms: number | undefined): string {
  if (ms === undefined) throw new RangeError('empty time window');
  return new Date(ms).toISOString();
}

export async function trainFailureModel(runs: readonly BackupRunRecord[], options: TrainFailureModelOptions): Promise<TrainedFailureModel> {
  const table = buildFeatureTable(runs);
  const split = timeSplit(table.startedAtMs, options.trainFraction ?? DEFAULT_TRAIN_FRACTION);
  if (split.train.length === 0) throw new RangeError('no runs to train on');
  const trainX = selectRows(table.matrix, split.train);
  const trainY = selectLabels(table.labels, split.train);
  const validationMatrix = selectRows(table.matrix, split.validation);
  const validationLabels = selectLabels(table.labels, split.validation);

  const { onProgress, signal, treeRunner } = options;
  const trained = await trainClassifier(options.algorithm, trainX, trainY, options.params ?? {}, {
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
    ...(treeRunner ? { treeRunner } : {}),
  });

  // Calibrate on out-of-bag predictions only: in-sample forest scores are near 0/1 and would make it overconfident.
  let calibration: Calibration = { method: 'identity', reason: 'the algorithm gave no out-of-bag predictions' };
  let outOfBag: ArtifactMetrics | null = null;
  if (trained.oob) {
    const oob = coveredOob(trained.oob, trainY);
    calibration = fitPlattCalibration(oob.scores, oob.labels);
    if (oob.scores.length > 0) outOfBag = toArtifactMetrics(evaluateBinary(applyCalibrationBatch(calibration, oob.scores), oob.labels));
  }

  const validationScores = applyCalibrationBatch(calibration, trained.classifier.predictProbaBatch(validationMatrix));
  const validationMetrics = validationLabels.length > 0 ? evaluateBinary(validationScores, validationLabels) : null;
  const startOf = (indices: Uint32Array, k: number): number | undefined => table.startedAtMs[indices[k] as number];

  const artifact = createArtifact({
    algorithm: options.algorithm,
    params: trained.params,
    classifier: trained.classifier,
    calibration,
    training: {
      from: isoAt(startOf(split.train, 0)),
      to: isoAt(startOf(split.train, split.train.length - 1)),
      rows: split.train.length,
      failures: countFailures(trainY),
    },
    validation:
      validationMetrics === null
        ? null
        : {
            from: isoAt(startOf(split.validation, 0)),
            to: isoAt(startOf(split.validation, split.validation.length - 1)),
            metrics: toArtifactMetrics(validationMetrics),
          },
    outOfBag,
    createdAt: options.createdAt,
    createdBy: options.createdBy,
  });

  return {
    artifact,
    model: loadFailureModel(artifact),
    table,
    split,
    validationMatrix,
    validationLabels,
    validationScores,
    validationMetrics,
    trainingFailures: countFailures(trainY),
    validationFailures: countFailures(validationLabels),
  };
}
