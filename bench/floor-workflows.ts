// Bench-only workflows that set the platform floor for `npm run bench` (BENCHMARKS.md, "Pre-backup decisions"). They
// run on the same server and worker as the gate but live outside workflows/, so the product bundle never holds them:
// the bench bundles bench/bench-workflows.ts, which re-exports workflows/index.ts beside these.
import { proxyLocalActivities } from '@temporalio/workflow';
import { stepRetry } from '../workflows/glue.js';
import type { FloorActivities } from './decision-latency/floor-activities.js';

// The gate's local-activity options (workflows/pre-backup.ts), so the floor differs from it only in what runs.
const local = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: stepRetry(),
});

/** Does nothing: one workflow task from start to completion. */
export async function floorNoopWorkflow(): Promise<string> {
  return 'done';
}

/** Two no-op local activities, one after the other, like the gate's resolveGate then predictBackupFailure. */
export async function floorTwoLocalActivitiesWorkflow(): Promise<string> {
  await local.floorNoop();
  await local.floorNoop();
  return 'done';
}
