import { ApplicationFailure, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import {
  DEFAULT_MIN_FAILURES,
  DEFAULT_MODEL_ALGORITHM,
  MODEL_TRAINING_SCHEDULE_ID,
  validateRollbackModelInput,
  validateTrainModelInput,
  type RollbackModelInput,
  type RollbackModelResult,
  type ScheduleControl,
  type TrainModelInput,
  type TrainModelResult,
} from '../domain/models/contract.js';
import { clearFailure, exponentialRetry, rejectInvalidInput, stepRetry } from './glue.js';

/** The failure type of a run's own failure when the activity's non-retryable failure names none. */
const FAILURE_TYPE = 'ModelLifecycleFailed';

// Training can take minutes on large histories; it heartbeats per tree and between phases.
const training = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '2m',
  retry: exponentialRetry({ initial: '10s', max: '2m', attempts: 3 }),
});
const registry = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '2m',
  retry: stepRetry(),
});

/**
 * Trains a failure-model candidate on the stored history, evaluates it with the rules and the active model on the
 * same validation window (newest 20%), and promotes it (with a snapshot of the model it replaces) only when the
 * promotion gate says so; otherwise it stays a candidate with the reason. Too few failures: no model, and
 * prediction keeps using what it used. Started weekly by `sentinel/model-training` with `{}`, or by
 * `sentinel model train` as `train-model/<ISO time>`.
 */
export async function trainFailureModelWorkflow(input: TrainModelInput = {}): Promise<TrainModelResult> {
  setCurrentDetails('training a candidate model');
  const result = await trainAndDecide(input);
  setCurrentDetails(`${result.outcome}${result.version !== null ? ` (version ${result.version})` : ''}: ${result.reason}`);
  return result;
}

async function trainAndDecide(input: TrainModelInput): Promise<TrainModelResult> {
  rejectInvalidInput('training input', validateTrainModelInput(input));
  const request = input ?? {};
  const { workflowId, runId } = workflowInfo();
  const key = `${workflowId}#${runId}`;
  const algorithm = request.algorithm ?? DEFAULT_MODEL_ALGORITHM;

  const trained = await clearFailure(
    () =>
      training.trainModelCandidate({
        algorithm,
        ...(request.params ? { params: request.params } : {}),
        minFailures: request.minFailures ?? DEFAULT_MIN_FAILURES,
        trainingRun: key,
        requestedBy: workflowId,
      }),
    FAILURE_TYPE,
  );
  if (trained.outcome === 'insufficient-data') {
    return {
      workflowId,
      outcome: 'no-model',
      version: null,
      reason: trained.reason,
      activeVersion: trained.activeVersion,
      algorithm,
      evaluation: null,
      snapshotId: null,
    };
  }
  const { version, decision, evaluation } = trained;
  if (!decision.promote) {
    await registry.recordModelEvent({
      event: 'kept-candidate',
      version,
      previousVersion: trained.comparedActiveVersion,
      actor: workflowId,
      reason: decision.reason,
      dedupeKey: `${key}:kept`,
    });
    return {
      workflowId,
      outcome: 'kept-candidate',
      version,
      reason: decision.reason,
      activeVersion: trained.comparedActiveVersion,
      algorithm,
      evaluation,
      snapshotId: null,
    };
  }
  const promoted = await clearFailure(
    () =>
      registry.promoteModelCandidate({
        version,
        expectedActiveVersion: trained.comparedActiveVersion,
        reason: decision.reason,
        actor: workflowId,
        changeKey: `${key}:promote`,
      }),
    FAILURE_TYPE,
  );
  return {
    workflowId,
    outcome: promoted.promoted ? 'promoted' : 'kept-candidate',
    version,
    reason: promoted.reason,
    activeVersion: promoted.promoted ? version : promoted.previousVersion,
    algorithm,
    evaluation,
    snapshotId: promoted.snapshotId,
  };
}

/**
 * Rolls the active model back to a snapshot (default: the one taken before the last change): pauses the training
 * schedule when it exists, restores the snapshot (checksum and canary verified before and after), records an audit
 * event, and unpauses unless `keepPaused`. A restore that fails verification leaves the schedule paused.
 */
export async function rollbackModelWorkflow(input: RollbackModelInput = {}): Promise<RollbackModelResult> {
  setCurrentDetails('restoring a model snapshot');
  const result = await rollBack(input);
  setCurrentDetails(`restored snapshot ${result.snapshotId}: active model ${result.restoredVersion ?? 'none (the rules predict)'}`);
  return result;
}

async function rollBack(input: RollbackModelInput): Promise<RollbackModelResult> {
  rejectInvalidInput('rollback input', validateRollbackModelInput(input));
  const request = input ?? {};
  const { workflowId, runId } = workflowInfo();
  const key = `${workflowId}#${runId}`;
  const reason = request.reason?.trim() || 'rollback requested';
  const scheduleId = request.scheduleId ?? MODEL_TRAINING_SCHEDULE_ID;

  const control: ScheduleControl = await registry.pauseModelTraining({ scheduleId });
  let restoredButBroken = false;
  try {
    const restored = await clearFailure(
      () =>
        registry.restoreModelSnapshot({
          ...(request.toVersion !== undefined ? { toVersion: request.toVersion } : {}),
          actor: workflowId,
          reason,
          changeKey: `${key}:restore`,
        }),
      FAILURE_TYPE,
    );
    const verification = await registry.verifyActiveModel({ expectedVersion: restored.restoredVersion });
    if (!verification.ok) {
      restoredButBroken = true;
      await registry.recordModelEvent({
        event: 'rollback-failed',
        version: restored.restoredVersion,
        previousVersion: restored.previousVersion,
        snapshotId: restored.snapshotId,
        actor: workflowId,
        reason: verification.problem ?? 'verification failed',
        details: { verification },
        dedupeKey: `${key}:failed`,
      });
      throw ApplicationFailure.nonRetryable(
        `rollback verification failed: ${verification.problem}; the training schedule stays paused`,
        'RollbackVerificationFailed',
      );
    }
    await registry.recordModelEvent({
      event: 'rollback-verified',
      version: restored.restoredVersion,
      previousVersion: restored.previousVersion,
      snapshotId: restored.snapshotId,
      actor: workflowId,
      reason,
      details: { verification, newSnapshotId: restored.newSnapshotId },
      dedupeKey: `${key}:verified`,
    });
    const resumed = request.keepPaused ? false : await registry.resumeModelTraining({ control });
    return {
      workflowId,
      restoredVersion: restored.restoredVersion,
      previousVersion: restored.previousVersion,
      snapshotId: restored.snapshotId,
      newSnapshotId: restored.newSnapshotId,
      verification,
      schedule: { ...control, pausedNow: control.exists && (control.wasPaused || (control.pausedByUs && !resumed)) },
      reason,
    };
  } catch (error) {
    // Nothing changed (or it did not verify): put the schedule back as it was, unless the model needs a human.
    if (!restoredButBroken && !request.keepPaused) await registry.resumeModelTraining({ control });
    throw error;
  }
}
