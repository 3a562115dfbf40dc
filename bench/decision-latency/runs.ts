import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { preBackupWorkflowId, type PreBackupInput } from '../../domain/pre-backup/contract.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { BackupTarget } from '../../workflows/search-attributes.js';
import { floorGateShapeWorkflow, floorNoopWorkflow, floorTwoLocalActivitiesWorkflow } from '../floor-workflows.js';
import { cpuSnapshot, type CpuSnapshot } from './cpu.js';
import { BENCH_TARGET, withTimeout, type BenchEnvironment } from './environment.js';
import { runTimings, type RunTimings } from './history.js';

/**
 * What a run starts: the pre-backup gate (the product), or one of the two floor workflows measured beside it on the
 * same server and worker (bench/floor-workflows.ts).
 */
export type RunKind = 'gate' | 'noop' | 'twoLocalActivities' | 'gateShape';
export const RUN_KINDS: readonly RunKind[] = ['gate', 'noop', 'twoLocalActivities', 'gateShape'];
const FLOOR_WORKFLOWS = { noop: floorNoopWorkflow, twoLocalActivities: floorTwoLocalActivitiesWorkflow, gateShape: floorGateShapeWorkflow } as const;

// Bounds for a single run, so a stuck run fails the bench instead of hanging it.
const RUN_TIMEOUT_MS = 120_000;
const EXECUTION_TIMEOUT = '5m';

export interface MeasuredRun extends RunTimings {
  workflowId: string;
  kind: RunKind;
  /** Client clock: just before the start RPC until the result arrived (includes the `true` backup and recording). */
  clientStartToResultMs: number;
  resultDecision: string;
}

type CpuProbe = (before: CpuSnapshot, after: CpuSnapshot) => void;

interface StartedRun {
  handle: WorkflowHandle;
  kind: RunKind;
  clientStartedAt: number;
}

async function startRun(env: BenchEnvironment, kind: RunKind, label: string, index: number): Promise<StartedRun> {
  // Once the bench is closing (timeout, failure), no new run may start against a server that is going away.
  env.closing.throwIfAborted();
  const clientStartedAt = performance.now();
  const common = { taskQueue: env.taskQueue, workflowExecutionTimeout: EXECUTION_TIMEOUT };
  let handle: WorkflowHandle;
  if (kind === 'gate') {
    const input: PreBackupInput = { target: BENCH_TARGET };
    handle = await env.client.workflow.start(preBackupWorkflow, {
      ...common,
      workflowId: preBackupWorkflowId(BENCH_TARGET, `${new Date().toISOString()}-${label}-${index}`),
      args: [input],
      typedSearchAttributes: [{ key: BackupTarget, value: BENCH_TARGET }],
    });
  } else {
    const workflowId = `bench-floor/${kind}/${new Date().toISOString()}-${label}-${index}`;
    handle = await env.client.workflow.start(FLOOR_WORKFLOWS[kind], { ...common, workflowId });
  }
  return { handle, kind, clientStartedAt };
}

type FinishedRun = { handle: WorkflowHandle; kind: RunKind; result: unknown; clientStartToResultMs: number };

async function awaitResult(run: StartedRun): Promise<FinishedRun> {
  const result: unknown = await withTimeout(run.handle.result(), RUN_TIMEOUT_MS, `run ${run.handle.workflowId}`);
  return { handle: run.handle, kind: run.kind, result, clientStartToResultMs: performance.now() - run.clientStartedAt };
}

async function measure(finished: FinishedRun): Promise<MeasuredRun> {
  const history = await finished.handle.fetchHistory();
  return {
    workflowId: finished.handle.workflowId,
    kind: finished.kind,
    clientStartToResultMs: finished.clientStartToResultMs,
    // The gate returns its decision; a floor workflow returns 'done' (FLOOR_DECISION).
    resultDecision: finished.kind === 'gate' ? (finished.result as { decision: string }).decision : String(finished.result),
    ...runTimings(history, finished.kind === 'gate' ? 'decision' : finished.kind === 'gateShape' ? 'firstActivity' : 'completion'),
  };
}

/**
 * One run at a time: each starts only after the previous one finished, so runs never compete for the worker. With
 * several kinds, each step runs one of every kind, in an order that rotates from step to step, so the gate and its
 * floors see the same machine load and none always follows the same neighbour.
 */
export async function runSequentially(
  env: BenchEnvironment,
  label: string,
  count: number,
  progress: (done: number) => void,
  cpu?: CpuProbe,
  kinds: readonly RunKind[] = ['gate'],
  perRunCpu?: (kind: RunKind, before: CpuSnapshot, after: CpuSnapshot) => void,
): Promise<MeasuredRun[]> {
  const finished: FinishedRun[] = [];
  const before = cpuSnapshot(env.devServerPid);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(i + k) % kinds.length]!;
      const runBefore = perRunCpu ? cpuSnapshot(env.devServerPid) : undefined;
      finished.push(await awaitResult(await startRun(env, kind, label, i)));
      if (runBefore) perRunCpu?.(kind, runBefore, cpuSnapshot(env.devServerPid));
    }
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
  kind: RunKind = 'gate',
): Promise<MeasuredRun[]> {
  let done = 0;
  const before = cpuSnapshot(env.devServerPid);
  const indices = Array.from({ length: count }, (_, i) => i);
  const started = await mapBounded(indices, startConcurrency, (i) => startRun(env, kind, label, i), env.closing);
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
