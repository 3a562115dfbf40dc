/**
 * The ONE point-in-time feature pipeline shared by training, evaluation and live prediction.
 *
 * A run starting at t may only use runs of the same target that were finished by t: their end
 * (startedAt + durationSeconds) is <= t, and they started strictly before t (so a zero-length run never sees
 * itself). The run's own status, duration and size are never read; only what is known before it starts
 * (its start time, estimates, database size and free space).
 *
 * Bump FEATURE_PIPELINE_VERSION whenever a feature, window, fallback or the order of FEATURE_NAMES changes:
 * stored models record the version they were trained with and are refused by code with a different pipeline.
 * The table of features: docs/model-lifecycle.md.
 */
import type { BackupRunRecord } from '../history/types.js';
import { sweepPointInTime } from '../history/point-in-time-sweep.js';
import { createMatrix, type DenseMatrix } from './matrix.js';

export const FEATURE_PIPELINE_VERSION = 2;

/**
 * Column order of every feature row. Never reorder without bumping FEATURE_PIPELINE_VERSION. "Visible" runs are
 * the target's runs finished by t (see the top of this file), ordered by end time; -1 is UNKNOWN_FEATURE_VALUE.
 * Failure rates are shrunk towards the team's rate: (failures + m * team) / (runs + m), so a target with three runs
 * is not judged on three coin tosses and a new target starts at the team's rate (docs/model-lifecycle.md).
 */
