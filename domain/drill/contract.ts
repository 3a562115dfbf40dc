import { describeValue } from '../describe-value.js';

/**
 * `restoreDrillWorkflow`'s contract: input, result and workflow ID. Pure: imported by the workflow, the
 * activities, the client and the CLI.
 */

export interface RestoreDrillInput {
  target: string;
  /**
   * How long the server waits for the drill activity's heartbeat before retrying it on another worker (default
   * 60 s). An input so tests can prove the SIGKILL path in seconds (durations are inputs, ARCHITECTURE.md).
   */
  heartbeatTimeoutSeconds?: number;
}

export type DrillStatus = 'running' | 'passed' | 'failed';

/** One check of a drill: a declared SQL check, or a table's row count compared with the count at backup time. */
export interface DrillCheckResult {
  kind: 'sql' | 'row-count';
  /** The SQL, or `schema.table`. */
  name: string;
  /** `>= 1`, or `= 1234` for a row count. */
  expect: string;
  /** What came back (a count as a number, anything else as text); null when the query failed. */
  actual: string | number | null;
  passed: boolean;
  error?: string;
}

export interface RestoreDrillOutcome {
  /** `<workflowId>#<runId>`: one row in `restore_drills`, and the key of the scratch database's name. */
  drillId: string;
  target: string;
  kind: 'postgres' | 'command';
  status: 'passed' | 'failed';
  /** The dump checked (postgres), or null. */
  backupId: string | null;
  /** Wall time of pg_restore (or of the drill command): the measured recovery time. */
  restoreSeconds: number | null;
  checks: DrillCheckResult[];
  /** Why the drill failed (the first reason; each failed check has its own). */
  error?: string;
  scratchDatabase: string | null;
}

export interface RestoreDrillResult extends RestoreDrillOutcome {
  /** The failure alert was delivered (failed drills only). */
  alertSent: boolean;
}

export const restoreDrillWorkflowId = (target: string, at: Date | string): string =>
  `restore-drill/${target}/${typeof at === 'string' ? at : at.toISOString()}`;

export const drillIdFor = (workflowId: string, runId: string): string => `${workflowId}#${runId}`;

const TARGET_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

/** The input's problems (empty when valid). Runs inside the workflow. */
export function validateRestoreDrillInput(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [`input must be an object with a "target" field (got ${describeValue(input)})`];
  const i = input as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof i.target !== 'string' || !TARGET_NAME.test(i.target))
    problems.push(`target must be a target name from sentinel.yaml (got ${describeValue(i.target)})`);
  const hb = i.heartbeatTimeoutSeconds;
  if (hb !== undefined && !(typeof hb === 'number' && Number.isFinite(hb) && hb >= 10 && hb <= 600))
    problems.push(`heartbeatTimeoutSeconds must be a number of seconds in [10, 600] (the drill heartbeats every 5 s; got ${describeValue(hb)})`);
  const unknown = Object.keys(i).filter((key) => key !== 'target' && key !== 'heartbeatTimeoutSeconds');
  if (unknown.length > 0)
    problems.push(
      `unknown field(s): ${unknown
        .slice(0, 5)
        .map((key) => describeValue(key))
        .join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
    );
  return problems;
}

/** The one-line summary of a drill, for alerts, logs and the CLI. */
export function describeDrill(outcome: Pick<RestoreDrillOutcome, 'target' | 'status' | 'backupId' | 'restoreSeconds' | 'checks' | 'error'>): string {
  const checks = outcome.checks.length > 0 ? `, ${outcome.checks.filter((c) => c.passed).length}/${outcome.checks.length} checks passed` : '';
  const rto = outcome.restoreSeconds !== null ? `, restored in ${outcome.restoreSeconds.toFixed(1)} s` : '';
  const what = outcome.backupId ? ` of ${outcome.backupId}` : '';
  return `${outcome.target}: restore drill${what} ${outcome.status}${rto}${checks}${outcome.error ? `: ${outcome.error}` : ''}`;
}
