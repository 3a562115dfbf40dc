import type pg from 'pg';
import type { DrillCheckResult, DrillStatus } from '../../domain/drill/contract.js';

/**
 * `restore_drills` and the dump lease. Choosing a drill's dump and pruning dumps both take the target's
 * transaction-level advisory lock (dumpLock), so a dump is either leased by a drill or marked pruned, never both.
 */

export async function dumpLock(client: pg.PoolClient, target: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('sentinel-dumps:' || $1))", [target]);
}

export interface DrillDump {
  backupId: string;
  artifactPath: string;
  sha256: string | null;
  tableCounts: Record<string, number> | null;
  startedAt: Date;
}

export interface DrillRow {
  drillId: string;
  target: string;
  kind: 'postgres' | 'command';
  workflowId: string;
  backupId: string | null;
  artifactPath: string | null;
  artifactSha256: string | null;
  scratchDatabase: string | null;
  status: DrillStatus;
  attempt: number;
  startedAt: Date;
  finishedAt: Date | null;
  leaseUntil: Date | null;
  restoreSeconds: number | null;
  checks: DrillCheckResult[];
  error: string | null;
  cleanedAt: Date | null;
}

function toDrill(row: Record<string, unknown>): DrillRow {
  return {
    drillId: row.drill_id as string,
    target: row.target as string,
    kind: row.kind as DrillRow['kind'],
    workflowId: row.workflow_id as string,
    backupId: (row.backup_id as string | null) ?? null,
    artifactPath: (row.artifact_path as string | null) ?? null,
    artifactSha256: (row.artifact_sha256 as string | null) ?? null,
    scratchDatabase: (row.scratch_database as string | null) ?? null,
    status: row.status as DrillStatus,
    attempt: Number(row.attempt),
    startedAt: row.started_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    leaseUntil: (row.lease_until as Date | null) ?? null,
    restoreSeconds: row.restore_seconds === null || row.restore_seconds === undefined ? null : Number(row.restore_seconds),
    checks: (row.checks as DrillCheckResult[]) ?? [],
    error: (row.error as string | null) ?? null,
    cleanedAt: (row.cleaned_at as Date | null) ?? null,
  };
}

export async function getDrill(db: pg.Pool | pg.PoolClient, drillId: string): Promise<DrillRow | undefined> {
  const result = await db.query('SELECT * FROM restore_drills WHERE drill_id = $1', [drillId]);
  return result.rows[0] ? toDrill(result.rows[0]) : undefined;
}

/**
 * Starts (or, for a retried attempt, resumes) a drill: under the target's dump lock, picks the newest completed dump
 * that is not pruned — a retry keeps the dump its first attempt chose — and writes the row as `running` with a lease
 * that keeps prune away from that dump. A finished row is returned as it is (the activity finished before its
 * worker could report it). `dump` is null for a command target or when there is no dump.
 */
