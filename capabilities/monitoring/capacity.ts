import type { Logger } from 'pino';
import type { SentinelSettings } from '../../domain/settings/schema.js';
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { dailyBackupBytes, databaseSizeSeries, dumpSizes, runsWithArtifacts } from '../../db/repositories/metrics-history.js';
import { describePolicy, type RetentionPolicy } from '../../domain/config-backup/retention.js';
import { steadyStateKept } from '../../domain/dumps/retention-plan.js';
import { keepPolicyOf } from '../dumps/retention.js';
import { SettingsError, findTarget, type TargetConfig } from '../../domain/settings/schema.js';
import type { TimedValue } from '../../domain/metrics/daily-series.js';
import type { SeriesForecast } from '../../domain/metrics/series-forecast.js';
import {
  BYTES_PER_GB,
  capacityAlert,
  capacityEntry,
  combineRunningTotals,
  keptUnderPolicySeries,
  resolveHorizonDays,
  retainedSeries,
  validateCapacityForecastInput,
  type CapacityEntry,
  type CapacityForecastInput,
  type CapacityForecastSummary,
  type CapacitySeriesKind,
  type CapacitySource,
} from '../../domain/monitoring/index.js';
import { readEnv } from '../../platform/env.js';
import { invalidInput } from '../../platform/failures.js';

/** Database size readings older than this do not describe today's growth. */
const DATABASE_SIZE_DAYS = 400;

export interface FilesystemSpace {
  /** The directory actually measured: BACKUP_DIR, or its nearest existing parent before the first backup. */
  path: string;
  freeGb: number;
  totalGb: number;
}

/** Free and total space of the filesystem holding `dir` (space available to this user, as `df` shows it). */
export async function filesystemSpace(dir: string): Promise<FilesystemSpace> {
  let probe = path.resolve(dir);
  for (;;) {
    try {
      const fs = await statfs(probe);
      return { path: probe, freeGb: (fs.bavail * fs.bsize) / BYTES_PER_GB, totalGb: (fs.blocks * fs.bsize) / BYTES_PER_GB };
    } catch (error) {
      const parent = path.dirname(probe);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === probe) throw error;
      probe = parent;
    }
  }
}

export interface TargetSeries {
  kind: CapacitySeriesKind | null;
  points: TimedValue[];
}

/**
 * Daily bytes of the target's backups stored in `backupDir` now: runs whose artifact lies under it and still
 * exists. Imported history has no artifact here, so it never counts as usage of the local disk.
 */
