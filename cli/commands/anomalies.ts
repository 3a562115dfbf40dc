import { Command, InvalidArgumentError, Option } from 'commander';
import type { RunMetric } from '../../domain/metrics/anomaly-policy.js';
import { scanRuns } from '../../domain/metrics/scoring.js';
import {
  anomalyScanWorkflowId,
  formatMetricValue,
  withoutMetrics,
  type AnomalyCheckInput,
  type AnomalyMonitorResult,
  type RunAnomalyCheck,
} from '../../domain/monitoring/index.js';
import type { AnomalyChartPoint } from '../plot/index.js';
import type { CliContext } from '../context.js';
import { nonNegative } from '../options.js';
import { CliError, printResult } from '../output.js';
import { writePlotFile } from '../plot-file.js';
import { rootMessage } from '../../domain/errors/root-message.js';
import { ExitCode } from '../exit-codes.js';

// The Temporal client, the workflow, the repositories and the charting library (vega) are imported when a subcommand
// runs (`await import`), not when the command is built: `sentinel --help` builds every command and needs none of them.
const repositories = () => import('../../db/repositories/metrics-history.js');

const DAY_MS = 86_400_000;
/** How much history `--plot` draws. */
const PLOT_DAYS = 90;

const pastIsoDate = (raw: string): string => {
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`must be an ISO 8601 date-time, e.g. 2026-11-20T00:00:00Z (got "${raw}")`);
  if (ms > Date.now()) throw new InvalidArgumentError(`must not be in the future (got "${raw}")`);
  return new Date(ms).toISOString();
};

const METRIC_OF = { duration: 'durationSeconds', size: 'sizeBytes' } as const satisfies Record<string, RunMetric>;

interface CheckOutput extends RunAnomalyCheck {
  run: { source: 'given' | 'latest-run'; startedAt: string; durationSeconds: number | null; sizeBytes: number | null };
  plot?: string;
}

