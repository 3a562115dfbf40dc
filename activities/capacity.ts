import { forecastCapacity } from '../capabilities/monitoring/capacity.js';
import type { CapacityForecastInput } from '../domain/monitoring/index.js';
import type { ActivityDeps } from './deps.js';
import { heartbeat } from './heartbeat.js';

/** The capacity activity: an adapter around capabilities/monitoring (the CLI's `forecast` uses it too). */
export function createCapacityActivities(deps: ActivityDeps) {
  return {
    /** Forecasts each target's backup storage against the horizon; heartbeats once per target. */
    forecastCapacity: (input: CapacityForecastInput = {}) => forecastCapacity(deps, input, heartbeat),
  };
}
