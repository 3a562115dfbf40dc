import { ScheduleOverlapPolicy } from '@temporalio/client';
import { preBackupScheduleId } from '../domain/freshness/contract.js';
import type { SentinelSettings } from '../domain/settings/schema.js';
import { anomalyMonitorWorkflow } from '../workflows/anomaly-monitor.js';
import { capacityForecastWorkflow } from '../workflows/capacity-forecast.js';
import { configBackupWorkflow } from '../workflows/config-backup.js';
import { freshnessCheckWorkflow } from '../workflows/freshness.js';
import { trainFailureModelWorkflow } from '../workflows/models.js';
import { modelMonitorWorkflow } from '../workflows/model-monitor.js';
import { MODEL_MONITOR_SCHEDULE_ID } from '../domain/models/monitor-contract.js';
import { preBackupWorkflow } from '../workflows/pre-backup.js';
import { restoreDrillWorkflow } from '../workflows/restore-drill.js';
import type { ScheduleDeclaration } from './types.js';

export interface ScheduleContext {
  config: SentinelSettings;
  /** Timezone for every calendar schedule (sentinel.yaml `timezone`, default UTC). */
  timezone: string;
}

/** Configuration backup, daily at 01:00 in the configured timezone. */
export function configBackupSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: 'sentinel/config-backup',
    description: 'Configuration backup (env vars, files, app configs), daily at 01:00',
    workflowType: configBackupWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'config-backup/scheduled',
    calendars: [{ hour: 1, minute: 0, comment: 'daily at 01:00' }],
    timezone,
    // A run still going at the next 01:00 must not be doubled; the workflow also holds an advisory lock.
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '6h',
  };
}

/** Failure-model training, weekly (Sunday 03:00). */
export function modelTrainingSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: 'sentinel/model-training',
    description: 'Failure-model training and promotion gate, weekly on Sunday at 03:00',
    workflowType: trainFailureModelWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'train-model/scheduled',
    calendars: [{ dayOfWeek: 'SUNDAY', hour: 3, minute: 0, comment: 'weekly' }],
    timezone,
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '1d',
  };
}

/**
 * Live quality of the active failure model, hourly at :35 (away from the anomaly scan at :05): judges it on its live
 * outcomes and rolls it back automatically when it has degraded (docs/models.md).
 */
export function modelMonitorSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: MODEL_MONITOR_SCHEDULE_ID,
    description: 'Failure-model live quality check (automatic rollback when degraded), hourly',
    workflowType: modelMonitorWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'model-monitor/scheduled',
    calendars: [{ minute: 35, hour: '*', comment: 'hourly at :35' }],
    timezone,
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '30m',
  };
}

/** Anomaly scan over all targets, hourly. */
export function anomalyScanSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: 'sentinel/anomaly-scan',
    description: 'Backup metrics anomaly scan over all targets, hourly',
    workflowType: anomalyMonitorWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'anomaly-scan/scheduled',
    calendars: [{ minute: 5, hour: '*', comment: 'hourly at :05' }],
    timezone,
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '30m',
  };
}

/**
 * Freshness check over all targets, every 5 minutes (the hourly anomaly scan is too coarse for an RPO): it fires
 * whatever the targets' own schedules do, which is the point (a paused or deleted schedule backs up nothing).
 */
export function freshnessCheckSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: 'sentinel/freshness-check',
    description: 'Backup freshness check (age of the last successful backup against maxAge) over all targets, every 5 minutes',
    workflowType: freshnessCheckWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'freshness-check/scheduled',
    intervals: [{ every: '5m' }],
    timezone,
    overlap: ScheduleOverlapPolicy.SKIP,
    // A missed pass is worthless once the next one is due.
    catchupWindow: '5m',
  };
}

/** Storage capacity forecast, daily at 06:00. */
export function capacityForecastSchedule({ timezone }: ScheduleContext): ScheduleDeclaration {
  return {
    id: 'sentinel/capacity-forecast',
    description: 'Backup storage capacity forecast, daily at 06:00',
    workflowType: capacityForecastWorkflow.name,
    args: [{}],
    workflowIdPrefix: 'capacity-forecast/scheduled',
    calendars: [{ hour: 6, minute: 0, comment: 'daily at 06:00' }],
    timezone,
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: '6h',
  };
}

/** A pre-backup run for every target that declares `schedule` (cron string or calendar spec). */
export function preBackupSchedules({ config, timezone }: ScheduleContext): ScheduleDeclaration[] {
  return config.targets
    .filter((target) => target.schedule !== undefined)
    .map((target) => ({
      id: preBackupScheduleId(target.name),
      description: `Pre-backup gate and backup of ${target.name}`,
      workflowType: preBackupWorkflow.name,
      args: [{ target: target.name }],
      workflowIdPrefix: `pre-backup/${target.name}/scheduled`,
      ...(typeof target.schedule === 'string' ? { cron: [target.schedule] } : { calendars: [target.schedule as never] }),
      timezone,
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1h',
      searchAttributes: { BackupTarget: target.name },
    }));
}

/** Default restore drill time: weekly, Saturday 05:00 (after the nightly backups, before the working week). */
export const DEFAULT_DRILL_CALENDAR = { dayOfWeek: 'SATURDAY', hour: 5, minute: 0, comment: 'weekly restore drill' } as const;

/**
 * A restore drill for every target that declares `drill` (postgres: `drill: {}` is enough; command targets need
 * `drill.command`): weekly by default, or the target's `drill.schedule` (cron string or calendar spec).
 */
export function restoreDrillSchedules({ config, timezone }: ScheduleContext): ScheduleDeclaration[] {
  return config.targets.flatMap((target) => {
    if ((target.kind !== 'postgres' && target.kind !== 'command') || !target.drill) return [];
    const schedule = target.drill.schedule;
    return [
      {
        id: `sentinel/restore-drill/${target.name}`,
        description: `Restore drill of ${target.name}${schedule === undefined ? ', weekly on Saturday at 05:00' : ''}`,
        workflowType: restoreDrillWorkflow.name,
        args: [{ target: target.name }],
        workflowIdPrefix: `restore-drill/${target.name}/scheduled`,
        ...(schedule === undefined
          ? { calendars: [{ ...DEFAULT_DRILL_CALENDAR }] }
          : typeof schedule === 'string'
            ? { cron: [schedule] }
            : { calendars: [schedule as never] }),
        timezone,
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: '1d',
        searchAttributes: { BackupTarget: target.name },
      },
    ];
  });
}
