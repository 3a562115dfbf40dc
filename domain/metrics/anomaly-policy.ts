import type { Direction, Severity } from './zscore.js';

/** The two per-run metrics scored by the robust detector; names match `BackupRunRecord` fields. */
export type RunMetric = 'durationSeconds' | 'sizeBytes';
export const RUN_METRICS: readonly RunMetric[] = ['durationSeconds', 'sizeBytes'];

/** |modified z| above this is an anomaly (Iglewicz & Hoaglin's recommended cut-off). */
export const MODIFIED_Z_ANOMALY = 3.5;
/** |modified z| above this escalates: critical in the dangerous direction, warning in the benign one. */
export const MODIFIED_Z_CRITICAL = 5;

/**
 * Spread floor in log units (~5% of the median): a target whose runs are nearly identical would otherwise turn
 * a 2% wobble into a critical alert, and a perfectly constant one would divide by zero.
 */
export const LOG_SPREAD_FLOOR = 0.05;

/**
 * Longer-than-usual runs (stalls, contention) and smaller-than-usual backups (missing data) are what lose data;
 * faster runs and bigger backups are worth a note, not a page.
 */
export function isDangerousDirection(metric: RunMetric, direction: Direction): boolean {
  return metric === 'durationSeconds' ? direction === 'above' : direction === 'below';
}

export interface Classification {
  isAnomaly: boolean;
  severity: Severity;
  direction: Direction;
}

/**
 * Severity from a modified z-score:
 * - |z| <= 3.5: not an anomaly, `info`, direction `normal`.
 * - dangerous direction: > 3.5 `warning`, > 5 `critical`.
 * - benign direction: > 3.5 `info` (still `isAnomaly`), > 5 `warning`; never critical.
 */
export function classifyModifiedZ(metric: RunMetric, score: number): Classification {
  const magnitude = Math.abs(score);
  if (!(magnitude > MODIFIED_Z_ANOMALY)) return { isAnomaly: false, severity: 'info', direction: 'normal' };
  const direction: Direction = score > 0 ? 'above' : 'below';
  const critical = magnitude > MODIFIED_Z_CRITICAL;
  const severity: Severity = isDangerousDirection(metric, direction) ? (critical ? 'critical' : 'warning') : critical ? 'warning' : 'info';
  return { isAnomaly: true, severity, direction };
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}
