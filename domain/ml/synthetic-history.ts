/**
 * Seeded synthetic backup history for tests, benchmarks and demos. Same options -> same runs.
 *
 * Each target runs `runsPerDay` times a day at evenly spaced, slightly jittered times. A run fails with
 * probability 1 - prod(1 - p_driver) over the drivers below; every driver (except the background noise) leaves a
 * trace in the point-in-time features, so a model can learn what simple success-rate rules cannot:
 *
 * | driver              | mechanism                                                                 | visible through                     |
 * |---------------------|---------------------------------------------------------------------------|-------------------------------------|
 * | background noise    | p = 0.008 on every run                                                    | nothing (irreducible)               |
 * | maintenance window  | half of the targets have a UTC hour (01-04) when the database is in       | hour_of_day_utc, day_of_week_utc,   |
 * |                     | maintenance, daily or only on Sundays: p = 0.6 during that hour           | same_hour_success_rate_14_days      |
 * | low free space      | free disk space / backup size < 1 -> p = 0.9; < 1.5 -> p = 0.35. Free     | free_space_to_expected_size         |
 * |                     | space shrinks as the database grows; operators add disk 1-3 days after    |                                     |
 * |                     | it runs low (so the problem persists for a while)                         |                                     |
 * | unusually big run   | 3% of runs are 2.5-5x the usual size (bulk loads): p = 0.35. The estimate | estimated_size_ratio,               |
 * |                     | (noisy) knows it, and the run takes longer                                | estimated_duration_ratio            |
 * | database outgrows   | each target has a size limit (1.5-4x its start size, reached by fast      | database_size_gb, size_growth_*,    |
 * | its backup window   | growers): beyond it p = 0.2 until operators raise it (~a week)            | recent failure rates                |
 * | persistent problem  | after a failure, 20% of the time the target is "stuck" for a geometric    | consecutive_failures,               |
 * |                     | number of runs (mean 4): p = 0.5 while stuck                              | failures_last_5_runs                |
 *
 * The overall failure rate is about 4-8% with 10 or more targets (a few targets alone can land outside: each
 * target's profile is random). ~15% of targets report no database size / free space (null), ~10% of
 * runs have no estimates (null). Failed runs are shorter and smaller (partial) than completed ones.
 */
import type { BackupRunRecord } from '../history/types.js';
import { createRng, deriveSeed } from './rng.js';

export interface SyntheticHistoryOptions {
  targets: number;
  days: number;
  seed: number;
  /** Runs per target per day, evenly spaced; default 24 (hourly). */
  runsPerDay?: number;
  /** First day (UTC midnight); default 2024-01-01. */
  start?: Date;
}

export const SYNTHETIC_FAILURE_PROBABILITIES = {
  background: 0.008,
  maintenanceWindow: 0.6,
  diskFull: 0.9,
  diskLow: 0.35,
  bigRun: 0.35,
  outgrown: 0.2,
  stuck: 0.5,
} as const;

const GIB = 1024 ** 3;
const MS_PER_DAY = 24 * 3600_000;

interface TargetProfile {
  name: string;
  initialDbGb: number;
  growthPerDay: number;
  compression: number;
  capacityGb: number;
  throughputGbPerMinute: number;
  dbLimitGb: number;
  maintenanceHour: number | null;
  maintenanceSundayOnly: boolean;
  reportsDiskMetrics: boolean;
  offsetMinutes: number;
}

const RETAINED_BACKUPS = 3;

function makeProfile(seed: number, index: number, runIntervalMinutes: number): TargetProfile {
  const rng = createRng(deriveSeed(seed, index));
  const initialDbGb = Math.exp(rng.normal(Math.log(40), 0.9));
  const fastGrower = rng.chance(0.3);
  const compression = rng.uniform(0.25, 0.5);
  return {
    name: `db-${String(index + 1).padStart(3, '0')}`,
    initialDbGb,
    growthPerDay: fastGrower ? rng.uniform(0.006, 0.015) : rng.uniform(0, 0.003),
    compression,
    // Room for the retained backups plus 1.5-8 more of the initial size.
    capacityGb: initialDbGb * compression * (RETAINED_BACKUPS + rng.uniform(1.5, 8)),
    throughputGbPerMinute: rng.uniform(0.3, 2),
    dbLimitGb: initialDbGb * rng.uniform(1.5, 4),
    maintenanceHour: rng.chance(0.5) ? 1 + rng.intBelow(4) : null,
    maintenanceSundayOnly: rng.chance(0.5),
    reportsDiskMetrics: rng.chance(0.85),
    offsetMinutes: rng.uniform(0, Math.min(runIntervalMinutes, 60) - 5),
  };
}

