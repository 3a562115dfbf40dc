/**
 * Contracts of the failure-model lifecycle workflows and activities (training, promotion, rollback). Plain JSON
 * values only: they travel through Temporal payloads, so artifacts never appear here (activities pass model
 * versions and snapshot ids; the bytes stay in PostgreSQL). Importable from workflow code: no ML, no I/O.
 */
import { describeValue } from '../describe-value.js';
import type { BinaryMetrics } from '../ml/metrics.js';
import type { ThresholdAdvice } from './thresholds.js';

export const MODEL_ALGORITHMS = ['sentinel-forest', 'sentinel-boosting', 'ml-random-forest'] as const;
export type ModelAlgorithm = (typeof MODEL_ALGORITHMS)[number];
/** Chosen by bench/model.ts (faster and a higher PR-AUC than ml-random-forest); see BENCHMARKS.md. */
export const DEFAULT_MODEL_ALGORITHM: ModelAlgorithm = 'sentinel-forest';
/** Failures the history needs before a model is trained at all (80% of them must be in training, 20% in validation). */
export const DEFAULT_MIN_FAILURES = 25;
/** Schedule that starts trainFailureModelWorkflow weekly (schedules/catalog.ts); paused during a rollback. */
export const MODEL_TRAINING_SCHEDULE_ID = 'sentinel/model-training';

export interface TrainModelInput {
  algorithm?: ModelAlgorithm;
  /** Algorithm parameters (validated by the algorithm), e.g. `{ nTrees: 100, seed: 7 }`. */
  params?: Record<string, unknown>;
  minFailures?: number;
}

export interface RollbackModelInput {
  /** Version to restore (its newest snapshot); default: the snapshot taken before the last change. */
  toVersion?: number;
  keepPaused?: boolean;
  reason?: string;
  /** Schedule to pause while restoring; default `sentinel/model-training` (tests pass a private one). */
  scheduleId?: string;
}

/** Metrics of one predictor on the validation window: domain/ml's BinaryMetrics with the counts named for rows. */
export type WindowMetrics = Omit<BinaryMetrics, 'count' | 'positives'> & { rows: number; failures: number };

/** Candidate, rules and the active model scored on the same validation rows (newest 20% of the history). */
export interface ModelEvaluation {
  window: { from: string; to: string; rows: number; failures: number };
  /** Runs the validated params were fitted on (the oldest part of the split). */
  training: { from: string; to: string; rows: number; failures: number };
  /** Runs the stored (deployed) model was refit on: the whole history (absent for models trained before). */
  deployed?: { from: string; to: string; rows: number; failures: number };
  /** Present when the active model was trained on part of the validation window (refit): which rows were compared. */
  activeComparison?: { rows: 'after-active-training' | 'active-saw-window'; note: string };
  /** Model selection: the chosen params and their cross-validation scores per fold and mean (absent without it). */
  selection?: {
    params: Record<string, unknown>;
    folds: { prAuc: number | null; rocAuc: number | null; brier: number | null }[];
    mean: { prAuc: number | null; rocAuc: number | null; brier: number | null };
    candidates: number;
    budgetSeconds: number;
    stopped: 'exhausted' | 'budget';
  };
  /** Probability above which a run counts as predicted to fail (the gate's default threshold). */
  threshold: number;
  candidate: WindowMetrics;
  rules: WindowMetrics;
  /** The model active when training started, on the same rows; null when none was active or it could not load. */
  active: (WindowMetrics & { version: number }) | null;
  /** Why the active model was not scored, when one exists but could not be used. */
  activeUnusableReason?: string;
  /** The candidate's precision, recall and share flagged at a range of thresholds, and a threshold per target (absent for models trained before). */
  thresholds?: ThresholdAdvice;
}

export interface PromotionVerdict {
  promote: boolean;
  reason: string;
  comparedWith: 'active-model' | 'rules';
}

export type TrainCandidateResult =
  | {
      outcome: 'insufficient-data';
      reason: string;
      rows: number;
      failures: number;
      /** Unchanged: prediction keeps using it (or the rules when null). */
      activeVersion: number | null;
    }
  | {
      outcome: 'trained';
      version: number;
      algorithm: ModelAlgorithm;
      artifactSha256: string;
      artifactBytes: number;
      evaluation: ModelEvaluation;
      decision: PromotionVerdict;
      /** Active model the candidate was compared with (promotion is refused if another one became active since). */
      comparedActiveVersion: number | null;
      trainingSeconds: number;
    };

