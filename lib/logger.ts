import { pino, type DestinationStream, type Logger } from 'pino';
import { logContext } from './log-context.js';

/**
 * Structured JSON logs, on stderr by default (stdout stays free for CLI results). Known secret-bearing fields are
 * censored by pino's redaction; free text must go through `redactSecrets` before it is logged. Inside an activity
 * every line carries the workflow and run IDs (see workers/activity-observer.ts).
 */
export function createLogger(destination: DestinationStream = pino.destination(2), level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'backup-sentinel',
      level,
      redact: {
        paths: ['*.password', '*.url', '*.databaseUrl', '*.secret', '*.token', '*.value', 'password', 'url'],
        censor: '[redacted]',
      },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => logContext.getStore() ?? {},
    },
    destination,
  );
}

export const logger: Logger = createLogger();
