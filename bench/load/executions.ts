import type { Client } from '@temporalio/client';
import { BackupDecision } from '../../workflows/search-attributes.js';
import { timestampMs } from '../decision-latency/history.js';

/** One workflow execution as the server's visibility store lists it. Times are server timestamps (ms). */
export interface ExecutionRecord {
  workflowId: string;
  runId: string;
  status: string;
  startedAt: number;
  closedAt: number | undefined;
  /** The BackupDecision search attribute: the gate's final decision once the run is past it. */
  decision: string | undefined;
}

const queueQuery = (taskQueue: string) => `TaskQueue = '${taskQueue}'`;

export async function listExecutions(client: Client, taskQueue: string): Promise<ExecutionRecord[]> {
  const records: ExecutionRecord[] = [];
  for await (const info of client.workflow.list({ query: queueQuery(taskQueue), pageSize: 1000 })) {
    records.push({
      workflowId: info.workflowId,
      runId: info.runId,
      status: info.status.name,
      startedAt: timestampMs(info.raw.startTime),
      closedAt: info.raw.closeTime ? timestampMs(info.raw.closeTime) : undefined,
      decision: info.typedSearchAttributes.get(BackupDecision),
    });
  }
  return records;
}

export async function countExecutions(client: Client, taskQueue: string): Promise<{ total: number; running: number }> {
  const [total, running] = await Promise.all([
    client.workflow.count(queueQuery(taskQueue)),
    client.workflow.count(`${queueQuery(taskQueue)} AND ExecutionStatus = 'Running'`),
  ]);
  return { total: total.count, running: running.count };
}

export interface WaitOptions {
  expected: number;
  timeoutMs: number;
  pollMs: number;
  /** Rejects when something the wait depends on falls over (a worker process exiting). */
  abortOn: Promise<never>[];
  stop: AbortSignal;
  progress: (state: { total: number; running: number; elapsedMs: number }) => void;
}

/**
 * Waits until the task queue's visibility shows `expected` executions and none running. Counting (two cheap
 * queries per poll) instead of holding one long poll per run keeps the waiting out of the server's load.
 */
export async function waitForCompletion(client: Client, taskQueue: string, options: WaitOptions): Promise<{ waitedMs: number }> {
  const started = Date.now();
  let lastProgress = 0;
  const poll = async () => {
    for (;;) {
      options.stop.throwIfAborted();
      const state = await countExecutions(client, taskQueue);
      const elapsedMs = Date.now() - started;
      if (elapsedMs - lastProgress >= 10_000) {
        lastProgress = elapsedMs;
        options.progress({ ...state, elapsedMs });
      }
      if (state.total >= options.expected && state.running === 0) return { waitedMs: elapsedMs };
      if (elapsedMs > options.timeoutMs) {
        throw new Error(
          `not all runs finished within ${options.timeoutMs / 1000} s: ${state.total} of ${options.expected} visible, ${state.running} still running`,
        );
      }
      await new Promise((r) => setTimeout(r, options.pollMs));
    }
  };
  return Promise.race([poll(), ...options.abortOn]);
}
