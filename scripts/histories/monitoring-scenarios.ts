// The hourly anomaly scan and the daily capacity forecast, each with and without alerts to send, over seeded runs.
import { insertBackupRun, type BackupRunRow } from '../../db/repositories/backup-runs.js';
import {
  anomalyScanWorkflowId,
  capacityForecastWorkflowId,
  type AnomalyMonitorInput,
  type AnomalyMonitorResult,
  type CapacityForecastInput,
  type CapacityForecastResult,
} from '../../domain/monitoring/contract.js';
import { completed, RECORDED_AT, type Recorder } from './recording.js';
import { TASK_QUEUE } from './stack.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function monitoringTargets(): unknown[] {
  return [{ name: 'filling-cmd', kind: 'command', command: 'true', capacityGb: 25 }];
}

export async function recordMonitoring(r: Recorder): Promise<void> {
  const { client, pool } = r.stack;
  let seq = 0;
  const seed = (row: Pick<BackupRunRow, 'target' | 'startedAt' | 'durationSeconds' | 'sizeBytes'>) =>
    insertBackupRun(pool, { backupId: `${row.target}-seed-${seq++}`, endedAt: null, status: 'completed', source: 'import', ...row });
  const now = Date.now();
  const today = Math.floor(now / DAY) * DAY;

  // 30 days of steady daily runs for two targets; then two slow runs for one, a far too small run for the other.
  for (const target of ['scan-slow', 'scan-partial'])
    for (let d = 30; d >= 1; d--)
      await seed({
        target,
        startedAt: new Date(today - d * DAY + 2 * HOUR),
        durationSeconds: 100 * (d % 2 ? 1.02 : 0.98),
        sizeBytes: 1e9 * (d % 3 ? 1.01 : 0.99),
      });
  await seed({ target: 'scan-slow', startedAt: new Date(now - 3 * HOUR), durationSeconds: 600, sizeBytes: 1e9 });
  await seed({ target: 'scan-slow', startedAt: new Date(now - 2 * HOUR), durationSeconds: 650, sizeBytes: 1e9 });
  await seed({ target: 'scan-partial', startedAt: new Date(now - 2 * HOUR), durationSeconds: 100, sizeBytes: 2e8 });

  const scan = (scenario: string, input: AnomalyMonitorInput) =>
    client.workflow.start('anomalyMonitorWorkflow', { taskQueue: TASK_QUEUE, workflowId: `${anomalyScanWorkflowId(RECORDED_AT)}-${scenario}`, args: [input] });
  await r.capture<AnomalyMonitorResult>(
    'anomalyMonitorWorkflow',
    'incidents-opened-alerts-sent',
    await scan('incidents-opened-alerts-sent', {}),
    completed((result) =>
      result.alertsSent.length >= 2 && result.alertsFailed.length === 0
        ? undefined
        : `${result.alertsSent.length} alerts sent, ${result.alertsFailed.length} failed`,
    ),
  );
  // The same hours again: every incident is known already, nothing alerts twice.
  await r.capture<AnomalyMonitorResult>(
    'anomalyMonitorWorkflow',
    'no-new-incidents',
    await scan('no-new-incidents', {}),
    completed((result) => (result.alertsSent.length === 0 ? undefined : `${result.alertsSent.length} alerts sent`)),
  );

  // 1 GB a day for 20 days: 20 GB stored of 25, full in about five days.
  for (let d = 20; d >= 1; d--)
    await seed({ target: 'filling-cmd', startedAt: new Date(today - d * DAY + HOUR), durationSeconds: 60, sizeBytes: 1e9 * (d % 2 ? 1.02 : 0.98) });
  const forecast = (scenario: string, input: CapacityForecastInput) =>
    client.workflow.start('capacityForecastWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `${capacityForecastWorkflowId(RECORDED_AT)}-${scenario}`,
      args: [input],
    });
  await r.capture<CapacityForecastResult>(
    'capacityForecastWorkflow',
    'below-horizon-alert',
    await forecast('below-horizon-alert', { targets: ['filling-cmd'], horizonDays: 14 }),
    completed((result) => (result.alertsSent.join() === 'filling-cmd' ? undefined : `alerts sent: [${result.alertsSent.join(', ')}]`)),
  );
  await r.capture<CapacityForecastResult>(
    'capacityForecastWorkflow',
    'above-horizon-no-alert',
    await forecast('above-horizon-no-alert', { targets: ['filling-cmd'], horizonDays: 3 }),
    completed((result) =>
      result.alertsSent.length === 0 && result.entries.length === 1
        ? undefined
        : `alerts sent: [${result.alertsSent.join(', ')}], ${result.entries.length} entries`,
    ),
  );
}
