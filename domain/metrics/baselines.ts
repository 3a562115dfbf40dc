import type { BackupRunRecord } from '../history/types.js';
import { LOG_SPREAD_FLOOR } from './anomaly-policy.js';
import { MetricsInputError, requirePositiveInteger } from './errors.js';
import { effectiveSigma, robustLocationSpread, type SpreadSource } from './robust-stats.js';
import { DAY_HOUR_BUCKETS, HOURS_PER_DAY, MS_PER_DAY, dayHourIndex } from './time-buckets.js';

/** Fewer successful runs than this (inside the window) and a target is "not enough history". */
export const MIN_HISTORY_RUNS = 10;
/** A seasonal bucket is used only with at least this many successful runs; otherwise the next coarser level. */
export const MIN_BUCKET_RUNS = 8;
/** Each target's baseline uses its successful runs from the last this-many days (sizes grow; old runs mislead). */
export const BASELINE_WINDOW_DAYS = 90;

/** Robust centre and spread of log1p(metric) for one group of runs. */
export interface LogBaseline {
  runCount: number;
  /** Median of log1p(value). */
  logMedian: number;
  /** Raw median absolute deviation of log1p(value), before fallbacks (0 for a constant series). */
  rawMad: number;
  /** Normal-consistent spread used for scoring (1.4826*MAD or a fallback); always >= the log spread floor. */
  sigma: number;
  spreadSource: SpreadSource;
}

export interface BucketBaseline {
  runCount: number;
  durationSeconds: LogBaseline;
  sizeBytes: LogBaseline;
}

/** Most specific first: day-of-week x hour, then hour of day, then the target's overall baseline. */
export type BaselineLevel = 'dayHour' | 'hour' | 'overall';

export interface TargetBaseline {
  target: string;
  /** Successful, valid runs inside the window (what the baseline was learned from). */
  successfulRuns: number;
  firstRunAt: string | null;
  lastRunAt: string | null;
  /** null below MIN_HISTORY_RUNS: scoring answers "not enough history". */
  overall: BucketBaseline | null;
  /** Index = hour of day (0..23); null where the bucket is too thin. Empty when `overall` is null or seasonal is off. */
  byHour: (BucketBaseline | null)[];
  /** Index = dayOfWeek (0 = Sunday) * 24 + hour; null where too thin. Empty when `overall` is null or seasonal is off. */
  byDayHour: (BucketBaseline | null)[];
}

export interface BaselineSettings {
  windowDays: number;
  minHistory: number;
  minBucketRuns: number;
  seasonal: boolean;
  utcOffsetMinutes: number;
  logSpreadFloor: number;
  /** ISO instant: only runs that ended strictly before it were used; null = all runs. */
  until: string | null;
}

/** Plain JSON-serialisable data (safe to pass through Temporal payloads or store). */
export interface Baselines {
  settings: BaselineSettings;
  targets: Record<string, TargetBaseline>;
}

export interface BaselineOptions {
  /** Point in time: only runs that ended strictly before this instant are learned from. */
  until?: Date;
  windowDays?: number;
  minHistory?: number;
  minBucketRuns?: number;
  /** Learn hour / day-of-week buckets (default true). */
  seasonal?: boolean;
  /** Fixed offset for the local clock that schedules follow (no DST), default 0 = UTC. */
  utcOffsetMinutes?: number;
}

export function resolveBaselineSettings(options: BaselineOptions = {}): BaselineSettings {
  const until = options.until;
  if (until !== undefined && !(until instanceof Date && Number.isFinite(until.getTime()))) {
    throw new MetricsInputError('INVALID_OPTION', 'until must be a valid Date');
  }
  const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 14 * 60) {
    throw new MetricsInputError('INVALID_OPTION', `utcOffsetMinutes must be an integer within +-840, got ${utcOffsetMinutes}`);
  }
  return {
    windowDays: requirePositiveInteger(options.windowDays ?? BASELINE_WINDOW_DAYS, 'windowDays'),
    minHistory: requirePositiveInteger(options.minHistory ?? MIN_HISTORY_RUNS, 'minHistory'),
    minBucketRuns: requirePositiveInteger(options.minBucketRuns ?? MIN_BUCKET_RUNS, 'minBucketRuns'),
    seasonal: options.seasonal ?? true,
    utcOffsetMinutes,
    logSpreadFloor: LOG_SPREAD_FLOOR,
    until: until ? until.toISOString() : null,
  };
}

