import type { BackupRunRecord } from '../history/types.js';
import { MODIFIED_Z_ANOMALY, classifyModifiedZ, maxSeverity, type RunMetric } from './anomaly-policy.js';
import {
  buildBaselines,
  describeBucket,
  isBaselineEligible,
  selectBucket,
  targetBaseline,
  type BaselineLevel,
  type BaselineOptions,
  type Baselines,
  type BucketBaseline,
  type LogBaseline,
  type TargetBaseline,
} from './baselines.js';
import { MetricsInputError } from './errors.js';
import { MAD_TO_SIGMA, MODIFIED_Z_FACTOR } from './robust-stats.js';
import { compileScoringTable } from './scoring-table.js';
import { DAY_HOUR_BUCKETS, dayHourIndex } from './time-buckets.js';
import type { Direction, Severity } from './zscore.js';

export type FindingReason =
  | 'longer_than_usual'
  | 'shorter_than_usual'
  | 'larger_than_usual'
  | 'smaller_than_usual'
  /** A completed run whose size dropped anomalously: data may be missing although the tool reported success. */
  | 'possible_partial_backup';

/** Same core fields as `AnomalyFinding` from zscore.ts; `expected` is in the metric's own units. */
export interface RobustFinding {
  metric: RunMetric;
  value: number;
  isAnomaly: boolean;
  /** Modified z-score on the log1p scale: 0.6745 * (log1p(value) - median) / MAD. */
  score: number;
  severity: Severity;
  direction: Direction;
  expected: {
    median: number;
    /** Values between lower and upper are not anomalous (|modified z| <= 3.5). */
    lower: number;
    upper: number;
  };
  reasons: FindingReason[];
}

export interface BaselineRef {
  level: BaselineLevel;
  /** Hour (0..23) for 'hour', dayOfWeek*24+hour for 'dayHour', null for 'overall'. */
  bucketIndex: number | null;
  runCount: number;
}

export interface ScoredRun {
  status: 'scored';
  backupId: string;
  target: string;
  startedAt: Date;
  isAnomaly: boolean;
  /** Highest severity over the findings ('info' when nothing is anomalous). */
  severity: Severity;
  possiblePartialBackup: boolean;
  reasons: FindingReason[];
  baseline: BaselineRef;
  /** Always two: durationSeconds, then sizeBytes. */
  findings: RobustFinding[];
}

export type UnscoredStatus = 'insufficient_history' | 'failed_run' | 'invalid_value';

export interface UnscoredRun {
  status: UnscoredStatus;
  backupId: string;
  target: string;
  startedAt: Date;
  message: string;
  /** Successful runs the target's baseline was learned from (0 when the target is unknown). */
  historyRuns: number;
  requiredRuns: number;
}

export type RunScore = ScoredRun | UnscoredRun;

const ANOMALY_SIGMAS = MODIFIED_Z_ANOMALY / (MODIFIED_Z_FACTOR * MAD_TO_SIGMA);

function zOf(logValue: number, baseline: LogBaseline): number {
  return (MODIFIED_Z_FACTOR * MAD_TO_SIGMA * (logValue - baseline.logMedian)) / baseline.sigma;
}

function finding(metric: RunMetric, value: number, score: number, baseline: LogBaseline, completed: boolean): RobustFinding {
  const { isAnomaly, severity, direction } = classifyModifiedZ(metric, score);
  const reasons: FindingReason[] = [];
  if (isAnomaly) {
    if (metric === 'durationSeconds') reasons.push(direction === 'above' ? 'longer_than_usual' : 'shorter_than_usual');
    else {
      reasons.push(direction === 'above' ? 'larger_than_usual' : 'smaller_than_usual');
      if (direction === 'below' && completed) reasons.push('possible_partial_backup');
    }
  }
  const halfWidth = ANOMALY_SIGMAS * baseline.sigma;
  return {
    metric,
    value,
    isAnomaly,
    score,
    severity,
    direction,
    expected: {
      median: Math.expm1(baseline.logMedian),
      lower: Math.max(0, Math.expm1(baseline.logMedian - halfWidth)),
      upper: Math.expm1(baseline.logMedian + halfWidth),
    },
    reasons,
  };
}

function scored(run: BackupRunRecord, level: BaselineLevel, bucketIndex: number | null, bucket: BucketBaseline, zDuration: number, zSize: number): ScoredRun {
  const findings = [
    finding('durationSeconds', run.durationSeconds, zDuration, bucket.durationSeconds, run.status === 'completed'),
    finding('sizeBytes', run.sizeBytes, zSize, bucket.sizeBytes, run.status === 'completed'),
  ];
  let severity: Severity = 'info';
  const reasons: FindingReason[] = [];
  for (const f of findings) {
    if (f.isAnomaly) severity = maxSeverity(severity, f.severity);
    reasons.push(...f.reasons);
  }
  return {
    status: 'scored',
    backupId: run.backupId,
    target: run.target,
    startedAt: run.startedAt,
    isAnomaly: findings.some((f) => f.isAnomaly),
    severity,
    possiblePartialBackup: reasons.includes('possible_partial_backup'),
    reasons,
    baseline: { level, bucketIndex, runCount: bucket.runCount },
    findings,
  };
}

function unscored(run: BackupRunRecord, status: UnscoredStatus, target: TargetBaseline | undefined, baselines: Baselines): UnscoredRun {
  const historyRuns = target?.successfulRuns ?? 0;
  const requiredRuns = baselines.settings.minHistory;
  const message =
    status === 'failed_run'
      ? 'failed runs are not scored: the failure itself is the alert'
      : status === 'invalid_value'
        ? 'duration and size must be finite and non-negative, and startedAt a valid date'
        : `not enough history: ${historyRuns} successful runs in the last ${baselines.settings.windowDays} days, need ${requiredRuns}`;
  return { status, backupId: run.backupId, target: run.target, startedAt: run.startedAt, message, historyRuns, requiredRuns };
}

