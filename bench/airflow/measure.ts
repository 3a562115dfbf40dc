import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AirflowApi, FINISHED_RUN_STATES, type TaskInstance } from './api.js';
import { type AirflowRunTiming, runTiming } from './timings.js';

const RUN_TIMEOUT_MS = 120_000;
/** How often a sequential run's state is read to know when to trigger the next one (not what is timed). */
const SEQUENTIAL_POLL_MS = 100;
const BURST_POLL_MS = 500;

export interface TriggeredRun {
  runId: string;
  /** Client clock (ms since the epoch) just before the trigger request: context for the server-side figure. */
  clientTriggerAt: number;
}

/** The conf a run gets: the input `npm run bench` gives the gate (the target `bench-true`, default threshold). */
function gateConf(): Record<string, unknown> {
  return { target: 'bench-true', threshold: 0.5, startAt: new Date().toISOString() };
}

async function trigger(api: AirflowApi, label: string, index: number): Promise<TriggeredRun> {
  const runId = `${label}-${index}-${randomUUID().slice(0, 8)}`;
  const clientTriggerAt = Date.now();
  await api.trigger(runId, gateConf());
  return { runId, clientTriggerAt };
}

/** One run at a time: each is triggered only after the previous run finished, as `npm run bench` does. */
export async function runSequentially(
  api: AirflowApi,
  label: string,
  count: number,
  progress: (done: number) => void,
  stop: AbortSignal,
): Promise<TriggeredRun[]> {
  const runs: TriggeredRun[] = [];
  for (let i = 0; i < count; i++) {
    stop.throwIfAborted();
    const run = await trigger(api, label, i);
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      stop.throwIfAborted();
      const state = (await api.dagRun(run.runId)).state;
      if (FINISHED_RUN_STATES.has(state)) break;
      if (Date.now() > deadline) throw new Error(`run ${run.runId} did not finish within ${RUN_TIMEOUT_MS} ms (state ${state})`);
      await sleep(SEQUENTIAL_POLL_MS);
    }
    runs.push(run);
    progress(i + 1);
  }
  return runs;
}

/** Triggers `count` runs with at most `concurrency` trigger requests in flight, then waits until none is unfinished. */
export async function runBurst(
  api: AirflowApi,
  label: string,
  count: number,
  concurrency: number,
  progress: (message: string) => void,
  stop: AbortSignal,
  timeoutMs: number,
): Promise<TriggeredRun[]> {
  const indices = Array.from({ length: count }, (_, i) => i);
  const runs = await mapBounded(indices, concurrency, (i) => trigger(api, label, i), stop);
  progress(`${count} runs triggered`);
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    stop.throwIfAborted();
    const unfinished = await api.unfinishedRuns();
    if (unfinished === 0) return runs;
    if (Date.now() > deadline) throw new Error(`${unfinished} of the ${count} burst runs were unfinished after ${timeoutMs} ms`);
    if (Date.now() - lastReport > 10_000) {
      progress(`${count - unfinished}/${count} finished`);
      lastReport = Date.now();
    }
    await sleep(BURST_POLL_MS);
  }
}

export interface ReadRun extends AirflowRunTiming {
  clientTriggerAt: number;
}

/** Reads the runs' records back from Airflow once they are all finished (outside the measured time). */
export async function readRuns(api: AirflowApi, runs: readonly TriggeredRun[]): Promise<ReadRun[]> {
  const [dagRuns, taskInstances] = await Promise.all([api.allDagRuns(), api.allTaskInstances()]);
  const byRun = new Map<string, TaskInstance[]>();
  for (const ti of taskInstances) byRun.set(ti.dag_run_id, [...(byRun.get(ti.dag_run_id) ?? []), ti]);
  const dagRunById = new Map(dagRuns.map((r) => [r.dag_run_id, r]));
  return runs.map((run) => {
    const dagRun = dagRunById.get(run.runId);
    if (!dagRun) throw new Error(`Airflow does not list run ${run.runId}`);
    return { ...runTiming(dagRun, byRun.get(run.runId) ?? []), clientTriggerAt: run.clientTriggerAt };
  });
}

/** Applies `work` to every item with at most `limit` in flight; results keep the input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, stop: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      stop.throwIfAborted();
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
