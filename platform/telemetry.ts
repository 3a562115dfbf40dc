import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The project's own Prometheus metrics (the Temporal SDK's metrics are served beside them). Names follow the
 * Prometheus naming guide: a `sentinel_` namespace, base units in the name (`_seconds`, `_bytes`, `_ratio`),
 * `_total` for counters. Per-target series carry a `target` label whose values come from sentinel.yaml only
 * (`TargetLabels`): anything else is counted under `_other`, so a caller cannot grow the series without bound.
 * Per-target gauges read from PostgreSQL at scrape time live in telemetry-targets.ts.
 * deploy/prometheus/ holds alert rules and deploy/grafana/ a dashboard built on these names; a unit test fails
 * when either names a metric that is not defined here.
 */
export const registry = new Registry();
// The default collectors already name their metrics process_* and nodejs_*: a `sentinel_` prefix gives
// sentinel_process_cpu_seconds_total (it once was sentinel_process_ + process_…, a double prefix).
collectDefaultMetrics({ register: registry, prefix: 'sentinel_' });

/** The label value for series of targets not in sentinel.yaml. */
export const OTHER_TARGET = '_other';

/** The targets allowed as label values: those of the sentinel.yaml last loaded by this process. */
export class TargetLabels {
  private known = new Set<string>();
  update(names: Iterable<string>): void {
    this.known = new Set(names);
  }
  label(name: unknown): string {
    return typeof name === 'string' && this.known.has(name) ? name : OTHER_TARGET;
  }
}

export const predictionsTotal = new Counter({
  name: 'sentinel_predictions_total',
  help: 'Failure predictions made, by target, risk level and model kind',
  labelNames: ['target', 'risk_level', 'model'] as const,
  registers: [registry],
});

export const failureProbability = new Gauge({
  name: 'sentinel_failure_probability_ratio',
  help: 'Failure probability (0-1) of the latest prediction for each target',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const decisionsTotal = new Counter({
  name: 'sentinel_gate_decisions_total',
  help: 'Pre-backup gate decisions, by target and decision (proceed, approved, rejected, skipped)',
  labelNames: ['target', 'decision'] as const,
  registers: [registry],
});

export const backupsTotal = new Counter({
  name: 'sentinel_backups_total',
  help: 'Backups run, by target and status (completed, failed)',
  labelNames: ['target', 'status'] as const,
  registers: [registry],
});

export const backupDurationSeconds = new Histogram({
  name: 'sentinel_backup_duration_seconds',
  help: 'Duration of backups, by target',
  labelNames: ['target'] as const,
  buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600],
  registers: [registry],
});

export const backupSizeBytes = new Histogram({
  name: 'sentinel_backup_size_bytes',
  help: 'Size of backup artifacts, by target',
  labelNames: ['target'] as const,
  buckets: [1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12],
  registers: [registry],
});

export const lastBackupDurationSeconds = new Gauge({
  name: 'sentinel_backup_last_duration_seconds',
  help: 'Duration of the latest checked backup of each target',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const lastBackupSizeBytes = new Gauge({
  name: 'sentinel_backup_last_size_bytes',
  help: 'Size of the latest checked backup of each target',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const baselineDurationSeconds = new Gauge({
  name: 'sentinel_backup_baseline_duration_seconds',
  help: "The anomaly check's expected duration for each target's latest backup: median and the lower/upper bounds of normal",
  labelNames: ['target', 'bound'] as const,
  registers: [registry],
});

export const baselineSizeBytes = new Gauge({
  name: 'sentinel_backup_baseline_size_bytes',
  help: "The anomaly check's expected size for each target's latest backup: median and the lower/upper bounds of normal",
  labelNames: ['target', 'bound'] as const,
  registers: [registry],
});

export const anomaliesTotal = new Counter({
  name: 'sentinel_anomalies_total',
  help: 'Anomalous backup metrics found, by target, metric and severity',
  labelNames: ['target', 'metric', 'severity'] as const,
  registers: [registry],
});

export const capacityDaysUntilFull = new Gauge({
  name: 'sentinel_capacity_days_until_full',
  help: 'Conservative forecast of days until the backup store of each target is full (latest capacity forecast)',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const configItemsTotal = new Counter({
  name: 'sentinel_config_items_total',
  help: 'Configuration items processed by config backups, by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const activityDurationSeconds = new Histogram({
  name: 'sentinel_activity_duration_seconds',
  help: 'Activity execution time, by activity type and outcome',
  labelNames: ['activity', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
  registers: [registry],
});
