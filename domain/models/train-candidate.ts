/**
 * One training round of the lifecycle, without I/O: history -> (enough failures?) -> candidate via
 * domain/ml trainFailureModel (oldest 80% train, newest 20% validation) -> the candidate, the rules and the active
 * model scored on the same validation rows -> promotion gate -> explanation and canary for the registry.
 *
 * CPU-heavy: it runs in an activity's training thread, never in a workflow. It starts no threads itself; the caller
 * passes the `treeRunner` that grows the forest's trees (activities/models/forest-threads.ts on the worker).
 */
import type { BackupRunRecord } from '../history/types.js';
import type { AlgorithmName } from '../ml/classifier.js';
import type { TreeRunner } from '../ml/forest/runner.js';
import { selectRows } from '../ml/matrix.js';
import { loadFailureModel } from '../ml/model.js';
import { evaluateBinary, type BinaryMetrics } from '../ml/metrics.js';
import { serializeArtifact } from '../ml/model-artifact.js';
import { decidePromotion } from '../ml/promotion.js';
import { timeSplitRuns } from '../ml/split.js';
import { trainFailureModel } from '../ml/training.js';
import { canaryFeatures } from './canary.js';
import { failureMinimums, type ModelEvaluation, type PromotionVerdict, type WindowMetrics } from './contract.js';
import { buildExplanation, type ModelExplanation } from './explain.js';
import { scoreRunsWithCalibratedRules } from './rules-scores.js';
import { buildThresholdCurves, recommendForTarget, type ThresholdAdvice, type ThresholdGoal } from './thresholds.js';

/** The gate's default threshold (sentinel.yaml `threshold` default): where precision, recall and the confusion matrix are taken. */
export const EVALUATION_THRESHOLD = 0.5;

export type TrainingPhase = 'features' | 'training' | 'evaluating' | 'explaining';

export interface CandidateTrainingInput {
  runs: readonly BackupRunRecord[];
  algorithm: AlgorithmName;
  params?: Record<string, unknown>;
  minFailures: number;
  /** The active model's artifact text, scored on the same validation rows; null when none is active. */
  active: { version: number; artifactText: string } | null;
  createdAt: Date;
  createdBy: string;
  onProgress?: (phase: TrainingPhase, done: number, total: number) => void;
  signal?: AbortSignal;
  /** What grows the sentinel forest's trees; default the calling thread. */
  treeRunner?: TreeRunner;
  /** Alert budgets / wanted precisions from sentinel.yaml, for the threshold recommendations stored with the model. */
  thresholdGoals?: ThresholdGoals;
}

/** sentinel.yaml's goals: the top-level one and each target's own (which wins). */
export interface ThresholdGoals {
  default: ThresholdGoal;
  targets: Record<string, ThresholdGoal>;
}

export type CandidateTrainingOutput =
  | { outcome: 'insufficient-data'; reason: string; rows: number; failures: number }
  | {
      outcome: 'trained';
      artifactText: string;
      evaluation: ModelEvaluation;
      decision: PromotionVerdict;
      explanation: ModelExplanation;
      canaryProbability: number;
      /** Resolved params the artifact records. */
      params: Record<string, unknown>;
      trainingSeconds: number;
    };

export function toWindowMetrics(m: BinaryMetrics): WindowMetrics {
  return {
    rows: m.count,
    failures: m.positives,
    baseRate: m.baseRate,
    prAuc: m.prAuc,
    rocAuc: m.rocAuc,
    brier: m.brier,
    brierBaseline: m.brierBaseline,
    threshold: m.threshold,
    precision: m.precision,
    recall: m.recall,
    confusion: { ...m.confusion },
  };
}

/** Why the history cannot give a trustworthy model, or null when it can. */
export function insufficientHistory(runs: readonly BackupRunRecord[], minFailures: number): string | null {
  const minimum = failureMinimums(minFailures);
  if (runs.length === 0) return 'no backup history: import some with `sentinel history import FILE`';
  let failures = 0;
  for (const r of runs) if (r.status === 'failed') failures++;
  if (failures === 0) return `the history has ${runs.length} runs and no failure: a model cannot learn what a failure looks like`;
  if (failures === runs.length) return `every one of the ${runs.length} runs failed: a model needs successful runs too`;
  if (failures < minFailures) return `not enough failures to learn from: ${failures} in ${runs.length} runs, at least ${minFailures} required`;
  const split = timeSplitRuns(runs);
  let trainingFailures = 0;
  for (const i of split.train) if ((runs[i] as BackupRunRecord).status === 'failed') trainingFailures++;
  const validationFailures = failures - trainingFailures;
  if (split.validation.length === 0) return `too few runs (${runs.length}) for a validation window`;
  if (trainingFailures < minimum.training || validationFailures < minimum.validation) {
    return (
      `not enough failures on both sides of the time split: ${trainingFailures} in the oldest 80% (need ${minimum.training}), ` +
      `${validationFailures} in the newest 20% (need ${minimum.validation})`
    );
  }
  return null;
}

