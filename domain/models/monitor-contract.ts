/**
 * Contract of the live quality monitor (`modelMonitorWorkflow`, its activities, `sentinel model monitor`). Plain JSON
 * values only; importable from workflow code: no ML, no I/O.
 */
import { describeValue } from '../describe-value.js';
import type { LiveQualityJudgement, ModelMonitorPolicy, MonitorResponse } from './live-quality.js';

/** Schedule that starts modelMonitorWorkflow hourly (schedules/catalog.ts). */
export const MODEL_MONITOR_SCHEDULE_ID = 'sentinel/model-monitor';
/** The rollback child of one degradation: a deterministic ID, so the server itself refuses a second one. */
export const automaticRollbackWorkflowId = (degradationKey: string): string => `rollback-model/automatic/${degradationKey}`;
export const modelMonitorWorkflowId = (at: Date | string): string => `model-monitor/${typeof at === 'string' ? at : at.toISOString()}`;
/** Audit events (model_audit.event) of the monitor. */
export const AUTOMATIC_ROLLBACK_EVENT = 'automatic-rollback';
export const AUTOMATIC_ROLLBACK_FAILED_EVENT = 'automatic-rollback-failed';
export const MODEL_DEGRADED_EVENT = 'model-degraded';
/** Alert kind of a degraded model. */
export const MODEL_DEGRADED_ALERT = 'model-degraded';

export interface ModelMonitorInput {
  /** Training schedule the rollback pauses; default `sentinel/model-training` (tests pass a private one). */
  trainingScheduleId?: string;
}

export function validateModelMonitorInput(input: unknown): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input !== 'object' || Array.isArray(input)) return ['input must be an object'];
  const problems: string[] = [];
  for (const key of Object.keys(input)) if (key !== 'trainingScheduleId') problems.push(`unknown field ${describeValue(key)}`);
  const id = (input as Record<string, unknown>).trainingScheduleId;
  if (id !== undefined && (typeof id !== 'string' || id.trim() === '')) problems.push('trainingScheduleId must be a non-empty string');
  return problems;
}

export type LiveQualityVerdict = 'no-model' | 'disabled' | LiveQualityJudgement['verdict'];

/** What one check found: the live figures, the verdict and what it calls for. */
export interface LiveQualityReport {
  checkedAt: string;
  verdict: LiveQualityVerdict;
  reason: string;
  /** The active model; null when the rules predict. */
  modelVersion: number | null;
  /** The model it replaced (the snapshot taken when it became active); null when the rules predicted before it. */
  replacedVersion: number | null;
  /** Why the replaced model or the rules have no shadow scores, when they do not. */
  shadowProblems: string[];
  /** Identity of this model's time as the active one: `<version>.<activation snapshot id>`; one rollback per key. */
  degradationKey: string | null;
  window: { days: number; maxOutcomes: number; from: string | null; to: string | null; activeSince: string | null };
  policy: ModelMonitorPolicy;
  judgement: LiveQualityJudgement | null;
  response: MonitorResponse;
}

export interface CheckModelQualityResult {
  report: LiveQualityReport;
  /** Rollback reason (what degraded and by how much), at most 1000 characters. */
  rollbackReason: string | null;
}

export interface ClaimRollbackResult {
  /** True for the first claim of a degradation (and for a retry of the same claim). */
  claimed: boolean;
  claimedBy: string;
}

export interface ModelMonitorResult {
  workflowId: string;
  verdict: LiveQualityVerdict;
  reason: string;
  modelVersion: number | null;
  response: MonitorResponse['action'];
  rollback:
    | null
    | { status: 'rolled-back'; workflowId: string; restoredVersion: number | null }
    | { status: 'already-done'; claimedBy: string }
    | { status: 'failed'; workflowId: string; error: string };
  alertSent: boolean;
}
