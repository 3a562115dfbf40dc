/**
 * Mean/standard-deviation anomaly check, compatible with the original `detect_anomalies(current_metrics, baseline)`.
 * Severity thresholds on |z|: >= 2 warning, >= 3 critical; below 2 is `info` (not an anomaly).
 * Direction-blind and non-robust: for backup runs prefer `buildBaselines` + `scoreRun` (robust, seasonal,
 * direction-aware); this stays for callers that already hold a (mean, std) baseline per metric.
 * std = 0: an equal value scores 0, any other value scores +-1e9 (critical). Metrics missing from the baseline,
 * non-finite values or a negative std are skipped (no finding).
 */
export interface MetricBaseline {
  mean: number;
  std: number;
}

export type Severity = 'info' | 'warning' | 'critical';
export type Direction = 'above' | 'below' | 'normal';

export interface AnomalyFinding {
  metric: string;
  value: number;
  isAnomaly: boolean;
  score: number;
  severity: Severity;
  direction: Direction;
  expected: { mean: number; std: number };
}

export const Z_WARNING = 2;
export const Z_CRITICAL = 3;

export function detectAnomalies(currentMetrics: Record<string, number>, baseline: Record<string, MetricBaseline>): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  for (const [metric, value] of Object.entries(currentMetrics)) {
    const base = baseline[metric];
    // Metrics without a usable baseline are skipped rather than reported with a made-up score; a negative std
    // is a caller bug that would silently flip the direction.
    if (!base || !Number.isFinite(value) || !Number.isFinite(base.mean) || !Number.isFinite(base.std) || base.std < 0) continue;
    // A zero spread means every past run was identical: any difference is maximally surprising, equality is not.
    const score = base.std > 0 ? (value - base.mean) / base.std : value === base.mean ? 0 : Math.sign(value - base.mean) * Infinity;
    const magnitude = Math.abs(score);
    const severity: Severity = magnitude >= Z_CRITICAL ? 'critical' : magnitude >= Z_WARNING ? 'warning' : 'info';
    findings.push({
      metric,
      value,
      isAnomaly: severity !== 'info',
      score: Number.isFinite(score) ? score : Math.sign(score) * 1e9,
      severity,
      direction: severity === 'info' ? 'normal' : score > 0 ? 'above' : 'below',
      expected: { mean: base.mean, std: base.std },
    });
  }
  return findings;
}
