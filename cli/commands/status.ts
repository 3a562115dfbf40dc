import { Command } from 'commander';
import { scheduleLookup, type ScheduleLookup } from '../../capabilities/freshness/schedules.js';
import { targetStatuses, type StatusReport, type TargetStatus } from '../../capabilities/freshness/status.js';
import { formatDuration } from '../../domain/freshness/objective.js';
import { redactSecrets } from '../../platform/redact.js';
import type { CliContext } from '../context.js';
import { statusExitCode } from '../exit-codes.js';
import { printResult } from '../output.js';

/**
 * `sentinel status`: one table a person reads at a glance, one row per target: freshness against maxAge, last
 * drill and its RTO, current risk and model, next scheduled run, open incidents, store size and days until full.
 * Exit code 7/8/9 when anything is stale/failing/critical (cli/exit-codes.ts), so cron and monitoring can use it.
 */
export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description(
      'One line per target: last success and its age against maxAge, last drill and RTO, risk and model, next run, open incidents, store size and days until full (exit 7 stale, 8 failing, 9 critical)',
    )
    .option('--target <name>', 'only this target from sentinel.yaml')
    .option('--json', 'print JSON')
    .action(async (opts: { target?: string; json?: boolean }) => {
      const settings = await ctx.config();
      const only = opts.target ? [await ctx.target(opts.target)] : undefined;
      const db = (await ctx.db()).pool;
      const report = await targetStatuses({ db, settings, backupDir: ctx.env.backupDir, schedules: await reachableSchedules(ctx) }, only);
      const problems = report.targets.flatMap((t) => t.problems);
      printResult({ ...report, exitCode: statusExitCode(problems) }, opts.json, renderStatus);
      process.exitCode = statusExitCode(problems);
    });
}

/** The schedules through Temporal, or null (states `unknown`) when it cannot be reached: the rest still reports. */
async function reachableSchedules(ctx: CliContext): Promise<ScheduleLookup | null> {
  try {
    return scheduleLookup(await ctx.client());
  } catch (error) {
    process.stderr.write(`warning: Temporal not reachable, schedules unknown: ${redactSecrets((error as Error).message)}\n`);
    return null;
  }
}

const time = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : '-');

function cells(t: TargetStatus): string[] {
  const f = t.freshness;
  const age = f.ageSeconds === null ? 'never' : formatDuration(f.ageSeconds * 1000);
  const maxAge = f.maxAgeSeconds === null ? '-' : formatDuration(f.maxAgeSeconds * 1000);
  const fresh = f.state === 'fresh' ? '✓' : f.state === 'stale' ? 'stale' : '-';
  const drill =
    !t.lastDrill.available || t.lastDrill.status === null
      ? '-'
      : `${t.lastDrill.status}${t.lastDrill.restoreSeconds === null ? '' : ` ${formatDuration(t.lastDrill.restoreSeconds * 1000)}`}`;
  const risk = 'error' in t.risk ? 'error' : `${t.risk.level} ${t.risk.probability.toFixed(2)} (${t.risk.model})`;
  const next = t.schedule.state === 'active' ? time(t.schedule.nextRunAt) : t.schedule.state === 'not-declared' ? '-' : t.schedule.state;
  const incidents =
    Object.entries(t.openIncidents)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(', ') || '-';
  const store = 'error' in t.store || t.store.sizeGb === null ? '-' : `${t.store.sizeGb.toFixed(t.store.sizeGb < 10 ? 2 : 1)} GB`;
  const full = 'error' in t.store || t.store.daysUntilFull === null ? '-' : `${Math.floor(t.store.daysUntilFull)} d`;
  const last = t.lastAttempt?.status === 'failed' ? `${time(f.lastSuccessAt)} (last try failed)` : time(f.lastSuccessAt);
  return [t.target, last, `${age} / ${maxAge}`, fresh, drill, risk, next, incidents, store, full];
}

const HEADER = ['TARGET', 'LAST SUCCESS', 'AGE / MAXAGE', 'FRESH', 'LAST DRILL (RTO)', 'RISK (MODEL)', 'NEXT RUN', 'OPEN INCIDENTS', 'STORE', 'FULL IN'];

export function renderStatus(report: StatusReport & { exitCode: number }): string {
  if (report.targets.length === 0) return 'no targets in sentinel.yaml';
  const rows = [HEADER, ...report.targets.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length))
      .join('  ')
      .trimEnd(),
  );
  const attention = report.targets.filter((t) => t.problems.length > 0);
  lines.push('');
  lines.push(
    attention.length === 0
      ? `all ${report.targets.length} target(s) fresh, nothing failing or critical`
      : attention.map((t) => `${t.target}: ${t.problems.join(', ')}`).join('\n'),
  );
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
