import type { RunRef } from '../../client/sentinel-client.js';
import { round } from '../decision-latency/stats.js';
import { loadAverage } from '../decision-latency/machine.js';
import { checkRuns, recordedRuns, type RunChecks } from './checks.js';
import { freshTaskQueue, type LoadEnvironment } from './environment.js';
import { listExecutions, waitForCompletion } from './executions.js';
import { burstPlan, withDuplicates } from './plan.js';
import { mib } from './proc.js';
import { MemorySampler } from './sampler.js';
import { workSplit, type WorkSplit } from './split.js';
import { latencyPercentiles, type LatencyPercentiles } from './stats.js';
import { sampleAt, workerMemory, type WorkerMemory } from './worker-memory.js';
import type { LoadWorker } from './worker-process.js';

export interface BurstSettings {
  phase: 'A' | 'B';
  /** Index used to keep each phase's scheduled times (and so workflow IDs) apart. */
  phaseIndex: number;
  workers: number;
  runs: number;
  duplicates: number;
  sampleMs: number;
  settleMs: number;
  timeoutMs: number;
  /** Read every run's history to see which worker did what (phase B). */
  split: boolean;
}

export interface DuplicateCheck {
  duplicateStarts: number;
  /**
   * Pairs where the second start reported the first run (`alreadyStarted`), and pairs where the two raced and the
   * duplicate's RPC won (then the original reported `alreadyStarted`): either way one execution.
   */
  duplicateReportedExisting: number;
  originalReportedExisting: number;
  /** Pairs whose two starts name the same run ID: the duplicate did not create a run. */
  sameRunId: number;
  /** Pairs where exactly one of the two starts created the run and both name the same run. */
  pairsWithOneExecution: number;
  failedStarts: number;
  pass: boolean;
}

export interface BurstResult {
  phase: 'A' | 'B';
  taskQueue: string;
  workers: number;
  runs: number;
  /** Start RPCs that failed (besides the duplicates' expected "already started", which startOnce absorbs). */
  startErrors: number;
  startErrorExamples: string[];
  timing: {
    /** Client clock: first start call until every start RPC (runs and duplicates) returned. */
    clientStartSeconds: number;
    /** Server clock: first to last WorkflowExecutionStarted, and first start to last close. */
    serverStartWindowSeconds: number;
    completionWindowSeconds: number;
    /** runs / completion window. */
    runsPerSecond: number;
  };
  /** Server clock, each run's start to its close. */
  startToCloseMs: LatencyPercentiles;
  checks: RunChecks;
  duplicates: DuplicateCheck;
  memory: WorkerMemory[];
  devServer: { rssBeforeMiB: number; rssAfterMiB: number; cpuSeconds: number | undefined };
  split: WorkSplit | undefined;
  workerExits: Array<{ worker: string; code: number | null; signal: string | null }>;
  loadAverage: { start: [number, number, number]; end: [number, number, number] };
}

/**
 * One burst: fresh worker process(es) on a fresh task queue, `runs` pre-backup runs started at once through
 * SentinelClient.startPreBackup (as another service would), with `duplicates` second starts of the same logical
 * runs mixed in; then waits for all, and checks executions, database rows and duplicates.
 */
