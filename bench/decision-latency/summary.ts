import type { CpuUse } from './cpu.js';
import type { DecisionBreakdown } from './history.js';
import type { MachineFacts } from './machine.js';
import type { PhaseProbes } from './probes.js';
import type { SpawnProbe } from './spawn-probe.js';
import type { WatchdogProbe } from './watchdog-probe.js';
import type { MeasuredRun, RunKind } from './runs.js';
import { round, summarise, type LatencySummary } from './stats.js';

export const GOALS = { p50Ms: 50, p99Ms: 250, decisionsPerSecond: 50 } as const;
/** Issue 17 item 2: the gate against the platform floor measured in the same run. */
export const FLOOR_GOALS = { p50VsTwoLocalActivities: 1.15, decisionsPerSecondVsNoop: 0.8 } as const;

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
  method: {
    warmupRuns: number;
    latencyRuns: number;
    throughputRuns: number;
    startConcurrency: number;
    target: string;
    throughputRounds?: number;
    interleaving?: string;
  };
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
    /** Each throughput round on its own (the figures above are over all rounds: runs / summed windows). */
    perRound?: RoundThroughput[];
  };
  /** Where the CPU went in each measured phase (profiling aid); `throughput` is the gate's concurrent batches. */
  cpu: { latency: CpuUse; throughput: CpuUse };
  /** The floor workflows measured on the same server and worker, interleaved with the gate's runs. */
  floor: Record<'noop' | 'twoLocalActivities', FloorSummary> & { gateShape?: FloorSummary };
  /** The gate over its floors (a ratio of 1 means the gate costs what the platform costs for the floor). */
  ratios: FloorRatios;
  /** Per kind and throughput batch: CPU ms per run, the worker's event-loop delay and activity times (profiling). */
  profile: Record<'gate' | 'noop' | 'twoLocalActivities', KindProfile> & { gateShape?: KindProfile };
  /** The cost of spawning the backup's `true` on this worker, on the event loop and through the spawn helper. */
  spawnProbe?: SpawnProbe;
  /** The SDK's per-call vm watchdog (isolateExecutionTimeout) on this process: µs per call with and without it. */
  watchdogProbe?: WatchdogProbe;
  runsNotProceeding: number;
  goals: GoalCheck[];
  wallClockSeconds: number;
}

export interface RoundThroughput {
  runs: number;
  decisionsPerSecond: number;
  completedRunsPerSecond: number;
}

export interface FloorSummary {
  workflow: string;
  /**
   * Start -> WorkflowExecutionCompleted, server-side, sequential (interleaved with the gate's runs); for the
   * gate-shape floor start -> its first ActivityTaskScheduled, the point where the gate has decided.
   */
  serverStartToCompletionMs: LatencySummary;
  clientStartToResultMs: LatencySummary;
  meanBreakdownMs: DecisionBreakdown;
  /** The throughput batches; for a floor workflow a decision is its completion, so decisionsPerSecond = runs/s. */
  throughput: BenchSummary['throughput'] & { runsPerSecond: number };
}

export interface FloorRatios {
  gateP50VsTwoLocalActivitiesP50: number;
  gateP99VsTwoLocalActivitiesP99: number;
  gateP50VsNoopP50: number;
  gateP99VsNoopP99: number;
  gateDecisionsPerSecondVsNoopRunsPerSecond: number;
  gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond: number;
  /**
   * The gate over the gate-shape floor (bench/floor-workflows.ts: the gate's commands with no-op bodies), so what
   * the gate's own code costs on top of what the platform costs for a run of its shape.
   */
  gateP50VsGateShapeP50?: number;
  gateDecisionsPerSecondVsGateShapeDecisionsPerSecond?: number;
  /** The gate-shape floor's decisions/s over the no-op's runs/s: the best ratio a run of the gate's shape can reach. */
  gateShapeDecisionsPerSecondVsNoopRunsPerSecond?: number;
  /** The same, per throughput round (each round runs the kinds one after the other). */
  perRound: Array<{
    round: number;
    order: RunKind[];
    gateDecisionsPerSecondVsNoopRunsPerSecond: number;
    gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond: number;
    gateDecisionsPerSecondVsGateShapeDecisionsPerSecond?: number;
    gateShapeDecisionsPerSecondVsNoopRunsPerSecond?: number;
  }>;
}

export interface KindProfile {
  /** CPU ms per run in the sequential series, measured around each run (bench process = worker + client). */
  sequentialCpuMsPerRun: { benchProcess: number; devServer: number | undefined };
  sequential: PhaseProbes;
  /** One entry per throughput round. */
  throughput: Array<{ round: number; runs: number; cpuMsPerRun: { benchProcess: number; devServer: number | undefined }; cpu: CpuUse } & PhaseProbes>;
}