export const FEATURE_NAMES = [
  /** UTC hour of t, 0-23 (lets trees isolate one maintenance hour). */
  'hour_of_day_utc',
  /** sin and cos of 2 pi (hour + minute / 60) / 24: 23:00 is next to 00:00. */
  'hour_sin',
  'hour_cos',
  /** UTC day of week of t, 0 = Sunday. */
  'day_of_week_utc',
  /** sin and cos of 2 pi (day of week) / 7. */
  'weekday_sin',
  'weekday_cos',
  /** Failed share of every target's runs that ended in (t - 90 days, t); -1 when none. The prior of the shrunk rates. */
  'team_failure_rate_90_days',
  /** Shrunk failure rate of the last 5 / 20 / 50 visible runs. */
  'failure_rate_last_5_runs',
  'failure_rate_last_20_runs',
  'failure_rate_last_50_runs',
  /** Shrunk failure rate of the visible runs that ended in (t - 7 days, t] / (t - 30 days, t]. */
  'failure_rate_last_7_days',
  'failure_rate_last_30_days',
  /** Exponentially weighted failure rate of the last 50 visible runs (half-life 5 runs), shrunk. */
  'failure_rate_ewm',
  /** Failed visible runs that ended in (t - 24 h, t]. */
  'failures_last_24_hours',
  /** Failures at the end of the visible history (streak), capped at 50. */
  'consecutive_failures',
  /** Hours since the last visible failure / success ended; 720 (the cap, 30 days) when none. */
  'hours_since_last_failure',
  'hours_since_last_success',
  /** Failed share of visible runs started in the same UTC hour that ended in the last 14 days, shrunk to the 30-day rate; -1 when no prior at all. */
  'same_hour_failure_rate_14_days',
  /** estimatedDuration / median duration of the last 20 visible successes; 1 when either is missing (the median is the expectation); [0, 1000]. */
  'estimated_duration_ratio',
  /** estimatedSize / median size of the last 20 visible successes; 1 when either is missing; [0, 1000]. */
  'estimated_size_ratio',
  /** OLS slope of ln(size) per day over the last 10 visible successes; 0 with fewer than 3; within +-10. */
  'size_growth_per_day',
  /** freeSpaceGb (GiB) / expected size (estimatedSize, else the median success size); -1 when unknown; [0, 1000]. */
  'free_space_to_expected_size',
  /** The run's databaseSizeGb; -1 when unknown. */
  'database_size_gb',
  /** databaseSizeGb / median databaseSizeGb of the last 20 visible runs that reported one; -1 when unknown; [0, 1000]. */
  'database_size_growth_ratio',
  /** Number of visible runs, capped at 50 (tells new targets apart). */
  'prior_runs_capped',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Value of a feature that cannot be known (no history, no measurement). Every real value is >= -1 except the sin/cos encodings, which are always known. */
export const UNKNOWN_FEATURE_VALUE = -1;

const DAY_MS = 24 * 3600_000;

/** Windows and caps used by the features; part of the pipeline version. */
export const FEATURE_WINDOWS = {
  /** Run-count windows of the shrunk failure rates. */
  runWindows: [5, 20, 50] as const,
  /** Day windows of the shrunk failure rates. */
  dayWindowsMs: [7 * DAY_MS, 30 * DAY_MS] as const,
  /** Pseudo-runs at the team's rate added to every rate (m in (failures + m * team) / (runs + m)). */
  shrinkageRuns: 5,
  /** The team's rate is taken over this window (every target). */
  teamWindowMs: 90 * DAY_MS,
  /** Exponentially weighted rate: half-life in runs, and how many runs it looks back. */
  ewmHalfLifeRuns: 5,
  ewmRuns: 50,
  shortHoursMs: 24 * 3600_000,
  /** Successful runs whose median duration/size is "typical"; runs whose median database size is typical. */
  typicalSuccesses: 20,
  /** Successful runs the size trend is fitted on; fewer than minTrendPoints gives a trend of 0. */
  trendSuccesses: 10,
  minTrendPoints: 3,
  /** 30 days: live prediction reads at least the last 31 days of a target (db/repositories/history.ts). */
  maxHoursSince: 720,
  maxConsecutiveFailures: 50,
  maxPriorRuns: 50,
  /** Window of the same-hour-of-day rate (maintenance windows recur at the same hour). */
  sameHourDaysMs: 14 * DAY_MS,
  /** Ratios are clamped to [0, maxRatio] so a tiny median cannot produce huge or infinite values. */
  maxRatio: 1000,
  /** Size trend is clamped to +-maxGrowthPerDay (natural-log units per day). */
  maxGrowthPerDay: 10,
} as const;

/** GB in the databaseSizeGb / freeSpaceGb columns means GiB (2^30 bytes), as reported by PostgreSQL and df -h. */
export const BYTES_PER_GB = 1024 ** 3;

const MS_PER_HOUR = 3600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;

/** What is known about a run before it starts: the inputs of a feature row besides history. */
export interface UpcomingRun {
  target: string;
  startAt: Date;
  /** Expected duration, seconds. */
  estimatedDuration?: number | null;
  /** Expected backup size, bytes. */
  estimatedSize?: number | null;
  databaseSizeGb?: number | null;
  freeSpaceGb?: number | null;
}

/** Feature rows for many runs. Row i describes runs[i] (input order is kept). */
export interface FeatureTable {
  pipelineVersion: number;
  featureNames: readonly FeatureName[];
  matrix: DenseMatrix;
  /** 1 when runs[i] failed, 0 when it completed. */
  labels: Uint8Array;
  /** runs[i].startedAt in epoch milliseconds, for time-based splits. */
  startedAtMs: Float64Array;
}

/** Same instant as `endedAt` from history/types, but a non-finite duration counts as zero instead of giving NaN. */
function endMsOf(startMs: number, durationSeconds: number): number {
  return startMs + (Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds * 1000 : 0);
}

function startMsOf(run: Pick<BackupRunRecord, 'startedAt' | 'backupId'>): number {
  const ms = run.startedAt instanceof Date ? run.startedAt.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`run ${run.backupId} has an invalid startedAt`);
  return ms;
}

/** The point-in-time rule, exposed so callers filtering history themselves use the same one. */
export function isVisibleAt(run: Pick<BackupRunRecord, 'startedAt' | 'durationSeconds'>, atMs: number): boolean {
  const start = run.startedAt.getTime();
  return start < atMs && endMsOf(start, run.durationSeconds) <= atMs;
}

function positiveOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

function nonNegativeOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

