import { pino, type DestinationStream, type Logger } from 'pino';
import { formatLogLine, type LogFormat } from './log-format.js';
import { logContext } from './log-context.js';

/**
 * Structured logs, on stderr by default (stdout stays free for CLI results). Known secret-bearing fields are
 * censored by pino's redaction; free text must go through `redactSecrets` before it is logged. Inside an activity
 * every line carries the workflow and run IDs (see workers/activity-observer.ts).
 */
export function createLogger(destination: DestinationStream = stderrDestination, level = process.env.LOG_LEVEL ?? 'info'): Logger {
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

/**
 * The shared logger's stderr: JSON lines by default (workers/main.ts run directly, as in Docker, feeds log
 * collectors), or text for people once an entry point for people (the CLI, `npm start`) calls `setLogFormat`.
 * SENTINEL_LOG_FORMAT=text|json chooses for every entry point. The format is read per line, so it can be chosen
 * after the logger was created by an import.
 */
let stderrFormat: LogFormat = process.env.SENTINEL_LOG_FORMAT?.trim().toLowerCase() === 'text' ? 'text' : 'json';
const stderr = pino.destination({ dest: 2, sync: true });
const stderrDestination: DestinationStream = {
  write: (line: string) => stderr.write(stderrFormat === 'json' ? line : formatLogLine(line)),
};

export function setLogFormat(format: LogFormat): void {
  stderrFormat = format;
}

export const logger: Logger = createLogger();
