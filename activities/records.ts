import { insertApprovals } from '../db/repositories/approvals.js';
import { insertBackupRun } from '../db/repositories/backup-runs.js';
import type { BackupResult, GateDecision, RecordApprovalsInput } from '../domain/pre-backup/contract.js';
import type { Prediction } from '../domain/risk/prediction.js';
import { FORMAT_ONLY_REDACTOR } from '../platform/redact.js';
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

export const backupIdFor = (workflowId: string, runId: string) => `${workflowId}#${runId}`;

export function createRecordActivities(deps: ActivityDeps) {
  const redactor = deps.redactor ?? FORMAT_ONLY_REDACTOR;
  return {
    /**
     * The approval audit: every approve/reject that reached a run, so it outlives Temporal's retention. Idempotent:
     * rows are keyed by workflow, run and the entry's sequence number. Free text passes the secret redactor.
     */
    async recordApprovals(input: RecordApprovalsInput): Promise<{ inserted: number }> {
      const entries = input.entries.map((e) => ({ ...e, by: redactor.redact(e.by), ...(e.reason ? { reason: redactor.redact(e.reason) } : {}) }));
      return { inserted: await insertApprovals(deps.db, { ...input, entries }) };
    },
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
        // The failure was redacted when it left runBackup; a reason written by a person (rejection) was not.
        errorMessage: nullableRedacted(redactor, input.backup?.error ?? input.skipReason ?? null),
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
  };
}

function nullableRedacted(redactor: typeof FORMAT_ONLY_REDACTOR, text: string | null): string | null {
  return text === null ? null : redactor.redact(text);
}
