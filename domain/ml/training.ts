/**
 * The whole candidate-training pipeline as one call, for activities and the CLI:
 * runs -> point-in-time features -> time split (oldest 80% / newest 20%) -> model selection by expanding-window
 * cross-validation on the oldest 80% (domain/ml/selection.ts) -> the chosen params fitted on the oldest 80% and
 * scored, calibrated on the out-of-fold predictions, on the newest 20% (the honest validation figures, used by the
 * promotion gate) -> the chosen params refit on the WHOLE history, calibrated on the out-of-fold predictions plus
 * the validation window's -> artifact (the refit model, with the validation figures and the selection).
 *
 * Calibration (function calibrate below) is isotonic with at least MIN_ISOTONIC_FAILURES failures to fit on, else
 * Platt, on the calibrated model's own out-of-bag predictions, or on out-of-fold predictions for an algorithm
 * without them. Without a usable fold (too few failures) the params are the caller's and the defaults.
 *
 * It does not decide promotion: score the active model and the rules on the returned validation rows and call
 * `decidePromotion`. CPU-heavy, not for workflow code; threads only through the `treeRunner` the caller passes.
 */
import type { BackupRunRecord } from '../history/types.js';
import { trainClassifier, type TrainedClassifier } from './algorithms.js';
import type { TreeRunner } from './forest/runner.js';
import { applyCalibrationBatch, fitCalibration, type Calibration } from './calibration.js';
import { coveredOob, type AlgorithmName, type ProgressCallback } from './classifier.js';
import { buildFeatureTable, type FeatureTable } from './features.js';
import { selectLabels, selectRows, type DenseMatrix } from './matrix.js';
import { evaluateBinary, type BinaryMetrics } from './metrics.js';
import { createArtifact, type ArtifactMetrics, type ModelArtifact, type ModelSelection } from './model-artifact.js';
import { loadFailureModel, type FailureModel } from './model.js';
import { DEFAULT_SELECTION_BUDGET_SECONDS, selectHyperparameters } from './selection.js';
import { DEFAULT_TRAIN_FRACTION, timeSplit, type TimeSplit } from './split.js';

/** Params that steer training but do not define the model: stripped before the algorithm sees its params. */
export const TRAINING_ONLY_PARAMS = ['threads', 'selectionBudgetSeconds'] as const;

export interface TrainFailureModelOptions {
  algorithm: AlgorithmName;
  /**
   * Algorithm params (validated by the algorithm; the ones given are fixed, the others are searched), plus
   * `threads` for the sentinel forest and `selectionBudgetSeconds` (default DEFAULT_SELECTION_BUDGET_SECONDS).
   */
  params?: Record<string, unknown>;
  trainFraction?: number;
  /** Default true: the deployed model is refit on every run; false deploys the model fitted on the oldest part. */
  refit?: boolean;
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
  /** The deployed model (refit on every run unless `refit: false`). */
  model: FailureModel;
  /** The chosen params fitted on the training part only, calibrated on out-of-fold scores: what the validation figures measure. */
  validatedModel: FailureModel;
  table: FeatureTable;
  split: TimeSplit;
  /** Validation rows (split.validation order) to score the active model and the rules on. */
  validationMatrix: DenseMatrix;
  validationLabels: Uint8Array;
  /** Calibrated probabilities of the validation rows by `validatedModel` (never fitted on them). */
  validationScores: Float64Array;
  validationMetrics: BinaryMetrics | null;
  trainingFailures: number;
  validationFailures: number;
  /** Rows the deployed model was fitted on (split.train, or every row after a refit), in time order. */
  deployedRows: Uint32Array;
  selection: ModelSelection | null;
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

function budgetOf(params: Record<string, unknown>): number {
  const budget = params.selectionBudgetSeconds ?? DEFAULT_SELECTION_BUDGET_SECONDS;
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0) throw new RangeError('selectionBudgetSeconds must be a number >= 0');
  return budget;
}

/**
 * Calibration of one fitted model: on its own out-of-bag predictions when the algorithm gives them, else on
 * held-out (out-of-fold) scores; isotonic or Platt by the failures available (fitCalibration). Out-of-bag first,
 * measured: the fold models of model selection are fitted on 25-75 % of the rows and score on another scale than
 * the model being calibrated (drift scenario: Brier 0.126 calibrated out-of-fold vs 0.116 out-of-bag, base rate
 * 0.143); out-of-bag scores come from trees of the very model that never saw the row. Never in-sample scores: forest
 * leaves are near 0/1 on their own rows and a calibration fitted on them is over-confident.
 */
function calibrate(
  trained: TrainedClassifier,
  y: Uint8Array,
  heldOut: { scores: Float64Array; labels: Uint8Array } | null,
): { calibration: Calibration; outOfBag: ArtifactMetrics | null; on: CalibratedOn } {
  if (trained.oob) {
    const oob = coveredOob(trained.oob, y);
    const calibration = fitCalibration(oob.scores, oob.labels);
    const outOfBag = oob.scores.length > 0 ? toArtifactMetrics(evaluateBinary(applyCalibrationBatch(calibration, oob.scores), oob.labels)) : null;
    return { calibration, outOfBag, on: { source: 'out-of-bag', rows: oob.scores.length, failures: countFailures(oob.labels) } };
  }
  if (heldOut && heldOut.scores.length > 0) {
    return {
      calibration: fitCalibration(heldOut.scores, heldOut.labels),
      outOfBag: null,
      on: { source: 'out-of-fold', rows: heldOut.scores.length, failures: countFailures(heldOut.labels) },
    };
  }
  return {
    calibration: { method: 'identity', reason: 'the algorithm gave no out-of-bag predictions and no fold was usable' },
    outOfBag: null,
    on: { source: 'none', rows: 0, failures: 0 },
  };
}

