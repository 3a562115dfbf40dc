/**
 * One training round of the lifecycle, without I/O: history -> (enough failures?) -> candidate via
 * domain/ml trainFailureModel (params chosen by cross-validation on the oldest 80%, validated on the newest 20%,
 * then refit on everything) -> the candidate, the rules and the active model scored on the same validation rows ->
 * promotion gate -> explanation and canary for the registry.
 *
 * Honest comparison: the candidate's figures come from its params fitted on the oldest 80% only. The active model
 * was refit on the whole history of its own day, which may reach into this validation window: then the comparison
 * is restricted to the validation runs that started after the active model's training window (data neither model
 * was fitted on) when they hold enough failures. When they do not, the whole window is used and the evaluation says
 * that the active model saw part of it: that favours the active model, so it can keep a worse candidate out but
 * never let one in (docs/model-lifecycle.md, "Refit and the promotion check").
 *
 * CPU-heavy: it runs in an activity's training thread, never in a workflow. It starts no threads itself; the caller
 * passes the `treeRunner` that grows the forest's trees (activities/models/forest-threads.ts on the worker).
 */
import type { BackupRunRecord } from '../history/types.js';
import type { AlgorithmName } from '../ml/classifier.js';
import type { TreeRunner } from '../ml/forest/runner.js';
import { selectLabels, selectRows } from '../ml/matrix.js';
import type { ModelSelection } from '../ml/model-artifact.js';
import { loadFailureModel, type FailureModel } from '../ml/model.js';
import { evaluateBinary, type BinaryMetrics } from '../ml/metrics.js';
import { parseArtifact, serializeArtifact } from '../ml/model-artifact.js';
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
  const minimum = failureMinimums(input.minFailures);
  let activeModel: { version: number; model: FailureModel; trainedUntilMs: number } | null = null;
  let activeUnusableReason: string | undefined;
  if (input.active) {
    try {
      const model = loadFailureModel(input.active.artifactText);
      activeModel = { version: input.active.version, model, trainedUntilMs: Date.parse(parseArtifact(input.active.artifactText).training.to) };
    } catch (error) {
      activeUnusableReason = `active model ${input.active.version} cannot be scored (${(error as Error).message}); compared with the rules instead`;
    }
  }

  // Positions in the validation window to compare on: all, or those after the active model's training window.
  const validationRows = trained.split.validation;
  const startMsAt = (k: number) => trained.table.startedAtMs[validationRows[k] as number] as number;
  let positions = Uint32Array.from(validationRows, (_, k) => k);
  let activeComparison: ModelEvaluation['activeComparison'];
  if (activeModel && validationRows.length > 0 && activeModel.trainedUntilMs >= startMsAt(0)) {
    const unseen = positions.filter((k) => startMsAt(k) > (activeModel as { trainedUntilMs: number }).trainedUntilMs);
    let unseenFailures = 0;
    for (const k of unseen) unseenFailures += trained.validationLabels[k] as number;
    const until = new Date(activeModel.trainedUntilMs).toISOString();
    if (unseen.length > 0 && unseenFailures >= minimum.validation) {
      positions = unseen;
      activeComparison = {
        rows: 'after-active-training',
        note: `compared on the ${unseen.length} validation runs after ${until}, where the active model was trained until`,
      };
    } else {
      activeComparison = {
        rows: 'active-saw-window',
        note:
          `the active model was trained on runs until ${until}; only ${unseen.length} validation runs (${unseenFailures} failures) are newer, ` +
          `fewer than the ${minimum.validation} failures needed: compared on the whole window, which favours the active model`,
      };
    }
  }
  const labels = selectLabels(trained.validationLabels, positions);
  const candidateScores = Float64Array.from(positions, (k) => trained.validationScores[k] as number);
  const candidate = evaluateBinary(candidateScores, labels, EVALUATION_THRESHOLD);
  const compared = Uint32Array.from(positions, (k) => validationRows[k] as number);
  // The rules as live prediction gives them without a model: calibrated to the team, point in time.
  const rulesScores = scoreRunsWithCalibratedRules(runs, { only: compared, threshold: EVALUATION_THRESHOLD });
  const rules = evaluateBinary(rulesScores, labels, EVALUATION_THRESHOLD);
  progress('evaluating', 2, 3);

  let active: ModelEvaluation['active'] = null;
  if (activeModel) {
    active = {
      version: activeModel.version,
      ...toWindowMetrics(evaluateBinary(activeModel.model.predictBatch(selectRows(trained.validationMatrix, positions)), labels, EVALUATION_THRESHOLD)),
    };
  }
  progress('evaluating', 3, 3);

  let comparedFailures = 0;
  for (let i = 0; i < labels.length; i++) comparedFailures += labels[i] as number;
  const decision = decidePromotion({
    candidate: { prAuc: candidate.prAuc, rocAuc: candidate.rocAuc, brier: candidate.brier },
    baseRateBrier: candidate.brierBaseline,
    active: active ? { prAuc: active.prAuc, brier: active.brier } : null,
    rules: { prAuc: rules.prAuc, brier: rules.brier },
    trainingFailures: trained.trainingFailures,
    validationFailures: comparedFailures,
    validationRows: labels.length,
    policy: { minTrainingFailures: minimum.training, minValidationFailures: minimum.validation },
  });
  if (activeComparison?.rows === 'active-saw-window' && !decision.promote) decision.reason += ` (${activeComparison.note})`;

  progress('explaining', 0, 1);
  const seed = typeof trained.artifact.params.seed === 'number' ? trained.artifact.params.seed : 42;
  // Typical values need a fair sample of the training rows, not all of them (1M rows would copy ~100 MB).
  const trainSample = selectRows(trained.table.matrix, evenSample(trained.split.train, 100_000));
  // Importance from the model that never saw the validation rows (the refit one did).
  const explanation = buildExplanation(trained.validatedModel.predictBatch, trainSample, trained.validationMatrix, trained.validationLabels, seed);
  progress('explaining', 1, 1);

  const startOf = (k: number, indices: Uint32Array) => new Date(trained.table.startedAtMs[indices[k] as number] as number).toISOString();
  const windowOf = (indices: Uint32Array, failures: number) => ({
    from: startOf(0, indices),
    to: startOf(indices.length - 1, indices),
    rows: indices.length,
    failures,
  });
  let deployedFailures = 0;
  for (const i of trained.deployedRows) deployedFailures += trained.table.labels[i] as number;
  const evaluation: ModelEvaluation = {
    window: windowOf(compared, comparedFailures),
    training: windowOf(trained.split.train, trained.trainingFailures),
    deployed: windowOf(trained.deployedRows, deployedFailures),
    threshold: EVALUATION_THRESHOLD,
    candidate: toWindowMetrics(candidate),
    rules: toWindowMetrics(rules),
    active,
    ...(activeUnusableReason ? { activeUnusableReason } : {}),
    ...(activeComparison ? { activeComparison } : {}),
    ...(trained.selection ? { selection: summariseSelection(trained.selection) } : {}),
    thresholds: thresholdAdvice(
      candidateScores,
      labels,
      Array.from(compared, (i) => (runs[i] as BackupRunRecord).target),
      input.thresholdGoals ?? { default: {}, targets: {} },
      { from: startOf(0, compared), to: startOf(compared.length - 1, compared) },
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

/** The chosen params and their validation scores, per fold and mean, for the evaluation output. */
export function summariseSelection(selection: ModelSelection): NonNullable<ModelEvaluation['selection']> {
  const chosen = selection.candidates[selection.chosen];
  return {
    params: chosen?.params ?? {},
    folds: chosen?.folds ?? [],
    mean: chosen?.mean ?? { prAuc: null, rocAuc: null, brier: null },
    candidates: selection.candidates.length,
    budgetSeconds: selection.budgetSeconds,
    stopped: selection.stopped,
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