export async function runBurst(env: LoadEnvironment, settings: BurstSettings, log: (message: string) => void): Promise<BurstResult> {
  const loadAtStart = loadAverage();
  const taskQueue = freshTaskQueue(settings.phase.toLowerCase());
  log(`phase ${settings.phase}: starting ${settings.workers} worker process(es) on ${taskQueue}`);
  const workers: LoadWorker[] = await Promise.all(
    Array.from({ length: settings.workers }, (_, i) => env.startWorker(`phase-${settings.phase.toLowerCase()}-worker-${i + 1}`, taskQueue, settings.sampleMs)),
  );
  try {
    const sampler = new MemorySampler(
      [...workers.map((w) => ({ name: w.name, pid: w.pid })), { name: 'dev-server', pid: env.devServerPid }],
      settings.sampleMs,
    ).start();
    await new Promise((r) => setTimeout(r, settings.settleMs));
    sampler.sampleNow();
    const before = Date.now();

    const plan = burstPlan(settings.phaseIndex, env.targets, settings.runs);
    const { order } = withDuplicates(plan, settings.duplicates);
    const client = await env.sentinel(taskQueue);
    log(`phase ${settings.phase}: starting ${plan.length} runs and ${order.length - plan.length} duplicate starts at once`);
    const clientStart = performance.now();
    // All start calls are issued in one go: the whole burst is in flight before the first one returns.
    const outcomes = await Promise.allSettled(order.map(({ run }) => client.startPreBackup({ target: run.target }, { scheduledAt: run.scheduledAt })));
    const clientStartSeconds = round((performance.now() - clientStart) / 1000, 2);
    const startErrors = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    log(`phase ${settings.phase}: all start calls returned in ${clientStartSeconds} s (${startErrors.length} failed); waiting for the runs`);

    // A failed start RPC may or may not have created its run; the wait counts those known to exist, the checks
    // below hold every planned run to account.
    const known = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.workflowId] : [])));
    await waitForCompletion(env.reader.temporal, taskQueue, {
      expected: known.size,
      timeoutMs: settings.timeoutMs,
      pollMs: 2000,
      abortOn: workers.map((w) => w.died),
      stop: env.closing,
      progress: ({ total, running, elapsedMs }) =>
        log(`phase ${settings.phase}: ${total - running}/${plan.length} closed, ${running} running (${Math.round(elapsedMs / 1000)} s)`),
    });
    log(`phase ${settings.phase}: all runs closed; letting the worker(s) settle ${settings.settleMs / 1000} s`);
    await new Promise((r) => setTimeout(r, settings.settleMs));
    sampler.sampleNow();
    const after = Date.now();
    sampler.stop();

    const executions = await listExecutions(env.reader.temporal, taskQueue);
    const ids = plan.map((r) => r.workflowId);
    const checks = checkRuns(ids, executions, await recordedRuns(env.db, ids));
    const closed = executions.filter((e) => e.closedAt !== undefined);
    const firstStart = Math.min(...executions.map((e) => e.startedAt));
    const lastStart = Math.max(...executions.map((e) => e.startedAt));
    const lastClose = Math.max(...closed.map((e) => e.closedAt!));
    const completionWindow = (lastClose - firstStart) / 1000;

    const split = settings.split ? await readSplit(env, ids, workers, settings.phase, log) : undefined;
    // Before the workers stop: VmHWM is read from their /proc entries.
    const memory = workers.map((w) => workerMemory(w, sampler.samples(w.name), before, after));
    const workerExits = await stopWorkers(workers);
    const failedOriginals = outcomes.filter((o, i) => o.status === 'rejected' && order[i]?.duplicateOf === undefined).length;
    const server = sampler.samples('dev-server');
    const sb = sampleAt(server, before);
    const sa = sampleAt(server, after);
    return {
      phase: settings.phase,
      taskQueue,
      workers: workers.length,
      runs: plan.length,
      startErrors: failedOriginals,
      startErrorExamples: startErrors.slice(0, 3).map((e) => String((e.reason as Error)?.message ?? e.reason)),
      timing: {
        clientStartSeconds,
        serverStartWindowSeconds: round((lastStart - firstStart) / 1000, 2),
        completionWindowSeconds: round(completionWindow, 2),
        runsPerSecond: round(closed.length / completionWindow, 2),
      },
      startToCloseMs: latencyPercentiles(closed.map((e) => e.closedAt! - e.startedAt)),
      checks,
      duplicates: checkDuplicates(order, outcomes),
      memory,
      devServer: {
        rssBeforeMiB: mib(sb?.rssKiB ?? Number.NaN),
        rssAfterMiB: mib(sa?.rssKiB ?? Number.NaN),
        cpuSeconds: sa?.cpuSeconds !== undefined && sb?.cpuSeconds !== undefined ? round(sa.cpuSeconds - sb.cpuSeconds, 2) : undefined,
      },
      split,
      workerExits,
      loadAverage: { start: loadAtStart, end: loadAverage() },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function readSplit(env: LoadEnvironment, ids: string[], workers: LoadWorker[], phase: string, log: (m: string) => void): Promise<WorkSplit> {
  log(`phase ${phase}: reading ${ids.length} histories for the split between workers`);
  return workSplit(env.reader.temporal, ids, workers, env.closing);
}

async function stopWorkers(workers: LoadWorker[]): Promise<BurstResult['workerExits']> {
  await Promise.all(workers.map((w) => w.stop()));
  return workers.map((w) => ({ worker: w.name, code: w.exit?.code ?? null, signal: w.exit?.signal ?? null }));
}

/** Index of each original's outcome in `order`, then pairwise: one execution per logical run, whichever RPC won. */
function checkDuplicates(
  order: ReadonlyArray<{ run: { workflowId: string }; duplicateOf?: number }>,
  outcomes: ReadonlyArray<PromiseSettledResult<RunRef>>,
): DuplicateCheck {
  const originalPosition = new Map<string, number>();
  order.forEach((entry, i) => {
    if (entry.duplicateOf === undefined) originalPosition.set(entry.run.workflowId, i);
  });
  let duplicateStarts = 0;
  let duplicateReportedExisting = 0;
  let originalReportedExisting = 0;
  let sameRunId = 0;
  let failedStarts = 0;
  let pairsWithOneExecution = 0;
  order.forEach((entry, i) => {
    if (entry.duplicateOf === undefined) return;
    duplicateStarts += 1;
    const dup = outcomes[i];
    const orig = outcomes[originalPosition.get(entry.run.workflowId) ?? -1];
    if (dup?.status !== 'fulfilled' || orig?.status !== 'fulfilled') {
      failedStarts += 1;
      return;
    }
    if (dup.value.alreadyStarted) duplicateReportedExisting += 1;
    if (orig.value.alreadyStarted) originalReportedExisting += 1;
    const same = dup.value.runId !== undefined && dup.value.runId === orig.value.runId;
    if (same) sameRunId += 1;
    if (same && dup.value.alreadyStarted !== orig.value.alreadyStarted) pairsWithOneExecution += 1;
  });
  return {
    duplicateStarts,
    duplicateReportedExisting,
    originalReportedExisting,
    sameRunId,
    pairsWithOneExecution,
    failedStarts,
    pass: failedStarts === 0 && pairsWithOneExecution === duplicateStarts,
  };
}
