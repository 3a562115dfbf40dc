import type pg from 'pg';

type Queryable = pg.Pool | pg.PoolClient;

export type DeliveryStatus = 'pending' | 'delivered' | 'rejected' | 'failed';
export type DeliveryAction = 'trigger' | 'resolve';

export interface DeliveryRow {
  id: number;
  alertId: number;
  dedupe: string;
  incidentKey: string;
  action: DeliveryAction;
  channel: string;
  channelKind: string;
  status: DeliveryStatus;
  httpStatus: number | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
}

function toRow(row: Record<string, unknown>): DeliveryRow {
  return {
    id: Number(row.id),
    alertId: Number(row.alert_id),
    dedupe: row.dedupe as string,
    incidentKey: row.incident_key as string,
    action: row.action as DeliveryAction,
    channel: row.channel as string,
    channelKind: row.channel_kind as string,
    status: row.status as DeliveryStatus,
    httpStatus: row.http_status === null ? null : Number(row.http_status),
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
    createdAt: row.created_at as Date,
    lastAttemptAt: (row.last_attempt_at as Date | null) ?? null,
    deliveredAt: (row.delivered_at as Date | null) ?? null,
  };
}

/** The delivery of `dedupe` to `channel`: created pending on first sight, else the row as it stands (a retry). */
export async function claimDelivery(
  db: Queryable,
  delivery: { alertId: number; dedupe: string; incidentKey: string; action: DeliveryAction; channel: string; channelKind: string },
): Promise<DeliveryRow> {
  const result = await db.query(
    `INSERT INTO alert_deliveries (alert_id, dedupe, incident_key, action, channel, channel_kind, status)
     VALUES ($1,$2,$3,$4,$5,$6,'pending')
     ON CONFLICT (dedupe, channel) DO UPDATE SET channel_kind = alert_deliveries.channel_kind
     RETURNING *`,
    [delivery.alertId, delivery.dedupe, delivery.incidentKey, delivery.action, delivery.channel, delivery.channelKind],
  );
  return toRow(result.rows[0]);
}

/**
 * Takes the row for delivery until `seconds` from now (database time), if it is pending and nobody else holds it;
 * undefined when another activity is delivering it or it is finished.
 */
export async function leaseDelivery(db: Queryable, id: number, seconds: number): Promise<DeliveryRow | undefined> {
  const result = await db.query(
    `UPDATE alert_deliveries SET lease_until = now() + make_interval(secs => $2)
      WHERE id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
      RETURNING *`,
    [id, seconds],
  );
  return result.rows[0] ? toRow(result.rows[0]) : undefined;
}

/** One HTTP attempt's outcome; `status` stays `pending` while more attempts follow. */
export async function recordAttempt(
  db: Queryable,
  id: number,
  outcome: { status: DeliveryStatus; httpStatus: number | null; error: string | null },
): Promise<void> {
  await db.query(
    `UPDATE alert_deliveries SET attempts = attempts + 1, last_attempt_at = now(), status = $2, http_status = $3,
            last_error = $4, delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
      WHERE id = $1`,
    [id, outcome.status, outcome.httpStatus, outcome.error],
  );
}

/** Ends a delivery without another attempt (its attempts used up by earlier activity attempts). */
export async function finishDelivery(db: Queryable, id: number, status: DeliveryStatus): Promise<void> {
  await db.query(`UPDATE alert_deliveries SET status = $2 WHERE id = $1 AND status = 'pending'`, [id, status]);
}

/** The channels an incident's trigger reached (delivered at least once): its resolve goes to the same ones. */
export async function channelsReachedBy(db: Queryable, incidentKey: string): Promise<string[]> {
  const result = await db.query(
    `SELECT DISTINCT channel FROM alert_deliveries WHERE incident_key = $1 AND action = 'trigger' AND status = 'delivered' ORDER BY channel`,
    [incidentKey],
  );
  return result.rows.map((r) => r.channel as string);
}

export async function deliveriesOf(db: Queryable, alertIds: readonly number[]): Promise<DeliveryRow[]> {
  if (alertIds.length === 0) return [];
  const result = await db.query(`SELECT * FROM alert_deliveries WHERE alert_id = ANY($1) ORDER BY alert_id, id`, [alertIds]);
  return result.rows.map(toRow);
}
