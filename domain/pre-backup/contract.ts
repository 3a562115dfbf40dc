import { describeValue } from '../describe-value.js';
import type { GateFreshness } from '../freshness/contract.js';
import type { HistoricalContext } from '../history/types.js';
import type { RobustFinding } from '../metrics/scoring.js';
import type { AnomalyCheckSummary } from '../monitoring/contract.js';
import type { Prediction, PredictionRequest, ThresholdSource } from '../risk/prediction.js';

/**
 * Input of `preBackupWorkflow`. Only the target name is required: the worker resolves the target (and any
 * credentials) from its own sentinel.yaml, so no connection string ever enters Temporal history. The gate
 * settings below override the target's configured ones (tests pass short delays here).
 */
export interface PreBackupInput {
  target: string;
  policy?: 'delay' | 'manual';
  threshold?: number;
  delayMinutes?: number;
  maxDelays?: number;
  /** Milliseconds to wait for a human decision. */
  approvalTimeoutMs?: number;
  estimatedDurationSeconds?: number;
  estimatedSizeBytes?: number;
  databaseSizeGb?: number;
  freeSpaceGb?: number;
  context?: Partial<HistoricalContext>;
}

/** The settings the workflow runs with, after the target's config and the input overrides are merged. */
export interface ResolvedGate {
  target: string;
  kind: 'postgres' | 'command' | 'workflow';
  policy: 'delay' | 'manual';
  threshold: number;
  /** How the threshold was resolved (`threshold: auto` follows the active model's recommendation). */
  thresholdSource?: ThresholdSource;
  delayMinutes: number;
  maxDelays: number;
  approvalTimeoutMs: number;
  timeoutSeconds: number;
  estimatedDurationSeconds?: number;
  estimatedSizeBytes?: number;
  databaseSizeGb?: number;
  freeSpaceGb?: number;
  childWorkflow?: { type: string; taskQueue: string };
  /** Who may approve or reject this target's runs (sentinel.yaml `approvers`); absent: anyone. */
  approvers?: string[];
  /** The target's backup freshness at the gate's start (absent in runs recorded before it existed). */
  freshness?: GateFreshness;
}

/** Input of `resolveGateAndPredict`: the workflow's input and when the backup would start (workflow time, ISO). */
export type GateOpeningInput = PreBackupInput & { startAt: string };

/** The gate's settings and its first prediction, read in one local activity (`resolveGateAndPredict`). */
export interface GateOpening {
  gate: ResolvedGate;
  prediction: Prediction;
}

/** What `predictBackupFailure` is asked for a gate: the resolved settings and the caller's history context. */
export function predictionRequestFor(gate: ResolvedGate, context: PreBackupInput['context'], startAt: string): PredictionRequest {
  return {
    target: gate.target,
    threshold: gate.threshold,
    startAt,
    estimatedDurationSeconds: gate.estimatedDurationSeconds,
    estimatedSizeBytes: gate.estimatedSizeBytes,
    databaseSizeGb: gate.databaseSizeGb,
    freeSpaceGb: gate.freeSpaceGb,
    context,
  };
}

export type GateDecision = 'proceed' | 'approved' | 'rejected' | 'skipped';
export type Phase = 'predicting' | 'alerting' | 'delaying' | 'awaiting-approval' | 'backing-up' | 'recording' | 'done';

export interface HumanDecision {
  by: string;
  reason?: string;
  /** What the decision came through, for the audit: `cli`, `client`, or the caller's own label. Absent: `api`. */
  via?: string;
}

/** How the workflow took a decision it was sent: the audit records refused and ignored ones too. */
export type ApprovalOutcome = 'accepted' | 'refused' | 'ignored';

/** One approve/reject that reached a pre-backup run, as the `approvals` table stores it. */
export interface ApprovalEntry {
  /** Order within the run (1, 2, ...): with workflow and run IDs, the idempotency key of the row. */
  seq: number;
  decision: 'approve' | 'reject';
  by: string;
  reason?: string;
  /** `signal` or `update`: how it reached the workflow. */
  transport: 'signal' | 'update';
  via: string;
  outcome: ApprovalOutcome;
  /** Why it was refused or ignored. */
  note?: string;
  /** Workflow time it arrived (ISO). */
  at: string;
}

