import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout stays free for CLI results). Known secret-bearing fields are censored
 * by pino's redaction; free text must go through `redactSecrets` before it is logged.
 */
export const logger: Logger = pino(
  {
    name: 'backup-sentinel',
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.password', '*.url', '*.databaseUrl', '*.secret', '*.token', '*.value', 'password', 'url'],
      censor: '[redacted]',
    },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  pino.destination(2),
);
