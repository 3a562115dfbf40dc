import type { RunMetric } from '../metrics/anomaly-policy.js';
import type { BaselineRef, FindingReason, RobustFinding, UnscoredStatus } from '../metrics/scoring.js';
import type { Severity } from '../metrics/zscore.js';

/**
 * Contracts of the metrics-intelligence workflows and activities (pre-backup anomaly check, anomaly monitor,
 * capacity forecast). Plain JSON: these values travel through Temporal payloads.
 */

/** A finished run to check against its target's history (the pre-backup workflow's own run). */
export interface AnomalyCheckInput {
  target: string;
  backupId: string;
  startedAt: string;
  durationSeconds: number;
  /** Null when the backup kind reports no size (command targets): the size is then not scored. */
  sizeBytes: number | null;
}

export type RunCheckStatus = 'scored' | UnscoredStatus;

/** The verdict on one run, without any incident bookkeeping. */
export interface RunAnomalyCheck {
  target: string;
  backupId: string;
  status: RunCheckStatus;
  /** Why the run was not scored, e.g. "not enough history: 3 successful runs in the last 90 days, need 10". */
  message: string | null;
  /** Successful runs a target needs before it is scored (below it: status `insufficient_history`). */
  minHistoryRuns: number;
  /** Successful runs the baseline was learned from. */
  historyRuns: number;
  isAnomaly: boolean;
  severity: Severity;
  possiblePartialBackup: boolean;
  reasons: FindingReason[];
  baseline: BaselineRef | null;
  findings: RobustFinding[];
  /** Metrics the run did not report (a command target's size): left out of findings instead of scored as 0. */
  unscoredMetrics: RunMetric[];
}

export interface IncidentRef {
  incidentId: string;
  target: string;
  metric: string;
  direction: 'above' | 'below';
}

export interface IncidentChanges {
  opened: IncidentRef[];
  /** Incident IDs an observation extended (no alert). */
  continued: string[];
  closed: Array<IncidentRef & { reason: 'recovered' | 'stale' }>;
}

/** One alert per incident; the workflow sends it with dedupe key `anomaly-incident:<incidentId>`. */
export interface IncidentAlert {
  incidentId: string;
  target: string;
  kind: 'anomaly' | 'anomaly-drift';
  metric: string;
  direction: 'above' | 'below';
  message: string;
  details: Record<string, unknown>;
}

export interface RunAnomalyCheckOutcome extends RunAnomalyCheck {
  incidents: IncidentChanges;
  /** Alerts the caller must send (incidents it opened whose alert is not stored yet). */
  alerts: IncidentAlert[];
}

/** What preBackupWorkflow keeps of the check besides the findings (which go to `anomalies`). */
export type AnomalyCheckSummary = Omit<RunAnomalyCheckOutcome, 'findings' | 'alerts'> & { alertsSent: string[] };

export const incidentAlertDedupeKey = (incidentId: string): string => `anomaly-incident:${incidentId}`;

// ---------------------------------------------------------------------------------------------------------------
// anomalyMonitorWorkflow

export interface AnomalyMonitorInput {
  /** ISO instant: score runs that started at or after it (default: 24 h before the workflow started). */
  since?: string;
}

export interface ScanAnomaliesInput {
  since: string;
  /** The scan's "now" (workflow time): runs after it are left for the next scan. */
  until: string;
  /** The calling workflow's ID: incidents opened by this caller are the ones it alerts for. */
  callerId: string;
}

export interface RunFinding {
  backupId: string;
  target: string;
  startedAt: string;
  severity: Severity;
  possiblePartialBackup: boolean;
  reasons: FindingReason[];
  findings: RobustFinding[];
}

export interface DriftFinding {
  target: string;
  metric: RunMetric;
  status: 'monitored' | 'insufficient_history';
  /** The EWMA is outside its control limits after the latest run. */
  drifting: boolean;
  direction: 'above' | 'below' | null;
  /** Longer durations or smaller sizes. */
  dangerous: boolean;
  /** critical: drifting the dangerous way; warning: drifting the benign way; info: in control. */
  severity: Severity;
  /** First run whose EWMA left the limits in this window (it may have come back since). */
  firstSignalAt: string | null;
  /** In the metric's units: calibration centre, current EWMA and its limits. */
  centre: number | null;
  current: number | null;
  limits: { lower: number; upper: number } | null;
  runs: number;
  message: string | null;
}

