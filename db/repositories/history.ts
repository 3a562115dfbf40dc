/**
 * Backup history in bulk: imports (batched multi-row INSERT from arrays, idempotent on backup_id), the whole
 * history for training (one consistent snapshot, streamed in pages into columns), and the slices of one target's
 * history that live prediction and backtests need. Single-run inserts stay in backup-runs.ts.
 */
import type pg from 'pg';
import type { BackupRunRecord } from '../../domain/history/types.js';
import type { ImportedRun } from '../../domain/models/history-row.js';
import { historyColumnsBuilder, type HistoryColumns } from '../../domain/models/history-columns.js';
import { toRecord } from './backup-runs.js';

/** The batch as rows, the same expressions for the insert and for comparing a skipped row with the stored one. */
const IMPORT_ROWS = `SELECT i AS backup_id, t AS target, to_timestamp(s / 1000.0) AS started_at, to_timestamp((s + d * 1000) / 1000.0) AS ended_at,
         st AS status, d AS duration_seconds, b AS size_bytes, g AS database_size_gb, f AS free_space_gb, ed AS estimated_duration,
         es AS estimated_size, e AS error_message, h AS hour_of_day, w AS day_of_week, p AS previous_success_rate
    FROM json_to_recordset($1::json) AS x(i text, t text, s float8, st text, d float8, b bigint, g float8, f float8,
         ed float8, es float8, e text, h smallint, w smallint, p float8)`;

/** What a history file says about a run: the columns an imported row must match to be "already present". */
const CONTENT_COLUMNS = [
  'target',
  'started_at',
  'status',
  'duration_seconds',
  'size_bytes',
  'database_size_gb',
  'free_space_gb',
  'estimated_duration',
  'estimated_size',
  'error_message',
  'hour_of_day',
  'day_of_week',
  'previous_success_rate',
] as const;

export interface ImportedBatchResult {
  inserted: number;
  /**
   * IDs of the skipped rows whose stored row (or an earlier row of the same ID) differs in content: not stored, not
   * "already present". One entry per such row, in ID order.
   */
  conflicts: string[];
}

/**
 * Inserts imported runs (source 'import'); rows whose backup_id exists already (in the table or earlier in the
 * batch) are skipped, and each skipped row is compared with the stored one: a row that differs is a conflict
 * (data the user asked to store that was not stored), one that matches is already present.
 *
 * The batch travels as one JSON parameter expanded by json_to_recordset: serialising it is a single native
 * JSON.stringify, where array parameters cost pg an escaping pass per element (most of an import's CPU time).
 * Times travel as epoch milliseconds. The comparison is a second statement so that it sees rows a concurrent
 * batch committed while the insert waited for them (the insert's own snapshot does not).
 */
export async function insertImportedRuns(db: pg.Pool | pg.PoolClient, runs: readonly ImportedRun[]): Promise<ImportedBatchResult> {
  if (runs.length === 0) return { inserted: 0, conflicts: [] };
  const rows = new Array<unknown>(runs.length);
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i] as ImportedRun;
    rows[i] = {
      i: r.backupId,
      t: r.target,
      s: r.startedAt.getTime(),
      st: r.status,
      d: r.durationSeconds,
      b: r.sizeBytes,
      g: r.databaseSizeGb ?? null,
      f: r.freeSpaceGb ?? null,
      ed: r.estimatedDuration ?? null,
      es: r.estimatedSize ?? null,
      e: r.errorMessage ?? null,
      h: r.hourOfDay,
      w: r.dayOfWeek,
      p: r.previousSuccessRate,
    };
  }
  const json = JSON.stringify(rows);
  const result = await db.query(
    `INSERT INTO backup_runs (backup_id, target, started_at, ended_at, status, duration_seconds, size_bytes,
       database_size_gb, free_space_gb, estimated_duration, estimated_size, error_message, hour_of_day, day_of_week,
       previous_success_rate, source)
     SELECT *, 'import' FROM (${IMPORT_ROWS}) AS batch
     ON CONFLICT (backup_id) DO NOTHING`,
    [json],
  );
  const inserted = result.rowCount ?? 0;
  if (inserted === runs.length) return { inserted, conflicts: [] };
  // Every row of the batch against the stored row of its ID: an inserted row is that row, so only skipped rows
  // that differ (from an older row, or from an earlier row of the same ID in the file) show up.
  const differs = CONTENT_COLUMNS.map((c) => `stored.${c} IS DISTINCT FROM batch.${c}`).join(' OR ');
  const skipped = await db.query(
    `SELECT batch.backup_id FROM (${IMPORT_ROWS}) AS batch JOIN backup_runs stored ON stored.backup_id = batch.backup_id
      WHERE ${differs} ORDER BY batch.backup_id COLLATE "C"`,
    [json],
  );
  return { inserted, conflicts: skipped.rows.map((r) => r.backup_id as string) };
}

export interface HistorySummary {
  runs: number;
  failures: number;
  targets: number;
  from: Date | null;
  to: Date | null;
}

