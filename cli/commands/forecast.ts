import { Command, InvalidArgumentError } from 'commander';
import { MetricsInputError } from '../../domain/metrics/errors.js';
import { MAX_FORECAST_DAYS, forecast, type ForecastResult } from '../../domain/metrics/forecast.js';
import { forecastSeries, type SeriesForecast } from '../../domain/metrics/series-forecast.js';
import type { CapacityEntry } from '../../domain/monitoring/index.js';
import type { CliContext } from '../context.js';
import { CliError, printResult } from '../output.js';
import { writePlotFile } from '../plot-file.js';
import { ExitCode } from '../exit-codes.js';

const DAY_MS = 86_400_000;

const daysAhead = (raw: string): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > MAX_FORECAST_DAYS)
    throw new InvalidArgumentError(`must be a number of days > 0 and <= ${MAX_FORECAST_DAYS} (got "${raw}")`);
  return value;
};

const positiveGb = (raw: string): number => {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`must be a number of GB > 0 (got "${raw}")`);
  return value;
};

/** `10.5,11.2,12.1`: daily sizes in GB, oldest first. Rejects empty items, NaN and negatives by position. */
export function parseSizes(raw: string): number[] {
  const items = raw.split(',').map((s) => s.trim());
  if (raw.trim() === '') throw new InvalidArgumentError('is empty: give daily sizes in GB, oldest first, e.g. 10.5,11.2,12.1');
  return items.map((item, i) => {
    const value = Number(item);
    if (item === '' || !Number.isFinite(value)) throw new InvalidArgumentError(`value ${i + 1} ("${item}") is not a number`);
    if (value < 0) throw new InvalidArgumentError(`value ${i + 1} (${item}) is negative; sizes are >= 0`);
    return value;
  });
}

type SeriesOutput = ForecastResult & { input: { points: number; daysAhead: number }; plot?: string };
type TargetOutput = CapacityEntry & { target: string; daysAhead: number; plot?: string };

export function forecastCommand(ctx: CliContext): Command {
  return new Command('forecast')
    .description("Forecast backup storage: a target's retained backups (with days until full) or a bare series of daily sizes in GB")
    .option('--target <name>', 'target name from sentinel.yaml: forecast its retained backups (or database size) from backup_runs')
    .option('--sizes <list>', 'comma-separated daily sizes in GB, oldest first, e.g. 10.5,11.2,12.1', parseSizes)
    .requiredOption('--days <n>', 'days ahead to forecast', daysAhead)
    .option(
      '--capacity-gb <c>',
      'capacity in GB: adds days until full (--target default: capacityGb from sentinel.yaml, else the BACKUP_DIR filesystem)',
      positiveGb,
    )
    .option('--plot <file.svg>', 'draw the history, the fit, the 95% interval and the capacity line')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      if ((opts.target === undefined) === (opts.sizes === undefined))
        throw new CliError('give exactly one of --target NAME or --sizes LIST', ExitCode.invalidInput);
      try {
        if (opts.sizes) await forecastBareSeries(opts);
        else await forecastTarget(ctx, opts);
      } catch (error) {
        if (error instanceof MetricsInputError) throw new CliError(error.message.replace(/^historicalSizes/, '--sizes'));
        throw error;
      }
    });
}

