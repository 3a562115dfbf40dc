// Throw-away workflow code for the replay test, never registered by a worker: rollbackModelWorkflow with its first
// two activities swapped (restore, then pause the schedule), the kind of edit that breaks running histories.
import { proxyActivities } from '@temporalio/workflow';
import type { SentinelActivities } from '../../../activities/index.js';
import type { RollbackModelInput } from '../../../domain/models/contract.js';

const registry = proxyActivities<SentinelActivities>({ startToCloseTimeout: '2m' });

export async function rollbackModelWorkflow(input: RollbackModelInput = {}): Promise<void> {
  const restored = await registry.restoreModelSnapshot({ actor: 'replay-test', reason: 'reordered', changeKey: 'replay-test' });
  const control = await registry.pauseModelTraining({ scheduleId: input.scheduleId ?? 'sentinel/model-training' });
  await registry.verifyActiveModel({ expectedVersion: restored.restoredVersion });
  await registry.resumeModelTraining({ control });
}