/** Counts of the finished runs (completed or failed) that make up the training history. */
export async function historySummary(db: pg.Pool): Promise<HistorySummary> {
  const r = await db.query(
    `SELECT count(*)::int AS runs, count(*) FILTER (WHERE status = 'failed')::int AS failures,
            count(DISTINCT target)::int AS targets, min(started_at) AS "from", max(started_at) AS "to"
       FROM backup_runs WHERE status IN ('completed', 'failed')`,
  );
  const row = r.rows[0];
  return { runs: row.runs, failures: row.failures, targets: row.targets, from: row.from, to: row.to };
}

const PAGE_ROWS = 50_000;

/**
 * Every finished run, as columns (about 60 bytes a run instead of a few hundred as objects), read through a
 * cursor inside one REPEATABLE READ transaction, so runs recorded while it reads cannot tear the snapshot.
 */
export async function loadHistoryColumns(db: pg.Pool, onProgress?: (rowsRead: number) => void): Promise<HistoryColumns> {
  const client = await db.connect();
  const builder = historyColumnsBuilder();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `DECLARE history_cursor NO SCROLL CURSOR FOR
         SELECT target, (extract(epoch FROM started_at) * 1000)::float8, status = 'failed', duration_seconds, size_bytes::float8,
                database_size_gb, free_space_gb, estimated_duration, estimated_size
           FROM backup_runs WHERE status IN ('completed', 'failed') ORDER BY started_at, backup_id`,
    );
    for (;;) {
      const page = await client.query({ text: `FETCH ${PAGE_ROWS} FROM history_cursor`, rowMode: 'array' });
      for (const row of page.rows as unknown[][]) {
        builder.add(
          row[0] as string,
          Number(row[1]),
          row[2] === true,
          row[3] === null ? 0 : Number(row[3]),
          row[4] === null ? 0 : Number(row[4]),
          row[5] as number | null,
          row[6] as number | null,
          row[7] as number | null,
          row[8] as number | null,
        );
      }
      onProgress?.(builder.size);
      if (page.rows.length < PAGE_ROWS) break;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return builder.build();
}

const HISTORY_SELECT = `backup_id, target, started_at, status, duration_seconds, size_bytes, database_size_gb,
  free_space_gb, estimated_duration, estimated_size, error_message`;

/**
 * Everything of one target's history that the feature pipeline can use for a run starting at `before`: runs of the
 * last 31 days (the longest window is 30 days: hours since the last success) plus the 60 newest runs and the 30
 * newest successes whatever their age (run-count windows and typical size/duration, with margin for overlaps).
 */
export async function historyForFeatures(db: pg.Pool, target: string, before: Date): Promise<BackupRunRecord[]> {
  const result = await db.query(
    `SELECT ${HISTORY_SELECT} FROM backup_runs
      WHERE target = $1 AND status IN ('completed', 'failed') AND started_at < $2 AND started_at >= $2 - interval '31 days'
     UNION
     (SELECT ${HISTORY_SELECT} FROM backup_runs
       WHERE target = $1 AND status IN ('completed', 'failed') AND started_at < $2 ORDER BY started_at DESC LIMIT 60)
     UNION
     (SELECT ${HISTORY_SELECT} FROM backup_runs
       WHERE target = $1 AND status = 'completed' AND started_at < $2 ORDER BY started_at DESC LIMIT 30)`,
    [target, before],
  );
  return result.rows.map(toRecord);
}

/**
 * Stored runs of the given targets that started before `before`, without the given backup_ids (a backtest file's
 * own rows: a stored copy of a row must not reveal its outcome to itself).
 */
export async function historyOfTargets(db: pg.Pool, targets: readonly string[], before: Date, excludeBackupIds: readonly string[]): Promise<BackupRunRecord[]> {
  if (targets.length === 0) return [];
  const result = await db.query(
    `SELECT ${HISTORY_SELECT} FROM backup_runs
      WHERE target = ANY($1::text[]) AND status IN ('completed', 'failed') AND started_at < $2
        AND NOT (backup_id = ANY($3::text[]))`,
    [targets, before, excludeBackupIds],
  );
  return result.rows.map(toRecord);
}

/** Which of these targets have any stored history. */
export async function knownHistoryTargets(db: pg.Pool): Promise<string[]> {
  const r = await db.query(`SELECT DISTINCT target FROM backup_runs ORDER BY target`);
  return r.rows.map((row) => row.target as string);
}

/**
 * The team's failure rate at `before` as the feature pipeline defines it (team_failure_rate_90_days in
 * domain/ml/features.ts): failed share of every target's finished runs that ended in (before - 90 days, before).
 * -1 when there were none. A missing duration counts as zero, as in the pipeline.
 */
export async function teamFailureRateForFeatures(db: pg.Pool, before: Date): Promise<number> {
  const result = await db.query<{ runs: string; failures: string }>(
    `SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failures FROM backup_runs
      WHERE status IN ('completed', 'failed') AND started_at < $1
        AND started_at + COALESCE(duration_seconds, 0) * interval '1 second' < $1
        AND started_at + COALESCE(duration_seconds, 0) * interval '1 second' > $1 - interval '90 days'`,
    [before],
  );
  const runs = Number(result.rows[0]?.runs ?? 0);
  return runs === 0 ? -1 : Number(result.rows[0]?.failures ?? 0) / runs;
}
