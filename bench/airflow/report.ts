import type { LatencySummary } from '../decision-latency/stats.js';
import type { MachineFacts } from '../decision-latency/machine.js';
import type { SentinelFigures } from './sentinel.js';
import type { AirflowSetting } from './settings.js';
import type { AirflowBreakdown, BurstThroughput, Ratios } from './timings.js';

/** What bench/results/airflow.json holds. */
export interface AirflowBenchSummary {
  bench: 'airflow';
  machine: MachineFacts & { loadAverageAtEnd: [number, number, number] };
  airflow: {
    version: string;
    python: string;
    install: { installedNow: boolean; seconds: number };
    database: { name: string; server: string; version: string };
    dag: string;
    settings: AirflowSetting[];
    method: { warmupRuns: number; latencyRuns: number; burstRuns: number; triggerConcurrency: number; decisionMoment: string };
    loadAverage: { atStart: [number, number, number]; atEnd: [number, number, number] };
    latency: { triggerToDecisionMs: LatencySummary; clientTriggerToDecisionMs: LatencySummary; meanBreakdownMs: AirflowBreakdown };
    throughput: BurstThroughput;
    runsNotProceeding: number;
    wallClockSeconds: number;
  };
  sentinel: Omit<SentinelFigures, 'summary'> & { wallClockSeconds: number; summary: unknown };
  ratios: Ratios;
  wallClockSeconds: number;
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v} ms`);

export function markdownReport(s: AirflowBenchSummary): string {
  const a = s.airflow;
  const l = a.latency.triggerToDecisionMs;
  const c = a.latency.clientTriggerToDecisionMs;
  const sl = s.sentinel.latencyMs;
  const b = a.latency.meanBreakdownMs;
  const tb = a.throughput.meanBreakdownMs;
  return [
    '| Trigger → decision (server timestamps) | runs | p50 | p95 | p99 | decisions/s (burst) |',
    '|---|---:|---:|---:|---:|---:|',
    `| Apache Airflow ${a.version}, LocalExecutor (run queued_at → branch end_date) | ${l.count} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${a.throughput.decisionsPerSecond} (${a.throughput.runs} at once) |`,
    `| Backup Sentinel, \`npm run bench\` (WorkflowExecutionStarted → BackupDecision upsert) | ${sl.count} | ${ms(sl.p50)} | ${ms(sl.p95)} | ${ms(sl.p99)} | ${s.sentinel.decisionsPerSecond} (${s.sentinel.burstRuns} at once) |`,
    `| **ratio** | | **${s.ratios.latencyP50}×** (Airflow p50 / sentinel p50) | ${s.ratios.latencyP95}× | | **${s.ratios.throughput}×** (sentinel / Airflow) |`,
    '',
    `Airflow, client clock before the trigger request → branch end_date: p50 ${ms(c.p50)}, p95 ${ms(c.p95)}.`,
    '',
    '| Airflow: mean time per run up to the decision (ms) | sequential | burst |',
    '|---|---:|---:|',
    `| run queued → predict queued (scheduler loop) | ${b.runToPredictQueued} | ${tb.runToPredictQueued} |`,
    `| predict queued → started (LocalExecutor, task process fork) | ${b.predictQueuedToStart} | ${tb.predictQueuedToStart} |`,
    `| predict running | ${b.predictRun} | ${tb.predictRun} |`,
    `| predict ended → branch queued (scheduler loop) | ${b.predictEndToBranchQueued} | ${tb.predictEndToBranchQueued} |`,
    `| branch queued → started | ${b.branchQueuedToStart} | ${tb.branchQueuedToStart} |`,
    `| branch running (until its end_date: the decision) | ${b.branchRun} | ${tb.branchRun} |`,
    '',
    `Load average (1/5/15 min): Airflow phase ${a.loadAverage.atStart.join(' / ')} at start, ${a.loadAverage.atEnd.join(' / ')} at end; ` +
      `sentinel phase ${s.sentinel.loadAverageAtStart.join(' / ')} at start; ${s.machine.nproc} CPU(s), ${s.machine.date}.`,
  ].join('\n');
}
