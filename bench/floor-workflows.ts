// Bench-only workflows that set the platform floor for `npm run bench` (BENCHMARKS.md, "Pre-backup decisions"). They
// run on the same server and worker as the gate but live outside workflows/, so the product bundle never holds them:
// the bench bundles bench/bench-workflows.ts, which re-exports workflows/index.ts beside these.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { stepRetry } from '../workflows/glue.js';
import type { FloorActivities } from './decision-latency/floor-activities.js';

// The gate's local-activity options (workflows/pre-backup.ts), so the floor differs from it only in what runs.
const local = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: stepRetry(),
});

// The gate's options for its regular activities after the decision (recordBackupRun, checkRunAnomalies).
const remote = proxyActivities<FloorActivities>({ startToCloseTimeout: '30s', retry: stepRetry() });

/** Does nothing: one workflow task from start to completion. */
export async function floorNoopWorkflow(): Promise<string> {
  return 'done';
}

/**
 * Two no-op local activities, one after the other: the floor issue 17 names (the gate's reads were two local
 * activities, resolveGate then predictBackupFailure, before patch 'gate-one-read' made them one).
 */
export async function floorTwoLocalActivitiesWorkflow(): Promise<string> {
  await local.floorNoop();
  await local.floorNoop();
  return 'done';
}

/**
 * The gate's shape with nothing in it: one no-op local activity in the first task (where the gate reads and decides:
 * resolveGateAndPredict), then
 * three no-op regular activities one after the other (where the gate runs the backup, records the run and checks it
 * for anomalies). What the platform costs a run of the gate's shape; its "decision" is the first activity scheduled.
 */
export async function floorGateShapeWorkflow(): Promise<string> {
  await local.floorNoop();
  await remote.floorNoop();
  await remote.floorNoop();
  await remote.floorNoop();
  return 'done';
}