export async function beginDrill(
  pool: pg.Pool,
  input: {
    drillId: string;
    target: string;
    kind: 'postgres' | 'command';
    workflowId: string;
    scratchDatabase: string | null;
    attempt: number;
    leaseMs: number;
  },
): Promise<{ row: DrillRow; dump: DrillDump | null }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await dumpLock(client, input.target);
    const existing = await getDrill(client, input.drillId);
    let dump: DrillDump | null = null;
    if (input.kind === 'postgres') {
      const chosen = existing?.backupId
        ? await client.query(
            `SELECT backup_id, artifact_path, artifact_sha256, table_counts, started_at FROM backup_runs WHERE backup_id = $1 AND artifact_pruned_at IS NULL`,
            [existing.backupId],
          )
        : await client.query(
            `SELECT backup_id, artifact_path, artifact_sha256, table_counts, started_at FROM backup_runs
              WHERE target = $1 AND status = 'completed' AND artifact_path IS NOT NULL AND artifact_pruned_at IS NULL
              ORDER BY started_at DESC, backup_id DESC LIMIT 1`,
            [input.target],
          );
      const row = chosen.rows[0];
      if (row)
        dump = {
          backupId: row.backup_id,
          artifactPath: row.artifact_path,
          sha256: row.artifact_sha256,
          tableCounts: row.table_counts ?? null,
          startedAt: row.started_at,
        };
    }
    if (existing && existing.status !== 'running') {
      await client.query('COMMIT');
      return { row: existing, dump };
    }
    const result = await client.query(
      `INSERT INTO restore_drills (drill_id, target, kind, workflow_id, backup_id, artifact_path, artifact_sha256, scratch_database, status, attempt, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, now() + make_interval(secs => $10))
       ON CONFLICT (drill_id) DO UPDATE SET attempt = EXCLUDED.attempt, lease_until = EXCLUDED.lease_until,
         backup_id = COALESCE(restore_drills.backup_id, EXCLUDED.backup_id),
         artifact_path = COALESCE(restore_drills.artifact_path, EXCLUDED.artifact_path),
         artifact_sha256 = COALESCE(restore_drills.artifact_sha256, EXCLUDED.artifact_sha256)
       RETURNING *`,
      [
        input.drillId,
        input.target,
        input.kind,
        input.workflowId,
        dump?.backupId ?? null,
        dump?.artifactPath ?? null,
        dump?.sha256 ?? null,
        input.scratchDatabase,
        input.attempt,
        input.leaseMs / 1000,
      ],
    );
    await client.query('COMMIT');
    return { row: toDrill(result.rows[0]), dump };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function renewDrillLease(db: pg.Pool, drillId: string, leaseMs: number): Promise<void> {
  await db.query(`UPDATE restore_drills SET lease_until = now() + make_interval(secs => $2) WHERE drill_id = $1 AND status = 'running'`, [
    drillId,
    leaseMs / 1000,
  ]);
}

/** Records the drill's outcome once; a second call (a retry) leaves the first outcome. Releases the lease. */
export async function finishDrill(
  db: pg.Pool,
  drillId: string,
  outcome: { status: 'passed' | 'failed'; restoreSeconds: number | null; checks: DrillCheckResult[]; error: string | null },
): Promise<DrillRow | undefined> {
  const result = await db.query(
    `UPDATE restore_drills SET status = $2, restore_seconds = $3, checks = $4::jsonb, error = $5, finished_at = now(), lease_until = NULL
      WHERE drill_id = $1 AND status = 'running' RETURNING *`,
    [drillId, outcome.status, outcome.restoreSeconds, JSON.stringify(outcome.checks), outcome.error],
  );
  return result.rows[0] ? toDrill(result.rows[0]) : getDrill(db, drillId);
}

export async function markDrillCleaned(db: pg.Pool, drillId: string): Promise<void> {
  await db.query('UPDATE restore_drills SET cleaned_at = COALESCE(cleaned_at, now()) WHERE drill_id = $1', [drillId]);
}

export async function listDrills(db: pg.Pool, options: { target?: string | undefined; limit?: number } = {}): Promise<DrillRow[]> {
  const result = await db.query(`SELECT * FROM restore_drills WHERE ($1::text IS NULL OR target = $1) ORDER BY started_at DESC, drill_id LIMIT $2`, [
    options.target ?? null,
    options.limit ?? 100,
  ]);
  return result.rows.map(toDrill);
}

/** The target's newest finished drill (passed or failed), the risk signal's input. */
export async function lastFinishedDrill(db: pg.Pool, target: string): Promise<DrillRow | undefined> {
  const result = await db.query(
    `SELECT * FROM restore_drills WHERE target = $1 AND status IN ('passed', 'failed') ORDER BY finished_at DESC NULLS LAST, started_at DESC LIMIT 1`,
    [target],
  );
  return result.rows[0] ? toDrill(result.rows[0]) : undefined;
}
