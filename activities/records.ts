import { mean, sampleStandardDeviation } from 'simple-statistics';
import { insertBackupRun, recentHistory } from '../db/repositories/backup-runs.js';
import type { BackupResult, GateDecision } from '../domain/prebackup/contract.js';
import type { Prediction } from '../domain/risk/prediction.js';
import { detectAnomalies, type AnomalyFinding, type MetricBaseline } from '../domain/metrics/zscore.js';
import type { ActivityDeps } from './deps.js';

export interface RecordRunInput {
  workflowId: string;
  runId: string;
  target: string;
  decision: GateDecision;
  prediction: Prediction;
  /** Null when the gate decided not to back up. */
  backup: BackupResult | null;
  skipReason?: string | undefined;
  /** When the gate started (ISO), used as the run's time when there was no backup. */
  gateStartedAt: string;
  estimatedDurationSeconds?: number | undefined;
  estimatedSizeBytes?: number | undefined;
  databaseSizeGb?: number | undefined;
  freeSpaceGb?: number | undefined;
}

export interface AnomalyCheckInput {
  target: string;
  backupId: string;
  startedAt: string;
  durationSeconds: number;
  sizeBytes: number | null;
}

/** Fewer successful runs than this: no baseline, so no anomaly verdict. */
export const MIN_BASELINE_RUNS = 5;

export const backupIdFor = (workflowId: string, runId: string) => `${workflowId}#${runId}`;

export function createRecordActivities(deps: ActivityDeps) {
  return {
    /** One row per workflow run in `backup_runs`; a retried call inserts nothing more. */
    async recordBackupRun(input: RecordRunInput): Promise<{ backupId: string; inserted: boolean }> {
      const backupId = backupIdFor(input.workflowId, input.runId);
      const startedAt = new Date(input.backup?.startedAt ?? input.gateStartedAt);
      const durationSeconds = input.backup?.durationSeconds ?? null;
      const inserted = await insertBackupRun(deps.db, {
        backupId,
        target: input.target,
        startedAt,
        endedAt: durationSeconds === null ? null : new Date(startedAt.getTime() + durationSeconds * 1000),
        status: input.backup?.status ?? 'skipped',
        durationSeconds,
        sizeBytes: input.backup?.sizeBytes ?? null,
        databaseSizeGb: input.databaseSizeGb ?? null,
        freeSpaceGb: input.freeSpaceGb ?? null,
        estimatedDuration: input.estimatedDurationSeconds ?? null,
        estimatedSize: input.estimatedSizeBytes ?? null,
        errorMessage: input.backup?.error ?? input.skipReason ?? null,
        workflowId: input.workflowId,
        workflowRunId: input.runId,
        decision: input.decision,
        failureProbability: input.prediction.failureProbability,
        riskLevel: input.prediction.riskLevel,
        artifactPath: input.backup?.path ?? null,
        artifactSha256: input.backup?.sha256 ?? null,
      });
      deps.log.info({ target: input.target, workflowId: input.workflowId, status: input.backup?.status ?? 'skipped', inserted }, 'run recorded');
      return { backupId, inserted };
    },

    /** Compares a finished run's duration and size with the target's earlier successful runs (z-score). */
    async checkRunAnomalies(input: AnomalyCheckInput): Promise<AnomalyFinding[]> {
      const history = (await recentHistory(deps.db, input.target, new Date(input.startedAt), 500)).filter(
        (run) => run.status === 'completed' && run.backupId !== input.backupId,
      );
      if (history.length < MIN_BASELINE_RUNS) return [];
      const current: Record<string, number> = { durationSeconds: input.durationSeconds };
      const baseline: Record<string, MetricBaseline> = { durationSeconds: baselineOf(history.map((r) => r.durationSeconds)) };
      const sizes = history.map((r) => r.sizeBytes).filter((s) => s > 0);
      if (input.sizeBytes !== null && sizes.length >= MIN_BASELINE_RUNS) {
        current.sizeBytes = input.sizeBytes;
        baseline.sizeBytes = baselineOf(sizes);
      }
      return detectAnomalies(current, baseline);
    },
  };
}

function baselineOf(values: number[]): MetricBaseline {
  return { mean: mean(values), std: sampleStandardDeviation(values) };
}
