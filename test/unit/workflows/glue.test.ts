import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ALERT_RETRY, clearError, exponentialRetry, rejectInvalidInput, rootMessage, stepRetry } from '../../../workflows/glue.js';

describe('workflow glue', () => {
  it('keeps the retry policies the workflows spelled out before they shared presets', () => {
    expect(stepRetry()).toEqual({
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: ['InvalidInput'],
    });
    expect(stepRetry(['InvalidInput', 'LockLost'])).toEqual({
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: ['InvalidInput', 'LockLost'],
    });
    // No maximumInterval key at all (Temporal's default cap), as the alerting proxies had it.
    expect(ALERT_RETRY).toStrictEqual({ initialInterval: '2s', backoffCoefficient: 2, maximumAttempts: 5, nonRetryableErrorTypes: ['InvalidInput'] });
    expect(exponentialRetry({ initial: '10s', attempts: 2 })).toStrictEqual({
      initialInterval: '10s',
      backoffCoefficient: 2,
      maximumAttempts: 2,
      nonRetryableErrorTypes: ['InvalidInput'],
    });
  });

  it('fails fast on invalid input with a non-retryable InvalidInput failure naming every problem', () => {
    expect(() => rejectInvalidInput('pre-backup input', [])).not.toThrow();
    let thrown: unknown;
    try {
      rejectInvalidInput('pre-backup input', ['target is required', 'threshold must be in [0, 1]']);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    expect(thrown).toMatchObject({
      nonRetryable: true,
      type: 'InvalidInput',
      message: 'invalid pre-backup input: target is required; threshold must be in [0, 1]',
    });
  });

  it("re-raises a non-retryable activity failure as the workflow's own, with the activity's message and type", () => {
    const activityFailure = (cause: ApplicationFailure) =>
      new ActivityFailure('Activity task failed', 'planConfigBackup', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
    const typed = clearError(activityFailure(ApplicationFailure.nonRetryable('CONFIG_BACKUP_KEY is not set', 'MissingKey')), 'ConfigBackupFailed');
    expect(typed).toMatchObject({ nonRetryable: true, type: 'MissingKey', message: 'CONFIG_BACKUP_KEY is not set' });
    const untyped = clearError(activityFailure(ApplicationFailure.create({ message: 'no such version', nonRetryable: true })), 'ModelLifecycleFailed');
    expect(untyped).toMatchObject({ nonRetryable: true, type: 'ModelLifecycleFailed', message: 'no such version' });
    // A retryable cause (retries ran out) stays as it was, and so does anything that is not an activity failure.
    const retryable = activityFailure(ApplicationFailure.retryable('database unavailable', 'Error'));
    expect(clearError(retryable, 'ConfigBackupFailed')).toBe(retryable);
    const other = new Error('boom');
    expect(clearError(other, 'ConfigBackupFailed')).toBe(other);
    expect(rootMessage(retryable)).toBe('database unavailable');
  });
});