function utcHourOf(ms: number): number {
  return Math.floor((((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR);
}

/** Day of week (0 = Sunday) without allocating a Date: 1970-01-01 was a Thursday. */
function utcDayOfWeek(ms: number): number {
  return (((Math.floor(ms / MS_PER_DAY) + 4) % 7) + 7) % 7;
}

/** Index of the first element of an ascending list that is > value. */
function firstAbove(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function neutralRatio(estimate: number | null, typical: number | null): number {
  return estimate !== null && typical !== null && typical > 0 ? clamp(estimate / typical, 0, FEATURE_WINDOWS.maxRatio) : 1;
}

/** Fixed-capacity ring of the most recent values. */
class RecentValues {
  readonly values: Float64Array;
  size = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Adds a value; returns the value it pushed out, or null while not yet full. */
  push(v: number): number | null {
    const evicted = this.size === this.capacity ? (this.values[this.next] as number) : null;
    this.values[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return evicted;
  }

  /** Values oldest first. */
  copyInOrder(out: Float64Array): number {
    const start = this.size < this.capacity ? 0 : this.next;
    for (let k = 0; k < this.size; k++) out[k] = this.values[(start + k) % this.capacity] as number;
    return this.size;
  }
}

/** Median of the most recent `capacity` values, kept sorted on insert (O(capacity), no sort, no allocation). */
class SlidingMedian {
  private readonly recent: RecentValues;
  private readonly sorted: Float64Array;

  constructor(capacity: number) {
    this.recent = new RecentValues(capacity);
    this.sorted = new Float64Array(capacity);
  }

  push(v: number): void {
    const sorted = this.sorted;
    let size = this.recent.size;
    const evicted = this.recent.push(v);
    if (evicted !== null) {
      let k = 0;
      while ((sorted[k] as number) !== evicted) k++;
      for (; k < size - 1; k++) sorted[k] = sorted[k + 1] as number;
      size--;
    }
    let k = size;
    while (k > 0 && (sorted[k - 1] as number) > v) {
      sorted[k] = sorted[k - 1] as number;
      k--;
    }
    sorted[k] = v;
  }

  median(): number | null {
    const n = this.recent.size;
    if (n === 0) return null;
    const mid = n >> 1;
    return n % 2 === 1 ? (this.sorted[mid] as number) : ((this.sorted[mid - 1] as number) + (this.sorted[mid] as number)) / 2;
  }
}

/** (failures + m * prior) / (runs + m); the plain rate when the prior is unknown; -1 when neither is known. */
function shrunkRate(failures: number, runs: number, prior: number): number {
  const m = FEATURE_WINDOWS.shrinkageRuns;
  if (prior === UNKNOWN_FEATURE_VALUE) return runs === 0 ? UNKNOWN_FEATURE_VALUE : failures / runs;
  return (failures + m * prior) / (runs + m);
}

const EWM_DECAY = 0.5 ** (1 / FEATURE_WINDOWS.ewmHalfLifeRuns);

/**
 * Everything a target's finished runs tell about its next run. Runs must be added in end order; queries
 * must not look at runs added later than their own time (the callers below guarantee both).
 */
class TargetHistory {
  private readonly endMs: number[] = [];
  /** failedPrefix[k] = failures among the first k visible runs (end order). */
  private readonly failedPrefix: number[] = [0];
  /** The same two lists per UTC start hour of the visible runs. */
  private readonly hourEndMs: number[][] = Array.from({ length: 24 }, () => []);
  private readonly hourFailedPrefix: number[][] = Array.from({ length: 24 }, () => [0]);
  private readonly typicalDurations = new SlidingMedian(FEATURE_WINDOWS.typicalSuccesses);
  private readonly typicalSizes = new SlidingMedian(FEATURE_WINDOWS.typicalSuccesses);
  private readonly typicalDatabaseSizes = new SlidingMedian(FEATURE_WINDOWS.typicalSuccesses);
  private readonly trendDays = new RecentValues(FEATURE_WINDOWS.trendSuccesses);
  private readonly trendLogSizes = new RecentValues(FEATURE_WINDOWS.trendSuccesses);
  private lastSuccessEndMs: number | null = null;
  private lastFailureEndMs: number | null = null;
  private failureStreak = 0;
  private successesSeen = 0;
  // The trend only changes when a success is added; queries in between reuse it.
  private trendVersion = -1;
  private cachedGrowth = 0;
  private readonly scratchX = new Float64Array(FEATURE_WINDOWS.trendSuccesses);
  private readonly scratchY = new Float64Array(FEATURE_WINDOWS.trendSuccesses);

  add(run: BackupRunRecord, startMs: number, endMs: number): void {
    const failed = run.status === 'failed';
    this.endMs.push(endMs);
    this.failedPrefix.push((this.failedPrefix[this.failedPrefix.length - 1] as number) + (failed ? 1 : 0));
    const hour = utcHourOf(startMs);
    const hourEnds = this.hourEndMs[hour] as number[];
    const hourFailed = this.hourFailedPrefix[hour] as number[];
    hourEnds.push(endMs);
    hourFailed.push((hourFailed[hourFailed.length - 1] as number) + (failed ? 1 : 0));
    const databaseSize = positiveOrNull(run.databaseSizeGb);
    if (databaseSize !== null) this.typicalDatabaseSizes.push(databaseSize);
    if (failed) {
      this.failureStreak++;
      this.lastFailureEndMs = endMs;
      return;
    }
    this.failureStreak = 0;
    this.lastSuccessEndMs = endMs;
    this.successesSeen++;
    const duration = nonNegativeOrNull(run.durationSeconds);
    if (duration !== null) this.typicalDurations.push(duration);
    const size = nonNegativeOrNull(run.sizeBytes);
    if (size !== null) {
      this.typicalSizes.push(size);
      this.trendDays.push(startMs / MS_PER_DAY);
      this.trendLogSizes.push(Math.log(Math.max(size, 1)));
    }
  }

  private failuresAmongFirst(k: number): number {
    return this.failedPrefix[k] as number;
  }

  private growth(): number {
    if (this.trendVersion !== this.successesSeen) {
      this.trendVersion = this.successesSeen;
      this.cachedGrowth = this.logSizeSlopePerDay();
    }
    return this.cachedGrowth;
  }

  /** Least-squares slope of ln(size) against day; x is centred on its mean so epoch-sized days lose no precision. */
  private logSizeSlopePerDay(): number {
    const x = this.scratchX;
    const y = this.scratchY;
    const n = this.trendDays.copyInOrder(x);
    if (n < FEATURE_WINDOWS.minTrendPoints) return 0;
    this.trendLogSizes.copyInOrder(y);
    let meanX = 0;
    let meanY = 0;
    for (let k = 0; k < n; k++) {
      meanX += x[k] as number;
      meanY += y[k] as number;
    }
    meanX /= n;
    meanY /= n;
    let sxx = 0;
    let sxy = 0;
    for (let k = 0; k < n; k++) {
      const dx = (x[k] as number) - meanX;
      sxx += dx * dx;
      sxy += dx * ((y[k] as number) - meanY);
    }
    // Successes within a few seconds of each other carry no trend information.
    if (sxx < 1e-9) return 0;
    return clamp(sxy / sxx, -FEATURE_WINDOWS.maxGrowthPerDay, FEATURE_WINDOWS.maxGrowthPerDay);
  }

  /** Failures and runs among the visible runs that started in `hour` (UTC) and ended after `afterMs`. */
  private sameHour(hour: number, afterMs: number): [number, number] {
    const ends = this.hourEndMs[hour] as number[];
    const failed = this.hourFailedPrefix[hour] as number[];
    const from = firstAbove(ends, afterMs);
    return [(failed[ends.length] as number) - (failed[from] as number), ends.length - from];
  }

  /** Weighted failures and weights of the last `ewmRuns` visible runs, the newest weighing 1. */
  private ewm(): [number, number] {
    let weighted = 0;
    let weights = 0;
    let w = 1;
    const count = this.endMs.length;
    for (let k = count - 1; k >= Math.max(0, count - FEATURE_WINDOWS.ewmRuns); k--) {
      weighted += w * ((this.failedPrefix[k + 1] as number) - (this.failedPrefix[k] as number));
      weights += w;
      w *= EWM_DECAY;
    }
    return [weighted, weights];
  }

  /** Writes the FEATURE_NAMES row for a run starting at `atMs` with the given pre-run facts and the team's rate. */
  writeFeatures(candidate: Omit<UpcomingRun, 'target' | 'startAt'>, atMs: number, teamRate: number, out: Float64Array, offset: number): void {
    const w = FEATURE_WINDOWS;
    const count = this.endMs.length;
    const failures = this.failuresAmongFirst(count);
    const dayFrom = firstAbove(this.endMs, atMs - w.shortHoursMs);
    const hour = utcHourOf(atMs);
    const hourAngle = (2 * Math.PI * (((atMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY)) / MS_PER_DAY;
    const weekday = utcDayOfWeek(atMs);

    const estimatedSize = positiveOrNull(candidate.estimatedSize);
    const medianSize = this.typicalSizes.median();
    const expectedSize = estimatedSize ?? (medianSize !== null && medianSize > 0 ? medianSize : null);
    const freeSpaceGb = nonNegativeOrNull(candidate.freeSpaceGb);
    const databaseSizeGb = nonNegativeOrNull(candidate.databaseSizeGb);
    const typicalDatabaseSize = this.typicalDatabaseSizes.median();

    let o = offset;
    out[o++] = hour;
    out[o++] = Math.sin(hourAngle);
    out[o++] = Math.cos(hourAngle);
    out[o++] = weekday;
    out[o++] = Math.sin((2 * Math.PI * weekday) / 7);
    out[o++] = Math.cos((2 * Math.PI * weekday) / 7);
    out[o++] = teamRate;
    for (const runs of w.runWindows) {
      const from = Math.max(0, count - runs);
      out[o++] = shrunkRate(failures - this.failuresAmongFirst(from), count - from, teamRate);
    }
    let monthRate = UNKNOWN_FEATURE_VALUE;
    for (const windowMs of w.dayWindowsMs) {
      const from = firstAbove(this.endMs, atMs - windowMs);
      monthRate = shrunkRate(failures - this.failuresAmongFirst(from), count - from, teamRate);
      out[o++] = monthRate;
    }
    const [weighted, weights] = this.ewm();
    out[o++] = shrunkRate(weighted, weights, teamRate);
    out[o++] = failures - this.failuresAmongFirst(dayFrom);
    out[o++] = Math.min(this.failureStreak, w.maxConsecutiveFailures);
    out[o++] = this.lastFailureEndMs === null ? w.maxHoursSince : clamp((atMs - this.lastFailureEndMs) / MS_PER_HOUR, 0, w.maxHoursSince);
    out[o++] = this.lastSuccessEndMs === null ? w.maxHoursSince : clamp((atMs - this.lastSuccessEndMs) / MS_PER_HOUR, 0, w.maxHoursSince);
    const [hourFailures, hourRuns] = this.sameHour(hour, atMs - w.sameHourDaysMs);
    out[o++] = shrunkRate(hourFailures, hourRuns, monthRate);
    out[o++] = neutralRatio(positiveOrNull(candidate.estimatedDuration), this.typicalDurations.median());
    out[o++] = neutralRatio(estimatedSize, medianSize);
    out[o++] = this.growth();
    out[o++] = freeSpaceGb === null || expectedSize === null ? UNKNOWN_FEATURE_VALUE : clamp((freeSpaceGb * BYTES_PER_GB) / expectedSize, 0, w.maxRatio);
    out[o++] = databaseSizeGb ?? UNKNOWN_FEATURE_VALUE;
    out[o++] = databaseSizeGb === null || typicalDatabaseSize === null ? UNKNOWN_FEATURE_VALUE : clamp(databaseSizeGb / typicalDatabaseSize, 0, w.maxRatio);
    out[o++] = Math.min(count, w.maxPriorRuns);
  }
}

/** Index of the first element of an ascending list that is >= value. */
function firstAtOrAbove(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The team's failure rate at any instant: the failed share of every target's runs that ended in
 * (t - teamWindow, t), strictly before t (so a zero-length run never counts itself). -1 when none.
 */
export class TeamFailureRate {
  private readonly ends: Float64Array;
  private readonly failedPrefix: Float64Array;

  constructor(endMs: ArrayLike<number>, failed: ArrayLike<number>) {
    const order = Array.from({ length: endMs.length }, (_, i) => i).sort((a, b) => (endMs[a] as number) - (endMs[b] as number));
    this.ends = Float64Array.from(order, (i) => endMs[i] as number);
    this.failedPrefix = new Float64Array(order.length + 1);
    order.forEach((i, k) => {
      this.failedPrefix[k + 1] = (this.failedPrefix[k] as number) + ((failed[i] as number) ? 1 : 0);
    });
  }

  at(atMs: number): number {
    const from = firstAtOrAbove(this.ends, atMs - FEATURE_WINDOWS.teamWindowMs + 1);
    const to = firstAtOrAbove(this.ends, atMs);
    if (to <= from) return UNKNOWN_FEATURE_VALUE;
    return ((this.failedPrefix[to] as number) - (this.failedPrefix[from] as number)) / (to - from);
  }
}

/**
 * One feature row per run (row i for runs[i], any input order, many targets). O(n log n): each run sees its
 * target's history accumulated so far (sweepPointInTime) and the team's rate from every run that ended before it.
 */
export function buildFeatureTable(runs: readonly BackupRunRecord[]): FeatureTable {
  const n = runs.length;
  const startMs = new Float64Array(n);
  const endMs = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const run = runs[i] as BackupRunRecord;
    startMs[i] = startMsOf(run);
    endMs[i] = endMsOf(startMs[i] as number, run.durationSeconds);
    labels[i] = run.status === 'failed' ? 1 : 0;
  }
  const team = new TeamFailureRate(endMs, labels);

  const matrix = createMatrix(n, FEATURE_COUNT);
  let history = new TargetHistory();
  sweepPointInTime((i) => (runs[i] as BackupRunRecord).target, startMs, endMs, {
    beginTarget: () => {
      history = new TargetHistory();
    },
    reveal: (j) => history.add(runs[j] as BackupRunRecord, startMs[j] as number, endMs[j] as number),
    visit: (i, _rank, t) => history.writeFeatures(runs[i] as BackupRunRecord, t, team.at(t), matrix.values, i * FEATURE_COUNT),
  });
  return { pipelineVersion: FEATURE_PIPELINE_VERSION, featureNames: FEATURE_NAMES, matrix, labels, startedAtMs: startMs };
}

/** The team's failure rate over the feature window from any runs (all targets): what live prediction asks the database for. */
export function teamFailureRateAt(atMs: number, runs: readonly BackupRunRecord[]): number {
  const ends: number[] = [];
  const failed: number[] = [];
  for (const run of runs) {
    const s = startMsOf(run);
    ends.push(endMsOf(s, run.durationSeconds));
    failed.push(run.status === 'failed' ? 1 : 0);
  }
  return new TeamFailureRate(ends, failed).at(atMs);
}

export interface UpcomingRunContext {
  /**
   * The team's failure rate at the run's start (every target's runs that ended in the last 90 days; -1 when none),
   * when the caller has only the target's own runs. Default: computed from `pastRuns` (all targets in it).
   */
  teamFailureRate?: number;
}

/**
 * Feature row for a run about to start, from that target's past runs. Runs of other targets only count towards
 * the team's rate, and runs not yet finished at `upcoming.startAt` are ignored, so passing "everything we have" is safe.
 */
export function featuresForUpcomingRun(upcoming: UpcomingRun, pastRuns: readonly BackupRunRecord[], context: UpcomingRunContext = {}): number[] {
  const atMs = upcoming.startAt.getTime();
  if (!Number.isFinite(atMs)) throw new RangeError('upcoming.startAt is an invalid date');
  const visible: { run: BackupRunRecord; startMs: number; endMs: number }[] = [];
  for (const run of pastRuns) {
    if (run.target !== upcoming.target) continue;
    const s = startMsOf(run);
    const e = endMsOf(s, run.durationSeconds);
    if (s < atMs && e <= atMs) visible.push({ run, startMs: s, endMs: e });
  }
  visible.sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  const history = new TargetHistory();
  for (const v of visible) history.add(v.run, v.startMs, v.endMs);
  const row = new Float64Array(FEATURE_COUNT);
  const teamRate = context.teamFailureRate ?? teamFailureRateAt(atMs, pastRuns);
  history.writeFeatures(upcoming, atMs, teamRate, row, 0);
  return Array.from(row);
}

/** Names a feature row, e.g. for explaining a prediction. */
export function describeFeatureRow(row: ArrayLike<number>): Record<FeatureName, number> {
  if (row.length !== FEATURE_COUNT) throw new RangeError(`expected ${FEATURE_COUNT} features, got ${row.length}`);
  const named = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((name, k) => {
    named[name] = row[k] as number;
  });
  return named;
}
