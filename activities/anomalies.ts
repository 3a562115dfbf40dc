import { checkRunAnomalies, scanAnomalies } from '../capabilities/monitoring/anomalies.js';
import type { AnomalyCheckInput, ScanAnomaliesInput } from '../domain/monitoring/index.js';
import type { ActivityDeps } from './deps.js';
import { heartbeat } from './heartbeat.js';

/** The anomaly activities: adapters around capabilities/monitoring (the CLI's `anomalies check` uses it too). */
export function createAnomalyActivities(deps: ActivityDeps) {
  return {
    /** The pre-backup workflow's check of its finished run, with incident reconciliation on its first check. */
    checkRunAnomalies: (input: AnomalyCheckInput) => checkRunAnomalies(deps, input),
    /** The hourly scan over every target; heartbeats once per target. */
    scanAnomalies: (input: ScanAnomaliesInput) => scanAnomalies(deps, input, heartbeat),
  };
}
