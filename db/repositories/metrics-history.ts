import type pg from 'pg';
import type { BackupRunRecord } from '../../domain/history/types.js';

/** A finished run as the metrics code reads it; `sizeKnown` is false where the backup kind reports no size. */
export interface MetricRun extends BackupRunRecord {
  sizeKnown: boolean;
}

function toMetricRun(row: Record<string, unknown>): MetricRun {
  return {
    backupId: row.backup_id as string,
    target: row.target as string,
    startedAt: row.started_at as Date,
    status: row.status as 'completed' | 'failed',
    durationSeconds: Number(row.duration_seconds ?? 0),
    sizeBytes: Number(row.size_bytes ?? 0),
    sizeKnown: row.size_bytes !== null && row.size_bytes !== undefined,
  };
}

/**
 * The target's finished runs (completed and failed) that started in [from, before), oldest first. Skipped gates
 * are not backups and are never read here.
 */
export async function finishedRuns(db: pg.Pool, target: string, from: Date, before: Date): Promise<MetricRun[]> {
  const result = await db.query(
    `SELECT backup_id, target, started_at, status, duration_seconds, size_bytes FROM backup_runs
      WHERE target = $1 AND status IN ('completed', 'failed') AND started_at >= $2 AND started_at < $3
      ORDER BY started_at, backup_id`,
    [target, from, before],
  );
  return result.rows.map(toMetricRun);
}

/** The target's latest completed run, or undefined. */
export async function latestCompletedRun(db: pg.Pool, target: string): Promise<MetricRun | undefined> {
  const result = await db.query(
    `SELECT backup_id, target, started_at, status, duration_seconds, size_bytes FROM backup_runs
      WHERE target = $1 AND status = 'completed' ORDER BY started_at DESC, backup_id DESC LIMIT 1`,
    [target],
  );
  return result.rows[0] ? toMetricRun(result.rows[0]) : undefined;
}

/** Targets with a finished run that started in [since, before). */
export async function targetsWithRunsBetween(db: pg.Pool, since: Date, before: Date): Promise<string[]> {
  const result = await db.query(
    `SELECT DISTINCT target FROM backup_runs WHERE status IN ('completed', 'failed') AND started_at >= $1 AND started_at < $2 ORDER BY target`,
    [since, before],
  );
  return result.rows.map((r) => r.target as string);
}

/** Bytes written per UTC day by the target's completed, sized runs (all of its history: the totals are cumulative). */
export async function dailyBackupBytes(db: pg.Pool, target: string, before: Date): Promise<Array<{ day: string; bytes: number }>> {
  const result = await db.query(
    `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum(size_bytes)::float8 AS bytes FROM backup_runs
      WHERE target = $1 AND status = 'completed' AND size_bytes IS NOT NULL AND started_at < $2
      GROUP BY 1 ORDER BY 1`,
    [target, before],
  );
  return result.rows.map((r) => ({ day: r.day as string, bytes: Number(r.bytes) }));
}

/** Completed, sized runs of the target that left an artifact path (runs this service backed up, never imports). */
export async function runsWithArtifacts(db: pg.Pool, target: string, before: Date): Promise<Array<{ day: string; bytes: number; artifactPath: string }>> {
  const result = await db.query(
    `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, size_bytes::float8 AS bytes, artifact_path FROM backup_runs
      WHERE target = $1 AND status = 'completed' AND size_bytes IS NOT NULL AND artifact_path IS NOT NULL AND started_at < $2
      ORDER BY started_at`,
    [target, before],
  );
  return result.rows.map((r) => ({ day: r.day as string, bytes: Number(r.bytes), artifactPath: r.artifact_path as string }));
}

/** The database size the runs reported (GB) over the last `days` days. */
export async function databaseSizeSeries(db: pg.Pool, target: string, before: Date, days: number): Promise<Array<{ at: Date; value: number }>> {
  const result = await db.query(
    `SELECT started_at, database_size_gb FROM backup_runs
      WHERE target = $1 AND database_size_gb IS NOT NULL AND database_size_gb >= 0 AND started_at < $2 AND started_at >= $2::timestamptz - make_interval(days => $3)
      ORDER BY started_at`,
    [target, before, days],
  );
  return result.rows.map((r) => ({ at: r.started_at as Date, value: Number(r.database_size_gb) }));
}

/** Every completed dump of the target with a size and an artifact, pruned or not (retention's input history). */
export async function dumpSizes(db: pg.Pool, target: string, before: Date, limit = 5000): Promise<Array<{ startedAt: Date; bytes: number }>> {
  const result = await db.query(
    `SELECT started_at, size_bytes::float8 AS bytes FROM (
       SELECT started_at, size_bytes FROM backup_runs
        WHERE target = $1 AND status = 'completed' AND size_bytes IS NOT NULL AND artifact_path IS NOT NULL AND started_at < $2
        ORDER BY started_at DESC LIMIT $3) recent
      ORDER BY started_at`,
    [target, before, limit],
  );
  return result.rows.map((r) => ({ startedAt: r.started_at as Date, bytes: Number(r.bytes) }));
}
