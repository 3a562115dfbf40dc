/**
 * The worker's one choke point for secrets: a redactor built once from what the worker knows to be secret (its
 * environment, and each sentinel.yaml it loads), handed to every activity through ActivityDeps, wrapped around the
 * activity logger, and applied by the activity interceptor to every error before it leaves the activity (Temporal
 * history, then `backup_runs.error_message` and alerts, which the workflow builds from that failure).
 */
import type { ActivityDeps } from '../activities/deps.js';
import { configSecrets, workerRedactor } from '../platform/known-secrets.js';
import { redactingLogger } from '../platform/logger.js';
import type { SecretRedactor } from '../platform/redact.js';

export function withSecretRedaction(
  deps: ActivityDeps,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ActivityDeps & { redactor: SecretRedactor } {
  const redactor = deps.redactor ?? workerRedactor(env);
  if (deps.alertWebhookUrl) redactor.learn([deps.alertWebhookUrl]); // handed over by the host, maybe not from the environment
  return {
    ...deps,
    redactor,
    log: redactingLogger(deps.log, redactor),
    loadSettings: async () => {
      const config = await deps.loadSettings();
      redactor.learn(configSecrets(config)); // cheap: a known value is skipped
      return config;
    },
  };
}

/** Redacts an error's message and stack, and its causes', in place (keeps its class, type and retry flag). */
export function redactError(error: unknown, redactor: SecretRedactor, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error;
  try {
    error.message = redactor.redact(error.message);
    if (error.stack) error.stack = redactor.redact(error.stack);
  } catch {
    // a frozen or getter-only error: leave it, the format-based redaction at its source still applied
  }
  redactError(error.cause, redactor, depth + 1);
  return error;
}
