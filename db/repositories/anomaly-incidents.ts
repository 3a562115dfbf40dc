import type pg from 'pg';
import type { IncidentDecision, StoredIncident } from '../../domain/metrics/incidents.js';
import { incidentAlertDedupeKey } from '../../domain/monitoring/contract.js';
import { incidentWrites } from '../../domain/monitoring/incident-plan.js';

type Queryable = pg.Pool | pg.PoolClient;

export interface IncidentRow extends StoredIncident {
  openedAt: Date;
  lastSeenAt: Date;
  kind: 'run' | 'drift';
  openedBy: string;
  details: Record<string, unknown>;
  closedAt: Date | null;
  closeReason: 'recovered' | 'stale' | null;
  closedByBackupId: string | null;
  createdAt: Date;
}

export interface CheckRow {
  backupId: string;
  target: string;
  startedAt: Date;
  checkedBy: string;
  status: string;
  severity: 'info' | 'warning' | 'critical';
  isAnomaly: boolean;
  findings: unknown[];
}

function toIncident(row: Record<string, unknown>): IncidentRow {
  return {
    incidentId: row.incident_id as string,
    target: row.target as string,
    metric: row.metric as string,
    direction: row.direction as 'above' | 'below',
    kind: row.kind as 'run' | 'drift',
    openedAt: row.opened_at as Date,
    lastSeenAt: row.last_seen_at as Date,
    lastBackupId: row.last_backup_id as string,
    occurrences: Number(row.occurrences),
    openedBy: row.opened_by as string,
    details: (row.details ?? {}) as Record<string, unknown>,
    closedAt: (row.closed_at as Date | null) ?? null,
    closeReason: (row.close_reason as IncidentRow['closeReason']) ?? null,
    closedByBackupId: (row.closed_by_backup_id as string | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

/**
 * Serialises incident bookkeeping per target for the rest of the transaction: a pre-backup check and an hourly
 * scan of the same target must not both open the same incident.
 */
export async function lockTargetIncidents(client: pg.PoolClient, target: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`anomaly-incidents:${target}`]);
}

export async function openIncidents(db: Queryable, target: string): Promise<IncidentRow[]> {
  const result = await db.query('SELECT * FROM anomaly_incidents WHERE target = $1 AND closed_at IS NULL ORDER BY opened_at', [target]);
  return result.rows.map(toIncident);
}

/**
 * The target's incidents (open or closed) opened or last seen at or after `since`: the only stored ones whose IDs
 * a reconciliation of observations from `since` on could reuse, or whose drift observation it could repeat.
 */
export async function incidentsTouchedSince(db: Queryable, target: string, since: Date): Promise<IncidentRow[]> {
  const result = await db.query(
    'SELECT * FROM anomaly_incidents WHERE target = $1 AND (opened_at >= $2 OR last_seen_at >= $2) ORDER BY opened_at, incident_id',
    [target, since],
  );
  return result.rows.map(toIncident);
}

export async function targetsWithOpenIncidents(db: Queryable): Promise<string[]> {
  const result = await db.query('SELECT DISTINCT target FROM anomaly_incidents WHERE closed_at IS NULL ORDER BY target');
  return result.rows.map((r) => r.target as string);
}

export async function countOpenIncidents(db: Queryable, targets: readonly string[]): Promise<number> {
  const result = await db.query('SELECT count(*)::int AS n FROM anomaly_incidents WHERE closed_at IS NULL AND target = ANY($1)', [targets]);
  return Number(result.rows[0].n);
}

/** Start of the target's newest checked run: observations of older runs arrive late and do not move incidents. */
export async function latestCheckedStart(db: Queryable, target: string): Promise<Date | null> {
  const result = await db.query('SELECT max(started_at) AS latest FROM anomaly_checks WHERE target = $1', [target]);
  return (result.rows[0]?.latest as Date | null) ?? null;
}

/** Records checks; returns the backup IDs that were not checked before (only those may move incidents). */
export async function recordChecks(db: Queryable, rows: readonly CheckRow[]): Promise<Set<string>> {
  const fresh = new Set<string>();
  // Batches keep the statement small for a long backfill scan.
  for (let from = 0; from < rows.length; from += 500) {
    const batch = rows.slice(from, from + 500);
    const result = await db.query(
      `INSERT INTO anomaly_checks (backup_id, target, started_at, checked_by, status, severity, is_anomaly, findings)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::jsonb[])
       ON CONFLICT (backup_id) DO NOTHING RETURNING backup_id`,
      [
        batch.map((r) => r.backupId),
        batch.map((r) => r.target),
        batch.map((r) => r.startedAt),
        batch.map((r) => r.checkedBy),
        batch.map((r) => r.status),
        batch.map((r) => r.severity),
        batch.map((r) => r.isAnomaly),
        batch.map((r) => JSON.stringify(r.findings)),
      ],
    );
    for (const row of result.rows) fresh.add(row.backup_id as string);
  }
  return fresh;
}

/**
 * Persists a reconciliation in the order `incidentWrites` gives (never two open rows per target + metric +
 * direction, whatever the decision opened and closed): closes, updates, then the opened incidents (with who
 * opened them and the finding behind each), inserted in their final state. The plan never reuses a stored ID
 * (takenIds), so an insert has no conflict to skip: one would be a bug and fails loudly instead of diverging.
 */
export async function saveIncidentDecision(
  client: pg.PoolClient,
  decision: IncidentDecision,
  context: { openedBy: string; details: (incidentId: string) => { kind: 'run' | 'drift'; details: Record<string, unknown> } },
): Promise<void> {
  for (const write of incidentWrites(decision)) {
    if (write.op === 'close') {
      const { incident, closedAt, reason, closedByBackupId } = write.closed;
      await client.query(
        `UPDATE anomaly_incidents SET closed_at = $2, close_reason = $3, closed_by_backup_id = $4, last_seen_at = $5, last_backup_id = $6, occurrences = $7
         WHERE incident_id = $1 AND closed_at IS NULL`,
        [incident.incidentId, closedAt, reason, closedByBackupId, incident.lastSeenAt, incident.lastBackupId, incident.occurrences],
      );
    } else if (write.op === 'update') {
      const { incident } = write;
      await client.query('UPDATE anomaly_incidents SET last_seen_at = $2, last_backup_id = $3, occurrences = $4 WHERE incident_id = $1 AND closed_at IS NULL', [
        incident.incidentId,
        incident.lastSeenAt,
        incident.lastBackupId,
        incident.occurrences,
      ]);
    } else {
      const { incident, closed } = write;
      const { kind, details } = context.details(incident.incidentId);
      await client.query(
        `INSERT INTO anomaly_incidents (incident_id, target, metric, direction, kind, opened_at, last_seen_at, last_backup_id, occurrences, opened_by, details,
           closed_at, close_reason, closed_by_backup_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
        [
          incident.incidentId,
          incident.target,
          incident.metric,
          incident.direction,
          kind,
          incident.openedAt,
          incident.lastSeenAt,
          incident.lastBackupId,
          incident.occurrences,
          context.openedBy,
          JSON.stringify(details),
          closed?.closedAt ?? null,
          closed?.reason ?? null,
          closed?.closedByBackupId ?? null,
        ],
      );
    }
  }
}

/**
 * Incidents of these targets whose alert is not stored yet and that this caller should send: the ones it opened
 * (also on an activity retry), and, after a grace period, ones whose opener never sent theirs (a week at most).
 */
export async function incidentsAwaitingAlert(db: Queryable, targets: readonly string[], callerId: string, graceMinutes: number): Promise<IncidentRow[]> {
  const result = await db.query(
    `SELECT i.* FROM anomaly_incidents i
      WHERE i.target = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.dedupe_key = $4::text || i.incident_id)
        AND (i.opened_by = $2 OR (i.created_at < now() - make_interval(mins => $3) AND i.created_at > now() - interval '7 days'))
      ORDER BY i.opened_at, i.incident_id`,
    [targets, callerId, graceMinutes, incidentAlertDedupeKey('')],
  );
  return result.rows.map(toIncident);
}

export async function listIncidents(db: Queryable, filter: { target?: string; openOnly?: boolean } = {}): Promise<IncidentRow[]> {
  const result = await db.query(
    `SELECT * FROM anomaly_incidents WHERE ($1::text IS NULL OR target = $1) AND (NOT $2 OR closed_at IS NULL) ORDER BY opened_at, incident_id`,
    [filter.target ?? null, filter.openOnly ?? false],
  );
  return result.rows.map(toIncident);
}
