import {
  anomalyScanSchedule,
  capacityForecastSchedule,
  configBackupSchedule,
  freshnessCheckSchedule,
  modelMonitorSchedule,
  modelTrainingSchedule,
  preBackupSchedules,
  restoreDrillSchedules,
  type ScheduleContext,
} from './catalog.js';
import type { ScheduleDeclaration } from './types.js';

/** Every schedule the project declares, in one place; `sentinel schedules apply` reconciles the server with it. */
export function declaredSchedules(context: ScheduleContext): ScheduleDeclaration[] {
  const all = [
    configBackupSchedule(context),
    modelTrainingSchedule(context),
    modelMonitorSchedule(context),
    anomalyScanSchedule(context),
    capacityForecastSchedule(context),
    freshnessCheckSchedule(context),
    ...preBackupSchedules(context),
    ...restoreDrillSchedules(context),
  ];
  const ids = all.map((s) => s.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`schedule "${duplicate}" is declared twice`);
  return all;
}

export type { ScheduleContext } from './catalog.js';
export type { ScheduleDeclaration } from './types.js';
