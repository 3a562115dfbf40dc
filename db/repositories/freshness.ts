import type pg from 'pg';

type Queryable = pg.Pool | pg.PoolClient;

export const STALE_BACKUP = 'stale-backup';
export const staleAlertKey = (incidentId: number): string => `stale-backup:${incidentId}`;
export const resolvedAlertKey = (incidentId: number): string => `stale-backup-resolved:${incidentId}`;

/** The newest successful and the newest finished run of one target (null when it has none). */
export interface TargetRunSummary {
  target: string;
  lastSuccessId: string | null;
  /** Start of the newest completed run: a dump holds the data as of its start, so the RPO counts from there. */
  lastSuccessAt: Date | null;
  lastAttemptAt: Date | null;
  lastAttemptStatus: 'completed' | 'failed' | null;
}

/**
 * One statement for every target: per target, two index descents (the partial index on completed runs from
 * migration 0007, and backup_runs_target_started), so the cost grows with the number of targets, not of runs.
 */
export async function runSummaries(db: Queryable, targets: readonly string[]): Promise<TargetRunSummary[]> {
  if (targets.length === 0) return [];
  const result = await db.query(
    `SELECT t.target, s.backup_id AS last_success_id, s.started_at AS last_success_at, a.started_at AS last_attempt_at, a.status AS last_attempt_status
       FROM unnest($1::text[]) AS t(target)
       LEFT JOIN LATERAL (SELECT backup_id, started_at FROM backup_runs r
                           WHERE r.target = t.target AND r.status = 'completed' ORDER BY r.started_at DESC LIMIT 1) s ON true
       LEFT JOIN LATERAL (SELECT started_at, status FROM backup_runs r
                           WHERE r.target = t.target AND r.status IN ('completed', 'failed') ORDER BY r.started_at DESC LIMIT 1) a ON true`,
    [targets],
  );
  return result.rows.map((row) => ({
    target: row.target as string,
    lastSuccessId: (row.last_success_id as string | null) ?? null,
    lastSuccessAt: (row.last_success_at as Date | null) ?? null,
    lastAttemptAt: (row.last_attempt_at as Date | null) ?? null,
    lastAttemptStatus: (row.last_attempt_status as TargetRunSummary['lastAttemptStatus']) ?? null,
  }));
}

export interface FreshnessIncident {
  id: number;
  target: string;
  kind: typeof STALE_BACKUP;
  openedAt: Date;
  openedBy: string;
  maxAgeSeconds: number;
  lastSuccessId: string | null;
  lastSuccessAt: Date | null;
  details: Record<string, unknown>;
  closedAt: Date | null;
  closeReason: 'recovered' | 'unmonitored' | null;
  closedBy: string | null;
  closedByBackupId: string | null;
}

function toIncident(row: Record<string, unknown>): FreshnessIncident {
  return {
    id: Number(row.id),
    target: row.target as string,
    kind: row.kind as typeof STALE_BACKUP,
    openedAt: row.opened_at as Date,
    openedBy: row.opened_by as string,
    maxAgeSeconds: Number(row.max_age_seconds),
    lastSuccessId: (row.last_success_id as string | null) ?? null,
    lastSuccessAt: (row.last_success_at as Date | null) ?? null,
    details: (row.details ?? {}) as Record<string, unknown>,
    closedAt: (row.closed_at as Date | null) ?? null,
    closeReason: (row.close_reason as FreshnessIncident['closeReason']) ?? null,
    closedBy: (row.closed_by as string | null) ?? null,
    closedByBackupId: (row.closed_by_backup_id as string | null) ?? null,
  };
}

export async function openFreshnessIncidents(db: Queryable, target?: string): Promise<FreshnessIncident[]> {
  const result = await db.query(`SELECT * FROM freshness_incidents WHERE closed_at IS NULL AND ($1::text IS NULL OR target = $1) ORDER BY opened_at, id`, [
    target ?? null,
  ]);
  return result.rows.map(toIncident);
}

export async function listFreshnessIncidents(db: Queryable, filter: { target?: string } = {}): Promise<FreshnessIncident[]> {
  const result = await db.query(`SELECT * FROM freshness_incidents WHERE ($1::text IS NULL OR target = $1) ORDER BY opened_at, id`, [filter.target ?? null]);
  return result.rows.map(toIncident);
}

/**
 * Opens a stale-backup incident unless one is open for the target already (the partial unique index decides, so
 * two overlapping checks or a retried activity cannot open two). Returns the new incident, or null.
 */
export async function openStaleIncident(
  db: Queryable,
  incident: {
    target: string;
    openedAt: Date;
    openedBy: string;
    maxAgeSeconds: number;
    lastSuccessId: string | null;
    lastSuccessAt: Date | null;
    details: Record<string, unknown>;
  },
): Promise<FreshnessIncident | null> {
  const result = await db.query(
    `INSERT INTO freshness_incidents (target, kind, opened_at, opened_by, max_age_seconds, last_success_id, last_success_at, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (target, kind) WHERE closed_at IS NULL DO NOTHING RETURNING *`,
    [
      incident.target,
      STALE_BACKUP,
      incident.openedAt,
      incident.openedBy,
      incident.maxAgeSeconds,
      incident.lastSuccessId,
      incident.lastSuccessAt,
      JSON.stringify(incident.details),
    ],
  );
  return result.rows[0] ? toIncident(result.rows[0]) : null;
}

