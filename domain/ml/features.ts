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

export const FEATURE_PIPELINE_VERSION = 1;

/**
 * Column order of every feature row. Never reorder without bumping FEATURE_PIPELINE_VERSION. "Visible" runs are
 * the target's runs finished by t (see the top of this file), ordered by end time; -1 is UNKNOWN_FEATURE_VALUE.
 */
export const FEATURE_NAMES = [
  /** UTC hour of t, 0-23. */
  'hour_of_day_utc',
  /** UTC day of week of t, 0 = Sunday. */
  'day_of_week_utc',
  /** Completed share of the last 20 visible runs; -1 without history. */
  'success_rate_last_20_runs',
  /** Completed share of visible runs that ended in (t - 7 days, t]; -1 when none. */
  'success_rate_last_7_days',
  /** Failed runs among the last 5 visible runs. */
  'failures_last_5_runs',
  /** Failed visible runs that ended in (t - 24 h, t]. */
  'failures_last_24_hours',
  /** estimatedDuration / median duration of the last 20 visible successes; 1 when either is missing; [0, 1000]. */
  'estimated_duration_ratio',
  /** estimatedSize / median size of the last 20 visible successes; 1 when either is missing; [0, 1000]. */
  'estimated_size_ratio',
  /** OLS slope of ln(size) per day over the last 10 visible successes; 0 with fewer than 3; within +-10. */
  'size_growth_per_day',
  /** The run's databaseSizeGb; -1 when unknown. */
  'database_size_gb',
  /** freeSpaceGb (GiB) / expected size (estimatedSize, else the median success size); -1 when unknown; [0, 1000]. */
  'free_space_to_expected_size',
  /** Hours since the last visible success ended; 720 (the cap) when there was none. */
  'hours_since_last_success',
  /** Failures at the end of the visible history (streak), capped at 50. */
  'consecutive_failures',
  /** Number of visible runs, capped at 50 (tells new targets apart). */
  'prior_runs_capped',
  /** Completed share of visible runs started in the same UTC hour that ended in the last 14 days; -1 when none. */
  'same_hour_success_rate_14_days',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Value of a feature that cannot be known (no history, no measurement). Every real value is >= 0. */
export const UNKNOWN_FEATURE_VALUE = -1;

/** Windows and caps used by the features; part of the pipeline version. */
export const FEATURE_WINDOWS = {
  recentRuns: 20,
  shortRuns: 5,
  recentDaysMs: 7 * 24 * 3600_000,
  shortHoursMs: 24 * 3600_000,
  /** Successful runs whose median duration/size is "typical". */
  typicalSuccesses: 20,
  /** Successful runs the size trend is fitted on; fewer than minTrendPoints gives a trend of 0. */
  trendSuccesses: 10,
  minTrendPoints: 3,
  maxHoursSinceSuccess: 720,
  maxConsecutiveFailures: 50,
  maxPriorRuns: 50,
  /** Window of the same-hour-of-day success rate (maintenance windows recur at the same hour). */
  sameHourDaysMs: 14 * 24 * 3600_000,
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
  private readonly trendDays = new RecentValues(FEATURE_WINDOWS.trendSuccesses);
  private readonly trendLogSizes = new RecentValues(FEATURE_WINDOWS.trendSuccesses);
  private lastSuccessEndMs: number | null = null;
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
    if (failed) {
      this.failureStreak++;
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

  /** Success rate of the visible runs that started in `hour` (UTC) and ended after `afterMs`. */
  private sameHourSuccessRate(hour: number, afterMs: number): number {
    const ends = this.hourEndMs[hour] as number[];
    const failed = this.hourFailedPrefix[hour] as number[];
    const from = firstAbove(ends, afterMs);
    const count = ends.length - from;
    if (count === 0) return UNKNOWN_FEATURE_VALUE;
    return 1 - ((failed[ends.length] as number) - (failed[from] as number)) / count;
  }

  /** Writes the FEATURE_NAMES row for a run starting at `atMs` with the given pre-run facts. */
  writeFeatures(candidate: Omit<UpcomingRun, 'target' | 'startAt'>, atMs: number, out: Float64Array, offset: number): void {
    const w = FEATURE_WINDOWS;
    const count = this.endMs.length;
    const failures = this.failuresAmongFirst(count);
    const recentFrom = Math.max(0, count - w.recentRuns);
    const shortFrom = Math.max(0, count - w.shortRuns);
    const weekFrom = firstAbove(this.endMs, atMs - w.recentDaysMs);
    const dayFrom = firstAbove(this.endMs, atMs - w.shortHoursMs);
    const hour = utcHourOf(atMs);

    const estimatedSize = positiveOrNull(candidate.estimatedSize);
    const medianSize = this.typicalSizes.median();
    const expectedSize = estimatedSize ?? (medianSize !== null && medianSize > 0 ? medianSize : null);
    const freeSpaceGb = nonNegativeOrNull(candidate.freeSpaceGb);

    let o = offset;
    out[o++] = hour;
    out[o++] = utcDayOfWeek(atMs);
    out[o++] = count === 0 ? UNKNOWN_FEATURE_VALUE : 1 - (failures - this.failuresAmongFirst(recentFrom)) / (count - recentFrom);
    out[o++] = count === weekFrom ? UNKNOWN_FEATURE_VALUE : 1 - (failures - this.failuresAmongFirst(weekFrom)) / (count - weekFrom);
    out[o++] = failures - this.failuresAmongFirst(shortFrom);
    out[o++] = failures - this.failuresAmongFirst(dayFrom);
    out[o++] = neutralRatio(positiveOrNull(candidate.estimatedDuration), this.typicalDurations.median());
    out[o++] = neutralRatio(estimatedSize, medianSize);
    out[o++] = this.growth();
    out[o++] = nonNegativeOrNull(candidate.databaseSizeGb) ?? UNKNOWN_FEATURE_VALUE;
    out[o++] = freeSpaceGb === null || expectedSize === null ? UNKNOWN_FEATURE_VALUE : clamp((freeSpaceGb * BYTES_PER_GB) / expectedSize, 0, w.maxRatio);
    out[o++] = this.lastSuccessEndMs === null ? w.maxHoursSinceSuccess : clamp((atMs - this.lastSuccessEndMs) / MS_PER_HOUR, 0, w.maxHoursSinceSuccess);
    out[o++] = Math.min(this.failureStreak, w.maxConsecutiveFailures);
    out[o++] = Math.min(count, w.maxPriorRuns);
    out[o++] = this.sameHourSuccessRate(hour, atMs - w.sameHourDaysMs);
  }
}

/**
 * One feature row per run (row i for runs[i], any input order, many targets). O(n log n): each run sees its
 * target's history accumulated so far (sweepPointInTime).
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

  const matrix = createMatrix(n, FEATURE_COUNT);
  let history = new TargetHistory();
  sweepPointInTime((i) => (runs[i] as BackupRunRecord).target, startMs, endMs, {
    beginTarget: () => {
      history = new TargetHistory();
    },
    reveal: (j) => history.add(runs[j] as BackupRunRecord, startMs[j] as number, endMs[j] as number),
    visit: (i, _rank, t) => history.writeFeatures(runs[i] as BackupRunRecord, t, matrix.values, i * FEATURE_COUNT),
  });
  return { pipelineVersion: FEATURE_PIPELINE_VERSION, featureNames: FEATURE_NAMES, matrix, labels, startedAtMs: startMs };
}

/**
 * Feature row for a run about to start, from that target's past runs. Runs of other targets and runs not yet
 * finished at `upcoming.startAt` are ignored, so passing "everything we have" is safe.
 */
export function featuresForUpcomingRun(upcoming: UpcomingRun, pastRuns: readonly BackupRunRecord[]): number[] {
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
  history.writeFeatures(upcoming, atMs, row, 0);
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