export async function trainCandidate(input: CandidateTrainingInput): Promise<CandidateTrainingOutput> {
  const { runs } = input;
  const failures = runs.reduce((n, r) => n + (r.status === 'failed' ? 1 : 0), 0);
  const insufficient = insufficientHistory(runs, input.minFailures);
  if (insufficient) return { outcome: 'insufficient-data', reason: insufficient, rows: runs.length, failures };

  const progress = input.onProgress ?? (() => undefined);
  progress('features', 0, 1);
  const started = performance.now();
  const trained = await trainFailureModel(runs, {
    algorithm: input.algorithm,
    ...(input.params ? { params: input.params } : {}),
    createdAt: input.createdAt,
    createdBy: input.createdBy,
    onProgress: (done, total) => progress('training', done, total),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.treeRunner ? { treeRunner: input.treeRunner } : {}),
  });
  const trainingSeconds = (performance.now() - started) / 1000;
  input.signal?.throwIfAborted();

  progress('evaluating', 0, 3);
  const labels = trained.validationLabels;
  const candidate = evaluateBinary(trained.validationScores, labels, EVALUATION_THRESHOLD);
  // The rules as live prediction gives them without a model: calibrated to the team, point in time.
  const rulesScores = scoreRunsWithCalibratedRules(runs, { only: trained.split.validation, threshold: EVALUATION_THRESHOLD });
  const rules = evaluateBinary(rulesScores, labels, EVALUATION_THRESHOLD);
  progress('evaluating', 2, 3);

  let active: ModelEvaluation['active'] = null;
  let activeUnusableReason: string | undefined;
  if (input.active) {
    try {
      const model = loadFailureModel(input.active.artifactText);
      active = {
        version: input.active.version,
        ...toWindowMetrics(evaluateBinary(model.predictBatch(trained.validationMatrix), labels, EVALUATION_THRESHOLD)),
      };
    } catch (error) {
      activeUnusableReason = `active model ${input.active.version} cannot be scored (${(error as Error).message}); compared with the rules instead`;
    }
  }
  progress('evaluating', 3, 3);

  const minimum = failureMinimums(input.minFailures);
  const decision = decidePromotion({
    candidate: { prAuc: candidate.prAuc, rocAuc: candidate.rocAuc, brier: candidate.brier },
    baseRateBrier: candidate.brierBaseline,
    active: active ? { prAuc: active.prAuc, brier: active.brier } : null,
    rules: { prAuc: rules.prAuc, brier: rules.brier },
    trainingFailures: trained.trainingFailures,
    validationFailures: trained.validationFailures,
    validationRows: labels.length,
    policy: { minTrainingFailures: minimum.training, minValidationFailures: minimum.validation },
  });

  progress('explaining', 0, 1);
  const seed = typeof trained.artifact.params.seed === 'number' ? trained.artifact.params.seed : 42;
  // Typical values need a fair sample of the training rows, not all of them (1M rows would copy ~100 MB).
  const trainSample = selectRows(trained.table.matrix, evenSample(trained.split.train, 100_000));
  const explanation = buildExplanation(trained.model.predictBatch, trainSample, trained.validationMatrix, labels, seed);
  progress('explaining', 1, 1);

  const startOf = (k: number, indices: Uint32Array) => new Date(trained.table.startedAtMs[indices[k] as number] as number).toISOString();
  const evaluation: ModelEvaluation = {
    window: {
      from: startOf(0, trained.split.validation),
      to: startOf(trained.split.validation.length - 1, trained.split.validation),
      rows: labels.length,
      failures: trained.validationFailures,
    },
    training: {
      from: startOf(0, trained.split.train),
      to: startOf(trained.split.train.length - 1, trained.split.train),
      rows: trained.split.train.length,
      failures: trained.trainingFailures,
    },
    threshold: EVALUATION_THRESHOLD,
    candidate: toWindowMetrics(candidate),
    rules: toWindowMetrics(rules),
    active,
    ...(activeUnusableReason ? { activeUnusableReason } : {}),
    thresholds: thresholdAdvice(
      trained.validationScores,
      labels,
      Array.from(trained.split.validation, (i) => (runs[i] as BackupRunRecord).target),
      input.thresholdGoals ?? { default: {}, targets: {} },
      { from: startOf(0, trained.split.validation), to: startOf(trained.split.validation.length - 1, trained.split.validation) },
    ),
  };
  return {
    outcome: 'trained',
    artifactText: serializeArtifact(trained.artifact),
    evaluation,
    decision,
    explanation,
    canaryProbability: trained.model.predict(canaryFeatures()),
    params: trained.artifact.params,
    trainingSeconds,
  };
}

/** Every k-th index so that at most `max` remain (deterministic, spread over the whole window). */
function evenSample(indices: Uint32Array, max: number): Uint32Array {
  if (indices.length <= max) return indices;
  const step = indices.length / max;
  return Uint32Array.from({ length: max }, (_, k) => indices[Math.floor(k * step)] as number);
}

/** The candidate's threshold curves on the validation window and a recommendation per target seen there. */
export function thresholdAdvice(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  targets: readonly string[],
  goals: ThresholdGoals,
  window: ThresholdAdvice['window'],
): ThresholdAdvice {
  const curves = buildThresholdCurves(scores, labels, targets);
  const recommendations: ThresholdAdvice['recommendations'] = {};
  for (const name of [...new Set(targets)].sort()) recommendations[name] = recommendForTarget(curves, name, goals.targets[name] ?? goals.default);
  return { window, ...curves, recommendations };
}
