import { ApplicationFailure } from '@temporalio/common';
import { SettingsError } from '../domain/settings/schema.js';
import { redactSecrets } from './redact.js';

/** Bad input never gets better by retrying: fail at once, with a message that says what is wrong. */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(redactSecrets(message), 'InvalidInput');
}

/** Config problems (unknown target, invalid sentinel.yaml) become non-retryable failures; anything else is rethrown. */
export function asActivityError(error: unknown): unknown {
  if (error instanceof SettingsError) return invalidInput(error.message);
  return error;
}