export async function localDailyBytes(db: pg.Pool, target: string, now: Date, backupDir: string): Promise<Array<{ day: string; bytes: number }>> {
  const root = path.resolve(backupDir);
  const runs = (await runsWithArtifacts(db, target, now)).filter((r) => {
    const relative = path.relative(root, path.resolve(r.artifactPath));
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
  const perDay = new Map<string, number>();
  for (let from = 0; from < runs.length; from += 64) {
    const batch = runs.slice(from, from + 64);
    const present = await Promise.all(
      batch.map((r) =>
        stat(r.artifactPath).then(
          (st) => st.isFile(),
          () => false,
        ),
      ),
    );
    batch.forEach((r, k) => {
      if (present[k]) perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.bytes);
    });
  }
  return [...perDay].map(([day, bytes]) => ({ day, bytes }));
}

/**
 * The series a target's capacity is forecast from: the running total of its retained backups (GB) when its runs
 * report sizes, else the database size its runs reported, else nothing. With `localTo` (the capacity is the
 * filesystem of that directory) only backups stored there count: imported history describes some other store.
 */
export async function targetSeries(
  db: pg.Pool,
  target: string,
  now: Date,
  localTo?: string,
  policy?: RetentionPolicy,
  timeZone = 'UTC',
): Promise<TargetSeries> {
  if (policy) {
    // Retention prunes the store: forecast what the policy keeps each day, not the sum of everything ever dumped.
    const dumps = await dumpSizes(db, target, now);
    if (dumps.length > 0) return { kind: 'kept-under-policy', points: keptUnderPolicySeries(dumps, policy, timeZone) };
  }
  const daily = localTo === undefined ? await dailyBackupBytes(db, target, now) : await localDailyBytes(db, target, now, localTo);
  if (daily.length > 0) return { kind: 'retained-backups', points: retainedSeries(daily) };
  const sizes = await databaseSizeSeries(db, target, now, DATABASE_SIZE_DAYS);
  if (sizes.length > 0) return { kind: 'database-size', points: sizes };
  return { kind: null, points: [] };
}

/**
 * Capacity for a target's series: an explicit figure (CLI), else `capacityGb` from sentinel.yaml, else for
 * retained backups the filesystem holding BACKUP_DIR (what the target stores now + the free space). A database
 * size series has no capacity without an explicit one: the database does not live in BACKUP_DIR.
 */
export function capacityFor(
  target: Pick<TargetConfig, 'capacityGb'>,
  series: TargetSeries,
  filesystem: FilesystemSpace | null,
  explicitGb?: number,
): { capacityGb: number | null; source: CapacitySource } {
  if (explicitGb !== undefined) return { capacityGb: explicitGb, source: 'cli' };
  if (target.capacityGb !== undefined) return { capacityGb: target.capacityGb, source: 'config' };
  if ((series.kind === 'retained-backups' || series.kind === 'kept-under-policy') && filesystem) {
    const stored = series.points[series.points.length - 1]?.value ?? 0;
    return { capacityGb: stored + filesystem.freeGb, source: 'filesystem' };
  }
  return { capacityGb: null, source: 'none' };
}

/** One target's forecast and verdict; shared by the activity and `sentinel forecast --target`. */
export async function forecastTargetCapacity(
  db: pg.Pool,
  target: TargetConfig,
  options: { horizonDays: number; filesystem: FilesystemSpace | null; backupDir: string; capacityGb?: number; now?: Date; timeZone?: string },
): Promise<{ entry: CapacityEntry; forecast: SeriesForecast | null; series: TargetSeries }> {
  // Without a stated capacity the capacity is BACKUP_DIR's filesystem: then only what is stored there is usage.
  const onLocalDisk = options.capacityGb === undefined && target.capacityGb === undefined;
  const policy = keepPolicyOf(target);
  const now = options.now ?? new Date();
  const series = await targetSeries(db, target.name, now, onLocalDisk ? options.backupDir : undefined, policy, options.timeZone);
  const capacity = capacityFor(target, series, options.filesystem, options.capacityGb);
  const { entry, forecast } = capacityEntry({
    name: target.name,
    kind: 'target',
    series: series.kind,
    points: series.points,
    capacityGb: capacity.capacityGb,
    capacitySource: capacity.source,
    horizonDays: options.horizonDays,
  });
  if (series.kind === null) entry.message = 'not enough history: no completed run with a size and no database size reading';
  if (policy && series.kind === 'kept-under-policy') entry.retention = await retentionFigures(db, target.name, now, policy, options.timeZone);
  return { entry, forecast, series };
}

/**
 * The store a policy settles at: the dumps it keeps of the last 400 days' dumps (the target's usual cadence),
 * times the median size of the last 10 dumps. With fewer days of history than the policy reaches back this is
 * what it keeps so far, so the steady state may still grow.
 */
async function retentionFigures(
  db: pg.Pool,
  target: string,
  now: Date,
  policy: RetentionPolicy,
  timeZone = 'UTC',
): Promise<NonNullable<CapacityEntry['retention']>> {
  const dumps = await dumpSizes(db, target, now);
  const recent = dumps
    .slice(-10)
    .map((d) => d.bytes)
    .sort((a, b) => a - b);
  const median =
    recent.length === 0 ? null : recent.length % 2 ? recent[(recent.length - 1) / 2]! : (recent[recent.length / 2 - 1]! + recent[recent.length / 2]!) / 2;
  const kept = steadyStateKept(
    dumps.filter((d) => d.startedAt.getTime() >= now.getTime() - 400 * 86_400_000).map((d) => d.startedAt),
    policy,
    timeZone,
  );
  return { policy: describePolicy(policy), keptNow: kept, steadyStateGb: median === null ? null : (kept * median) / BYTES_PER_GB };
}

/** What the capacity forecast needs; the worker's ActivityDeps provide it. */
export interface CapacityDeps {
  db: pg.Pool;
  log: Logger;
  loadSettings: () => Promise<SentinelSettings>;
  backupDir: string;
}

/**
 * Forecasts each target's backup storage and judges days-until-full against the horizon. Targets without
 * `capacityGb` share the BACKUP_DIR filesystem: with two or more of them, their summed series is forecast too
 * (`filesystem:<path>`), since each alone would assume the others stop growing. Heartbeats per target.
 */
export async function forecastCapacity(
  deps: CapacityDeps,
  input: CapacityForecastInput = {},
  onProgress: (progress: Record<string, unknown>) => void = () => undefined,
): Promise<CapacityForecastSummary> {
  const problems = validateCapacityForecastInput(input);
  if (problems.length > 0) throw invalidInput(`invalid capacity forecast input: ${problems.join('; ')}`);
  let horizon: ReturnType<typeof resolveHorizonDays>;
  try {
    horizon = resolveHorizonDays(input.horizonDays, readEnv().capacityAlertHorizonDays);
  } catch (error) {
    throw invalidInput((error as Error).message);
  }
  let targets: TargetConfig[];
  try {
    const config = await deps.loadSettings();
    targets = input.targets ? input.targets.map((name) => findTarget(config, name)) : config.targets;
  } catch (error) {
    if (error instanceof SettingsError) throw invalidInput(error.message);
    throw error;
  }
  const filesystem = await filesystemSpace(deps.backupDir).catch((error: Error) => {
    deps.log.warn({ backupDir: deps.backupDir, err: error.message }, 'cannot measure the backup filesystem; targets without capacityGb get no capacity');
    return null;
  });

  const now = new Date();
  const timeZone = await deps
    .loadSettings()
    .then((s) => s.timezone)
    .catch(() => 'UTC');
  const entries: CapacityEntry[] = [];
  const shared: TimedValue[][] = [];
  for (const [index, target] of targets.entries()) {
    onProgress({ target: target.name, index, of: targets.length });
    const { entry, series } = await forecastTargetCapacity(deps.db, target, {
      horizonDays: horizon.horizonDays,
      filesystem,
      backupDir: deps.backupDir,
      now,
      timeZone,
    });
    entries.push(entry);
    if (entry.capacitySource === 'filesystem') shared.push(series.points);
  }
  if (filesystem && shared.length >= 2) {
    const combined = combineRunningTotals(shared);
    const stored = combined[combined.length - 1]?.value ?? 0;
    entries.push(
      capacityEntry({
        name: `filesystem:${filesystem.path}`,
        kind: 'filesystem',
        series: 'filesystem-total',
        points: combined,
        capacityGb: stored + filesystem.freeGb,
        capacitySource: 'filesystem',
        horizonDays: horizon.horizonDays,
      }).entry,
    );
  }
  const alerts = entries.flatMap((entry) => capacityAlert(entry, horizon.horizonDays) ?? []);
  deps.log.info({ targets: targets.length, horizonDays: horizon.horizonDays, alerts: alerts.length }, 'capacity forecast');
  return { horizonDays: horizon.horizonDays, horizonSource: horizon.source, filesystem, entries, alerts };
}
