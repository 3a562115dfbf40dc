/**
 * What the workflows share: retry presets, the alerting proxy, send-alert-and-continue, fail-fast input validation,
 * clear activity failures and failure root messages. Workflow code like them: it imports only
 * `@temporalio/workflow`, activity types and pure domain code. None of it issues a command of its own, so moving a
 * copy here leaves every workflow's commands (and the replay fixtures) unchanged.
 */
import type { Duration } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, log, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { SentinelActivities } from '../activities/index.js';
import type { AlertInput } from '../activities/alerts.js';
import { rootMessage } from '../domain/errors/root-message.js';
import { incidentAlertDedupeKey, type IncidentAlert } from '../domain/monitoring/contract.js';

export { rootMessage };

/** The failure type of bad input, in workflows and activities alike: no retry can fix it. */
export const INVALID_INPUT = 'InvalidInput';

/** Doubling backoff from `initial` (capped at `max` when given; Temporal's default cap is 100 × `initial`). */
export function exponentialRetry(policy: { initial: Duration; max?: Duration; attempts: number; nonRetryable?: string[] }): RetryPolicy {
  return {
    initialInterval: policy.initial,
    backoffCoefficient: 2,
    ...(policy.max !== undefined ? { maximumInterval: policy.max } : {}),
    maximumAttempts: policy.attempts,
    nonRetryableErrorTypes: policy.nonRetryable ?? [INVALID_INPUT],
  };
}

/**
 * Short steps that need PostgreSQL (recording a run, the model registry, the config-backup steps, the gate's local
 * reads): ten attempts, 1 s doubling to 30 s (about 2.5 min of backoff), so a database restart or failover does not
 * use up the retries.
 */
export function stepRetry(nonRetryable: string[] = [INVALID_INPUT]): RetryPolicy {
  return exponentialRetry({ initial: '1s', max: '30s', attempts: 10, nonRetryable });
}

/** Alert delivery: five tries from 2 s; an alert that still fails is logged and the workflow moves on. */
export const ALERT_RETRY: RetryPolicy = exponentialRetry({ initial: '2s', attempts: 5 });

/** The one `sendAlert` proxy: an undeliverable alert must never hold up or fail a workflow (see sendAlertAndContinue). */
export const alerting = proxyActivities<SentinelActivities>({ startToCloseTimeout: '30s', retry: ALERT_RETRY });

/**
 * Sends an alert; a failure (after ALERT_RETRY) is logged as `logMessage` with `logFields` and swallowed, so
 * alerting never fails the workflow. Returns whether the alert was delivered.
 */
export async function sendAlertAndContinue(alert: AlertInput, logMessage: string, logFields: Record<string, unknown> = {}): Promise<boolean> {
  try {
    await alerting.sendAlert(alert);
    return true;
  } catch (error) {
    log.error(logMessage, { ...logFields, error: rootMessage(error) });
    return false;
  }
}

/**
 * One critical alert per newly opened anomaly incident, in order, each de-duplicated by its incident; one that cannot
 * be delivered is logged and skipped. Returns the incident IDs alerted and those that were not.
 */
export async function alertNewIncidents(incidents: readonly IncidentAlert[], workflowId: string): Promise<{ sent: string[]; failed: string[] }> {
  const sent: string[] = [];
  const failed: string[] = [];
  for (const incident of incidents) {
    const delivered = await sendAlertAndContinue(
      {
        dedupeKey: incidentAlertDedupeKey(incident.incidentId),
        target: incident.target,
        workflowId,
        kind: incident.kind,
        severity: 'critical',
        message: incident.message,
        details: incident.details,
      },
      'anomaly alert could not be delivered',
      { incidentId: incident.incidentId },
    );
    (delivered ? sent : failed).push(incident.incidentId);
  }
  return { sent, failed };
}

/** Fails fast on invalid input: a non-retryable `InvalidInput` failure listing every problem found. */
export function rejectInvalidInput(subject: string, problems: readonly string[]): void {
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid ${subject}: ${problems.join('; ')}`, INVALID_INPUT);
}

/**
 * Runs an activity; a non-retryable failure becomes the workflow's own failure with the activity's clear message
 * (and its type, else `fallbackType`) instead of "Activity task failed".
 */
export async function clearFailure<T>(call: () => Promise<T>, fallbackType: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw clearError(error, fallbackType);
  }
}

/** The error clearFailure throws for `error`: a non-retryable activity failure re-raised as the workflow's own. */
export function clearError(error: unknown, fallbackType: string): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) {
    return ApplicationFailure.nonRetryable(error.cause.message, error.cause.type ?? fallbackType);
  }
  return error;
}
