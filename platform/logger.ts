import { pino, type DestinationStream, type Logger } from 'pino';
import { currentLogFormat, formatLogLine } from './log-format.js';
import { logContext } from './log-context.js';
import type { SecretRedactor } from './redact.js';

/**
 * Structured logs, on stderr by default (stdout stays free for CLI results). Known secret-bearing fields are
 * censored by pino's redaction; free text must go through `redactSecrets` before it is logged (the worker wraps its
 * logger in `redactingLogger`, so activity code cannot forget). Inside an activity
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
const stderr = pino.destination({ dest: 2, sync: true });
const stderrDestination: DestinationStream = {
  write: (line: string) => stderr.write(currentLogFormat() === 'json' ? line : formatLogLine(line)),
};

export { setLogFormat } from './log-format.js';

export const logger: Logger = createLogger();

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const MAX_DEPTH = 5;

/**
 * The same logger, with every string it is given (message, fields, errors, child bindings) passed through the
 * redactor first: the worker's one choke point for log lines, whichever logger the host hands it.
 */
export function redactingLogger(log: Logger, redactor: SecretRedactor): Logger {
  return new Proxy(log, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property === 'string' && LEVELS.has(property) && typeof value === 'function') {
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => void).apply(
            target,
            args.map((arg) => redactValue(arg, redactor, 0)),
          );
      }
      if (property === 'child' && typeof value === 'function') {
        return (bindings: Record<string, unknown>, options?: unknown) =>
          redactingLogger((value as (b: unknown, o?: unknown) => Logger).call(target, redactValue(bindings, redactor, 0), options), redactor);
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function redactValue(value: unknown, redactor: SecretRedactor, depth: number): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) {
    const copy = new Error(redactor.redact(value.message));
    copy.name = value.name;
    copy.stack = value.stack === undefined ? undefined : redactor.redact(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redactor, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, redactor, depth + 1);
  return out;
}