async function forecastBareSeries(opts: { sizes: number[]; days: number; capacityGb?: number; plot?: string; json?: boolean }): Promise<void> {
  const result = forecast(opts.sizes, opts.days, opts.capacityGb !== undefined ? { capacityGb: opts.capacityGb } : {});
  const output: SeriesOutput = { input: { points: opts.sizes.length, daysAhead: opts.days }, ...result };
  if (opts.plot) {
    // The same OLS line drawn on dates: one value per day, the last one today.
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const n = opts.sizes.length;
    const series = forecastSeries(
      opts.sizes.map((value, i) => ({ at: today - (n - 1 - i) * DAY_MS, value })),
      {
        daysAhead: opts.days,
        method: 'ols',
        windowDays: n,
        ...(opts.capacityGb !== undefined ? { capacity: opts.capacityGb } : {}),
      },
    );
    // The charting library (vega) is imported only when a chart is asked for.
    const { forecastChartInput, renderForecastSvg } = await import('../plot/index.js');
    output.plot = await writePlotFile(
      opts.plot,
      await renderForecastSvg(forecastChartInput(series, 'size', { unit: 'GB', capacity: opts.capacityGb ?? null })),
    );
  }
  printResult(output, opts.json, (r: SeriesOutput) =>
    [
      `${r.n} daily points, OLS: in ${r.daysAhead} days ${r.predictedSizeGb.toFixed(2)} GB (95% interval ${r.lower.toFixed(2)}-${r.upper.toFixed(2)} GB), trend ${r.trend} (${signed(r.slopePerDay)} GB/day), R² ${r.r2.toFixed(3)}`,
      ...(r.daysUntilFull
        ? [fullLine(r.daysUntilFull.capacity, r.daysUntilFull.pointDays, r.daysUntilFull.conservativeDays, r.daysUntilFull.alreadyFull)]
        : []),
      ...(r.plot ? [`chart: ${r.plot}`] : []),
    ].join('\n'),
  );
}

async function forecastTarget(ctx: CliContext, opts: { target: string; days: number; capacityGb?: number; plot?: string; json?: boolean }): Promise<void> {
  const target = await ctx.target(opts.target);
  const db = (await ctx.db()).pool;
  const { filesystemSpace, forecastTargetCapacity } = await import('../../capabilities/monitoring/capacity.js');
  const filesystem = await filesystemSpace(ctx.env.backupDir).catch(() => null);
  const { entry, forecast: series } = await forecastTargetCapacity(db, target, {
    horizonDays: opts.days,
    filesystem,
    backupDir: ctx.env.backupDir,
    ...(opts.capacityGb !== undefined ? { capacityGb: opts.capacityGb } : {}),
  });
  if (entry.status !== 'forecast' || !series) throw new CliError(`${target.name}: ${entry.message ?? 'no forecast'}`);
  const output: TargetOutput = { target: target.name, daysAhead: opts.days, ...entry };
  if (opts.plot) output.plot = await writePlotFile(opts.plot, await targetChart(target.name, series, entry));
  printResult(output, opts.json, (r: TargetOutput) => {
    const f = r.forecast!;
    return [
      `${r.target} (${r.series}, ${r.points} daily points, ${f.method}): ${r.lastValueGb?.toFixed(2)} GB on ${r.lastDate}; in ${r.daysAhead} days ${f.predictedSizeGb.toFixed(2)} GB (95% interval ${f.lower.toFixed(2)}-${f.upper.toFixed(2)} GB), trend ${f.trend} (${signed(f.slopePerDay)} GB/day)`,
      r.daysUntilFull && r.capacityGb !== null
        ? `${fullLine(r.capacityGb, r.daysUntilFull.point, r.daysUntilFull.conservative, r.daysUntilFull.alreadyFull)} [capacity from ${r.capacitySource}]`
        : 'no capacity known: set capacityGb in sentinel.yaml or pass --capacity-gb',
      ...(r.plot ? [`chart: ${r.plot}`] : []),
    ].join('\n');
  });
}

async function targetChart(name: string, series: SeriesForecast, entry: CapacityEntry): Promise<string> {
  const { forecastChartInput, renderForecastSvg } = await import('../plot/index.js');
  return renderForecastSvg(forecastChartInput(series, name, { unit: 'GB', capacity: entry.capacityGb, title: `${name}: ${entry.series} forecast` }));
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toPrecision(3)}`;

function fullLine(capacity: number, point: number | null, conservative: number | null, alreadyFull: boolean): string {
  if (alreadyFull) return `capacity ${capacity.toFixed(1)} GB: already full`;
  if (point === null && conservative === null) return `capacity ${capacity.toFixed(1)} GB: not filling within 10 years`;
  const d = (x: number | null) => (x === null ? 'beyond 10 years' : `${x.toFixed(1)} days`);
  return `capacity ${capacity.toFixed(1)} GB: full in ${d(point)} (conservative, 95% upper bound: ${d(conservative)})`;
}
