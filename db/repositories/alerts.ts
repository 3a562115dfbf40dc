import type pg from 'pg';

export interface AlertRow {
  dedupeKey: string;
  target: string | null;
  workflowId: string | null;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  details: Record<string, unknown>;
}

export interface StoredAlert extends AlertRow {
  id: number;
  incidentKey: string;
  createdAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

type Queryable = pg.Pool | pg.PoolClient;

function toStoredAlert(row: Record<string, unknown>): StoredAlert {
  return {
    id: Number(row.id),
    dedupeKey: row.dedupe_key as string,
    incidentKey: row.incident_key as string,
    target: (row.target as string | null) ?? null,
    workflowId: (row.workflow_id as string | null) ?? null,
    kind: row.kind as string,
    severity: row.severity as AlertRow['severity'],
    message: row.message as string,
    details: (row.details as Record<string, unknown>) ?? {},
    createdAt: row.created_at as Date,
    resolvedAt: (row.resolved_at as Date | null) ?? null,
    resolution: (row.resolution as string | null) ?? null,
  };
}

/** Stores an alert once per dedupe key; returns the stored row and whether this call created it (false on a retry). */
export async function insertAlert(db: Queryable, alert: AlertRow, incidentKey: string): Promise<{ alert: StoredAlert; created: boolean }> {
  const inserted = await db.query(
    `INSERT INTO alerts (dedupe_key, incident_key, target, workflow_id, kind, severity, message, details)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
    [alert.dedupeKey, incidentKey, alert.target, alert.workflowId, alert.kind, alert.severity, alert.message, JSON.stringify(alert.details)],
  );
  if (inserted.rows[0]) return { alert: toStoredAlert(inserted.rows[0]), created: true };
  const existing = await db.query('SELECT * FROM alerts WHERE dedupe_key = $1', [alert.dedupeKey]);
  return { alert: toStoredAlert(existing.rows[0]), created: false };
}

/** Keeps the legacy summary columns current: the first delivery's time, and the latest outcome in words. */
export async function markAlertDelivery(db: Queryable, id: number, status: string, delivered: boolean): Promise<void> {
  await db.query(`UPDATE alerts SET webhook_status = $2, delivered_at = CASE WHEN $3 AND delivered_at IS NULL THEN now() ELSE delivered_at END WHERE id = $1`, [
    id,
    status,
    delivered,
  ]);
}

/**
 * Marks an incident's alerts resolved (the first resolve wins: its time and reason stay) and returns the incident's
 * first alert with the resolution, or undefined when no alert has that incident key. `before` runs first with that
 * alert's id (the caller's resolve deliveries are claimed before the alert stops looking unresolved).
 */
export async function markIncidentResolved(
  db: Queryable,
  incidentKey: string,
  resolution: string,
  before: (firstAlertId: number) => Promise<void> = async () => undefined,
): Promise<StoredAlert | undefined> {
  const first = await db.query(`SELECT id FROM alerts WHERE incident_key = $1 ORDER BY id LIMIT 1`, [incidentKey]);
  if (!first.rows[0]) return undefined;
  await before(Number(first.rows[0].id));
  await db.query(`UPDATE alerts SET resolved_at = now(), resolution = $2 WHERE incident_key = $1 AND resolved_at IS NULL`, [incidentKey, resolution]);
  const row = await db.query(`SELECT * FROM alerts WHERE id = $1`, [first.rows[0].id]);
  return toStoredAlert(row.rows[0]);
}

/** A pending resolve delivery, or an alert not marked resolved: the resolve of that incident is not finished. */
const RESOLVE_UNFINISHED = `(a.resolved_at IS NULL OR EXISTS (
  SELECT 1 FROM alert_deliveries d WHERE d.incident_key = a.incident_key AND d.action = 'resolve' AND d.status = 'pending'))`;

/** Incidents of `kinds` on a target, raised before `before`, whose resolve is not finished (for a later success). */
export async function unresolvedIncidentsOfTarget(db: Queryable, target: string, kinds: readonly string[], before: Date): Promise<string[]> {
  const result = await db.query(
    `SELECT DISTINCT a.incident_key FROM alerts a WHERE a.target = $1 AND a.kind = ANY($2) AND a.created_at <= $3 AND ${RESOLVE_UNFINISHED}
     ORDER BY a.incident_key`,
    [target, kinds, before],
  );
  return result.rows.map((r) => r.incident_key as string);
}

/** Alerted anomaly incidents (of these targets, or all: null) that are closed but whose resolve is not finished. */
export async function closedAnomalyIncidentsToResolve(
  db: Queryable,
  targets: readonly string[] | null,
): Promise<Array<{ incidentKey: string; reason: string }>> {
  const result = await db.query(
    `SELECT DISTINCT a.incident_key, i.close_reason FROM alerts a
       JOIN anomaly_incidents i ON a.dedupe_key = 'anomaly-incident:' || i.incident_id
      WHERE i.closed_at IS NOT NULL AND ($1::text[] IS NULL OR a.target = ANY($1)) AND ${RESOLVE_UNFINISHED}
      ORDER BY a.incident_key`,
    [targets],
  );
  return result.rows.map((r) => ({ incidentKey: r.incident_key as string, reason: r.close_reason as string }));
}

export async function listAlerts(
  db: Queryable,
  filter: { target?: string | undefined; workflowId?: string | undefined; open?: boolean } = {},
): Promise<StoredAlert[]> {
  const result = await db.query(
    `SELECT * FROM alerts WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR workflow_id = $2) AND (NOT $3 OR resolved_at IS NULL) ORDER BY id`,
    [filter.target ?? null, filter.workflowId ?? null, filter.open ?? false],
  );
  return result.rows.map(toStoredAlert);
}
