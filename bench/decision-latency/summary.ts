import type { CpuUse } from './cpu.js';
import type { DecisionBreakdown } from './history.js';
import type { MachineFacts } from './machine.js';
import type { MeasuredRun } from './runs.js';
import { round, summarise, type LatencySummary } from './stats.js';

export const GOALS = { p50Ms: 50, p99Ms: 250, decisionsPerSecond: 50 } as const;

export interface GoalCheck {
  goal: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchSummary {
  bench: 'decision-latency';
  machine: MachineFacts & { loadAverageAtEnd: [number, number, number] };
  temporal: { address: string; source: string; version: string };
  postgres: { server: string; version: string };
  workerOverrides: Record<string, unknown>;
  /** Whether the product's payload codec encrypted payloads (CONFIG_BACKUP_KEY set) during the run. */
  payloadEncryption: boolean;
  method: { warmupRuns: number; latencyRuns: number; throughputRuns: number; startConcurrency: number; target: string };
  latency: {
    serverStartToDecisionMs: LatencySummary;
    clientStartToResultMs: LatencySummary;
    meanBreakdownMs: DecisionBreakdown;
  };
  throughput: {
    runs: number;
    startWindowSeconds: number;
    decisionWindowSeconds: number;
    decisionsPerSecond: number;
    completionWindowSeconds: number;
    completedRunsPerSecond: number;
    serverStartToDecisionMs: LatencySummary;
    meanBreakdownMs: DecisionBreakdown;
  };
  /** Where the CPU went in each measured phase (profiling aid). */
  cpu: { latency: CpuUse; throughput: CpuUse };
  runsNotProceeding: number;
  goals: GoalCheck[];
  wallClockSeconds: number;
}

export const startToDecision = (run: MeasuredRun) => run.decidedAt - run.startedAt;

export function meanBreakdown(runs: readonly MeasuredRun[]): DecisionBreakdown {
  const keys = ['workflowTaskQueue', 'workflowTaskRun', 'activityQueue', 'activityRun', 'workflowTasks', 'activities', 'localActivities'] as const;
  const mean = {} as DecisionBreakdown;
  for (const key of keys) mean[key] = round(runs.reduce((sum, r) => sum + r.breakdown[key], 0) / Math.max(1, runs.length), 2);
  return mean;
}

/** Decisions per second over the window from the first start to the last decision, both server timestamps. */
export function throughputOf(runs: readonly MeasuredRun[]): BenchSummary['throughput'] {
  const firstStart = Math.min(...runs.map((r) => r.startedAt));
  const lastStart = Math.max(...runs.map((r) => r.startedAt));
  const lastDecision = Math.max(...runs.map((r) => r.decidedAt));
  const lastCompletion = Math.max(...runs.map((r) => r.completedAt ?? Number.NaN));
  const decisionWindow = (lastDecision - firstStart) / 1000;
  const completionWindow = (lastCompletion - firstStart) / 1000;
  return {
    runs: runs.length,
    startWindowSeconds: round((lastStart - firstStart) / 1000, 2),
    decisionWindowSeconds: round(decisionWindow, 2),
    decisionsPerSecond: round(runs.length / decisionWindow),
    completionWindowSeconds: round(completionWindow, 2),
    completedRunsPerSecond: round(runs.length / completionWindow),
    serverStartToDecisionMs: summarise(runs.map(startToDecision)),
    meanBreakdownMs: meanBreakdown(runs),
  };
}

export function checkGoals(latency: LatencySummary, decisionsPerSecond: number): GoalCheck[] {
  return [
    { goal: 'decision latency p50', target: `<= ${GOALS.p50Ms} ms`, measured: `${latency.p50} ms`, pass: latency.p50 <= GOALS.p50Ms },
    { goal: 'decision latency p99', target: `<= ${GOALS.p99Ms} ms`, measured: `${latency.p99} ms`, pass: latency.p99 <= GOALS.p99Ms },
    {
      goal: 'sustained decisions/s, one worker',
      target: `>= ${GOALS.decisionsPerSecond}/s`,
      measured: `${decisionsPerSecond}/s`,
      pass: decisionsPerSecond >= GOALS.decisionsPerSecond,
    },
  ];
}

export function markdownTables(s: BenchSummary): string {
  const l = s.latency.serverStartToDecisionMs;
  const c = s.latency.clientStartToResultMs;
  const t = s.throughput.serverStartToDecisionMs;
  const row = (name: string, x: { count: number; p50: number; p95: number; p99: number; max: number; mean: number }) =>
    `| ${name} | ${x.count} | ${x.p50} | ${x.p95} | ${x.p99} | ${x.max} | ${x.mean} |`;
  const b = s.latency.meanBreakdownMs;
  const tb = s.throughput.meanBreakdownMs;
  return [
    '| Latency (ms) | runs | p50 | p95 | p99 | max | mean |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row('start → decision, server-side, sequential', l),
    row('start → result, client-side, sequential (context)', c),
    row(`start → decision, server-side, under load (${s.throughput.runs} concurrent)`, t),
    '',
    '| Throughput (one worker) | value |',
    '|---|---:|',
    `| runs started (≤ ${s.method.startConcurrency} start RPCs in flight) | ${s.throughput.runs} |`,
    `| start window (first → last WorkflowExecutionStarted) | ${s.throughput.startWindowSeconds} s |`,
    `| decision window (first start → last decision) | ${s.throughput.decisionWindowSeconds} s |`,
    `| **decisions per second** | **${s.throughput.decisionsPerSecond}** |`,
    `| completion window (first start → last WorkflowExecutionCompleted) | ${s.throughput.completionWindowSeconds} s |`,
    `| completed runs per second | ${s.throughput.completedRunsPerSecond} |`,
    '',
    '| Mean time per run up to the decision (ms) | sequential | under load |',
    '|---|---:|---:|',
    `| workflow tasks queued (scheduled → started), ${b.workflowTasks} tasks | ${b.workflowTaskQueue} | ${tb.workflowTaskQueue} |`,
    `| workflow tasks on the worker (started → completed), incl. ${b.localActivities} local activities | ${b.workflowTaskRun} | ${tb.workflowTaskRun} |`,
    `| activities queued (scheduled → started), ${b.activities} activities | ${b.activityQueue} | ${tb.activityQueue} |`,
    `| activities on the worker (started → completed) | ${b.activityRun} | ${tb.activityRun} |`,
    '',
    '| CPU per run (ms) | sequential | under load |',
    '|---|---:|---:|',
    `| bench process (worker + client) | ${perRun(s.cpu.latency.benchProcessSeconds, s.method.latencyRuns)} | ${perRun(s.cpu.throughput.benchProcessSeconds, s.throughput.runs)} |`,
    `| Temporal dev server | ${perRun(s.cpu.latency.devServerSeconds, s.method.latencyRuns)} | ${perRun(s.cpu.throughput.devServerSeconds, s.throughput.runs)} |`,
    `| busy cores: bench process / dev server | ${s.cpu.latency.benchProcessCores} / ${s.cpu.latency.devServerCores ?? 'n/a'} | ${s.cpu.throughput.benchProcessCores} / ${s.cpu.throughput.devServerCores ?? 'n/a'} |`,
    '',
    '| Goal | target | measured | result |',
    '|---|---|---|---|',
    ...s.goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.pass ? 'pass' : '**miss**'} |`),
  ].join('\n');
}

const perRun = (seconds: number | undefined, runs: number) => (seconds === undefined || runs === 0 ? 'n/a' : String(round((seconds * 1000) / runs)));
