import { round, summarise, type LatencySummary } from '../decision-latency/stats.js';
import { airflowTimeMs, type DagRun, type TaskInstance } from './api.js';

/**
 * One Airflow run read back from Airflow's own records: the run's `queued_at` (set by the api-server when the
 * trigger request created the run: the counterpart of Temporal's WorkflowExecutionStarted) to the `end_date` of the
 * branch task instance (when the BranchPythonOperator finished choosing: the counterpart of the BackupDecision
 * upsert `npm run bench` times). All in ms since the epoch.
 */
export interface AirflowRunTiming {
  runId: string;
  queuedAt: number;
  decidedAt: number;
  /** Which branch was taken: the task left `success` (the other is `skipped`). */
  decision: 'proceed' | 'high_risk' | 'unknown';
  /** DAG run end (after `proceed`, an EmptyOperator the scheduler completes itself). */
  endedAt: number | undefined;
  breakdown: AirflowBreakdown;
}

/** Where the time from the trigger to the decision went (ms). */
export interface AirflowBreakdown {
  /** run queued -> predict queued (the scheduler creates the run's task instances and queues the first). */
  runToPredictQueued: number;
  /** predict queued -> started (LocalExecutor picks it up, its supervisor forks the task process). */
  predictQueuedToStart: number;
  predictRun: number;
  /** predict ended -> branch queued (the scheduler's next loop sees predict done). */
  predictEndToBranchQueued: number;
  branchQueuedToStart: number;
  branchRun: number;
}

const BREAKDOWN_KEYS: readonly (keyof AirflowBreakdown)[] = [
  'runToPredictQueued',
  'predictQueuedToStart',
  'predictRun',
  'predictEndToBranchQueued',
  'branchQueuedToStart',
  'branchRun',
];

function required(value: string | null | undefined, what: string): number {
  if (!value) throw new Error(`${what} is not set`);
  return airflowTimeMs(value);
}

/** Reads one finished run; throws (naming the run and the field) when the branch has not decided. */
export function runTiming(run: DagRun, taskInstances: readonly TaskInstance[]): AirflowRunTiming {
  const ti = (taskId: string) => {
    const found = taskInstances.find((t) => t.task_id === taskId && t.dag_run_id === run.dag_run_id);
    if (!found) throw new Error(`run ${run.dag_run_id} has no task instance "${taskId}"`);
    return found;
  };
  const predict = ti('predict');
  const branch = ti('branch');
  if (branch.state !== 'success') throw new Error(`run ${run.dag_run_id}: branch is "${branch.state}", not success`);
  const at = (t: TaskInstance, field: 'queued_when' | 'start_date' | 'end_date') => required(t[field], `run ${run.dag_run_id}: ${t.task_id}.${field}`);
  const queuedAt = required(run.queued_at, `run ${run.dag_run_id}: queued_at`);
  const decidedAt = at(branch, 'end_date');
  const taken = taskInstances.filter((t) => t.dag_run_id === run.dag_run_id && (t.task_id === 'proceed' || t.task_id === 'high_risk') && t.state === 'success');
  const decision = taken.length === 1 ? (taken[0]!.task_id as 'proceed' | 'high_risk') : 'unknown';
  return {
    runId: run.dag_run_id,
    queuedAt,
    decidedAt,
    decision,
    endedAt: run.end_date ? airflowTimeMs(run.end_date) : undefined,
    breakdown: {
      runToPredictQueued: at(predict, 'queued_when') - queuedAt,
      predictQueuedToStart: at(predict, 'start_date') - at(predict, 'queued_when'),
      predictRun: at(predict, 'end_date') - at(predict, 'start_date'),
      predictEndToBranchQueued: at(branch, 'queued_when') - at(predict, 'end_date'),
      branchQueuedToStart: at(branch, 'start_date') - at(branch, 'queued_when'),
      branchRun: decidedAt - at(branch, 'start_date'),
    },
  };
}

export const triggerToDecision = (t: AirflowRunTiming) => t.decidedAt - t.queuedAt;

export function meanBreakdown(timings: readonly AirflowRunTiming[]): AirflowBreakdown {
  const mean = {} as AirflowBreakdown;
  for (const key of BREAKDOWN_KEYS) mean[key] = round(timings.reduce((sum, t) => sum + t.breakdown[key], 0) / Math.max(1, timings.length), 1);
  return mean;
}

export interface BurstThroughput {
  runs: number;
  triggerWindowSeconds: number;
  decisionWindowSeconds: number;
  /** runs / (last decision - first trigger), the formula `npm run bench` uses (bench/decision-latency/summary.ts). */
  decisionsPerSecond: number;
  triggerToDecisionMs: LatencySummary;
  meanBreakdownMs: AirflowBreakdown;
}

export function burstThroughput(timings: readonly AirflowRunTiming[]): BurstThroughput {
  if (timings.length === 0) throw new Error('no decided runs in the burst');
  const firstQueued = Math.min(...timings.map((t) => t.queuedAt));
  const lastQueued = Math.max(...timings.map((t) => t.queuedAt));
  const lastDecision = Math.max(...timings.map((t) => t.decidedAt));
  const window = (lastDecision - firstQueued) / 1000;
  return {
    runs: timings.length,
    triggerWindowSeconds: round((lastQueued - firstQueued) / 1000, 2),
    decisionWindowSeconds: round(window, 2),
    decisionsPerSecond: round(timings.length / window, 2),
    triggerToDecisionMs: summarise(timings.map(triggerToDecision)),
    meanBreakdownMs: meanBreakdown(timings),
  };
}

export interface Ratios {
  /** Airflow p50 / sentinel p50: how many times longer Airflow takes to decide. */
  latencyP50: number;
  latencyP95: number;
  /** sentinel decisions/s / Airflow decisions/s. */
  throughput: number;
}

export function ratios(
  airflow: { p50: number; p95: number; decisionsPerSecond: number },
  sentinel: { p50: number; p95: number; decisionsPerSecond: number },
): Ratios {
  return {
    latencyP50: round(airflow.p50 / sentinel.p50, 1),
    latencyP95: round(airflow.p95 / sentinel.p95, 1),
    throughput: round(sentinel.decisionsPerSecond / airflow.decisionsPerSecond, 1),
  };
}