export interface PromoteModelResult {
  promoted: boolean;
  version: number;
  previousVersion: number | null;
  snapshotId: number | null;
  reason: string;
}

export interface TrainModelResult {
  workflowId: string;
  outcome: 'promoted' | 'kept-candidate' | 'no-model';
  /** The stored candidate (absent for `no-model`). */
  version: number | null;
  reason: string;
  activeVersion: number | null;
  algorithm: ModelAlgorithm;
  evaluation: ModelEvaluation | null;
  snapshotId: number | null;
}

export interface ScheduleControl {
  scheduleId: string;
  /** False when the schedule does not exist (nothing paused, nothing to unpause). */
  exists: boolean;
  /** It was already paused before (an operator's pause is left alone). */
  wasPaused: boolean;
  pausedByUs: boolean;
}

export interface RestoreSnapshotResult {
  snapshotId: number;
  /** Version now active; null when the snapshot recorded "no active model" (the rules predict again). */
  restoredVersion: number | null;
  previousVersion: number | null;
  /** Snapshot of the model that was active before this rollback (written in the same transaction). */
  newSnapshotId: number;
  artifactSha256: string | null;
}

export interface VerifyActiveModelResult {
  version: number | null;
  artifactSha256: string | null;
  checksumOk: boolean;
  /** Canary probability now, and the one recorded when the model was stored; equal for an intact model. */
  canaryProbability: number | null;
  expectedCanaryProbability: number | null;
  ok: boolean;
  problem?: string;
}

export interface RollbackModelResult {
  workflowId: string;
  restoredVersion: number | null;
  previousVersion: number | null;
  snapshotId: number;
  newSnapshotId: number;
  verification: VerifyActiveModelResult;
  schedule: ScheduleControl & { pausedNow: boolean };
  reason: string;
}

export const trainModelWorkflowId = (at: Date | string): string => `train-model/${typeof at === 'string' ? at : at.toISOString()}`;
export const rollbackModelWorkflowId = (at: Date | string): string => `rollback-model/${typeof at === 'string' ? at : at.toISOString()}`;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every problem with a training input (empty list when valid). `{}` and undefined are valid. */
export function validateTrainModelInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!isPlainObject(input)) return ['input must be an object'];
  const problems: string[] = [];
  const known = new Set(['algorithm', 'params', 'minFailures']);
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown field ${describeValue(key)}`);
  if (input.algorithm !== undefined && !MODEL_ALGORITHMS.includes(input.algorithm as ModelAlgorithm)) {
    problems.push(`algorithm must be one of ${MODEL_ALGORITHMS.join(', ')} (got ${describeValue(input.algorithm)})`);
  }
  if (input.params !== undefined && !isPlainObject(input.params)) problems.push('params must be an object');
  if (input.minFailures !== undefined) {
    const m = input.minFailures;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 2 || m > 1_000_000) problems.push('minFailures must be a whole number between 2 and 1000000');
  }
  return problems;
}

export function validateRollbackModelInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (!isPlainObject(input)) return ['input must be an object'];
  const problems: string[] = [];
  const known = new Set(['toVersion', 'keepPaused', 'reason', 'scheduleId']);
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`unknown field ${describeValue(key)}`);
  const v = input.toVersion;
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) problems.push('toVersion must be a positive whole number');
  if (input.keepPaused !== undefined && typeof input.keepPaused !== 'boolean') problems.push('keepPaused must be true or false');
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 1000))
    problems.push('reason must be text of at most 1000 characters');
  if (input.scheduleId !== undefined && (typeof input.scheduleId !== 'string' || input.scheduleId.trim() === ''))
    problems.push('scheduleId must be a non-empty string');
  return problems;
}

/** Minimum failures in training and validation for a given minimum in the whole history (80/20 split). */
export function failureMinimums(minFailures: number): { training: number; validation: number } {
  return { training: Math.max(1, Math.ceil(minFailures * 0.8)), validation: Math.max(1, Math.floor(minFailures * 0.2)) };
}
