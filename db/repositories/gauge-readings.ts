import type pg from 'pg';

/**
 * Per-target state the Prometheus gauges read at scrape time. A run waits for a decision from its "awaiting
 * approval" alert (the gate's `preventive` alert under the manual policy, or its `escalation`) until its row in
 * backup_runs is written; only the last 30 days count, so a run killed without a row does not wait forever.
 */
export async function awaitingApprovalByTarget(
  db: pg.Pool,
  targets: readonly string[],
): Promise<Array<{ target: string; runs: number; oldestSeconds: number }>> {
  const result = await db.query<{ target: string; runs: string; oldest_seconds: number }>(
    `SELECT a.target, count(DISTINCT a.workflow_id) AS runs, extract(epoch FROM now() - min(a.created_at))::float8 AS oldest_seconds
       FROM alerts a
      WHERE a.target = ANY($1::text[]) AND a.workflow_id IS NOT NULL
        AND a.created_at > now() - interval '30 days'
        AND (a.kind = 'escalation' OR (a.kind = 'preventive' AND a.message LIKE '%awaiting approval'))
        AND NOT EXISTS (SELECT 1 FROM backup_runs b WHERE b.workflow_id = a.workflow_id)
      GROUP BY a.target`,
    [targets],
  );
  return result.rows.map((r) => ({ target: r.target, runs: Number(r.runs), oldestSeconds: Math.max(0, r.oldest_seconds) }));
}
