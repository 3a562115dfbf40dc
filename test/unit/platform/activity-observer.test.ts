import { describe, expect, it } from 'vitest';
import { registry } from '../../../platform/telemetry.js';
import { recordProductMetrics } from '../../../workers/activity-observer.js';

const value = async (name: string, labels: Record<string, string>) =>
  (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;

describe('product metrics derived from activity results', () => {
  it('counts predictions, decisions and backups once per recorded run', async () => {
    recordProductMetrics('predictBackupFailure', {}, { riskLevel: 'high', model: { kind: 'ml' } });
    recordProductMetrics('recordBackupRun', { decision: 'approved', backup: { status: 'completed', durationSeconds: 12, sizeBytes: 5e6 } }, { inserted: true });
    recordProductMetrics(
      'recordBackupRun',
      { decision: 'approved', backup: { status: 'completed', durationSeconds: 12, sizeBytes: 5e6 } },
      { inserted: false },
    );
    expect(await value('sentinel_predictions_total', { risk_level: 'high', model: 'ml' })).toBe(1);
    expect(await value('sentinel_gate_decisions_total', { decision: 'approved' })).toBe(1);
    expect(await value('sentinel_backups_total', { status: 'completed' })).toBe(1);
  });

  it('counts config items by type and outcome, and anomalies by metric and severity', async () => {
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
    );
    recordProductMetrics(
      'checkRunAnomalies',
      {},
      {
        findings: [
          { metric: 'duration', severity: 'critical', isAnomaly: true },
          { metric: 'size', severity: 'info', isAnomaly: false },
        ],
      },
    );
    expect(await value('sentinel_config_items_total', { kind: 'file', outcome: 'backed_up' })).toBe(2);
    expect(await value('sentinel_config_items_total', { kind: 'file', outcome: 'failed' })).toBe(1);
    expect(await value('sentinel_anomalies_total', { metric: 'duration', severity: 'critical' })).toBe(1);
    expect(await value('sentinel_anomalies_total', { metric: 'size', severity: 'info' })).toBe(0);
  });
});
