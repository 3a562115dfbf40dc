import type { RunRef } from '../../client/sentinel-client.js';
import { loadAverage } from '../decision-latency/machine.js';
import { round } from '../decision-latency/stats.js';
import { checkRuns, recordedRuns, type RunChecks } from './checks.js';
import { freshTaskQueue, type LoadEnvironment } from './environment.js';
import { countExecutions, listExecutions, waitForCompletion } from './executions.js';
import { plannedRun, type PlannedRun } from './plan.js';
import { mib } from './proc.js';
import { MemorySampler } from './sampler.js';
import { judgeSoakMemory, latencyPercentiles, type LatencyPercentiles, type SoakMemoryVerdict } from './stats.js';
import { sampleAt } from './worker-memory.js';
import { readProbeSamples } from './worker-process.js';

export interface SoakSettings {
  phaseIndex: number;
  /** Runs started per second, evenly spaced. */
  rate: number;
  warmupSeconds: number;
  soakSeconds: number;
  sampleMs: number;
  boundMiB: number;
  drainTimeoutMs: number;
}

export interface SoakResult {
  taskQueue: string;
  rate: number;
  warmupSeconds: number;
  soakSeconds: number;
  runsStarted: number;
  startErrors: number;
  startErrorExamples: string[];
  /** Runs started / time from the first to the last start (bench clock). */
  achievedStartRate: number;
  /** Server clock, start to close: every run, and per minute of start time (a growing backlog shows here). */
  startToCloseMs: LatencyPercentiles;
  perMinute: Array<{ minute: number; runs: number; p50: number; p99: number; max: number }>;
  /** Executions running at each backlog sample (every sampleMs): 0-a few when the worker keeps up. */
  running: { max: number; median: number; samples: number };
  drainSeconds: number;
  checks: RunChecks;
  memory: SoakMemoryVerdict;
  /** Every RSS sample of the worker (seconds since the soak's first start, MiB), warm-up included. */
  rssSeries: Array<[number, number]>;
  /** Main-thread JavaScript heap over the soak window (the probe in the worker), MiB. */
  heapUsedMiB: { start: number | undefined; max: number | undefined; end: number | undefined };
  worker: { pid: number; cpuSeconds: number | undefined; cores: number | undefined; exit: { code: number | null; signal: string | null } };
  devServer: { rssStartMiB: number; rssEndMiB: number; cpuSeconds: number | undefined };
  loadAverage: { start: [number, number, number]; end: [number, number, number] };
}

/**
 * Steady load on one fresh worker process: `rate` runs per second for warm-up + soak seconds, evenly spaced and not
 * waiting for each other, while the worker's RSS is sampled every `sampleMs`. The bound is judged on the soak
 * window only (after the warm-up), then the last runs are drained and every run is checked like a burst's.
 */
