/**
 * A loaded, ready-to-predict failure model: classifier + calibration from an artifact, checked against the
 * current feature pipeline. Pure (no worker threads), so it can be used wherever predictions are made.
 */
import { applyCalibration, applyCalibrationBatch } from './calibration.js';
import type { FailureClassifier } from './classifier.js';
import { loadClassifier } from './classifier-loaders.js';
import { FEATURE_COUNT, FEATURE_PIPELINE_VERSION, featuresForUpcomingRun, type UpcomingRun } from './features.js';
import type { BackupRunRecord } from '../history/types.js';
import type { DenseMatrix } from './matrix.js';
import { isArtifactUsable, ModelArtifactError, parseArtifact, type ModelArtifact } from './model-artifact.js';

export interface FailureModel {
  readonly artifact: ModelArtifact;
  readonly classifier: FailureClassifier;
  /** Calibrated failure probability for one feature row (FEATURE_NAMES order). */
  predict(row: ArrayLike<number>): number;
  predictBatch(X: DenseMatrix): Float64Array;
  /** Features of an upcoming run from the target's past runs, and its calibrated failure probability. */
  predictUpcoming(upcoming: UpcomingRun, pastRuns: readonly BackupRunRecord[]): { probability: number; features: number[] };
}

/** Accepts artifact text or an already parsed artifact. */
export function loadFailureModel(source: string | ModelArtifact): FailureModel {
  const artifact = typeof source === 'string' ? parseArtifact(source) : source;
  if (!isArtifactUsable(artifact)) {
    throw new ModelArtifactError(
      `model uses feature pipeline version ${artifact.featurePipelineVersion}, this code computes version ` +
        `${FEATURE_PIPELINE_VERSION} only: predictions use the rules until a model trained by this version is promoted ` +
        '(sentinel model train)',
    );
  }
  const classifier = loadClassifier(artifact.algorithm, artifact.classifier);
  if (classifier.featureCount !== FEATURE_COUNT) {
    throw new ModelArtifactError(`classifier expects ${classifier.featureCount} features, the pipeline has ${FEATURE_COUNT}`);
  }
  const calibration = artifact.calibration;
  const predict = (row: ArrayLike<number>): number => applyCalibration(calibration, classifier.predictProba(row));
  return {
    artifact,
    classifier,
    predict,
    predictBatch: (X) => applyCalibrationBatch(calibration, classifier.predictProbaBatch(X)),
    predictUpcoming(upcoming, pastRuns) {
      const features = featuresForUpcomingRun(upcoming, pastRuns);
      return { probability: predict(features), features };
    },
  };
}
