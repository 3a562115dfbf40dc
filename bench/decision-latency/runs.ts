import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { cpuSnapshot, type CpuSnapshot } from './cpu.js';
import { BENCH_TARGET, withTimeout, type BenchEnvironment } from './environment.js';
import { runTimings, type RunTimings } from './history.js';

// Bounds for a single run, so a stuck run fails the bench instead of hanging it.
const RUN_TIMEOUT_MS = 120_000;
const EXECUTION_TIMEOUT = '5m';

export interface MeasuredRun extends RunTimings {
  workflowId: string;
  /** Client clock: just before the start RPC until the result arrived (includes the `true` backup and recording). */
  clientStartToResultMs: number;
  resultDecision: string;
}

type CpuProbe = (before: CpuSnapshot, after: CpuSnapshot) => void;

interface StartedRun {
  handle: WorkflowHandle;
  clientStartedAt: number;
}

async function startRun(env: BenchEnvironment, label: string, index: number): Promise<StartedRun> {
  // Once the bench is closing (timeout, failure), no new run may start against a server that is going away.
  env.closing.throwIfAborted();
  const input: PreBackupInput = { target: BENCH_TARGET };
  const clientStartedAt = performance.now();
  const handle = await env.client.workflow.start('preBackupWorkflow', {
    taskQueue: env.taskQueue,
    workflowId: preBackupWorkflowId(BENCH_TARGET, `${new Date().toISOString()}-${label}-${index}`),
    args: [input],
    typedSearchAttributes: [{ key: BackupTarget, value: BENCH_TARGET }],
    workflowExecutionTimeout: EXECUTION_TIMEOUT,
  });
  return { handle, clientStartedAt };
}

async function awaitResult(run: StartedRun): Promise<{ handle: WorkflowHandle; result: PreBackupResult; clientStartToResultMs: number }> {
  const result: PreBackupResult = await withTimeout(run.handle.result(), RUN_TIMEOUT_MS, `run ${run.handle.workflowId}`);
  return { handle: run.handle, result, clientStartToResultMs: performance.now() - run.clientStartedAt };
}

async function measure(finished: { handle: WorkflowHandle; result: PreBackupResult; clientStartToResultMs: number }): Promise<MeasuredRun> {
  const history = await finished.handle.fetchHistory();
  return {
    workflowId: finished.handle.workflowId,
    clientStartToResultMs: finished.clientStartToResultMs,
    resultDecision: finished.result.decision,
    ...runTimings(history),
  };
}

/** One run at a time: each starts only after the previous one finished, so runs never compete for the worker. */
export async function runSequentially(
  env: BenchEnvironment,
  label: string,
  count: number,
  progress: (done: number) => void,
  cpu?: CpuProbe,
): Promise<MeasuredRun[]> {
  const finished = [];
  const before = cpuSnapshot(env.devServerPid);
  for (let i = 0; i < count; i++) {
    finished.push(await awaitResult(await startRun(env, label, i)));
    progress(i + 1);
  }
  cpu?.(before, cpuSnapshot(env.devServerPid));
  // Histories are read after the series so their reads do not sit between runs.
  return mapBounded(finished, 8, measure, env.closing);
}

/**
 * Starts `count` runs as fast as `startConcurrency` parallel start RPCs allow, waits for all of them, then reads
 * their histories. The worker sees up to `count` runs at once.
 */
export async function runConcurrently(
  env: BenchEnvironment,
  label: string,
  count: number,
  startConcurrency: number,
  progress: (done: number) => void,
  cpu?: CpuProbe,
): Promise<MeasuredRun[]> {
  let done = 0;
  const before = cpuSnapshot(env.devServerPid);
  const indices = Array.from({ length: count }, (_, i) => i);
  const started = await mapBounded(indices, startConcurrency, (i) => startRun(env, label, i), env.closing);
  const finished = await mapBounded(
    started,
    startConcurrency,
    async (run) => {
      const outcome = await awaitResult(run);
      progress(++done);
      return outcome;
    },
    env.closing,
  );
  cpu?.(before, cpuSnapshot(env.devServerPid));
  return mapBounded(finished, 8, measure, env.closing);
}

/** Applies `work` to every item with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>, stop?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      stop?.throwIfAborted();
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