export const startToDecision = (run: MeasuredRun) => run.decidedAt - run.startedAt;

const ratio = (a: number, b: number) => round(a / b, 3);

/** Throughput over several rounds: runs over the summed windows, so a round disturbed by other load weighs its time. */
export function throughputOfRounds(rounds: readonly (readonly MeasuredRun[])[]): BenchSummary['throughput'] & { perRound: RoundThroughput[] } {
  const each = rounds.map((runs) => throughputOf(runs));
  const all = rounds.flat();
  const sum = (pick: (t: BenchSummary['throughput']) => number) => each.reduce((total, t) => total + pick(t), 0);
  // Unrounded windows for the aggregate rates.
  const windows = rounds.map((runs) => {
    const first = Math.min(...runs.map((r) => r.startedAt));
    return {
      decision: (Math.max(...runs.map((r) => r.decidedAt)) - first) / 1000,
      completion: (Math.max(...runs.map((r) => r.completedAt ?? Number.NaN)) - first) / 1000,
    };
  });
  const decisionWindow = windows.reduce((t, w) => t + w.decision, 0);
  const completionWindow = windows.reduce((t, w) => t + w.completion, 0);
  return {
    runs: all.length,
    startWindowSeconds: round(
      sum((t) => t.startWindowSeconds),
      2,
    ),
    decisionWindowSeconds: round(decisionWindow, 2),
    decisionsPerSecond: round(all.length / decisionWindow),
    completionWindowSeconds: round(completionWindow, 2),
    completedRunsPerSecond: round(all.length / completionWindow),
    serverStartToDecisionMs: summarise(all.map(startToDecision)),
    meanBreakdownMs: meanBreakdown(all),
    perRound: each.map((t) => ({ runs: t.runs, decisionsPerSecond: t.decisionsPerSecond, completedRunsPerSecond: t.completedRunsPerSecond })),
  };
}

export function floorRatios(
  gate: { latency: LatencySummary; throughput: BenchSummary['throughput'] },
  floor: BenchSummary['floor'],
  orders: RunKind[][],
): FloorRatios {
  const noop = floor.noop;
  const two = floor.twoLocalActivities;
  const shape = floor.gateShape;
  const noopRounds = noop.throughput.perRound ?? [];
  const twoRounds = two.throughput.perRound ?? [];
  const shapeRounds = shape?.throughput.perRound ?? [];
  return {
    gateP50VsTwoLocalActivitiesP50: ratio(gate.latency.p50, two.serverStartToCompletionMs.p50),
    gateP99VsTwoLocalActivitiesP99: ratio(gate.latency.p99, two.serverStartToCompletionMs.p99),
    gateP50VsNoopP50: ratio(gate.latency.p50, noop.serverStartToCompletionMs.p50),
    gateP99VsNoopP99: ratio(gate.latency.p99, noop.serverStartToCompletionMs.p99),
    gateDecisionsPerSecondVsNoopRunsPerSecond: ratio(gate.throughput.decisionsPerSecond, noop.throughput.runsPerSecond),
    gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond: ratio(gate.throughput.decisionsPerSecond, two.throughput.runsPerSecond),
    ...(shape
      ? {
          gateP50VsGateShapeP50: ratio(gate.latency.p50, shape.serverStartToCompletionMs.p50),
          gateDecisionsPerSecondVsGateShapeDecisionsPerSecond: ratio(gate.throughput.decisionsPerSecond, shape.throughput.decisionsPerSecond),
          gateShapeDecisionsPerSecondVsNoopRunsPerSecond: ratio(shape.throughput.decisionsPerSecond, noop.throughput.runsPerSecond),
        }
      : {}),
    perRound: (gate.throughput.perRound ?? []).map((g, i) => ({
      round: i + 1,
      order: orders[i] ?? [],
      gateDecisionsPerSecondVsNoopRunsPerSecond: ratio(g.decisionsPerSecond, noopRounds[i]?.decisionsPerSecond ?? Number.NaN),
      gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond: ratio(g.decisionsPerSecond, twoRounds[i]?.decisionsPerSecond ?? Number.NaN),
      ...(shape
        ? {
            gateDecisionsPerSecondVsGateShapeDecisionsPerSecond: ratio(g.decisionsPerSecond, shapeRounds[i]?.decisionsPerSecond ?? Number.NaN),
            gateShapeDecisionsPerSecondVsNoopRunsPerSecond: ratio(
              shapeRounds[i]?.decisionsPerSecond ?? Number.NaN,
              noopRounds[i]?.decisionsPerSecond ?? Number.NaN,
            ),
          }
        : {}),
    })),
  };
}

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

