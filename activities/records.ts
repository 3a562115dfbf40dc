import { insertApprovals } from '../db/repositories/approvals.js';
import { insertBackupRun } from '../db/repositories/backup-runs.js';
import type { BackupResult, GateDecision, RecordApprovalsInput } from '../domain/pre-backup/contract.js';
import type { Prediction } from '../domain/risk/prediction.js';
import { FORMAT_ONLY_REDACTOR } from '../platform/redact.js';
import { resolveAlertsQuietly } from '../capabilities/alerts/service.js';
import { unresolvedIncidentsOfTarget } from '../db/repositories/alerts.js';
import { gateIncidentKey, RESOLVED_BY_SUCCESS } from '../domain/alerts/incident.js';
import type { ActivityDeps } from './deps.js';
import { alertingDeps, deliveryWindow } from './alerting.js';
import { keepPolicyOf, pruneTargetDumps } from '../capabilities/dumps/retention.js';
import { findTarget } from '../domain/settings/schema.js';

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
  const alerting = alertingDeps(deps);
  return {
    /**
     * The approval audit: every approve/reject that reached a run, so it outlives Temporal's retention. Idempotent:
     * rows are keyed by workflow, run and the entry's sequence number. Free text passes the secret redactor.
     */
    async recordApprovals(input: RecordApprovalsInput): Promise<{ inserted: number }> {
      const entries = input.entries.map((e) => ({ ...e, by: redactor.redact(e.by), ...(e.reason ? { reason: redactor.redact(e.reason) } : {}) }));
      const inserted = await insertApprovals(deps.db, { ...input, entries });
      // The wait was answered: the gate's alerts end now, saying who decided (never fails the audit).
      const accepted = entries.find((e) => e.outcome === 'accepted');
      if (accepted) {
        const verb = accepted.decision === 'approve' ? 'approved' : 'rejected';
        const resolution = `${verb} by ${accepted.by}${accepted.reason ? `: ${accepted.reason}` : ''}`;
        await resolveAlertsQuietly(alerting, [{ incidentKey: gateIncidentKey(input.workflowId, input.runId), resolution }], deliveryWindow());
      }
      return { inserted };
    },
    /** One row per workflow run in `backup_runs`; a retried call inserts nothing more. */
    async recordBackupRun(input: RecordRunInput): Promise<{ backupId: string; inserted: boolean; retention?: RetentionSummary }> {
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
        tableCounts: input.backup?.tableCounts ?? null,
        ...predictorOf(input.prediction),
      });
      deps.log.info({ target: input.target, workflowId: input.workflowId, status: input.backup?.status ?? 'skipped', inserted }, 'run recorded');
      // The run is stored: the incidents it ends are resolved (alerting never fails the recording; a retry of this
      // activity finds unfinished resolves again). The gate's own alerts end with its decision, and a success ends
      // the target's failed and skipped backups before it.
      const resolves = [{ incidentKey: gateIncidentKey(input.workflowId, input.runId), resolution: gateResolution(input, redactor) }];
      if (input.backup?.status === 'completed') {
        const ended = await unresolvedIncidentsOfTarget(deps.db, input.target, RESOLVED_BY_SUCCESS, startedAt).catch(() => []);
        for (const incidentKey of ended) resolves.push({ incidentKey, resolution: `backup succeeded (${input.workflowId})` });
      }
      await resolveAlertsQuietly(alerting, resolves, deliveryWindow());
      if (input.backup?.status !== 'completed') return { backupId, inserted };
      const retention = await applyRetentionAfterBackup(deps, input.target);
      return { backupId, inserted, ...(retention ? { retention } : {}) };
    },
  };
}

/**
 * Which predictor produced the recorded probability (the live quality monitor joins outcomes to it). Read from the
 * prediction the workflow already passes, so the workflow's commands, and the recorded histories, are unchanged.
 */
export function predictorOf(prediction: Prediction): { predictedBy: 'model' | 'rules'; modelVersion: number | null; predictionThreshold: number | null } {
  const version = Number(prediction.model?.version);
  const byModel = prediction.model?.kind === 'ml' && Number.isInteger(version) && version > 0;
  const threshold = prediction.threshold;
  return {
    predictedBy: byModel ? 'model' : 'rules',
    modelVersion: byModel ? version : null,
    predictionThreshold: typeof threshold === 'number' && threshold > 0 && threshold <= 1 ? threshold : null,
  };
}

/** Why a gate's alerts ended, from its decision. */
function gateResolution(input: RecordRunInput, redactor: typeof FORMAT_ONLY_REDACTOR): string {
  const backup = input.backup ? `; backup ${input.backup.status}` : '';
  switch (input.decision) {
    case 'proceed':
      return `risk fell to ${input.prediction.riskLevel} (${input.prediction.failureProbability})${backup}`;
    case 'approved':
      return `approved${backup}`;
    default:
      return redactor.redact(`${input.decision}: ${input.skipReason ?? 'no backup'}`);
  }
}

export interface RetentionSummary {
  policy: string;
  kept: number;
  pruned: string[];
  error?: string;
}

/**
 * The target's `keep` policy after a successful backup, inside recordBackupRun so the workflow's commands stay as
 * they are (no new activity, no patch). Idempotent (a retry finds the dumps already pruned). A retention failure
 * is logged and reported, never a failed recording: the backup itself succeeded, and the next run or
 * `sentinel backup prune` tries again.
 */
async function applyRetentionAfterBackup(deps: ActivityDeps, targetName: string): Promise<RetentionSummary | undefined> {
  let policy;
  let timeZone = 'UTC';
  try {
    const settings = await deps.loadSettings();
    timeZone = settings.timezone;
    policy = keepPolicyOf(findTarget(settings, targetName));
  } catch {
    return undefined; // a target no longer in sentinel.yaml keeps its dumps
  }
  if (!policy) return undefined;
  try {
    const report = await pruneTargetDumps(deps.db, targetName, policy, { timeZone });
    if (report.pruned.length > 0)
      deps.log.info({ target: targetName, pruned: report.pruned.map((p) => p.backupId), freedBytes: report.freedBytes, policy: report.policy }, 'dumps pruned');
    return { policy: report.policy, kept: report.kept.length, pruned: report.pruned.map((p) => p.backupId) };
  } catch (error) {
    deps.log.warn({ target: targetName, err: (error as Error).message }, 'dump retention failed; the next backup or `sentinel backup prune` retries');
    return { policy: '', kept: 0, pruned: [], error: (error as Error).message };
  }
}

function nullableRedacted(redactor: typeof FORMAT_ONLY_REDACTOR, text: string | null): string | null {
  return text === null ? null : redactor.redact(text);
}