/** Closes an open incident; returns false when it was closed already (a retry, or another check). */
export async function closeFreshnessIncident(
  db: Queryable,
  close: { id: number; closedAt: Date; reason: 'recovered' | 'unmonitored'; closedBy: string; closedByBackupId: string | null },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE freshness_incidents SET closed_at = $2, close_reason = $3, closed_by = $4, closed_by_backup_id = $5 WHERE id = $1 AND closed_at IS NULL`,
    [close.id, close.closedAt, close.reason, close.closedBy, close.closedByBackupId],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * Incidents whose alert this caller should send, oldest first: open ones without a stored `stale-backup:<id>`
 * alert, and ones recovered in the last week without a stored `stale-backup-resolved:<id>` alert. Each is this
 * caller's (it opened or closed it: also on an activity retry), or, after `graceMinutes`, anybody's whose caller
 * never sent it (a check killed between the write and the alert). The alert's dedupe key makes a send idempotent.
 */
export async function incidentsAwaitingAlert(
  db: Queryable,
  callerId: string,
  graceMinutes: number,
  limit: number,
): Promise<{ opened: FreshnessIncident[]; resolved: FreshnessIncident[] }> {
  const opened = await db.query(
    `SELECT i.* FROM freshness_incidents i
      WHERE i.closed_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.dedupe_key = 'stale-backup:' || i.id)
        AND (i.opened_by = $1 OR i.opened_at < now() - make_interval(mins => $2))
      ORDER BY i.opened_at, i.id LIMIT $3`,
    [callerId, graceMinutes, limit],
  );
  const resolved = await db.query(
    `SELECT i.* FROM freshness_incidents i
      WHERE i.close_reason = 'recovered' AND i.closed_at > now() - interval '7 days'
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.dedupe_key = 'stale-backup-resolved:' || i.id)
        AND (i.closed_by = $1 OR i.closed_at < now() - make_interval(mins => $2))
      ORDER BY i.closed_at, i.id LIMIT $3`,
    [callerId, graceMinutes, limit],
  );
  return { opened: opened.rows.map(toIncident), resolved: resolved.rows.map(toIncident) };
}

/** What the Prometheus collector and `sentinel status` read per target, in one statement. */
export interface TargetBackupFigures extends TargetRunSummary {
  /** Bytes of the completed runs that left an artifact (dumps and archives Sentinel wrote), not pruned since. */
  retainedBytes: number;
  retainedArtifacts: number;
}

export async function targetBackupFigures(db: Queryable, targets: readonly string[]): Promise<TargetBackupFigures[]> {
  if (targets.length === 0) return [];
  // Dump retention (migration 0010) marks pruned artifacts; on a database without that column every artifact counts.
  const pruning = await db.query(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'backup_runs' AND column_name = 'artifact_pruned_at') AS yes`,
  );
  const notPruned = pruning.rows[0].yes ? 'AND artifact_pruned_at IS NULL' : '';
  const [summaries, retained] = await Promise.all([
    runSummaries(db, targets),
    db.query(
      `SELECT target, coalesce(sum(size_bytes), 0)::float8 AS bytes, count(*)::int AS artifacts FROM backup_runs
        WHERE target = ANY($1) AND status = 'completed' AND artifact_path IS NOT NULL ${notPruned} GROUP BY target`,
      [targets],
    ),
  ]);
  const byTarget = new Map(retained.rows.map((r) => [r.target as string, { bytes: Number(r.bytes), artifacts: Number(r.artifacts) }]));
  return summaries.map((s) => ({ ...s, retainedBytes: byTarget.get(s.target)?.bytes ?? 0, retainedArtifacts: byTarget.get(s.target)?.artifacts ?? 0 }));
}

/** Open incidents per target and kind: anomaly incidents (`anomaly`, `anomaly-drift`) and freshness ones. */
export async function openIncidentCounts(db: Queryable, targets: readonly string[]): Promise<Array<{ target: string; kind: string; count: number }>> {
  if (targets.length === 0) return [];
  const result = await db.query(
    `SELECT target, CASE kind WHEN 'drift' THEN 'anomaly-drift' ELSE 'anomaly' END AS kind, count(*)::int AS n
       FROM anomaly_incidents WHERE closed_at IS NULL AND target = ANY($1) GROUP BY 1, 2
     UNION ALL
     SELECT target, kind, count(*)::int FROM freshness_incidents WHERE closed_at IS NULL AND target = ANY($1) GROUP BY 1, 2`,
    [targets],
  );
  return result.rows.map((r) => ({ target: r.target as string, kind: r.kind as string, count: Number(r.n) }));
}

export const INCIDENT_KINDS = ['anomaly', 'anomaly-drift', STALE_BACKUP] as const;
