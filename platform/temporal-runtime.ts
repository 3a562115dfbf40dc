import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { logger } from './logger.js';

let installedWith: { sdkMetricsUrl: string | undefined } | undefined;

/**
 * Routes the Temporal SDK's own logs into the project's JSON logger at warn level and above (its info output is a
 * webpack report per worker start), and has the SDK core export its metrics on a loopback port when asked.
 * Runtime.install may run once per process, before any worker exists.
 */
export function installTemporalRuntime(options: { sdkMetricsPort?: number } = {}): { sdkMetricsUrl: string | undefined } {
  if (installedWith) return installedWith;
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'WARN') as LogLevel;
  const bindAddress = options.sdkMetricsPort ? `127.0.0.1:${options.sdkMetricsPort}` : undefined;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const method = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
      logger[method]({ sdk: true, ...(entry.meta ?? {}) }, entry.message);
    }),
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress } } } } : {}),
  });
  installedWith = { sdkMetricsUrl: bindAddress ? `http://${bindAddress}/metrics` : undefined };
  return installedWith;
}
