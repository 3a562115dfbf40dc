import { describe, expect, it } from 'vitest';
import { OTHER_TARGET, registry, TargetLabels } from '../../../platform/telemetry.js';
import { recordProductMetrics } from '../../../workers/activity-observer.js';

const value = async (name: string, labels: Record<string, string>) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))?.value;

const labels = new TargetLabels();
labels.update(['orders-db', 'files']);

describe('product metrics derived from activity results', () => {
  it('counts predictions, decisions and backups once per recorded run, per target', async () => {
    recordProductMetrics('predictBackupFailure', { target: 'orders-db' }, { riskLevel: 'high', failureProbability: 0.73, model: { kind: 'ml' } }, labels);
    const run = { target: 'orders-db', decision: 'approved', backup: { status: 'completed', durationSeconds: 12, sizeBytes: 5e6 } };
    recordProductMetrics('recordBackupRun', run, { inserted: true }, labels);
    recordProductMetrics('recordBackupRun', run, { inserted: false }, labels);
    expect(await value('sentinel_predictions_total', { target: 'orders-db', risk_level: 'high', model: 'ml' })).toBe(1);
    expect(await value('sentinel_failure_probability_ratio', { target: 'orders-db' })).toBe(0.73);
    expect(await value('sentinel_gate_decisions_total', { target: 'orders-db', decision: 'approved' })).toBe(1);
    expect(await value('sentinel_backups_total', { target: 'orders-db', status: 'completed' })).toBe(1);
    expect(await value('sentinel_backup_duration_seconds', { target: 'orders-db', le: '15' })).toBe(1);
  });

  it('counts the first prediction of a gate read in one activity (resolveGateAndPredict) like predictBackupFailure', async () => {
    const opened = { gate: { target: 'files' }, prediction: { riskLevel: 'low', failureProbability: 0.04, model: { kind: 'rules' } } };
    recordProductMetrics('resolveGateAndPredict', { target: 'files', startAt: '2026-12-07T00:00:00Z' }, opened, labels);
    expect(await value('sentinel_predictions_total', { target: 'files', risk_level: 'low', model: 'rules' })).toBe(1);
    expect(await value('sentinel_failure_probability_ratio', { target: 'files' })).toBe(0.04);
  });

  it('keeps label values to the targets of sentinel.yaml: others are counted under _other', async () => {
    for (const target of ['intruder-1', 'intruder-2', undefined])
      recordProductMetrics('recordBackupRun', { target, decision: 'proceed', backup: { status: 'failed' } }, { inserted: true }, labels);
    expect(await value('sentinel_backups_total', { target: OTHER_TARGET, status: 'failed' })).toBe(3);
    expect(await value('sentinel_backups_total', { target: 'intruder-1' })).toBeUndefined();
  });

  it('counts config items by type and outcome, anomalies by target, metric and severity, and keeps the baseline of the last run', async () => {
    recordProductMetrics(
      'backupConfigFiles',
      {},
      {
        items: [
          { type: 'file', status: 'backed_up' },
          { type: 'file', status: 'failed' },
          { type: 'file', status: 'backed_up' },
        ],
        payloadsWritten: 2,
      },
      labels,
    );
    recordProductMetrics(
      'checkRunAnomalies',
      { target: 'files' },
      {
        target: 'files',
        findings: [
          { metric: 'durationSeconds', value: 900, severity: 'critical', isAnomaly: true, expected: { median: 60, lower: 30, upper: 120 } },
          { metric: 'sizeBytes', value: 1000, severity: 'info', isAnomaly: false, expected: { median: 1100, lower: 900, upper: 1300 } },
        ],
      },
      labels,
    );
    expect(await value('sentinel_config_items_total', { kind: 'file', outcome: 'backed_up' })).toBe(2);
    expect(await value('sentinel_config_items_total', { kind: 'file', outcome: 'failed' })).toBe(1);
    expect(await value('sentinel_anomalies_total', { target: 'files', metric: 'durationSeconds', severity: 'critical' })).toBe(1);
    expect(await value('sentinel_anomalies_total', { target: 'files', metric: 'sizeBytes', severity: 'info' })).toBeUndefined();
    expect(await value('sentinel_backup_last_duration_seconds', { target: 'files' })).toBe(900);
    expect(await value('sentinel_backup_baseline_duration_seconds', { target: 'files', bound: 'upper' })).toBe(120);
    expect(await value('sentinel_backup_last_size_bytes', { target: 'files' })).toBe(1000);
    expect(await value('sentinel_backup_baseline_size_bytes', { target: 'files', bound: 'median' })).toBe(1100);
  });

  it('sets days until full per target from a capacity forecast', async () => {
    recordProductMetrics(
      'forecastCapacity',
      {},
      {
        entries: [
          { kind: 'target', name: 'orders-db', daysUntilFull: { conservative: 12.5 } },
          { kind: 'filesystem', name: 'filesystem:/x', daysUntilFull: { conservative: 3 } },
        ],
      },
      labels,
    );
    expect(await value('sentinel_capacity_days_until_full', { target: 'orders-db' })).toBe(12.5);
    expect(await value('sentinel_capacity_days_until_full', { target: 'filesystem:/x' })).toBeUndefined();
  });

  it('names default process metrics with one prefix', async () => {
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('sentinel_process_cpu_seconds_total');
    expect(names.filter((n) => n.includes('process_process'))).toEqual([]);
  });
});
