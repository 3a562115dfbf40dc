import type { BackupRunRecord } from '../history/types.js';
import { maxSeverity, type RunMetric } from '../metrics/anomaly-policy.js';
import { buildBaselines, type BaselineOptions } from '../metrics/baselines.js';
import type { MetricObservation } from '../metrics/incidents.js';
import { scoreRun, type RunScore } from '../metrics/scoring.js';
import type { Severity } from '../metrics/zscore.js';
import type { RunAnomalyCheck, RunFinding, ScanCounts } from './contract.js';

/**
 * Drops findings for metrics the run never reported (a command target has no size: scored as 0 it would look
 * like a partial backup) and recomputes the run-level verdict from what is left.
 */
export function withoutMetrics(score: RunScore, unknown: readonly RunMetric[]): RunScore {
  if (score.status !== 'scored' || unknown.length === 0) return score;
  const findings = score.findings.filter((f) => !unknown.includes(f.metric));
  let severity: Severity = 'info';
  for (const f of findings) if (f.isAnomaly) severity = maxSeverity(severity, f.severity);
  const reasons = findings.flatMap((f) => f.reasons);
  return {
    ...score,
    findings,
    severity,
    reasons,
    isAnomaly: findings.some((f) => f.isAnomaly),
    possiblePartialBackup: reasons.includes('possible_partial_backup'),
  };
}

/** The check's view of a score: what preBackupWorkflow and `sentinel anomalies check` report. */
export function toRunCheck(score: RunScore, minHistoryRuns: number, unknown: readonly RunMetric[]): RunAnomalyCheck {
  const stripped = withoutMetrics(score, unknown);
  if (stripped.status !== 'scored') {
    return {
      target: stripped.target,
      backupId: stripped.backupId,
      status: stripped.status,
      message: stripped.message,
      minHistoryRuns,
      historyRuns: stripped.historyRuns,
      isAnomaly: false,
      severity: 'info',
      possiblePartialBackup: false,
      reasons: [],
      baseline: null,
      findings: [],
      unscoredMetrics: [...unknown],
    };
  }
  return {
    target: stripped.target,
    backupId: stripped.backupId,
    status: 'scored',
    message: null,
    minHistoryRuns,
    historyRuns: stripped.baseline.runCount,
    isAnomaly: stripped.isAnomaly,
    severity: stripped.severity,
    possiblePartialBackup: stripped.possiblePartialBackup,
    reasons: stripped.reasons,
    baseline: stripped.baseline,
    findings: stripped.findings,
    unscoredMetrics: [...unknown],
  };
}

/**
 * Scores one run against its target's history, point in time: the run itself is excluded and only runs that
 * ended before it started teach the baseline. `historyRuns` is the target's whole usable history even when a
 * seasonal bucket was used (that bucket's size is in `baseline.runCount`).
 */
export function checkRun(
  history: readonly BackupRunRecord[],
  run: BackupRunRecord,
  options: { unknownMetrics?: readonly RunMetric[]; baseline?: Omit<BaselineOptions, 'until'> } = {},
): RunAnomalyCheck {
  const earlier = history.filter((r) => r.backupId !== run.backupId && r.target === run.target);
  const baselines = buildBaselines(earlier, { ...options.baseline, until: run.startedAt });
  const check = toRunCheck(scoreRun(baselines, run), baselines.settings.minHistory, options.unknownMetrics ?? []);
  if (check.status === 'scored') check.historyRuns = baselines.targets[run.target]?.successfulRuns ?? check.historyRuns;
  return check;
}

/** Findings of a scan, most severe first (then newest): what a summary lists when it cannot list everything. */
export function rankRunFindings(findings: RunFinding[]): RunFinding[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...findings].sort((a, b) => rank[a.severity] - rank[b.severity] || b.startedAt.localeCompare(a.startedAt) || a.backupId.localeCompare(b.backupId));
}

export function emptyScanCounts(): ScanCounts {
  return {
    targets: 0,
    considered: 0,
    scored: 0,
    anomalous: 0,
    critical: 0,
    possiblePartialBackups: 0,
    insufficientHistory: 0,
    failedRuns: 0,
    invalid: 0,
    newlyChecked: 0,
  };
}

/** Adds one run's outcome to the counts; returns the run as a finding when it is anomalous. */
export function countScore(counts: ScanCounts, score: RunScore): RunFinding | null {
  counts.considered++;
  if (score.status === 'failed_run') counts.failedRuns++;
  else if (score.status === 'invalid_value') counts.invalid++;
  else if (score.status === 'insufficient_history') counts.insufficientHistory++;
  if (score.status !== 'scored') return null;
  counts.scored++;
  if (!score.isAnomaly) return null;
  counts.anomalous++;
  if (score.severity === 'critical') counts.critical++;
  if (score.possiblePartialBackup) counts.possiblePartialBackups++;
  return {
    backupId: score.backupId,
    target: score.target,
    startedAt: score.startedAt.toISOString(),
    severity: score.severity,
    possiblePartialBackup: score.possiblePartialBackup,
    reasons: score.reasons,
    findings: score.findings,
  };
}

/** Incident observations from a scored check (one per reported metric); an unscored check observes nothing. */
export function observationsFromCheck(check: RunAnomalyCheck, at: Date): MetricObservation[] {
  if (check.status !== 'scored') return [];
  return check.findings.map((f) => ({
    target: check.target,
    metric: f.metric,
    direction: f.direction,
    severity: f.severity,
    isAnomaly: f.isAnomaly,
    at,
    backupId: check.backupId,
  }));
}