export async function runSoak(env: LoadEnvironment, settings: SoakSettings, log: (message: string) => void): Promise<SoakResult> {
  const loadAtStart = loadAverage();
  const taskQueue = freshTaskQueue('soak');
  log(`soak: starting one worker process on ${taskQueue}`);
  const worker = await env.startWorker('soak-worker', taskQueue, settings.sampleMs);
  const sampler = new MemorySampler(
    [
      { name: worker.name, pid: worker.pid },
      { name: 'dev-server', pid: env.devServerPid },
    ],
    settings.sampleMs,
  );
  let backlogTimer: NodeJS.Timeout | undefined;
  try {
    const client = await env.sentinel(taskQueue);
    const backlog: number[] = [];
    backlogTimer = setInterval(() => {
      countExecutions(env.reader.temporal, taskQueue).then(
        (c) => backlog.push(c.running),
        () => undefined,
      );
    }, settings.sampleMs);

    const planned: PlannedRun[] = [];
    const pending: Array<Promise<RunRef>> = [];
    const totalMs = (settings.warmupSeconds + settings.soakSeconds) * 1000;
    const intervalMs = 1000 / settings.rate;
    log(`soak: ${settings.rate} runs/s for ${settings.warmupSeconds} s warm-up + ${settings.soakSeconds} s soak, RSS every ${settings.sampleMs / 1000} s`);
    const t0 = Date.now();
    const warmupEnd = t0 + settings.warmupSeconds * 1000;
    sampler.start();
    // A sample exactly at the end of the warm-up, so the judged window starts on one.
    const warmupMark = setTimeout(() => sampler.sampleNow(), settings.warmupSeconds * 1000);
    let lastProgress = t0;
    try {
      for (let j = 0; ; j++) {
        const due = t0 + j * intervalMs;
        if (due - t0 >= totalMs) break;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        env.closing.throwIfAborted();
        if (worker.exit) await worker.died;
        const run = plannedRun(settings.phaseIndex, env.targets[j % env.targets.length]!, Math.floor(j / env.targets.length), 60_000);
        planned.push(run);
        const start = client.startPreBackup({ target: run.target }, { scheduledAt: run.scheduledAt });
        start.catch(() => undefined);
        pending.push(start);
        if (Date.now() - lastProgress >= 60_000) {
          lastProgress = Date.now();
          const last = sampler.samples(worker.name).at(-1);
          log(
            `soak: ${planned.length} runs started (${Math.round((Date.now() - t0) / 1000)} s), worker RSS ${last ? mib(last.rssKiB) : '?'} MiB, running ${backlog.at(-1) ?? '?'}`,
          );
        }
      }
    } finally {
      clearTimeout(warmupMark);
    }
    sampler.sampleNow();
    const soakEnd = Date.now();
    const lastStartAt = soakEnd;

    const outcomes = await Promise.allSettled(pending);
    const startErrors = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    const known = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.workflowId] : [])));
    log(`soak: ${planned.length} runs started (${startErrors.length} start errors); draining`);
    const drainStart = Date.now();
    await waitForCompletion(env.reader.temporal, taskQueue, {
      expected: known.size,
      timeoutMs: settings.drainTimeoutMs,
      pollMs: 2000,
      abortOn: [worker.died],
      stop: env.closing,
      progress: ({ total, running }) => log(`soak drain: ${total - running}/${known.size} closed, ${running} running`),
    });
    const drainSeconds = round((Date.now() - drainStart) / 1000, 1);
    clearInterval(backlogTimer);
    sampler.stop();

    const executions = await listExecutions(env.reader.temporal, taskQueue);
    const ids = planned.map((r) => r.workflowId);
    const checks = checkRuns(ids, executions, await recordedRuns(env.db, ids));
    const closed = executions.filter((e) => e.closedAt !== undefined);
    const firstServerStart = Math.min(...closed.map((e) => e.startedAt));
    const byMinute = new Map<number, number[]>();
    for (const e of closed) {
      const minute = Math.floor((e.startedAt - firstServerStart) / 60_000);
      byMinute.set(minute, [...(byMinute.get(minute) ?? []), e.closedAt! - e.startedAt]);
    }

    const rss = sampler.samples(worker.name);
    const windowMs = Math.min(60_000, (settings.soakSeconds * 1000) / 4);
    const memory = judgeSoakMemory(rss, warmupEnd, soakEnd, windowMs, settings.boundMiB);
    const probe = readProbeSamples(worker.memoryProbeFile).filter((p) => p.at >= warmupEnd && p.at <= soakEnd);
    const heapMiB = (bytes: number | undefined) => (bytes === undefined ? undefined : mib(bytes / 1024));
    const workerStart = sampleAt(rss, t0);
    const workerEnd = sampleAt(rss, soakEnd);
    const server = sampler.samples('dev-server');
    const serverStart = sampleAt(server, t0);
    const serverEnd = sampleAt(server, soakEnd);
    const cpu = (a: { cpuSeconds: number | undefined } | undefined, b: { cpuSeconds: number | undefined } | undefined) =>
      a?.cpuSeconds !== undefined && b?.cpuSeconds !== undefined ? round(b.cpuSeconds - a.cpuSeconds, 1) : undefined;
    const workerCpu = cpu(workerStart, workerEnd);
    const sortedBacklog = [...backlog].sort((a, b) => a - b);

    await worker.stop();
    return {
      taskQueue,
      rate: settings.rate,
      warmupSeconds: settings.warmupSeconds,
      soakSeconds: settings.soakSeconds,
      runsStarted: planned.length,
      startErrors: startErrors.length,
      startErrorExamples: startErrors.slice(0, 3).map((e) => String((e.reason as Error)?.message ?? e.reason)),
      achievedStartRate: round(planned.length / ((lastStartAt - t0) / 1000), 2),
      startToCloseMs: latencyPercentiles(closed.map((e) => e.closedAt! - e.startedAt)),
      perMinute: [...byMinute.entries()]
        .sort(([a], [b]) => a - b)
        .map(([minute, values]) => {
          const p = latencyPercentiles(values);
          return { minute, runs: p.count, p50: p.p50, p99: p.p99, max: p.max };
        }),
      running: { max: sortedBacklog.at(-1) ?? 0, median: sortedBacklog[Math.floor(sortedBacklog.length / 2)] ?? 0, samples: backlog.length },
      drainSeconds,
      checks,
      memory,
      rssSeries: rss.map((s) => [round((s.at - t0) / 1000, 1), mib(s.rssKiB)]),
      heapUsedMiB: {
        start: heapMiB(probe[0]?.heapUsed),
        max: heapMiB(probe.length ? Math.max(...probe.map((p) => p.heapUsed)) : undefined),
        end: heapMiB(probe.at(-1)?.heapUsed),
      },
      worker: {
        pid: worker.pid,
        cpuSeconds: workerCpu,
        cores: workerCpu === undefined ? undefined : round(workerCpu / ((soakEnd - t0) / 1000), 2),
        exit: { code: worker.exit?.code ?? null, signal: worker.exit?.signal ?? null },
      },
      devServer: {
        rssStartMiB: mib(serverStart?.rssKiB ?? Number.NaN),
        rssEndMiB: mib(serverEnd?.rssKiB ?? Number.NaN),
        cpuSeconds: cpu(serverStart, serverEnd),
      },
      loadAverage: { start: loadAtStart, end: loadAverage() },
    };
  } finally {
    clearInterval(backlogTimer);
    sampler.stop();
    await worker.stop();
  }
}
