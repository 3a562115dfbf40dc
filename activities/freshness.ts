import { Context } from '@temporalio/activity';
import { checkFreshness } from '../capabilities/freshness/check.js';
import { scheduleLookup, type ScheduleLookup } from '../capabilities/freshness/schedules.js';
import type { CheckFreshnessInput } from '../domain/freshness/contract.js';
import type { ActivityDeps } from './deps.js';
import { heartbeat } from './heartbeat.js';

/** The freshness activity: an adapter around capabilities/freshness, describing schedules with the worker's client. */
export function createFreshnessActivities(deps: ActivityDeps) {
  return {
    /** One pass over every target; heartbeats while it describes schedules. */
    checkFreshness: (input: CheckFreshnessInput) => checkFreshness(deps, input, workerScheduleLookup(), heartbeat),
  };
}

/** The worker's own Temporal client (with its data converter), through the activity context; none outside one. */
function workerScheduleLookup(): ScheduleLookup | null {
  try {
    return scheduleLookup(Context.current().client);
  } catch {
    return null;
  }
}
