import type { MachineFacts } from '../decision-latency/machine.js';
import type { BurstResult } from './burst.js';
import type { SoakResult } from './soak.js';

export interface Verdict {
  check: string;
  measured: string;
  pass: boolean;
}

export interface LoadSummary {
  bench: 'load';
  machine: MachineFacts & { loadAverageAtEnd: [number, number, number] };
  temporal: { address: string; source: string; version: string };
  postgres: { database: string; server: string; version: string };
  payloadEncryption: boolean;
  method: {
    runs: number;
    targets: number;
    duplicates: number;
    backupCommand: string;
    gate: Record<string, unknown>;
    burstSampleSeconds: number;
    settleSeconds: number;
    soakRate: number;
    soakWarmupSeconds: number;
    soakSeconds: number;
    soakSampleSeconds: number;
    soakBoundMiB: number;
  };
  phases: { A?: BurstResult; B?: BurstResult; C?: SoakResult };
  verdicts: Verdict[];
  /** Worker logs and memory-probe files of this run (kept after the bench). */
  logDir: string;
  wallClockSeconds: number;
}

export function verdicts(phases: LoadSummary['phases']): Verdict[] {
  const out: Verdict[] = [];
  for (const burst of [phases.A, phases.B]) {
    if (!burst) continue;
    const label = `phase ${burst.phase} (${burst.workers} worker${burst.workers > 1 ? 's' : ''})`;
    const c = burst.checks;
    out.push({
      check: `${label}: all ${c.expectedRuns} runs completed, each exactly once, one backup_runs row each`,
      measured: `${c.completed}/${c.expectedRuns} completed, ${c.executions} executions, ${c.recorded.rows} rows, ${c.recorded.duplicatedCount} IDs with >1 row${c.problems.length ? `; ${c.problems.join('; ')}` : ''}`,
      pass: c.pass && burst.startErrors === 0,
    });
    const d = burst.duplicates;
    out.push({
      check: `${label}: ${d.duplicateStarts} duplicate starts created no run`,
      measured: `${d.pairsWithOneExecution}/${d.duplicateStarts} pairs with one execution (${d.duplicateReportedExisting} duplicates answered "already started", ${d.originalReportedExisting} races won by the duplicate's RPC), ${d.failedStarts} failed starts`,
      pass: d.pass,
    });
    const unclean = burst.workerExits.filter((e) => e.code !== 0);
    out.push({
      check: `${label}: worker process(es) stayed up and stopped cleanly`,
      measured: burst.workerExits.map((e) => `${e.worker}: exit ${e.code ?? e.signal}`).join(', '),
      pass: unclean.length === 0,
    });
  }
  const soak = phases.C;
  if (soak) {
    const c = soak.checks;
    out.push({
      check: `soak: all ${c.expectedRuns} runs completed, each exactly once, one backup_runs row each`,
      measured: `${c.completed}/${c.expectedRuns} completed, ${c.recorded.rows} rows, ${c.recorded.duplicatedCount} IDs with >1 row${c.problems.length ? `; ${c.problems.join('; ')}` : ''}`,
      pass: c.pass && soak.startErrors === 0,
    });
    const m = soak.memory;
    out.push({
      check: `soak: worker RSS growth over ${soak.soakSeconds} s <= ${m.boundMiB} MiB (median of the last ${m.windowSeconds} s - median of the first ${m.windowSeconds} s after warm-up)`,
      measured: `${m.startWindowMedianMiB} -> ${m.endWindowMedianMiB} MiB: ${m.growthMiB >= 0 ? '+' : ''}${m.growthMiB} MiB (${m.growthPercent} %), max ${m.maxMiB} MiB, slope ${m.slopeMiBPerMinute} MiB/min`,
      pass: m.pass,
    });
    out.push({
      check: 'soak: worker process stayed up and stopped cleanly',
      measured: `exit ${soak.worker.exit.code ?? soak.worker.exit.signal}`,
      pass: soak.worker.exit.code === 0,
    });
  }
  return out;
}