export function checkGoals(latency: LatencySummary, decisionsPerSecond: number, ratios?: FloorRatios): GoalCheck[] {
  const floorGoals: GoalCheck[] = ratios
    ? [
        {
          goal: 'decision p50 vs two-local-activity floor p50',
          target: `<= ${FLOOR_GOALS.p50VsTwoLocalActivities}x`,
          measured: `${ratios.gateP50VsTwoLocalActivitiesP50}x`,
          pass: ratios.gateP50VsTwoLocalActivitiesP50 <= FLOOR_GOALS.p50VsTwoLocalActivities,
        },
        {
          goal: 'decisions/s vs no-op workflow runs/s',
          target: `>= ${FLOOR_GOALS.decisionsPerSecondVsNoop}x`,
          measured: `${ratios.gateDecisionsPerSecondVsNoopRunsPerSecond}x`,
          pass: ratios.gateDecisionsPerSecondVsNoopRunsPerSecond >= FLOOR_GOALS.decisionsPerSecondVsNoop,
        },
      ]
    : [];
  return [
    ...floorGoals,
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
    '| Gate CPU per run (ms) | sequential | under load |',
    '|---|---:|---:|',
    `| bench process (worker + client) | ${s.profile.gate.sequentialCpuMsPerRun.benchProcess} | ${perRun(s.cpu.throughput.benchProcessSeconds, s.throughput.runs)} |`,
    `| Temporal dev server | ${s.profile.gate.sequentialCpuMsPerRun.devServer ?? 'n/a'} | ${perRun(s.cpu.throughput.devServerSeconds, s.throughput.runs)} |`,
    `| busy cores (whole series): bench process / dev server | ${s.cpu.latency.benchProcessCores} / ${s.cpu.latency.devServerCores ?? 'n/a'} | ${s.cpu.throughput.benchProcessCores} / ${s.cpu.throughput.devServerCores ?? 'n/a'} |`,
    '',
    ...floorTables(s),
    '',
    '| Goal | target | measured | result |',
    '|---|---|---|---|',
    ...s.goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.pass ? 'pass' : '**miss**'} |`),
  ].join('\n');
}

const perRun = (seconds: number | undefined, runs: number) => (seconds === undefined || runs === 0 ? 'n/a' : String(round((seconds * 1000) / runs)));

/** The gate beside its floors, measured in the same run on the same server and worker. */
function floorTables(s: BenchSummary): string[] {
  const { noop, twoLocalActivities: two, gateShape: shape } = s.floor;
  const g = s.latency.serverStartToDecisionMs;
  const r = s.ratios;
  const cpuRow = (kind: RunKind) => {
    const p = s.profile[kind];
    if (!p) return 'n/a | n/a';
    const load = p.throughput.map((t) => `${t.cpuMsPerRun.benchProcess} + ${t.cpuMsPerRun.devServer ?? 'n/a'}`).join(', ');
    return `${p.sequentialCpuMsPerRun.benchProcess} + ${p.sequentialCpuMsPerRun.devServer ?? 'n/a'} | ${load}`;
  };
  const loopRow = (kind: RunKind) =>
    (s.profile[kind]?.throughput ?? []).map((t) => `${t.eventLoopDelayMs.p50} / ${t.eventLoopDelayMs.p99} / ${t.eventLoopDelayMs.max}`).join(', ');
  return [
    '| Same run, same server and worker | sequential p50 (ms) | p95 | p99 | runs/s (decisions/s), concurrent | per round |',
    '|---|---:|---:|---:|---:|---|',
    `| gate: start → decision | ${g.p50} | ${g.p95} | ${g.p99} | ${s.throughput.decisionsPerSecond} | ${(s.throughput.perRound ?? []).map((x) => x.decisionsPerSecond).join(', ')} |`,
    `| floor: two no-op local activities, start → completion | ${two.serverStartToCompletionMs.p50} | ${two.serverStartToCompletionMs.p95} | ${two.serverStartToCompletionMs.p99} | ${two.throughput.runsPerSecond} | ${(two.throughput.perRound ?? []).map((x) => x.decisionsPerSecond).join(', ')} |`,
    `| floor: no-op workflow, start → completion | ${noop.serverStartToCompletionMs.p50} | ${noop.serverStartToCompletionMs.p95} | ${noop.serverStartToCompletionMs.p99} | ${noop.throughput.runsPerSecond} | ${(noop.throughput.perRound ?? []).map((x) => x.decisionsPerSecond).join(', ')} |`,
    ...(shape
      ? [
          `| floor: the gate's shape with no-op bodies (1 local + 3 activities), start → first activity | ${shape.serverStartToCompletionMs.p50} | ${shape.serverStartToCompletionMs.p95} | ${shape.serverStartToCompletionMs.p99} | ${shape.throughput.decisionsPerSecond} | ${(shape.throughput.perRound ?? []).map((x) => x.decisionsPerSecond).join(', ')} |`,
        ]
      : []),
    '',
    '| Gate ÷ floor | two local activities | no-op workflow |',
    '|---|---:|---:|',
    `| decision p50 | ${r.gateP50VsTwoLocalActivitiesP50} | ${r.gateP50VsNoopP50} |`,
    `| decision p99 | ${r.gateP99VsTwoLocalActivitiesP99} | ${r.gateP99VsNoopP99} |`,
    `| decisions/s ÷ runs/s | ${r.gateDecisionsPerSecondVsTwoLocalActivitiesRunsPerSecond} | ${r.gateDecisionsPerSecondVsNoopRunsPerSecond} |`,
    ...(r.gateDecisionsPerSecondVsGateShapeDecisionsPerSecond === undefined
      ? []
      : [
          '',
          `Gate ÷ gate-shape floor: decision p50 ${r.gateP50VsGateShapeP50}, decisions/s ${r.gateDecisionsPerSecondVsGateShapeDecisionsPerSecond}; the gate-shape floor's own decisions/s ÷ the no-op's runs/s: ${r.gateShapeDecisionsPerSecondVsNoopRunsPerSecond} (the best a run of the gate's shape reaches on this platform).`,
        ]),
    '',
    '| Per kind (profiling) | CPU ms per run, worker + server: sequential | concurrent, per round | worker event-loop delay p50 / p99 / max (ms), concurrent, per round |',
    '|---|---:|---|---|',
    `| gate | ${cpuRow('gate')} | ${loopRow('gate')} |`,
    `| two local activities | ${cpuRow('twoLocalActivities')} | ${loopRow('twoLocalActivities')} |`,
    `| no-op | ${cpuRow('noop')} | ${loopRow('noop')} |`,
    ...(s.profile.gateShape ? [`| gate shape (no-op bodies) | ${cpuRow('gateShape')} | ${loopRow('gateShape')} |`] : []),
    '',
    ...(s.spawnProbe
      ? [
          `Spawning \`true\` on this worker (RSS ${s.spawnProbe.rssMiB} MiB, ${s.spawnProbe.runs} runs): child_process.spawn blocks the event loop p50 ${s.spawnProbe.mainThreadSpawnSyncMs.p50} ms, p99 ${s.spawnProbe.mainThreadSpawnSyncMs.p99} ms (loop delay max ${s.spawnProbe.mainThreadLoopDelayMs.max} ms; CPU ${s.spawnProbe.mainThreadSpawnCpuMs ?? '-'} ms per spawn); runProcess via the spawn helper p50 ${s.spawnProbe.runProcessMs.p50} ms start → close, loop delay max ${s.spawnProbe.runProcessLoopDelayMs.max} ms, CPU (worker and helper) ${s.spawnProbe.runProcessCpuMs ?? '-'} ms per run`,
          '',
        ]
      : []),
    ...(s.watchdogProbe
      ? [
          `Calls into a vm context (${s.watchdogProbe.calls} each, interleaved): with the SDK's isolateExecutionTimeout watchdog ${s.watchdogProbe.withTimeoutUs.wall} µs wall / ${s.watchdogProbe.withTimeoutUs.cpu} µs CPU per call, without ${s.watchdogProbe.withoutTimeoutUs.wall} / ${s.watchdogProbe.withoutTimeoutUs.cpu} µs`,
          '',
        ]
      : []),
    `Gate activities (mean ms, sequential): ${activityList(s.profile.gate.sequential.activities)}`,
    '',
    `Gate activities (mean ms, concurrent, round 1): ${activityList(s.profile.gate.throughput[0]?.activities ?? {})}`,
  ];
}

const activityList = (activities: PhaseProbes['activities']) =>
  Object.entries(activities)
    .map(([name, a]) => `${name} ${a.meanMs} (×${a.count}${a.dbQueriesPerCall === undefined ? '' : `, ${a.dbQueriesPerCall} DB queries each`})`)
    .join(', ');
