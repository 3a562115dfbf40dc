import type pg from 'pg';
import type { BackupRunRecord } from '../../domain/history/types.js';

export interface BackupRunRow {
  backupId: string;
  target: string;
  startedAt: Date;
  endedAt: Date | null;
  status: 'completed' | 'failed' | 'skipped';
  durationSeconds: number | null;
  sizeBytes: number | null;
  databaseSizeGb?: number | null;
  freeSpaceGb?: number | null;
  estimatedDuration?: number | null;
  estimatedSize?: number | null;
  errorMessage?: string | null;
  workflowId?: string | null;
  workflowRunId?: string | null;
  decision?: string | null;
  failureProbability?: number | null;
  riskLevel?: string | null;
  artifactPath?: string | null;
  artifactSha256?: string | null;
  tableCounts?: Record<string, number> | null;
  source?: 'sentinel' | 'import';
  /** Which predictor produced failureProbability: a model version, or the rules (migration 0012). */
  predictedBy?: 'model' | 'rules' | null;
  modelVersion?: number | null;
  predictionThreshold?: number | null;
}

/** Inserts one run; a second insert of the same backup_id (an activity retry) changes nothing. Returns true if new. */
export async function insertBackupRun(db: pg.Pool | pg.PoolClient, run: BackupRunRow): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO backup_runs (backup_id, target, started_at, ended_at, status, duration_seconds, size_bytes,
       database_size_gb, free_space_gb, estimated_duration, estimated_size, error_message, hour_of_day, day_of_week,
       workflow_id, workflow_run_id, decision, failure_probability, risk_level, artifact_path, artifact_sha256, source, table_counts,
       predicted_by, model_version, prediction_threshold)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,EXTRACT(HOUR FROM $3::timestamptz AT TIME ZONE 'UTC'),
       EXTRACT(DOW FROM $3::timestamptz AT TIME ZONE 'UTC'),$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)
     ON CONFLICT DO NOTHING`,
    [
      run.backupId,
      run.target,
      run.startedAt,
      run.endedAt,
      run.status,
      run.durationSeconds,
      run.sizeBytes,
      run.databaseSizeGb ?? null,
      run.freeSpaceGb ?? null,
      run.estimatedDuration ?? null,
      run.estimatedSize ?? null,
      run.errorMessage ?? null,
      run.workflowId ?? null,
      run.workflowRunId ?? null,
      run.decision ?? null,
      run.failureProbability ?? null,
      run.riskLevel ?? null,
      run.artifactPath ?? null,
      run.artifactSha256 ?? null,
      run.source ?? 'sentinel',
      run.tableCounts ? JSON.stringify(run.tableCounts) : null,
      run.predictedBy ?? null,
      run.predictedBy === 'model' ? (run.modelVersion ?? null) : null,
      run.predictionThreshold ?? null,
    ],
  );
  return (result.rowCount ?? 0) > 0;
}

const HISTORY_COLUMNS = `backup_id, target, started_at, status, duration_seconds, size_bytes, database_size_gb,
  free_space_gb, estimated_duration, estimated_size, error_message`;

/** The target's finished backups (completed or failed) that started before `before`, newest first. */
export async function recentHistory(db: pg.Pool, target: string, before: Date, limit = 200): Promise<BackupRunRecord[]> {
  const result = await db.query(
    `SELECT ${HISTORY_COLUMNS} FROM backup_runs
      WHERE target = $1 AND status IN ('completed', 'failed') AND started_at < $2
      ORDER BY started_at DESC LIMIT $3`,
    [target, before, limit],
  );
  return result.rows.map(toRecord);
}

export async function getBackupRun(db: pg.Pool, backupId: string): Promise<Record<string, unknown> | undefined> {
  const result = await db.query('SELECT * FROM backup_runs WHERE backup_id = $1', [backupId]);
  return result.rows[0];
}

export function toRecord(row: Record<string, unknown>): BackupRunRecord {
  return {
    backupId: row.backup_id as string,
    target: row.target as string,
    startedAt: row.started_at as Date,
    status: row.status as BackupRunRecord['status'],
    durationSeconds: Number(row.duration_seconds ?? 0),
    sizeBytes: Number(row.size_bytes ?? 0),
    databaseSizeGb: row.database_size_gb as number | null,
    freeSpaceGb: row.free_space_gb as number | null,
    estimatedDuration: row.estimated_duration as number | null,
    estimatedSize: row.estimated_size as number | null,
    errorMessage: row.error_message as string | null,
  };
}

/**
 * The team's finished runs (every target) that ended by `endedBy` and started within `lookbackDays` before it, newest
 * first, at most `limit`: what the rules are calibrated on (domain/risk/rules-calibration.ts).
 */
export async function teamHistoryForCalibration(db: pg.Pool, endedBy: Date, lookbackDays: number, limit: number): Promise<BackupRunRecord[]> {
  const result = await db.query(
    `SELECT ${HISTORY_COLUMNS} FROM backup_runs
      WHERE status IN ('completed', 'failed') AND started_at >= $1::timestamptz - make_interval(days => $2::int)
        AND started_at + make_interval(secs => coalesce(duration_seconds, 0)) <= $1
      ORDER BY started_at DESC LIMIT $3`,
    [endedBy, lookbackDays, limit],
  );
  return result.rows.map(toRecord);
}
