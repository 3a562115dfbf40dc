import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { logger } from './logger.js';

let installed = false;

/**
 * Routes the Temporal SDK's own logs into the project's JSON logger at warn level and above (its info output
 * is a webpack report per worker start). Runtime.install may run once per process, before any worker exists.
 */
export function installTemporalRuntime(): void {
  if (installed) return;
  installed = true;
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const method = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      logger[method]({ sdk: true, ...(entry.meta ?? {}) }, entry.message);
    }),
  });
}
