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

/** Stores an alert once per dedupe key; returns the row id and whether it was new (false on an activity retry). */
export async function insertAlert(db: pg.Pool, alert: AlertRow): Promise<{ id: number; created: boolean; delivered: boolean }> {
  const inserted = await db.query(
    `INSERT INTO alerts (dedupe_key, target, workflow_id, kind, severity, message, details)
     VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [alert.dedupeKey, alert.target, alert.workflowId, alert.kind, alert.severity, alert.message, JSON.stringify(alert.details)],
  );
  if (inserted.rows[0]) return { id: Number(inserted.rows[0].id), created: true, delivered: false };
  const existing = await db.query('SELECT id, delivered_at FROM alerts WHERE dedupe_key = $1', [alert.dedupeKey]);
  return { id: Number(existing.rows[0].id), created: false, delivered: existing.rows[0].delivered_at !== null };
}

export async function markAlertDelivery(db: pg.Pool, id: number, status: string, delivered: boolean): Promise<void> {
  await db.query(`UPDATE alerts SET webhook_status = $2, delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END WHERE id = $1`, [id, status, delivered]);
}

export async function listAlerts(db: pg.Pool, filter: { target?: string; workflowId?: string } = {}): Promise<Record<string, unknown>[]> {
  const result = await db.query(`SELECT * FROM alerts WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR workflow_id = $2) ORDER BY id`, [
    filter.target ?? null,
    filter.workflowId ?? null,
  ]);
  return result.rows;
}
