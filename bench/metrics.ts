import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackupRunRecord } from '../domain/history/types.js';
import { mulberry32 } from '../domain/ml/rng.js';
import { buildBaselines, forecast, forecastSeries, scanRuns } from '../domain/metrics/index.js';
import { checkRun } from '../domain/monitoring/index.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { writeResults } from './shared/results.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const DAY_MS = 86_400_000;

const settings = {
  runs: intFromEnv('BENCH_RUNS', 1_000_000, 1),
  targets: intFromEnv('BENCH_TARGETS', 1000, 1),
  reps: intFromEnv('BENCH_REPS', 7, 1),
  forecastReps: intFromEnv('BENCH_FORECAST_REPS', 51, 1),
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'metrics.json'),
};

/**
 * `count` runs over ~180 days, `targets` targets interleaved in time order (as a history table reads), 3% failed,
 * log-normal-ish noise, and 0.1% stalls (5x duration) and partial backups (0.2x size) to be found.
 */
function syntheticRuns(count: number, targets: number, random: () => number): BackupRunRecord[] {
  const runs: BackupRunRecord[] = new Array(count);
  const perTarget = Math.ceil(count / targets);
  const start = Date.UTC(2024, 0, 1);
  const stepMs = Math.floor((180 * DAY_MS) / perTarget);
  for (let i = 0; i < count; i++) {
    const target = i % targets;
    const k = Math.floor(i / targets);
    const noise = (random() + random() + random() - 1.5) * 0.2;
    runs[i] = {
      backupId: `b${i}`,
      target: `t${target}`,
      startedAt: new Date(start + k * stepMs + target * 60_000),
      status: random() < 0.03 ? 'failed' : 'completed',
      durationSeconds: (100 + target) * Math.exp(noise) * (random() < 0.001 ? 5 : 1),
      sizeBytes: 1e9 * (1 + target / 100) * Math.exp(noise / 2) * (random() < 0.001 ? 0.2 : 1),
    };
  }
  return runs;
}

interface Timing {
  label: string;
  reps: number;
  firstMs: number;
  medianMs: number;
  /** Median CPU time (user + system) of this process: what the step costs when other work shares the cores. */
  medianCpuMs: number;
  minMs: number;
  maxMs: number;
  goalMs?: number;
  meetsGoal?: boolean;
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const medianOf = (sorted: number[]): number =>
  sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;

function time<T>(label: string, reps: number, fn: () => T, goalMs?: number): { timing: Timing; result: T } {
  let result!: T;
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = fn();
    samples.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const [first, ...rest] = samples as [number, ...number[]];
  const sorted = [...rest].sort((a, b) => a - b);
  const median = medianOf(sorted);
  const timing: Timing = {
    label,
    reps,
    firstMs: first,
    medianMs: median,
    medianCpuMs: medianOf(cpu.slice(1).sort((a, b) => a - b)),
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
  };
  if (goalMs !== undefined) Object.assign(timing, { goalMs, meetsGoal: median <= goalMs });
  log(
    `${label.padEnd(58)} median ${median.toFixed(2).padStart(9)} ms, CPU ${timing.medianCpuMs.toFixed(2).padStart(9)} ms  (min ${timing.minMs.toFixed(2)}, max ${timing.maxMs.toFixed(2)}, first ${first.toFixed(2)})${goalMs !== undefined ? `  goal <= ${goalMs} ms: ${timing.meetsGoal ? 'met' : 'MISSED'}` : ''}`,
  );
  return { timing, result };
}

const machine = machineFacts();
log(`${machine.cpuModel}, ${machine.nproc} CPU(s), ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage.join(' ')}`);
const random = mulberry32(42);
const runs = syntheticRuns(settings.runs, settings.targets, random);
const since = new Date(Date.UTC(2024, 0, 1) + 150 * DAY_MS);
log(
  `${settings.runs} runs over ~180 days, ${settings.targets} targets; ${settings.reps} repetitions (+1 warm-up) for 1M-run figures, ${settings.forecastReps} for forecasts`,
);

const timings: Timing[] = [];
const baselines = time('buildBaselines: 1M runs', settings.reps, () => buildBaselines(runs));
timings.push(baselines.timing);
timings.push(time('scanRuns, baselines given: score 1M runs', settings.reps, () => scanRuns(runs, { baselines: baselines.result })).timing);
const all = time('scanRuns: learn baselines + score 1M runs (goal)', settings.reps, () => scanRuns(runs), 1000);
timings.push(all.timing);
const recent = time('scanRuns since day 150: learn before it, score after', settings.reps, () => scanRuns(runs, { since }));
timings.push(recent.timing);
log(
  `  all: scored ${all.result.scored}, anomalous ${all.result.anomalous} (${all.result.possiblePartialBackups} possible partial); since: considered ${recent.result.considered}, anomalous ${recent.result.anomalous}`,
);

const sizes = Array.from({ length: 10_000 }, (_, i) => 100 + i * 0.05 + random());
const points = sizes.map((value, i) => ({ at: Date.UTC(2000, 0, 1) + i * DAY_MS, value }));
timings.push(time('forecast: 10k daily values, OLS (goal)', settings.forecastReps, () => forecast(sizes, 30), 10).timing);
timings.push(
  time('forecastSeries: 10k points, OLS + Holt + capacity (goal)', settings.forecastReps, () => forecastSeries(points, { daysAhead: 30, capacity: 1000 }), 10)
    .timing,
);

// One target, hourly for 90 days: what the pre-backup activity scores per finished run.
const hourly: BackupRunRecord[] = Array.from({ length: 90 * 24 }, (_, i) => ({
  backupId: `h${i}`,
  target: 'db',
  startedAt: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000),
  status: 'completed',
  durationSeconds: 100 * Math.exp((random() - 0.5) * 0.2),
  sizeBytes: 1e9 * Math.exp((random() - 0.5) * 0.1),
}));
const current: BackupRunRecord = {
  backupId: 'now',
  target: 'db',
  startedAt: new Date(Date.UTC(2024, 0, 1) + 90 * DAY_MS),
  status: 'completed',
  durationSeconds: 400,
  sizeBytes: 1e9,
};
timings.push(time('checkRun: one run vs 2 160 hourly runs (pre-backup check)', settings.forecastReps, () => checkRun(hourly, current)).timing);

const summary = { bench: 'metrics', machine, loadAverageAtEnd: loadAverage(), settings: { ...settings, resultsFile: undefined }, timings };
const goals = timings.filter((t) => t.goalMs !== undefined);
log(`goals: ${goals.map((t) => `${t.label}: ${t.meetsGoal ? 'met' : 'MISSED'}`).join('; ')}`);
log(`load average at end: ${summary.loadAverageAtEnd.join(' ')}`);
process.stdout.write(
  `| step | reps | median ms | median CPU ms | min ms | max ms | first ms | goal (on the wall-clock median) |\n|---|---|---|---|---|---|---|---|\n`,
);
for (const t of timings)
  process.stdout.write(
    `| ${t.label} | ${t.reps} | ${t.medianMs.toFixed(2)} | ${t.medianCpuMs.toFixed(2)} | ${t.minMs.toFixed(2)} | ${t.maxMs.toFixed(2)} | ${t.firstMs.toFixed(2)} | ${t.goalMs === undefined ? '' : `<= ${t.goalMs} ms: ${t.meetsGoal ? 'met' : 'missed'}`} |\n`,
  );
const written = await writeResults(settings.resultsFile, summary);
if (written) log(`results written to ${written}`);
if (goals.some((t) => !t.meetsGoal)) process.exitCode = 1;
