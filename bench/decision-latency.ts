/**
 * Decision-latency benchmark of the pre-backup gate (`npm run bench`). Starts its own Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), a fresh PostgreSQL database and one in-process worker, then measures
 *   - latency: sequential runs, WorkflowExecutionStarted -> the upsert setting BackupDecision to its final value,
 *     both server timestamps from each run's history;
 *   - throughput: many runs started at once against the one worker, runs / (last decision - first start).
 * Method and recorded figures: BENCHMARKS.md, "Pre-backup decisions".
 *
 * Knobs (env): BENCH_WARMUP_RUNS (20), BENCH_LATENCY_RUNS (200), BENCH_THROUGHPUT_RUNS (400),
 * BENCH_START_CONCURRENCY (50), BENCH_TIMEOUT_MS (1 200 000), BENCH_WORKER_OVERRIDES (JSON, profiling only),
 * BENCH_RESULTS_FILE (bench/results/decision-latency.json; "-" to skip), BENCH_SERVER_PID (CPU accounting of a server
 * given by TEMPORAL_ADDRESS).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_TARGET, openBenchEnvironment, withTimeout, type BenchEnvironment } from './decision-latency/environment.js';
import { cpuBetween, type CpuUse } from './decision-latency/cpu.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { runConcurrently, runSequentially, type MeasuredRun } from './decision-latency/runs.js';
import { summarise } from './decision-latency/stats.js';
import { checkGoals, markdownTables, meanBreakdown, startToDecision, throughputOf, type BenchSummary } from './decision-latency/summary.js';
import { intFromEnv } from './env.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const MIN_LATENCY_RUNS = 200;

const settings = {
  warmupRuns: intFromEnv('BENCH_WARMUP_RUNS', 20),
  latencyRuns: intFromEnv('BENCH_LATENCY_RUNS', MIN_LATENCY_RUNS),
  throughputRuns: intFromEnv('BENCH_THROUGHPUT_RUNS', 400),
  startConcurrency: intFromEnv('BENCH_START_CONCURRENCY', 50),
  timeoutMs: intFromEnv('BENCH_TIMEOUT_MS', 20 * 60_000),
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'decision-latency.json'),
};

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function measureAll(env: BenchEnvironment): Promise<BenchSummary> {
  const machine = machineFacts();
  const clockStart = Date.now();
  log(`load average at start: ${machine.loadAverage.join(' ')} on ${machine.nproc} CPU(s)`);
  const every = (label: string, total: number, step: number) => (done: number) => {
    if (done % step === 0 || done === total) log(`${label}: ${done}/${total}`);
  };

  await runSequentially(env, 'warmup', settings.warmupRuns, every('warm-up', settings.warmupRuns, 10));
  // CPU is sampled around the runs only, not around the history reads that follow them.
  const cpu = { latency: undefined as CpuUse | undefined, throughput: undefined as CpuUse | undefined };
  const sequential = await runSequentially(
    env,
    'latency',
    settings.latencyRuns,
    every('latency (sequential)', settings.latencyRuns, 50),
    (before, after) => (cpu.latency = cpuBetween(before, after)),
  );
  const concurrent = await runConcurrently(
    env,
    'throughput',
    settings.throughputRuns,
    settings.startConcurrency,
    every('throughput (concurrent)', settings.throughputRuns, 100),
    (before, after) => (cpu.throughput = cpuBetween(before, after)),
  );

  const notProceeding = [...sequential, ...concurrent].filter((r) => r.decision !== 'proceed' || r.resultDecision !== 'proceed');
  if (notProceeding.length) log(`WARNING: ${notProceeding.length} run(s) did not decide 'proceed'; they are left out of the figures`);
  const proceeded = (runs: MeasuredRun[]) => runs.filter((r) => r.decision === 'proceed' && r.resultDecision === 'proceed');
  const latencyRuns = proceeded(sequential);
  const latency = summarise(latencyRuns.map(startToDecision));
  const throughput = throughputOf(proceeded(concurrent));

  return {
    bench: 'decision-latency',
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    temporal: env.temporal,
    postgres: { server: env.postgres.server, version: env.postgres.version },
    workerOverrides: env.workerOverrides as Record<string, unknown>,
    payloadEncryption: Boolean(process.env.CONFIG_BACKUP_KEY),
    method: {
      warmupRuns: settings.warmupRuns,
      latencyRuns: settings.latencyRuns,
      throughputRuns: settings.throughputRuns,
      startConcurrency: settings.startConcurrency,
      target: `${BENCH_TARGET} (kind command, command "true", policy delay)`,
    },
    latency: {
      serverStartToDecisionMs: latency,
      clientStartToResultMs: summarise(latencyRuns.map((r) => r.clientStartToResultMs)),
      meanBreakdownMs: meanBreakdown(latencyRuns),
    },
    throughput,
    cpu: { latency: cpu.latency!, throughput: cpu.throughput! },
    runsNotProceeding: notProceeding.length,
    goals: checkGoals(latency, throughput.decisionsPerSecond),
    wallClockSeconds: Math.round((Date.now() - clockStart) / 1000),
  };
}

async function main(): Promise<number> {
  if (settings.latencyRuns < MIN_LATENCY_RUNS) log(`note: ${settings.latencyRuns} latency runs is below the ${MIN_LATENCY_RUNS} the recorded figures need`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the bench did not finish within ${settings.timeoutMs} ms`)), settings.timeoutMs);
  });
  const opening = openBenchEnvironment(log);
  opening.catch(() => undefined);
  let env: BenchEnvironment | undefined;
  let exitCode = 0;
  try {
    env = await Promise.race([opening, timedOut]);
    const summary = await Promise.race([measureAll(env), timedOut, env.workerFailed]);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n\n${markdownTables(summary)}\n`);
    if (settings.resultsFile !== '-') {
      await mkdir(path.dirname(settings.resultsFile), { recursive: true });
      await writeFile(settings.resultsFile, `${JSON.stringify(summary, null, 2)}\n`);
      log(`summary written to ${path.relative(process.cwd(), settings.resultsFile)}`);
    }
    if (summary.runsNotProceeding > 0) exitCode = 1;
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    exitCode = 1;
  } finally {
    clearTimeout(timer);
    // Setup overtaken by the timeout still owns a server and a database: let it finish so they can be released.
    env ??= await withTimeout(opening, 120_000, 'bench setup').catch(() => undefined);
    if (env) {
      log('cleaning up (worker, server, database)');
      // Calls abandoned by a timeout still retry in the background and fail once their connection is closed; that
      // must not kill the process before the server is stopped and the database dropped.
      const stray = (error: unknown) => log(`ignored during cleanup: ${error instanceof Error ? error.message : String(error)}`);
      process.on('uncaughtException', stray).on('unhandledRejection', stray);
      const problems = await env.close();
      for (const problem of problems) log(`cleanup: ${problem}`);
      if (problems.length) exitCode = 1;
    }
  }
  return exitCode;
}

// Exits explicitly: a run abandoned by the timeout may still hold sockets or timers open.
main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`failed: ${error.message}`);
    process.exit(1);
  },
);