const pct = (p: { p50: number; p90: number; p99: number; max: number }) => `${sec(p.p50)} / ${sec(p.p90)} / ${sec(p.p99)} / ${sec(p.max)}`;
const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export function markdown(s: LoadSummary): string {
  const lines: string[] = [];
  const bursts = [s.phases.A, s.phases.B].filter((b): b is BurstResult => Boolean(b));
  if (bursts.length) {
    const head = bursts.map((b) => `phase ${b.phase}: ${b.workers} worker process${b.workers > 1 ? 'es' : ''}`);
    const row = (name: string, cell: (b: BurstResult) => string) => `| ${name} | ${bursts.map(cell).join(' | ')} |`;
    lines.push(
      `| Burst | ${head.join(' | ')} |`,
      `|---|${bursts.map(() => '---:').join('|')}|`,
      row('runs started at once (+ duplicate starts)', (b) => `${b.runs} (+${b.duplicates.duplicateStarts})`),
      row('all start RPCs returned (client clock)', (b) => `${b.timing.clientStartSeconds} s`),
      row('first → last WorkflowExecutionStarted', (b) => `${b.timing.serverStartWindowSeconds} s`),
      row('first start → last close', (b) => `${b.timing.completionWindowSeconds} s`),
      row('**throughput** (runs / that window)', (b) => `**${b.timing.runsPerSecond} runs/s**`),
      row('start → close p50 / p90 / p99 / max', (b) => pct(b.startToCloseMs)),
      row('completed / executions listed', (b) => `${b.checks.completed} / ${b.checks.executions}`),
      row(
        'backup_runs rows / IDs with > 1 row / missing',
        (b) => `${b.checks.recorded.rows} / ${b.checks.recorded.duplicatedCount} / ${b.checks.recorded.missingCount}`,
      ),
      row('duplicate starts that made a run', (b) => `${b.duplicates.duplicateStarts - b.duplicates.pairsWithOneExecution} of ${b.duplicates.duplicateStarts}`),
      row('decisions', (b) =>
        Object.entries(b.checks.decisions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ),
      row('worker RSS before → after (sampled max; VmHWM)', (b) =>
        b.memory.map((m) => `${m.rssBeforeMiB} → ${m.rssAfterMiB} MiB (${m.rssMaxSampledMiB}; ${m.rssPeakMiB ?? '?'})`).join('<br>'),
      ),
      row('worker main-thread heap used before → after', (b) =>
        b.memory.map((m) => `${m.heapUsedBeforeMiB ?? '?'} → ${m.heapUsedAfterMiB ?? '?'} MiB`).join('<br>'),
      ),
      row(
        'CPU: worker(s) with their spawn helpers / dev server',
        (b) => `${b.memory.map((m) => `${m.cpuSeconds ?? '?'} s`).join(' + ')} / ${b.devServer.cpuSeconds ?? '?'} s`,
      ),
      row('dev server RSS before → after', (b) => `${b.devServer.rssBeforeMiB} → ${b.devServer.rssAfterMiB} MiB`),
      row('load average (1 min) start → end', (b) => `${b.loadAverage.start[0]} → ${b.loadAverage.end[0]}`),
    );
    const split = s.phases.B?.split;
    if (split) {
      lines.push(
        '',
        "| Phase B split (from every run's history) | runs decided (first workflow task) | backups run (`runBackup`) | workflow tasks | activities |",
        '|---|---:|---:|---:|---:|',
      );
      for (const w of split.perWorker)
        lines.push(`| ${w.worker} (${w.identity}) | ${w.runsDecided} | ${w.backupsRun} | ${w.workflowTasks} | ${w.activities} |`);
      lines.push(`| runs entirely on one worker / moved between workers | ${split.runsOnOneWorker} / ${split.runsOnSeveralWorkers} | | | |`);
    }
  }
  const soak = s.phases.C;
  if (soak) {
    const m = soak.memory;
    const minuteP99 = soak.perMinute.map((p) => p.p99);
    lines.push(
      '',
      '| Soak (one worker process) | value |',
      '|---|---:|',
      `| rate / warm-up / soak | ${soak.rate} runs/s / ${soak.warmupSeconds} s / ${soak.soakSeconds} s |`,
      `| runs started (achieved rate) | ${soak.runsStarted} (${soak.achievedStartRate}/s) |`,
      `| completed / backup_runs rows / IDs with > 1 row | ${soak.checks.completed} / ${soak.checks.recorded.rows} / ${soak.checks.recorded.duplicatedCount} |`,
      `| start → close p50 / p90 / p99 / max | ${pct(soak.startToCloseMs)} |`,
      `| per-minute p99, lowest – highest | ${sec(Math.min(...minuteP99))} – ${sec(Math.max(...minuteP99))} |`,
      `| runs running at a sample: median / max | ${soak.running.median} / ${soak.running.max} |`,
      `| worker RSS after warm-up (first sample / median of first ${m.windowSeconds} s) | ${m.startMiB} / ${m.startWindowMedianMiB} MiB |`,
      `| worker RSS max during the soak | ${m.maxMiB} MiB |`,
      `| worker RSS at the end (last sample / median of last ${m.windowSeconds} s) | ${m.endMiB} / ${m.endWindowMedianMiB} MiB |`,
      `| **growth (end median − start median)** vs bound | **${m.growthMiB >= 0 ? '+' : ''}${m.growthMiB} MiB (${m.growthPercent} %)** vs ≤ ${m.boundMiB} MiB: **${m.pass ? 'pass' : 'FAIL'}** |`,
      `| raw growth (last − first sample); least-squares slope | ${m.rawGrowthMiB} MiB; ${m.slopeMiBPerMinute} MiB/min |`,
      `| worker main-thread heap used: start / max / end | ${soak.heapUsedMiB.start ?? '?'} / ${soak.heapUsedMiB.max ?? '?'} / ${soak.heapUsedMiB.end ?? '?'} MiB |`,
      `| worker CPU (busy cores) | ${soak.worker.cpuSeconds ?? '?'} s (${soak.worker.cores ?? '?'}) |`,
      `| dev server RSS start → end; CPU | ${soak.devServer.rssStartMiB} → ${soak.devServer.rssEndMiB} MiB; ${soak.devServer.cpuSeconds ?? '?'} s |`,
      `| load average (1 min) start → end | ${soak.loadAverage.start[0]} → ${soak.loadAverage.end[0]} |`,
    );
  }
  lines.push(
    '',
    '| Check | measured | result |',
    '|---|---|---|',
    ...s.verdicts.map((v) => `| ${v.check} | ${v.measured} | ${v.pass ? 'pass' : '**FAIL**'} |`),
  );
  return lines.join('\n');
}
