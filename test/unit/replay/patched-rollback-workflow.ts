// Throw-away workflow code for the replay test, never registered by a worker: the same swap as
// reordered-rollback-workflow.ts, done the safe way. Runs that began before the change have no marker for the
// patch, so `patched` is false while they replay and they keep the old order; new runs take the new one.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { SentinelActivities } from '../../../activities/index.js';
import type { RollbackModelInput, ScheduleControl } from '../../../domain/models/contract.js';

const registry = proxyActivities<SentinelActivities>({ startToCloseTimeout: '2m' });

export async function rollbackModelWorkflow(input: RollbackModelInput = {}): Promise<void> {
  const scheduleId = input.scheduleId ?? 'sentinel/model-training';
  const restore = () =>
    registry.restoreModelSnapshot({
      ...(input.toVersion !== undefined ? { toVersion: input.toVersion } : {}),
      actor: 'replay-test',
      reason: 'patched',
      changeKey: 'replay-test',
    });
  if (patched('restore-before-pause')) {
    const restored = await restore();
    const control = await registry.pauseModelTraining({ scheduleId });
    await registry.verifyActiveModel({ expectedVersion: restored.restoredVersion });
    await registry.resumeModelTraining({ control });
    return;
  }
  const control: ScheduleControl = await registry.pauseModelTraining({ scheduleId });
  try {
    const restored = await restore();
    await registry.verifyActiveModel({ expectedVersion: restored.restoredVersion });
    await registry.recordModelEvent({
      event: 'rollback-verified',
      version: restored.restoredVersion,
      actor: 'replay-test',
      reason: 'patched',
      dedupeKey: 'replay-test',
    });
    if (!input.keepPaused) await registry.resumeModelTraining({ control });
  } catch (error) {
    if (!input.keepPaused) await registry.resumeModelTraining({ control });
    throw error;
  }
}
