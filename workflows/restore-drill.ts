import { ActivityFailure, ApplicationFailure, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import {
  describeDrill,
  drillIdFor,
  validateRestoreDrillInput,
  type RestoreDrillInput,
  type RestoreDrillOutcome,
  type RestoreDrillResult,
} from '../domain/drill/contract.js';
import { clearError, exponentialRetry, INVALID_INPUT, rejectInvalidInput, rootMessage, sendAlertAndContinue, stepRetry } from './glue.js';
import { BackupTarget } from './search-attributes.js';

const quick = proxyActivities<SentinelActivities>({ startToCloseTimeout: '2m', retry: stepRetry() });

/**
 * Restore drill for one target (docs/backup-assurance.md): one heartbeating activity restores the newest dump into
 * a scratch database and checks it (or runs the target's drill command); if that activity fails for good, a second
 * one drops whatever it left and records the failure. A failed drill raises one critical alert. A refused drill
 * (DRILL_DATABASE_URL at the target's own database, no drill command) is recorded, alerted and then fails the run
 * as invalid input.
 */
export async function restoreDrillWorkflow(input: RestoreDrillInput): Promise<RestoreDrillResult> {
  rejectInvalidInput('restore drill input', validateRestoreDrillInput(input));
  const { workflowId, runId } = workflowInfo();
  const drillId = drillIdFor(workflowId, runId);
  upsertSearchAttributes([{ key: BackupTarget, value: input.target }]);
  setCurrentDetails(`restore drill of ${input.target}: running`);

  const drills = proxyActivities<SentinelActivities>({
    // The drill's own timeout (drill.timeoutSeconds) stops pg_restore; this bound only catches a stuck worker.
    startToCloseTimeout: '24h',
    heartbeatTimeout: (input.heartbeatTimeoutSeconds ?? 60) * 1000,
    retry: exponentialRetry({ initial: '5s', attempts: 3 }),
  });
  const request = { target: input.target, drillId, workflowId };
  let outcome: RestoreDrillOutcome;
  let refusal: unknown;
  try {
    outcome = await drills.runRestoreDrill(request);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    if (error.cause instanceof ApplicationFailure && error.cause.type === INVALID_INPUT) refusal = clearError(error, INVALID_INPUT);
    outcome = await quick.closeRestoreDrill({ ...request, error: rootMessage(error) });
  }

  let alertSent = false;
  if (outcome.status === 'failed') {
    alertSent = await sendAlertAndContinue(
      {
        dedupeKey: `${drillId}:restore-drill-failed`,
        target: input.target,
        workflowId,
        kind: 'restore-drill-failed',
        severity: 'critical',
        message: describeDrill(outcome),
        details: { drillId, backupId: outcome.backupId, restoreSeconds: outcome.restoreSeconds, checks: outcome.checks, error: outcome.error ?? null },
      },
      'restore drill alert could not be delivered',
      { drillId },
    );
  }
  setCurrentDetails(describeDrill(outcome));
  if (refusal) throw refusal;
  return { ...outcome, alertSent };
}
