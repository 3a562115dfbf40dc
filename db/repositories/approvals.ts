import type pg from 'pg';
import type { ApprovalEntry, RecordApprovalsInput } from '../../domain/pre-backup/contract.js';

/** Stores a run's approval entries; an entry already stored (an activity retry) is left as it is. */
export async function insertApprovals(db: pg.Pool, input: RecordApprovalsInput): Promise<number> {
  if (input.entries.length === 0) return 0;
  const values: unknown[] = [];
  const rows = input.entries.map((e: ApprovalEntry, i) => {
    values.push(input.workflowId, input.runId, e.seq, input.target, e.decision, e.by, e.reason ?? null, e.transport, e.via, e.outcome, e.note ?? null, e.at);
    const base = i * 12;
    return `(${Array.from({ length: 12 }, (_, k) => `$${base + k + 1}`).join(',')})`;
  });
  const result = await db.query(
    `INSERT INTO approvals (workflow_id, run_id, seq, target, decision, decided_by, reason, transport, via, outcome, note, decided_at)
     VALUES ${rows.join(',')} ON CONFLICT (workflow_id, run_id, seq) DO NOTHING`,
    values,
  );
  return result.rowCount ?? 0;
}

export interface ApprovalRow {
  workflowId: string;
  runId: string;
  seq: number;
  target: string;
  decision: 'approve' | 'reject';
  by: string;
  reason: string | null;
  transport: 'signal' | 'update';
  via: string;
  outcome: 'accepted' | 'refused' | 'ignored';
  note: string | null;
  decidedAt: string;
}

/** Newest first. */
export async function listApprovals(db: pg.Pool, filter: { target?: string; workflowId?: string; limit?: number } = {}): Promise<ApprovalRow[]> {
  const result = await db.query(
    `SELECT workflow_id, run_id, seq, target, decision, decided_by, reason, transport, via, outcome, note, decided_at
       FROM approvals
      WHERE ($1::text IS NULL OR target = $1) AND ($2::text IS NULL OR workflow_id = $2)
      ORDER BY decided_at DESC, workflow_id, seq DESC
      LIMIT $3`,
    [filter.target ?? null, filter.workflowId ?? null, filter.limit ?? 1000],
  );
  return result.rows.map((r) => ({
    workflowId: r.workflow_id,
    runId: r.run_id,
    seq: r.seq,
    target: r.target,
    decision: r.decision,
    by: r.decided_by,
    reason: r.reason,
    transport: r.transport,
    via: r.via,
    outcome: r.outcome,
    note: r.note,
    decidedAt: new Date(r.decided_at).toISOString(),
  }));
}