export function anomaliesCommand(ctx: CliContext): Command {
  const anomalies = new Command('anomalies').description('Robust anomaly detection on backup runs: check one target, or scan all targets');

  anomalies
    .command('check')
    .description(
      "Score a run of a target against its history (robust, seasonal, point in time), without alerting: the given --duration/--size as a run starting now, or else the target's latest completed run",
    )
    .requiredOption('--target <name>', 'target name from sentinel.yaml')
    .option('--duration <s>', 'run duration in seconds', nonNegative)
    .option('--size <bytes>', 'backup size in bytes', nonNegative)
    .option('--plot <file.svg>', "draw the target's last 90 days of runs, the baseline band and this run")
    .addOption(
      new Option('--metric <metric>', 'metric to draw with --plot (default: duration, or size when only --size is given)').choices(['duration', 'size']),
    )
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const target = (await ctx.target(opts.target)).name;
      const db = (await ctx.db()).pool;
      const given = opts.duration !== undefined || opts.size !== undefined;
      let run: AnomalyCheckInput;
      const unknown: RunMetric[] = [];
      if (given) {
        if (opts.duration === undefined) unknown.push('durationSeconds');
        run = {
          target,
          backupId: 'sentinel-anomalies-check',
          startedAt: new Date().toISOString(),
          durationSeconds: opts.duration ?? 0,
          sizeBytes: opts.size ?? null,
        };
      } else {
        const latest = await (await repositories()).latestCompletedRun(db, target);
        if (!latest) throw new CliError(`${target}: no completed run to check yet; pass --duration and/or --size`);
        run = {
          target,
          backupId: latest.backupId,
          startedAt: latest.startedAt.toISOString(),
          durationSeconds: latest.durationSeconds,
          sizeBytes: latest.sizeKnown ? latest.sizeBytes : null,
        };
      }
      const { checkTargetRun } = await import('../../capabilities/monitoring/anomalies.js');
      const check = await checkTargetRun(db, run, unknown);
      const output: CheckOutput = {
        ...check,
        run: {
          source: given ? 'given' : 'latest-run',
          startedAt: run.startedAt,
          durationSeconds: unknown.includes('durationSeconds') ? null : run.durationSeconds,
          sizeBytes: run.sizeBytes,
        },
      };
      if (opts.plot) {
        const metric: RunMetric =
          METRIC_OF[(opts.metric ?? (opts.duration === undefined && opts.size !== undefined ? 'size' : 'duration')) as keyof typeof METRIC_OF];
        output.plot = await writePlotFile(opts.plot, await anomalyPlot(ctx, target, run, check, metric));
      }
      printResult(output, opts.json, describeCheck);
    });

  anomalies
    .command('scan')
    .description(
      'Run anomalyMonitorWorkflow now (workflow ID anomaly-scan/<ISO time>) over all targets and print its summary; alerts once per new incident. Exit code 1 when a target could not be scanned (listed with the reason; the others are scanned)',
    )
    .option('--since <iso>', 'score runs that started at or after this time (default: the last 24 h)', pastIsoDate)
    .option('--plot <file.svg>', "draw the most severe finding's target and metric: its last 90 days, the baseline band, flagged runs")
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const client = await ctx.client();
      const [{ WorkflowFailedError }, { anomalyMonitorWorkflow }] = await Promise.all([
        import('@temporalio/client'),
        import('../../workflows/anomaly-monitor.js'),
      ]);
      const workflowId = anomalyScanWorkflowId(new Date());
      let result: AnomalyMonitorResult;
      try {
        result = await client.workflow.execute(anomalyMonitorWorkflow, {
          taskQueue: ctx.env.taskQueue,
          workflowId,
          args: [opts.since ? { since: opts.since } : {}],
        });
      } catch (error) {
        if (error instanceof WorkflowFailedError) throw new CliError(`${workflowId} failed: ${rootMessage(error)}`);
        throw error;
      }
      const output: AnomalyMonitorResult & { plot?: string | null } = result;
      if (opts.plot) {
        const top = result.findings[0];
        const finding = top?.findings.find((f) => f.isAnomaly && f.severity === top.severity) ?? top?.findings.find((f) => f.isAnomaly);
        output.plot = top && finding ? await writePlotFile(opts.plot, await historyChart(ctx, top.target, finding.metric, null)) : null;
        if (output.plot === null) process.stderr.write('no anomalous run to draw: no chart written\n');
      }
      printResult(output, opts.json, describeScan);
      // The other targets were scanned and stored; still, a target that could not be scanned is a failure to see.
      if ((result.failedTargets ?? []).length > 0) process.exitCode = 1;
    });
  return anomalies;
}

/** The checked run on top of its target's history (see historyChart). */
async function anomalyPlot(ctx: CliContext, target: string, run: AnomalyCheckInput, check: RunAnomalyCheck, metric: RunMetric): Promise<string> {
  const finding = check.findings.find((f) => f.metric === metric);
  if (check.status === 'scored' && !finding)
    throw new CliError(`--plot: this run has no ${metric === 'sizeBytes' ? 'size' : 'duration'} to draw; choose --metric`, ExitCode.invalidInput);
  const value = metric === 'sizeBytes' ? run.sizeBytes : run.durationSeconds;
  const point: AnomalyChartPoint | null =
    value === null ? null : { at: run.startedAt, value, expected: finding?.expected ?? null, flagged: finding?.isAnomaly ?? false };
  if (point && finding) point.severity = finding.severity;
  return historyChart(ctx, target, metric, point && { backupId: run.backupId, point, title: `${target}: ${metric} (checked run at ${run.startedAt})` });
}

/**
 * A target's last 90 days of one metric, each run against baselines from the whole window (a retrospective view:
 * the robust baseline keeps anomalies from hiding themselves), with `extra` drawn in place of its stored run.
 */
