import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The project's own Prometheus metrics (the Temporal SDK's metrics are served beside them). */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sentinel_process_' });

export const predictionsTotal = new Counter({
  name: 'sentinel_predictions_total',
  help: 'Failure predictions made, by risk level and model kind',
  labelNames: ['risk_level', 'model'] as const,
  registers: [registry],
});

export const decisionsTotal = new Counter({
  name: 'sentinel_gate_decisions_total',
  help: 'Pre-backup gate decisions, by decision',
  labelNames: ['decision'] as const,
  registers: [registry],
});

export const backupsTotal = new Counter({
  name: 'sentinel_backups_total',
  help: 'Backups run, by status',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const backupDurationSeconds = new Histogram({
  name: 'sentinel_backup_duration_seconds',
  help: 'Duration of backups',
  buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600],
  registers: [registry],
});

export const backupSizeBytes = new Histogram({
  name: 'sentinel_backup_size_bytes',
  help: 'Size of backup artifacts',
  buckets: [1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12],
  registers: [registry],
});

export const anomaliesTotal = new Counter({
  name: 'sentinel_anomalies_total',
  help: 'Anomalous backup metrics found, by metric and severity',
  labelNames: ['metric', 'severity'] as const,
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
