import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_TARGET, openBenchEnvironment, withTimeout, type BenchEnvironment } from './decision-latency/environment.js';
import { cpuBetween, sumCpu, type CpuUse } from './decision-latency/cpu.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { FLOOR_DECISION } from './decision-latency/history.js';
import { startProbes } from './decision-latency/probes.js';
import { probeSpawn } from './decision-latency/spawn-probe.js';
import { probeWatchdog } from './decision-latency/watchdog-probe.js';
import { RUN_KINDS, runConcurrently, runSequentially, type MeasuredRun, type RunKind } from './decision-latency/runs.js';
import { round, summarise } from './decision-latency/stats.js';
import {
  checkGoals,
  floorRatios,
  markdownTables,
  meanBreakdown,
  startToDecision,
  throughputOfRounds,
  type BenchSummary,
  type FloorSummary,
  type KindProfile,
} from './decision-latency/summary.js';
import { intFromEnv } from './env.js';
import { writeResults } from './shared/results.js';
import { exitWith } from './shared/exit.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const MIN_LATENCY_RUNS = 200;

const settings = {
  warmupRuns: intFromEnv('BENCH_WARMUP_RUNS', 20),
  latencyRuns: intFromEnv('BENCH_LATENCY_RUNS', MIN_LATENCY_RUNS),
  // Per kind, over all rounds: each round starts throughputRuns / throughputRounds runs of each kind at once.
  throughputRuns: intFromEnv('BENCH_THROUGHPUT_RUNS', 400),
  throughputRounds: intFromEnv('BENCH_THROUGHPUT_ROUNDS', 2),
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

  // Warm-up and latency interleave the gate with its two floors (one of each per step, order rotating).
  await runSequentially(env, 'warmup', settings.warmupRuns, every('warm-up (gate + floors)', settings.warmupRuns, 10), undefined, RUN_KINDS);
  // CPU is sampled around the runs only, not around the history reads that follow them.
  const cpu = { latency: undefined as CpuUse | undefined };
  const seqCpu = new Map<RunKind, { bench: number; server: number | undefined; runs: number }>();
  const stopSequentialProbes = await startProbes();
  const sequential = await runSequentially(
    env,
    'latency',
    settings.latencyRuns,
    every('latency (sequential, gate + floors)', settings.latencyRuns, 50),
    (before, after) => (cpu.latency = cpuBetween(before, after)),
    RUN_KINDS,
    (kind, before, after) => {
      const use = cpuBetween(before, after);
      const total = seqCpu.get(kind) ?? { bench: 0, server: 0, runs: 0 };
      total.bench += use.benchProcessSeconds;
      total.server = total.server === undefined || use.devServerSeconds === undefined ? undefined : total.server + use.devServerSeconds;
      total.runs += 1;
      seqCpu.set(kind, total);
    },
  );
  const sequentialProbes = await stopSequentialProbes();

  // Throughput: rounds of one concurrent batch per kind, one kind after the other (batches cannot overlap without
  // measuring each other); the order rotates per round so no kind always runs first or last.
  const perRound = Math.max(1, Math.round(settings.throughputRuns / settings.throughputRounds));
  const batches = new Map<RunKind, MeasuredRun[][]>(RUN_KINDS.map((k) => [k, []]));
  const orders: RunKind[][] = [];
  const profile = Object.fromEntries(RUN_KINDS.map((k) => [k, { throughput: [] as KindProfile['throughput'] }])) as Record<
    RunKind,
    Pick<KindProfile, 'throughput'>
  >;
  const gateCpu: CpuUse[] = [];
  for (let r = 0; r < settings.throughputRounds; r++) {
    const order = RUN_KINDS.map((_, k) => RUN_KINDS[(r + k) % RUN_KINDS.length]!);
    orders.push(order);
    for (const kind of order) {
      let use: CpuUse | undefined;
      const stopProbes = await startProbes();
      const runs = await runConcurrently(
        env,
        `throughput-${r + 1}`,
        perRound,
        settings.startConcurrency,
        every(`throughput round ${r + 1}/${settings.throughputRounds}, ${kind} (concurrent)`, perRound, 100),
        (before, after) => (use = cpuBetween(before, after)),
        kind,
      );
      const probes = await stopProbes();
      batches.get(kind)!.push(runs);
      if (kind === 'gate') gateCpu.push(use!);
      profile[kind].throughput.push({ round: r + 1, runs: runs.length, cpuMsPerRun: cpuMsPerRun(use!, runs.length), cpu: use!, ...probes });
    }
  }

  log('probing spawn on this worker process');
  const spawnProbe = await probeSpawn();
  log('probing the isolate watchdog (vm calls with and without a timeout)');
  const watchdogProbe = probeWatchdog();

  const all = [...sequential, ...[...batches.values()].flat(2)];
  const notProceeding = all.filter((r) => r.decision !== r.resultDecision || (r.kind === 'gate' ? r.decision !== 'proceed' : r.decision !== FLOOR_DECISION));
  if (notProceeding.length) log(`WARNING: ${notProceeding.length} run(s) did not decide 'proceed' (or complete); they are left out of the figures`);
  const ok = (runs: readonly MeasuredRun[], kind: RunKind) => runs.filter((r) => r.kind === kind && !notProceeding.includes(r));
  const latencyRuns = ok(sequential, 'gate');
  const latency = summarise(latencyRuns.map(startToDecision));
  const throughput = throughputOfRounds(batches.get('gate')!.map((runs) => ok(runs, 'gate')));
  const floorOf = (kind: Exclude<RunKind, 'gate'>, workflow: string): FloorSummary => {
    const runs = ok(sequential, kind);
    const rounds = throughputOfRounds(batches.get(kind)!.map((batch) => ok(batch, kind)));
    return {
      workflow,
      serverStartToCompletionMs: summarise(runs.map(startToDecision)),
      clientStartToResultMs: summarise(runs.map((r) => r.clientStartToResultMs)),
      meanBreakdownMs: meanBreakdown(runs),
      throughput: { ...rounds, runsPerSecond: rounds.decisionsPerSecond },
    };
  };
  const floor = {
    noop: floorOf('noop', 'floorNoopWorkflow'),
    twoLocalActivities: floorOf('twoLocalActivities', 'floorTwoLocalActivitiesWorkflow'),
    gateShape: floorOf('gateShape', 'floorGateShapeWorkflow'),
  };
  const ratios = floorRatios({ latency, throughput }, floor, orders);
  const kindProfile = (kind: RunKind): KindProfile => {
    const seq = seqCpu.get(kind);
    const perRun = (seconds: number | undefined) => (seconds === undefined || !seq?.runs ? undefined : round((seconds * 1000) / seq.runs));
    return {
      sequentialCpuMsPerRun: { benchProcess: perRun(seq?.bench) ?? Number.NaN, devServer: perRun(seq?.server) },
      sequential: sequentialProbes,
      throughput: profile[kind].throughput,
    };
  };

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
      throughputRounds: settings.throughputRounds,
      interleaving:
        'warm-up and latency: each step runs the gate, the no-op, the two-local-activity and the gate-shape workflow once each, one after the other, order rotating per step; throughput: per round one concurrent batch per kind, order rotating per round',
    },
    latency: {
      serverStartToDecisionMs: latency,
      clientStartToResultMs: summarise(latencyRuns.map((r) => r.clientStartToResultMs)),
      meanBreakdownMs: meanBreakdown(latencyRuns),
    },
    throughput,
    cpu: { latency: cpu.latency!, throughput: sumCpu(gateCpu) },
    floor,
    ratios,
    profile: Object.fromEntries(RUN_KINDS.map((kind) => [kind, kindProfile(kind)])) as Record<RunKind, KindProfile>,
    spawnProbe,
    watchdogProbe,
    runsNotProceeding: notProceeding.length,
    goals: checkGoals(latency, throughput.decisionsPerSecond, ratios),
    wallClockSeconds: Math.round((Date.now() - clockStart) / 1000),
  };
}

const cpuMsPerRun = (use: CpuUse, runs: number) => ({
  benchProcess: round((use.benchProcessSeconds * 1000) / runs),
  devServer: use.devServerSeconds === undefined ? undefined : round((use.devServerSeconds * 1000) / runs),
});

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
    const written = await writeResults(settings.resultsFile, summary);
    if (written) log(`summary written to ${written}`);
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

exitWith(main(), log);