async function historyChart(
  ctx: CliContext,
  target: string,
  metric: RunMetric,
  extra: { backupId: string; point: AnomalyChartPoint; title: string } | null,
): Promise<string> {
  const db = (await ctx.db()).pool;
  const [{ finishedRuns }, { anomalyChartInput, renderAnomalySvg }] = await Promise.all([repositories(), import('../plot/index.js')]);
  const now = new Date();
  const history = (await finishedRuns(db, target, new Date(now.getTime() - PLOT_DAYS * DAY_MS), now)).filter(
    (r) => r.backupId !== extra?.backupId && (metric !== 'sizeBytes' || r.sizeKnown),
  );
  const unsized = new Set(history.filter((r) => !r.sizeKnown).map((r) => r.backupId));
  const scores = (scanRuns(history, { includeAll: true }).results ?? []).map((s) => withoutMetrics(s, unsized.has(s.backupId) ? ['sizeBytes'] : []));
  const input = anomalyChartInput(scores, metric, target, metric === 'sizeBytes' ? 'bytes' : 's');
  if (extra) {
    input.points.push(extra.point);
    input.title = extra.title;
  }
  return renderAnomalySvg(input);
}

function describeCheck(c: CheckOutput): string {
  const head =
    c.status === 'scored'
      ? `${c.target}: ${c.isAnomaly ? `${c.severity} anomaly` : 'normal'} (baseline ${c.baseline?.level}, ${c.baseline?.runCount} runs; ${c.historyRuns} in the target's history)`
      : `${c.target}: not scored: ${c.message}`;
  const lines = [head];
  for (const f of c.findings) {
    lines.push(
      `  ${f.metric} ${formatMetricValue(f.metric, f.value)}: ${f.isAnomaly ? `${f.direction} usual, ${f.severity}` : 'within usual range'} ` +
        `(median ${formatMetricValue(f.metric, f.expected.median)}, usual ${formatMetricValue(f.metric, f.expected.lower)}-${formatMetricValue(f.metric, f.expected.upper)}, modified z ${f.score.toFixed(1)})`,
    );
  }
  if (c.possiblePartialBackup) lines.push('  possible partial backup: the size dropped although the run succeeded');
  if (c.unscoredMetrics.length > 0) lines.push(`  not scored (not reported): ${c.unscoredMetrics.join(', ')}`);
  if (c.plot) lines.push(`chart: ${c.plot}`);
  return lines.join('\n');
}

function describeScan(r: AnomalyMonitorResult & { plot?: string | null }): string {
  const c = r.counts;
  const lines = [
    `${r.workflowId}: ${c.targets} target(s), ${c.considered} run(s) since ${r.since}: ${c.scored} scored, ${c.anomalous} anomalous (${c.critical} critical, ${c.possiblePartialBackups} possible partial), ${c.insufficientHistory} without enough history`,
    `incidents: ${r.incidents.opened.length} opened, ${r.incidents.closed.length} closed, ${r.incidents.openAfter} open; alerts sent ${r.alertsSent.length}${r.alertsFailed.length ? `, failed ${r.alertsFailed.length}` : ''}`,
    ...r.findings.slice(0, 20).map((f) => `  ${f.severity.padEnd(8)} ${f.target} ${f.startedAt} ${f.reasons.join(', ')}`),
    ...r.drift.map(
      (d) =>
        `  drift    ${d.target} ${d.metric} ${d.direction} (EWMA ${d.current === null ? '?' : formatMetricValue(d.metric, d.current)} vs ${d.centre === null ? '?' : formatMetricValue(d.metric, d.centre)})`,
    ),
  ];
  const unlisted = r.findings.length - Math.min(20, r.findings.length) + r.findingsOmitted;
  if (unlisted > 0) lines.push(`  ... and ${unlisted} more anomalous run(s) (--json lists up to 100)`);
  for (const f of r.failedTargets ?? []) lines.push(`  FAILED   ${f.target}: ${f.error} (not scanned; the next scan tries again)`);
  if (r.plot) lines.push(`chart: ${r.plot}`);
  return lines.join('\n');
}
