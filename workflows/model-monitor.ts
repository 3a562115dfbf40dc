import { executeChild, ParentClosePolicy, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import { MODEL_TRAINING_SCHEDULE_ID } from '../domain/models/contract.js';
import {
  AUTOMATIC_ROLLBACK_FAILED_EVENT,
  automaticRollbackWorkflowId,
  MODEL_DEGRADED_ALERT,
  MODEL_DEGRADED_EVENT,
  validateModelMonitorInput,
  type ModelMonitorInput,
  type ModelMonitorResult,
} from '../domain/models/monitor-contract.js';
import { exponentialRetry, rejectInvalidInput, rootMessage, sendAlertAndContinue, stepRetry } from './glue.js';
import { rollbackModelWorkflow } from './models.js';

// The check reads at most `maxOutcomes` runs plus ~90 days of history and scores them twice: seconds to a minute.
const checking = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '10m',
  retry: exponentialRetry({ initial: '10s', max: '2m', attempts: 3 }),
});
const registry = proxyActivities<SentinelActivities>({
  startToCloseTimeout: '1m',
  retry: stepRetry(),
});

/**
 * Judges the active failure model on its live outcomes (capabilities/models/model-monitor.ts). When it has degraded:
 * claims the automatic rollback of this degradation (once ever: an audit row keyed by model and activation), starts
 * `rollbackModelWorkflow` to the model it replaced as a child with a deterministic ID (the reason says what degraded
 * and by how much), records the audit and alerts once per degradation. Without a model to roll back to it only
 * alerts. Started hourly by `sentinel/model-monitor`, or by hand as `model-monitor/<ISO time>`.
 */
export async function modelMonitorWorkflow(input: ModelMonitorInput = {}): Promise<ModelMonitorResult> {
  rejectInvalidInput('model monitor input', validateModelMonitorInput(input));
  const { workflowId, runId } = workflowInfo();
  const actor = `${workflowId}#${runId}`;
  setCurrentDetails('checking the active model on its live outcomes');
  const { report, rollbackReason } = await checking.checkModelQuality({ checkedBy: workflowId, dedupeKey: actor });
  const result: ModelMonitorResult = {
    workflowId,
    verdict: report.verdict,
    reason: report.reason,
    modelVersion: report.modelVersion,
    response: report.response.action,
    rollback: null,
    alertSent: false,
  };
  if (report.verdict !== 'degraded' || report.modelVersion === null || report.degradationKey === null) {
    setCurrentDetails(`${report.verdict}: ${report.reason}`);
    return result;
  }
  const key = report.degradationKey;
  const details = { degradationKey: key, judgement: report.judgement, window: report.window, response: report.response };

  if (report.response.action === 'rollback' && rollbackReason !== null) {
    const toVersion = report.response.toVersion;
    const claim = await registry.claimAutomaticRollback({
      degradationKey: key,
      version: report.modelVersion,
      toVersion,
      actor,
      reason: rollbackReason,
      details,
    });
    if (!claim.claimed) {
      result.rollback = { status: 'already-done', claimedBy: claim.claimedBy };
    } else {
      const childId = automaticRollbackWorkflowId(key);
      try {
        const rolled = await executeChild(rollbackModelWorkflow, {
          workflowId: childId,
          // A rollback half done (schedule paused, snapshot being restored) must finish even if this check is ended.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [{ toVersion, reason: rollbackReason, scheduleId: input.trainingScheduleId ?? MODEL_TRAINING_SCHEDULE_ID }],
        });
        result.rollback = { status: 'rolled-back', workflowId: childId, restoredVersion: rolled.restoredVersion };
      } catch (error) {
        const message = rootMessage(error);
        result.rollback = { status: 'failed', workflowId: childId, error: message };
        await registry.recordModelEvent({
          event: AUTOMATIC_ROLLBACK_FAILED_EVENT,
          version: report.modelVersion,
          previousVersion: toVersion,
          actor,
          reason: message,
          details: { degradationKey: key, rollbackWorkflowId: childId },
          dedupeKey: `${AUTOMATIC_ROLLBACK_FAILED_EVENT}:${key}`,
        });
      }
    }
  }
  if (result.rollback?.status === 'already-done') {
    // Another check claimed this degradation: it rolls back, audits and alerts; a second alert would only say less.
    setCurrentDetails(`degraded: its automatic rollback was claimed by ${result.rollback.claimedBy}`);
    return result;
  }
  // The audit of the degradation itself, once per degradation whatever was done about it.
  await registry.recordModelEvent({
    event: MODEL_DEGRADED_EVENT,
    version: report.modelVersion,
    previousVersion: report.replacedVersion,
    actor,
    reason: report.reason,
    details: { ...details, rollback: result.rollback },
    dedupeKey: `${MODEL_DEGRADED_EVENT}:${key}`,
  });
  const done =
    result.rollback?.status === 'rolled-back'
      ? `rolled back automatically to model ${result.rollback.restoredVersion}`
      : result.rollback?.status === 'failed'
        ? `the automatic rollback failed (${result.rollback.error}); model ${report.modelVersion} is still active`
        : report.response.action === 'alert-only'
          ? `not rolled back: ${report.response.why}`
          : 'not rolled back';
  result.alertSent = await sendAlertAndContinue(
    {
      dedupeKey: `${MODEL_DEGRADED_ALERT}:${key}`,
      target: null,
      workflowId,
      kind: MODEL_DEGRADED_ALERT,
      severity: 'critical',
      message: `failure model ${report.modelVersion} has degraded on live outcomes; ${done}. ${report.reason}`,
      details: { ...details, rollback: result.rollback },
    },
    'model degradation alert could not be delivered',
    { degradationKey: key },
  );
  setCurrentDetails(`degraded: ${done}`);
  return result;
}