export interface RecordApprovalsInput {
  workflowId: string;
  runId: string;
  target: string;
  entries: ApprovalEntry[];
}

/** Why `by` may not decide for a target with an `approvers` list, or undefined when they may. */
export function approverRefusal(target: string, approvers: readonly string[] | undefined, by: string): string | undefined {
  if (!approvers || approvers.length === 0 || approvers.includes(by)) return undefined;
  return `${by || '(nobody)'} is not an approver of ${target} (approvers: ${approvers.join(', ')})`;
}

export interface BackupResult {
  status: 'completed' | 'failed';
  startedAt: string;
  durationSeconds: number;
  sizeBytes: number | null;
  path?: string;
  sha256?: string;
  /** Row counts in the dump's snapshot (`schema.table` -> rows) for restore drills; postgres targets with `drill`. */
  tableCounts?: Record<string, number>;
  error?: string;
}

export interface PreBackupResult {
  decision: GateDecision;
  prediction: Prediction;
  delays: number;
  backup: BackupResult | null;
  /** Robust per-metric findings for the finished run (duration, and size when the backup reports one). */
  anomalies: RobustFinding[];
  /**
   * The anomaly check's verdict: `status` (`scored`, or `insufficient_history` with its message and
   * `minHistoryRuns`), baseline used, incidents opened/continued/closed, alerts sent. Null unless a backup completed.
   */
  anomalyCheck?: AnomalyCheckSummary | null | undefined;
  approval?: (HumanDecision & { decision: 'approved' | 'rejected' }) | undefined;
  skipReason?: string | undefined;
}

export interface PreBackupState {
  phase: Phase;
  target: string;
  prediction: Prediction | null;
  predictions: number;
  decision: GateDecision | null;
  delays: number;
  escalated: boolean;
  approval: PreBackupResult['approval'] | null;
  backup: BackupResult | null;
  anomalies: RobustFinding[];
  anomalyCheck: AnomalyCheckSummary | null;
  /** From the gate's resolution: the target's backup freshness (absent when unknown or in older runs). */
  freshness?: GateFreshness;
}

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** Checks the input's shape and ranges; returns the problems (empty when valid). Runs inside the workflow. */
export function validatePreBackupInput(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return ['input must be an object with a "target" field'];
  const i = input as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof i.target !== 'string' || !TARGET_NAME.test(i.target)) problems.push('target must be a target name from sentinel.yaml');
  if (i.policy !== undefined && i.policy !== 'delay' && i.policy !== 'manual') problems.push('policy must be "delay" or "manual"');
  checkNumber(problems, i, 'threshold', (v) => v > 0 && v <= 1, 'must be in (0, 1]');
  checkNumber(problems, i, 'delayMinutes', (v) => v > 0, 'must be > 0');
  checkNumber(problems, i, 'maxDelays', (v) => Number.isInteger(v) && v >= 0, 'must be a whole number >= 0');
  checkNumber(problems, i, 'approvalTimeoutMs', (v) => v > 0, 'must be > 0');
  for (const field of ['estimatedDurationSeconds', 'estimatedSizeBytes', 'databaseSizeGb', 'freeSpaceGb'])
    checkNumber(problems, i, field, (v) => v >= 0, 'must be >= 0');
  if (i.context !== undefined) {
    const c = i.context as Record<string, unknown>;
    if (typeof c !== 'object' || c === null) problems.push('context must be an object');
    else {
      checkNumber(problems, c, 'successRate', (v) => v >= 0 && v <= 1, 'must be in [0, 1]', 'context.');
      checkNumber(problems, c, 'recentFailures', (v) => Number.isInteger(v) && v >= 0, 'must be a whole number >= 0', 'context.');
    }
  }
  return problems;
}

function checkNumber(problems: string[], obj: Record<string, unknown>, field: string, ok: (v: number) => boolean, message: string, prefix = ''): void {
  const value = obj[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) problems.push(`${prefix}${field} ${message} (got ${describeValue(value)})`);
}

export const preBackupWorkflowId = (target: string, scheduledAt: Date | string): string =>
  `pre-backup/${target}/${typeof scheduledAt === 'string' ? scheduledAt : scheduledAt.toISOString()}`;