function combine(probabilities: number[]): number {
  let survive = 1;
  for (const p of probabilities) survive *= 1 - p;
  return 1 - survive;
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function generateTarget(profile: TargetProfile, options: Required<SyntheticHistoryOptions>, index: number): BackupRunRecord[] {
  const rng = createRng(deriveSeed(options.seed ^ 0x5bd1e995, index));
  const P = SYNTHETIC_FAILURE_PROBABILITIES;
  const runs: BackupRunRecord[] = [];
  const intervalMs = MS_PER_DAY / options.runsPerDay;
  const startMs = options.start.getTime();
  let capacityGb = profile.capacityGb;
  let dbLimitGb = profile.dbLimitGb;
  let stuckRunsLeft = 0;
  let lowDiskDay = -1;

  for (let day = 0; day < options.days; day++) {
    const dbGbToday = profile.initialDbGb * Math.exp(profile.growthPerDay * day);
    const usualSizeGb = dbGbToday * profile.compression;
    // Operators notice a full disk after a day or more and add capacity.
    if ((capacityGb - RETAINED_BACKUPS * usualSizeGb) / usualSizeGb < 1.5) {
      if (lowDiskDay < 0) lowDiskDay = day;
      if (day - lowDiskDay >= 1 && rng.chance(0.5)) {
        capacityGb *= rng.uniform(1.5, 2.5);
        lowDiskDay = -1;
      }
    } else lowDiskDay = -1;
    // Outgrown backup windows get fixed too (faster storage, incremental backups), typically within a week.
    if (dbGbToday > dbLimitGb && rng.chance(0.15)) dbLimitGb = dbGbToday * rng.uniform(1.5, 3);

    for (let slot = 0; slot < options.runsPerDay; slot++) {
      const jitterMs = rng.normal(0, 90_000);
      const started = new Date(startMs + day * MS_PER_DAY + slot * intervalMs + profile.offsetMinutes * 60_000 + jitterMs);
      const dbGb = dbGbToday * (1 + rng.normal(0, 0.01));
      const bigRun = rng.chance(0.03);
      const sizeGb = usualSizeGb * (1 + rng.normal(0, 0.05)) * (bigRun ? rng.uniform(2.5, 5) : 1);
      const expectedMinutes = sizeGb / profile.throughputGbPerMinute;
      const freeGb = Math.max(0, (capacityGb - RETAINED_BACKUPS * usualSizeGb) * (1 + rng.normal(0, 0.03)));
      const freeRatio = freeGb / sizeGb;
      const hour = started.getUTCHours();
      const inMaintenance = profile.maintenanceHour === hour && (!profile.maintenanceSundayOnly || started.getUTCDay() === 0);

      const drivers: { p: number; message: string }[] = [{ p: P.background, message: 'connection reset by peer' }];
      if (inMaintenance) drivers.push({ p: P.maintenanceWindow, message: 'database in maintenance mode' });
      if (freeRatio < 1) drivers.push({ p: P.diskFull, message: 'no space left on device' });
      else if (freeRatio < 1.5) drivers.push({ p: P.diskLow, message: 'no space left on device' });
      if (bigRun) drivers.push({ p: P.bigRun, message: 'backup exceeded its time window' });
      if (dbGb > dbLimitGb) drivers.push({ p: P.outgrown, message: 'backup exceeded its time window' });
      if (stuckRunsLeft > 0) {
        drivers.push({ p: P.stuck, message: 'previous problem not resolved' });
        stuckRunsLeft--;
      }
      const failed = rng.chance(combine(drivers.map((d) => d.p)));
      if (failed && stuckRunsLeft === 0 && rng.chance(0.2)) {
        // Geometric number of stuck runs, mean 4.
        stuckRunsLeft = 1;
        while (rng.chance(0.75)) stuckRunsLeft++;
      }

      const durationMinutes = expectedMinutes * Math.exp(rng.normal(0, 0.1)) * (failed ? rng.uniform(0.05, 0.9) : 1);
      const partial = failed ? rng.uniform(0, 0.9) : 1;
      const hasEstimates = rng.chance(0.9);
      // Attribute the failure to the most likely driver (background noise only when it is the only one).
      const cause = failed ? drivers.reduce((a, d) => (d.p > a.p ? d : a)) : null;
      runs.push({
        // The seed is part of the ID: two generated histories never claim each other's rows on import.
        backupId: `gen-s${options.seed}-${profile.name}-${String(day * options.runsPerDay + slot).padStart(6, '0')}`,
        target: profile.name,
        startedAt: started,
        status: failed ? 'failed' : 'completed',
        durationSeconds: Math.max(1, Math.round(durationMinutes * 60)),
        sizeBytes: Math.round(sizeGb * partial * GIB),
        databaseSizeGb: profile.reportsDiskMetrics ? roundTo(dbGb, 2) : null,
        freeSpaceGb: profile.reportsDiskMetrics ? roundTo(freeGb, 2) : null,
        estimatedDuration: hasEstimates ? Math.round(expectedMinutes * 60 * Math.exp(rng.normal(0, 0.15))) : null,
        estimatedSize: hasEstimates ? Math.round(sizeGb * GIB * Math.exp(rng.normal(0, 0.1))) : null,
        errorMessage: cause?.message ?? null,
      });
    }
  }
  return runs;
}

/** Runs of all targets, ordered by start time (then target). */
export function generateHistory(options: SyntheticHistoryOptions): BackupRunRecord[] {
  const resolved: Required<SyntheticHistoryOptions> = {
    runsPerDay: 24,
    start: new Date(Date.UTC(2024, 0, 1)),
    ...options,
  };
  if (!Number.isInteger(resolved.targets) || resolved.targets < 1) throw new RangeError('targets must be a positive integer');
  if (!Number.isInteger(resolved.days) || resolved.days < 1) throw new RangeError('days must be a positive integer');
  if (!Number.isInteger(resolved.runsPerDay) || resolved.runsPerDay < 1 || resolved.runsPerDay > 288) {
    throw new RangeError('runsPerDay must be an integer in [1, 288]');
  }
  const intervalMinutes = 1440 / resolved.runsPerDay;
  const all: BackupRunRecord[] = [];
  for (let k = 0; k < resolved.targets; k++) {
    const runs = generateTarget(makeProfile(resolved.seed, k, intervalMinutes), resolved, k);
    for (const run of runs) all.push(run);
  }
  return all.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}
