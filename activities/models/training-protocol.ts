/** Messages between the training activity (training-runner.ts) and its training thread (training-thread.ts). */
import type { HistoryColumns } from '../../domain/models/history-columns.js';
import type { ModelAlgorithm } from '../../domain/models/contract.js';
import type { CandidateTrainingOutput, ThresholdGoals, TrainingPhase } from '../../domain/models/train-candidate.js';

export interface TrainingThreadInput {
  columns: HistoryColumns;
  algorithm: ModelAlgorithm;
  params: Record<string, unknown>;
  minFailures: number;
  active: { version: number; artifactText: string } | null;
  createdAt: string;
  createdBy: string;
  thresholdGoals?: ThresholdGoals;
}

export type TrainingThreadMessage =
  | { type: 'progress'; phase: TrainingPhase; done: number; total: number }
  | { type: 'result'; output: CandidateTrainingOutput }
  | { type: 'error'; name: string; message: string };