type CalibratedOn = ModelSelection['calibratedOn'];

export async function trainFailureModel(runs: readonly BackupRunRecord[], options: TrainFailureModelOptions): Promise<TrainedFailureModel> {
  const table = buildFeatureTable(runs);
  const split = timeSplit(table.startedAtMs, options.trainFraction ?? DEFAULT_TRAIN_FRACTION);
  if (split.train.length === 0) throw new RangeError('no runs to train on');
  const trainX = selectRows(table.matrix, split.train);
  const trainY = selectLabels(table.labels, split.train);
  const validationMatrix = selectRows(table.matrix, split.validation);
  const validationLabels = selectLabels(table.labels, split.validation);

  const { onProgress, signal, treeRunner } = options;
  const allParams = options.params ?? {};
  const budgetSeconds = budgetOf(allParams);
  const fixedParams = Object.fromEntries(Object.entries(allParams).filter(([k]) => !(TRAINING_ONLY_PARAMS as readonly string[]).includes(k)));
  const trainOnly = allParams.threads !== undefined ? { threads: allParams.threads } : {};
  // Progress is reported per tree of each fit in turn (every fold of every candidate, then the validated and the refit model).
  const run = { ...(signal ? { signal } : {}), ...(treeRunner ? { treeRunner } : {}), ...(onProgress ? { onProgress } : {}) };
  const refit = options.refit !== false && split.validation.length > 0;

  const selected = await selectHyperparameters(table.matrix, table.labels, table.startedAtMs, split.train, {
    algorithm: options.algorithm,
    fixedParams,
    trainOnlyParams: trainOnly,
    budgetSeconds,
    seed: typeof fixedParams.seed === 'number' ? fixedParams.seed : 1,
    run,
  });
  const params = selected?.params ?? fixedParams;
  const fitChosen = (X: DenseMatrix, y: Uint8Array): Promise<TrainedClassifier> => trainClassifier(options.algorithm, X, y, { ...params, ...trainOnly }, run);

  // The chosen params on the training part: the validation figures and the promotion gate are about this model.
  const validated = await fitChosen(trainX, trainY);
  const validatedCal = calibrate(validated, trainY, selected?.oof ?? null);
  let outOfBag = validatedCal.outOfBag;
  const rawValidation = validated.classifier.predictProbaBatch(validationMatrix);
  const validationScores = applyCalibrationBatch(validatedCal.calibration, rawValidation);
  const validationMetrics = validationLabels.length > 0 ? evaluateBinary(validationScores, validationLabels) : null;

  let deployed = validated;
  let deployedCal = validatedCal;
  let deployedRows = split.train;
  if (refit) {
    signal?.throwIfAborted();
    deployedRows = Uint32Array.from([...split.train, ...split.validation]);
    const allY = selectLabels(table.labels, deployedRows);
    deployed = await fitChosen(selectRows(table.matrix, deployedRows), allY);
    // Without out-of-bag predictions: the out-of-fold scores plus the validation window's (no model saw its row).
    const heldOut = selected
      ? { scores: Float64Array.from([...selected.oof.scores, ...rawValidation]), labels: Uint8Array.from([...selected.oof.labels, ...validationLabels]) }
      : null;
    deployedCal = calibrate(deployed, allY, heldOut);
    outOfBag = deployedCal.outOfBag;
  }
  const calibratedOn = deployedCal.on;

  const startOf = (indices: Uint32Array, k: number): number | undefined => table.startedAtMs[indices[k] as number];
  const windowOf = (indices: Uint32Array) => ({
    from: isoAt(startOf(indices, 0)),
    to: isoAt(startOf(indices, indices.length - 1)),
    rows: indices.length,
    failures: countFailures(selectLabels(table.labels, indices)),
  });
  const selection: ModelSelection | null = selected
    ? {
        ...selected.report,
        candidates: selected.report.candidates.map((c) => ({ ...c, params: c.params })),
        calibratedOn,
      }
    : null;

  const artifact = createArtifact({
    algorithm: options.algorithm,
    params: deployed.params,
    classifier: deployed.classifier,
    calibration: deployedCal.calibration,
    training: windowOf(deployedRows),
    validation:
      validationMetrics === null
        ? null
        : {
            from: isoAt(startOf(split.validation, 0)),
            to: isoAt(startOf(split.validation, split.validation.length - 1)),
            metrics: toArtifactMetrics(validationMetrics),
            fittedOn: windowOf(split.train),
          },
    outOfBag,
    selection,
    createdAt: options.createdAt,
    createdBy: options.createdBy,
  });
  const validatedArtifact = refit
    ? { ...artifact, classifier: JSON.parse(JSON.stringify(validated.classifier.toJSON())) as unknown, calibration: validatedCal.calibration }
    : artifact;

  return {
    artifact,
    model: loadFailureModel(artifact),
    validatedModel: loadFailureModel(validatedArtifact),
    table,
    split,
    validationMatrix,
    validationLabels,
    validationScores,
    validationMetrics,
    trainingFailures: countFailures(trainY),
    validationFailures: countFailures(validationLabels),
    deployedRows,
    selection,
  };
}