/** A run that can teach a baseline: completed, with finite non-negative duration and size and a valid start. */
export function isBaselineEligible(run: BackupRunRecord): boolean {
  const d = run.durationSeconds;
  const s = run.sizeBytes;
  return run.status === 'completed' && d >= 0 && d < Infinity && s >= 0 && s < Infinity && Number.isFinite(run.startedAt.getTime());
}

interface EligibleRuns {
  /** Target id per input run, -1 when the run is not used. */
  targetOf: Int32Array;
  startOf: Float64Array;
  names: string[];
  latestStart: number[];
}

// The phases below are separate functions on purpose: V8 optimises each hot loop on its own instead of
// deoptimising one long function every time execution reaches a loop it has no type feedback for.

function indexEligibleRuns(runs: readonly BackupRunRecord[], untilMs: number): EligibleRuns {
  const n = runs.length;
  const targetOf = new Int32Array(n);
  const startOf = new Float64Array(n);
  const ids = new Map<string, number>();
  const names: string[] = [];
  const latestStart: number[] = [];
  // Histories are often ordered by target: remembering the previous one skips most map lookups.
  let previousTarget: string | undefined;
  let previousId = -1;
  for (let i = 0; i < n; i++) {
    targetOf[i] = -1;
    const run = runs[i]!;
    const d = run.durationSeconds;
    const s = run.sizeBytes;
    if (run.status !== 'completed' || !(d >= 0 && d < Infinity && s >= 0 && s < Infinity)) continue;
    const t = run.startedAt.getTime();
    // Also rejects an invalid startedAt (NaN).
    if (!(t + d * 1000 < untilMs)) continue;
    let id = run.target === previousTarget ? previousId : ids.get(run.target);
    previousTarget = run.target;
    if (id === undefined) {
      id = names.length;
      ids.set(run.target, id);
      names.push(run.target);
      latestStart.push(t);
    } else if (t > latestStart[id]!) {
      latestStart[id] = t;
    }
    previousId = id;
    targetOf[i] = id;
    startOf[i] = t;
  }
  return { targetOf, startOf, names, latestStart };
}

/** Drops runs outside each target's window and returns segment offsets per target (length targets + 1). */
function windowOffsets(eligible: EligibleRuns, windowMs: number): Int32Array {
  const { targetOf, startOf, latestStart } = eligible;
  const offsets = new Int32Array(eligible.names.length + 1);
  for (let i = 0; i < targetOf.length; i++) {
    const id = targetOf[i]!;
    if (id < 0) continue;
    if (startOf[i]! <= latestStart[id]! - windowMs) {
      targetOf[i] = -1;
      continue;
    }
    offsets[id + 1]!++;
  }
  for (let id = 0; id < eligible.names.length; id++) offsets[id + 1] = offsets[id + 1]! + offsets[id]!;
  return offsets;
}

interface Segments {
  logDuration: Float64Array;
  logSize: Float64Array;
  /** hour*7 + dayOfWeek: each hour's seven day-of-week buckets stay adjacent, so an hour bucket is one range. */
  seasonKey: Uint8Array;
  firstStart: Float64Array;
}

function gatherSegments(runs: readonly BackupRunRecord[], eligible: EligibleRuns, offsets: Int32Array, utcOffsetMinutes: number): Segments {
  const { targetOf, startOf } = eligible;
  const targetCount = eligible.names.length;
  const total = offsets[targetCount]!;
  const logDuration = new Float64Array(total);
  const logSize = new Float64Array(total);
  const seasonKey = new Uint8Array(total);
  const cursor = offsets.slice(0, targetCount);
  const firstStart = new Float64Array(targetCount).fill(Infinity);
  for (let i = 0; i < targetOf.length; i++) {
    const id = targetOf[i]!;
    if (id < 0) continue;
    const run = runs[i]!;
    const pos = cursor[id]!++;
    const t = startOf[i]!;
    if (t < firstStart[id]!) firstStart[id] = t;
    logDuration[pos] = Math.log1p(run.durationSeconds);
    logSize[pos] = Math.log1p(run.sizeBytes);
    const dayHour = dayHourIndex(t, utcOffsetMinutes);
    const hour = dayHour % HOURS_PER_DAY;
    seasonKey[pos] = hour * 7 + (dayHour - hour) / HOURS_PER_DAY;
  }
  return { logDuration, logSize, seasonKey, firstStart };
}

