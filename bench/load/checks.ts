import type pg from 'pg';
import type { ExecutionRecord } from './executions.js';

/** What the database recorded for a set of workflow IDs (backup_runs: one row per workflow run). */
export interface RecordedRuns {
  rows: number;
  workflowIdsWithRows: number;
  /** Workflow IDs with more than one row (a run recorded twice, or a duplicate start that ran); first 10 listed. */
  duplicatedCount: number;
  duplicated: string[];
  missingCount: number;
  missing: string[];
  statuses: Record<string, number>;
}

export async function recordedRuns(db: pg.Pool, workflowIds: readonly string[]): Promise<RecordedRuns> {
  const result = await db.query<{ workflow_id: string; rows: string; statuses: string[] }>(
    `SELECT workflow_id, count(*) AS rows, array_agg(status) AS statuses
       FROM backup_runs WHERE workflow_id = ANY($1::text[]) GROUP BY workflow_id`,
    [workflowIds],
  );
  const seen = new Set<string>();
  const statuses: Record<string, number> = {};
  let rows = 0;
  const duplicated: string[] = [];
  for (const row of result.rows) {
    seen.add(row.workflow_id);
    rows += Number(row.rows);
    if (Number(row.rows) > 1) duplicated.push(row.workflow_id);
    for (const status of row.statuses) statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const missing = workflowIds.filter((id) => !seen.has(id));
  return {
    rows,
    workflowIdsWithRows: seen.size,
    duplicatedCount: duplicated.length,
    duplicated: duplicated.slice(0, 10),
    missingCount: missing.length,
    missing: missing.slice(0, 10),
    statuses,
  };
}

export interface RunChecks {
  expectedRuns: number;
  executions: number;
  completed: number;
  /** Executions per status other than COMPLETED. */
  notCompleted: Record<string, number>;
  /** Workflow IDs listed more than once on the task queue (a second execution of the same logical run). */
  executionsWithSameWorkflowId: number;
  /** Expected IDs the server does not list, and listed IDs nobody asked for. */
  missingExecutions: number;
  unexpectedExecutions: number;
  decisions: Record<string, number>;
  recorded: RecordedRuns;
  pass: boolean;
  problems: string[];
}

/** All expected runs completed, exactly once each, and each has exactly one backup_runs row. */
export function checkRuns(expectedIds: readonly string[], executions: readonly ExecutionRecord[], recorded: RecordedRuns): RunChecks {
  const expected = new Set(expectedIds);
  const listed = new Map<string, number>();
  const notCompleted: Record<string, number> = {};
  const decisions: Record<string, number> = {};
  for (const e of executions) {
    listed.set(e.workflowId, (listed.get(e.workflowId) ?? 0) + 1);
    if (e.status !== 'COMPLETED') notCompleted[e.status] = (notCompleted[e.status] ?? 0) + 1;
    const decision = e.decision ?? 'none';
    decisions[decision] = (decisions[decision] ?? 0) + 1;
  }
  const completed = executions.filter((e) => e.status === 'COMPLETED').length;
  const executionsWithSameWorkflowId = [...listed.values()].filter((n) => n > 1).length;
  const missingExecutions = expectedIds.filter((id) => !listed.has(id)).length;
  const unexpectedExecutions = [...listed.keys()].filter((id) => !expected.has(id)).length;

  const problems: string[] = [];
  if (executions.length !== expectedIds.length) problems.push(`${executions.length} executions listed, ${expectedIds.length} expected`);
  if (completed !== expectedIds.length) problems.push(`${completed} of ${expectedIds.length} completed (${JSON.stringify(notCompleted)})`);
  if (executionsWithSameWorkflowId) problems.push(`${executionsWithSameWorkflowId} workflow IDs ran more than once`);
  if (missingExecutions) problems.push(`${missingExecutions} expected workflow IDs not found`);
  if (unexpectedExecutions) problems.push(`${unexpectedExecutions} unexpected workflow IDs on the task queue`);
  if (recorded.rows !== expectedIds.length) problems.push(`${recorded.rows} backup_runs rows, ${expectedIds.length} expected`);
  if (recorded.duplicatedCount) problems.push(`${recorded.duplicatedCount} workflow IDs with more than one backup_runs row (e.g. ${recorded.duplicated[0]})`);
  if (recorded.missingCount) problems.push(`${recorded.missingCount} workflow IDs without a backup_runs row (e.g. ${recorded.missing[0]})`);
  return {
    expectedRuns: expectedIds.length,
    executions: executions.length,
    completed,
    notCompleted,
    executionsWithSameWorkflowId,
    missingExecutions,
    unexpectedExecutions,
    decisions,
    recorded,
    pass: problems.length === 0,
    problems,
  };
}