export interface ScanCounts {
  targets: number;
  considered: number;
  scored: number;
  anomalous: number;
  critical: number;
  possiblePartialBackups: number;
  insufficientHistory: number;
  failedRuns: number;
  invalid: number;
  /** Runs no earlier check had seen: only these move incidents. */
  newlyChecked: number;
}

export interface AnomalyScanSummary {
  since: string;
  until: string;
  counts: ScanCounts;
  /** Anomalous runs, most severe first, at most MAX_SCAN_FINDINGS. */
  findings: RunFinding[];
  findingsOmitted: number;
  /** Drifting metrics only (in-control and too-short series are counted, not listed). */
  drift: DriftFinding[];
  driftMonitored: number;
  incidents: IncidentChanges & { openAfter: number };
  alerts: IncidentAlert[];
  /**
   * Targets whose scan failed (nothing of theirs stored; the next scan tries again), with the reason: one target's
   * failure never fails the others. Absent in results recorded before it existed.
   */
  failedTargets?: ScanTargetFailure[];
}

export interface ScanTargetFailure {
  target: string;
  error: string;
}

export interface AnomalyMonitorResult extends Omit<AnomalyScanSummary, 'alerts'> {
  workflowId: string;
  alertsSent: string[];
  alertsFailed: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// capacityForecastWorkflow

export interface CapacityForecastInput {
  /** Alert when the conservative days-until-full is below this (default CAPACITY_ALERT_HORIZON_DAYS or 14). */
  horizonDays?: number;
  /** Target names from sentinel.yaml (default: all). */
  targets?: string[];
}

/** `kept-under-policy`: what the target's `keep` policy leaves stored each day (retention simulated over its dumps). */
export type CapacitySeriesKind = 'retained-backups' | 'kept-under-policy' | 'database-size' | 'filesystem-total';
/** config: targets[].capacityGb; filesystem: used + free space where BACKUP_DIR lives; cli: --capacity-gb. */
export type CapacitySource = 'config' | 'filesystem' | 'cli' | 'none';

export interface CapacityEntry {
  /** Target name, or `filesystem:<path>` for all targets sharing the BACKUP_DIR filesystem. */
  name: string;
  kind: 'target' | 'filesystem';
  series: CapacitySeriesKind | null;
  status: 'forecast' | 'insufficient_history';
  message: string | null;
  /** Daily points the forecast saw. */
  points: number;
  lastDate: string | null;
  lastValueGb: number | null;
  capacityGb: number | null;
  capacitySource: CapacitySource;
  forecast: {
    method: 'ols' | 'holt';
    daysAhead: number;
    targetDate: string;
    predictedSizeGb: number;
    lower: number;
    upper: number;
    confidence: number;
    trend: 'increasing' | 'decreasing' | 'stable';
    slopePerDay: number;
    r2: number;
    n: number;
    reason: string;
  } | null;
  daysUntilFull: { point: number | null; conservative: number | null; alreadyFull: boolean; growing: boolean } | null;
  alert: boolean;
  severity: Severity | null;
  /** With a `keep` policy: the policy and the store it settles at (dumps it keeps at the usual cadence x median size). */
  retention?: { policy: string; keptNow: number; steadyStateGb: number | null };
}

export interface CapacityAlert {
  name: string;
  target: string | null;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
}

export interface CapacityForecastSummary {
  horizonDays: number;
  horizonSource: 'input' | 'env' | 'default';
  filesystem: { path: string; freeGb: number; totalGb: number } | null;
  entries: CapacityEntry[];
  alerts: CapacityAlert[];
}

export interface CapacityForecastResult extends Omit<CapacityForecastSummary, 'alerts'> {
  workflowId: string;
  alerts: Array<Pick<CapacityAlert, 'name' | 'severity' | 'message'>>;
  alertsSent: string[];
  alertsFailed: string[];
}

export const anomalyScanWorkflowId = (at: Date | string): string => `anomaly-scan/${typeof at === 'string' ? at : at.toISOString()}`;
export const capacityForecastWorkflowId = (at: Date | string): string => `capacity-forecast/${typeof at === 'string' ? at : at.toISOString()}`;