/** Reusable buffers for one build: sized to the largest target segment. */
class BucketStatistics {
  private readonly scratch: Float64Array;
  readonly binDuration: Float64Array;
  readonly binSize: Float64Array;
  readonly binStart = new Int32Array(DAY_HOUR_BUCKETS + 1);
  private readonly binCursor = new Int32Array(DAY_HOUR_BUCKETS);

  constructor(
    maxSegment: number,
    private readonly floor: number,
  ) {
    this.scratch = new Float64Array(maxSegment);
    this.binDuration = new Float64Array(maxSegment);
    this.binSize = new Float64Array(maxSegment);
  }

  private metric(values: Float64Array, lo: number, hi: number): LogBaseline {
    const spread = robustLocationSpread(values, lo, hi, this.scratch);
    const { sigma, source } = effectiveSigma(spread, this.floor);
    return { runCount: hi - lo, logMedian: spread.median, rawMad: spread.mad, sigma, spreadSource: source };
  }

  /** Reorders [lo, hi) of both arrays. */
  bucket(durations: Float64Array, sizes: Float64Array, lo: number, hi: number): BucketBaseline {
    return { runCount: hi - lo, durationSeconds: this.metric(durations, lo, hi), sizeBytes: this.metric(sizes, lo, hi) };
  }

  /** Counting sort of one target's segment by season key into binDuration/binSize; fills binStart. */
  binBySeason(segments: Segments, lo: number, hi: number): void {
    const { binStart, binCursor, binDuration, binSize } = this;
    const { seasonKey, logDuration, logSize } = segments;
    binStart.fill(0);
    for (let p = lo; p < hi; p++) binStart[seasonKey[p]! + 1]!++;
    for (let k = 0; k < DAY_HOUR_BUCKETS; k++) binStart[k + 1] = binStart[k + 1]! + binStart[k]!;
    binCursor.set(binStart.subarray(0, DAY_HOUR_BUCKETS));
    for (let p = lo; p < hi; p++) {
      const at = binCursor[seasonKey[p]!]!++;
      binDuration[at] = logDuration[p]!;
      binSize[at] = logSize[p]!;
    }
  }
}

function seasonalBuckets(entry: TargetBaseline, stats: BucketStatistics, minBucketRuns: number): void {
  const { binStart, binDuration, binSize } = stats;
  entry.byDayHour = new Array<BucketBaseline | null>(DAY_HOUR_BUCKETS).fill(null);
  entry.byHour = new Array<BucketBaseline | null>(HOURS_PER_DAY).fill(null);
  for (let hour = 0; hour < HOURS_PER_DAY; hour++) {
    for (let dow = 0; dow < 7; dow++) {
      const key = hour * 7 + dow;
      const from = binStart[key]!;
      const to = binStart[key + 1]!;
      if (to - from >= minBucketRuns) entry.byDayHour[dow * HOURS_PER_DAY + hour] = stats.bucket(binDuration, binSize, from, to);
    }
    const from = binStart[hour * 7]!;
    const to = binStart[hour * 7 + 7]!;
    if (to - from >= minBucketRuns) entry.byHour[hour] = stats.bucket(binDuration, binSize, from, to);
  }
}

/**
 * Learns per-target robust baselines of log1p(duration) and log1p(size) from successful runs.
 * Runs are grouped by target into typed arrays (counting sort, no per-run objects) and medians come from
 * in-place selection, so a million runs take well under a second.
 */
