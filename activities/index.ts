import { createAlertActivities } from './alerts.js';
import { createAnomalyActivities } from './anomalies.js';
import { createCapacityActivities } from './capacity.js';
import { createConfigBackupActivities } from './config-backup.js';
import { createBackupActivities } from './backup/index.js';
import type { ActivityDeps } from './deps.js';
import { createFreshnessActivities } from './freshness.js';
import { createDrillActivities } from './drill.js';
import { createGateActivities } from './gate.js';
import { createModelActivities } from './models/index.js';
import { createPredictionActivities } from './prediction.js';
import { createRecordActivities } from './records.js';

/** Every activity the worker registers, bound to the process's dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createGateActivities(deps),
    ...createPredictionActivities(deps),
    ...createAlertActivities(deps),
    ...createBackupActivities(deps),
    ...createRecordActivities(deps),
    ...createAnomalyActivities(deps),
    ...createCapacityActivities(deps),
    ...createFreshnessActivities(deps),
    ...createConfigBackupActivities(deps),
    ...createModelActivities(deps),
    ...createDrillActivities(deps),
  };
}

export type SentinelActivities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