/**
 * Scores one run against its target's baseline (most specific seasonal bucket with enough runs, else overall).
 * Failed runs, invalid values and targets below the minimum history come back unscored with a message.
 */
export function scoreRun(baselines: Baselines, run: BackupRunRecord): RunScore {
  const target = targetBaseline(baselines, run.target);
  if (run.status !== 'completed') return unscored(run, 'failed_run', target, baselines);
  if (!isBaselineEligible(run)) return unscored(run, 'invalid_value', target, baselines);
  const chosen = target ? selectBucket(target, run.startedAt.getTime(), baselines.settings.utcOffsetMinutes) : null;
  if (!chosen) return unscored(run, 'insufficient_history', target, baselines);
  const { baseline } = chosen;
  return scored(
    run,
    chosen.level,
    chosen.bucketIndex,
    baseline,
    zOf(Math.log1p(run.durationSeconds), baseline.durationSeconds),
    zOf(Math.log1p(run.sizeBytes), baseline.sizeBytes),
  );
}

export interface ScanOptions extends BaselineOptions {
  /**
   * Score runs that started at or after this instant. Unless `baselines` or `until` are given, baselines are
   * learned only from runs that ended before it (point in time). Without `since`, every run is scored against
   * baselines from all runs (a retrospective look; robust statistics keep the anomalies from hiding themselves).
   */
  since?: Date;
  /** Reuse baselines built earlier instead of learning them from `runs`. */
  baselines?: Baselines;
  /** Also return every RunScore (allocates one object per run; off by default). */
  includeAll?: boolean;
}

export interface ScanResult {
  baselines: Baselines;
  /** Runs at or after `since`. */
  considered: number;
  scored: number;
  anomalous: number;
  possiblePartialBackups: number;
  insufficientHistory: number;
  failedRuns: number;
  invalid: number;
  /** Scored runs with at least one anomalous metric, in input order. */
  anomalies: ScoredRun[];
  /** Every result, in input order, when `includeAll` was set. */
  results?: RunScore[];
}

/** Learns baselines (or reuses given ones) and scores a batch; only anomalous runs are materialised as objects. */
export function scanRuns(runs: readonly BackupRunRecord[], options: ScanOptions = {}): ScanResult {
  const since = options.since;
  if (since !== undefined && !(since instanceof Date && Number.isFinite(since.getTime()))) {
    throw new MetricsInputError('INVALID_OPTION', 'since must be a valid Date');
  }
  const baselines = options.baselines ?? buildBaselines(runs, since && options.until === undefined ? { ...options, until: since } : options);
  const sinceMs = since ? since.getTime() : -Infinity;
  const offset = baselines.settings.utcOffsetMinutes;
  const table = compileScoringTable(baselines);
  const { ids, slotBucket, firstBucket, codes, params, targets } = table;
  let previousName: string | undefined;
  let previousId = -1;
  const result: ScanResult = {
    baselines,
    considered: 0,
    scored: 0,
    anomalous: 0,
    possiblePartialBackups: 0,
    insufficientHistory: 0,
    failedRuns: 0,
    invalid: 0,
    anomalies: [],
  };
  const all: RunScore[] | undefined = options.includeAll ? [] : undefined;
  const zFactor = MODIFIED_Z_FACTOR * MAD_TO_SIGMA;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    const t = run.startedAt.getTime();
    // An invalid startedAt (NaN) is not "before since": it falls through and is counted as invalid below.
    if (t < sinceMs) continue;
    result.considered++;
    const id = run.target === previousName ? previousId : (ids.get(run.target) ?? -1);
    previousName = run.target;
    previousId = id;
    if (run.status !== 'completed') {
      result.failedRuns++;
      all?.push(unscored(run, 'failed_run', targets[id], baselines));
      continue;
    }
    const d = run.durationSeconds;
    const s = run.sizeBytes;
    if (!(d >= 0 && d < Infinity && s >= 0 && s < Infinity && !Number.isNaN(t))) {
      result.invalid++;
      all?.push(unscored(run, 'invalid_value', targets[id], baselines));
      continue;
    }
    const position = id < 0 ? 0 : slotBucket[id * DAY_HOUR_BUCKETS + dayHourIndex(t, offset)]!;
    if (position === 0) {
      result.insufficientHistory++;
      all?.push(unscored(run, 'insufficient_history', targets[id], baselines));
      continue;
    }
    result.scored++;
    const bucket = firstBucket[id]! + position - 1;
    const p = bucket * 4;
    const zDuration = (zFactor * (Math.log1p(d) - params[p]!)) / params[p + 1]!;
    const zSize = (zFactor * (Math.log1p(s) - params[p + 2]!)) / params[p + 3]!;
    const anomalous = Math.abs(zDuration) > MODIFIED_Z_ANOMALY || Math.abs(zSize) > MODIFIED_Z_ANOMALY;
    if (!anomalous && !all) continue;
    const chosen = describeBucket(targets[id]!, codes[bucket]!);
    const score = scored(run, chosen.level, chosen.bucketIndex, chosen.baseline, zDuration, zSize);
    all?.push(score);
    if (anomalous) {
      result.anomalous++;
      if (score.possiblePartialBackup) result.possiblePartialBackups++;
      result.anomalies.push(score);
    }
  }
  if (all) result.results = all;
  return result;
}