export function buildBaselines(runs: readonly BackupRunRecord[], options: BaselineOptions = {}): Baselines {
  const settings = resolveBaselineSettings(options);
  const eligible = indexEligibleRuns(runs, options.until ? options.until.getTime() : Infinity);
  const offsets = windowOffsets(eligible, settings.windowDays * MS_PER_DAY);
  const segments = gatherSegments(runs, eligible, offsets, settings.utcOffsetMinutes);
  const { names, latestStart } = eligible;
  let maxSegment = 0;
  for (let id = 0; id < names.length; id++) maxSegment = Math.max(maxSegment, offsets[id + 1]! - offsets[id]!);
  const stats = new BucketStatistics(maxSegment, settings.logSpreadFloor);

  const targets = Object.create(null) as Record<string, TargetBaseline>;
  for (let id = 0; id < names.length; id++) {
    const lo = offsets[id]!;
    const hi = offsets[id + 1]!;
    const count = hi - lo;
    const target = names[id]!;
    const entry: TargetBaseline = {
      target,
      successfulRuns: count,
      firstRunAt: count > 0 ? new Date(segments.firstStart[id]!).toISOString() : null,
      lastRunAt: count > 0 ? new Date(latestStart[id]!).toISOString() : null,
      overall: null,
      byHour: [],
      byDayHour: [],
    };
    targets[target] = entry;
    if (count < settings.minHistory) continue;
    if (settings.seasonal) {
      stats.binBySeason(segments, lo, hi);
      seasonalBuckets(entry, stats, settings.minBucketRuns);
    }
    entry.overall = stats.bucket(segments.logDuration, segments.logSize, lo, hi);
  }
  return { settings, targets };
}

export function targetBaseline(baselines: Baselines, target: string): TargetBaseline | undefined {
  return Object.hasOwn(baselines.targets, target) ? baselines.targets[target] : undefined;
}

/** Encoded bucket choice: 0..167 = byDayHour index, HOUR_CODE + hour = byHour, OVERALL_CODE, NO_BASELINE. */
const HOUR_CODE = 1000;
export const OVERALL_CODE = 2000;
export const NO_BASELINE = -1;

/** Bucket choice for a `byDayHour` slot, encoded (allocation-free for hot loops); decode with `bucketFor`. */
export function bucketCodeForSlot(target: TargetBaseline, dayHour: number): number {
  if (!target.overall) return NO_BASELINE;
  if (target.byDayHour.length > 0) {
    if (target.byDayHour[dayHour]) return dayHour;
    const hour = dayHour % HOURS_PER_DAY;
    if (target.byHour[hour]) return HOUR_CODE + hour;
  }
  return OVERALL_CODE;
}

export function chooseBucketCode(target: TargetBaseline, epochMs: number, utcOffsetMinutes: number): number {
  return bucketCodeForSlot(target, dayHourIndex(epochMs, utcOffsetMinutes));
}

export function bucketFor(target: TargetBaseline, code: number): BucketBaseline {
  if (code === OVERALL_CODE) return target.overall!;
  if (code >= HOUR_CODE) return target.byHour[code - HOUR_CODE]!;
  return target.byDayHour[code]!;
}

export interface ChosenBucket {
  level: BaselineLevel;
  /** Hour for 'hour', dayOfWeek*24+hour for 'dayHour', null for 'overall'. */
  bucketIndex: number | null;
  baseline: BucketBaseline;
}

export function describeBucket(target: TargetBaseline, code: number): ChosenBucket {
  const baseline = bucketFor(target, code);
  if (code === OVERALL_CODE) return { level: 'overall', bucketIndex: null, baseline };
  if (code >= HOUR_CODE) return { level: 'hour', bucketIndex: code - HOUR_CODE, baseline };
  return { level: 'dayHour', bucketIndex: code, baseline };
}

/**
 * The most specific baseline with enough runs for a run starting at `epochMs` (day-of-week x hour, then hour,
 * then overall), or null when the target has no baseline (not enough history).
 */
export function selectBucket(target: TargetBaseline, epochMs: number, utcOffsetMinutes: number): ChosenBucket | null {
  const code = chooseBucketCode(target, epochMs, utcOffsetMinutes);
  return code === NO_BASELINE ? null : describeBucket(target, code);
}
