import type { NativeConnection, Worker } from '@temporalio/worker';
import { settingsWarnings } from '../domain/freshness/objective.js';
import { cachedSettingsLoader, loadSettings } from '../platform/settings-file.js';
import { configSecrets, workerRedactor } from '../platform/known-secrets.js';
import { openDatabase } from '../platform/database.js';
import { readEnv } from '../platform/env.js';
import { freePort } from '../platform/dev-server.js';
import { logger } from '../platform/logger.js';
import { startMetricsServer, type MetricsServer } from '../platform/telemetry-server.js';
import { postgresqlProbe, readinessProbe } from '../platform/readiness.js';
import { installTargetMetrics } from '../platform/telemetry-targets.js';
import { installModelMonitorMetrics } from '../platform/telemetry-models.js';
import { modelMonitorMetricsSnapshot } from '../capabilities/models/monitor-metrics.js';
import { targetMetricsSnapshot } from '../capabilities/freshness/metrics.js';
import { readRuntimeInfo } from '../platform/runtime-file.js';
import { adoptLocalServiceSettings } from '../platform/runtime-env.js';
import { installTemporalRuntime } from '../platform/temporal-runtime.js';
import {
  type ConnectionOverrides,
  connectNativeConnection,
  describeConnection,
  resolveConnectionSettings,
  type TemporalConnectionSettings,
} from '../platform/temporal-connection.js';
import { shutdownTracing } from '../platform/tracing.js';
import { createSentinelWorker } from './create-worker.js';
import { configBackupSourceFromEnv } from '../capabilities/config-backup/services.js';
import { channelSecrets, resolveAlertChannels } from '../capabilities/alerts/channels.js';

export interface RunWorkerOptions {
  /** Resolved connection settings (the CLI's flags); default: TEMPORAL_* and the profile file, as resolved here. */
  connectionSettings?: TemporalConnectionSettings;
  /** Over the environment and the profile (npm start's own dev server: its address, plaintext). */
  connectionOverrides?: ConnectionOverrides;
  databaseUrl?: string | undefined;
  /** Resolves when the worker should stop (besides SIGINT/SIGTERM, which the SDK handles). */
  signal?: AbortSignal;
  /** Called once the worker polls its task queue (state RUNNING), so a caller can say "running" truthfully. */
  onStarted?: () => void;
}

/** The worker process: validates the config, migrates the database, then polls the task queue until stopped. */
export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  await adoptLocalServiceSettings(); // before the payload codec and the config path are read from the environment
  const env = readEnv();
  const metricsPort = env.metricsPort;
  const { sdkMetricsUrl } = installTemporalRuntime(metricsPort === undefined ? {} : { sdkMetricsPort: await freePort() });
  if (options.databaseUrl) env.databaseUrl = options.databaseUrl;
  const config = await loadSettings(env.configPath); // a broken sentinel.yaml stops the worker at start, not at 01:00
  // Valid but probably not meant (e.g. a maxAge shorter than the schedule's interval): said once, never refused.
  for (const warning of settingsWarnings(config)) logger.warn({ configPath: env.configPath }, `sentinel.yaml: ${warning}`);
  // A channel whose variable is missing, whose URL is invalid or whose signing secret is short stops the worker here.
  const alertRouting = resolveAlertChannels(config, process.env, env.configPath);
  const redactor = workerRedactor(); // its known secrets, from the start (sentinel.yaml's are re-learnt on every load)
  redactor.learn(configSecrets(config));
  redactor.learn(channelSecrets(alertRouting));
  const runtime = await readRuntimeInfo(env.dataDir);
  const webUiUrl = env.webUiUrl ?? runtime?.uiUrl;
  // Checked before the database opens: a missing certificate or an empty API key stops the worker with one line.
  const temporal =
    options.connectionSettings ?? resolveConnectionSettings({ overrides: options.connectionOverrides ?? {}, fallbackAddress: runtime?.temporalAddress });
  const database = await openDatabase(env);
  let connection: NativeConnection;
  try {
    connection = await connectNativeConnection(temporal);
  } catch (error) {
    await database.close();
    throw error;
  }
  let metrics: MetricsServer | undefined;
  let worker: Worker | undefined;
  const databaseProbe = postgresqlProbe(database.url);
  try {
    if (metricsPort !== undefined) {
      // /readyz beside /metrics: polling (RUNNING), Temporal answering on the worker's own connection, PostgreSQL.
      const readiness = readinessProbe({
        workerState: () => worker?.getState(),
        temporal: () => connection.workflowService.getSystemInfo({}),
        postgresql: () => databaseProbe.check(),
      });
      // A taken metrics port must not stop backups: warn and run without the endpoint.
      metrics = await startMetricsServer({ port: metricsPort, sdkMetricsUrl, readiness }).catch((error: Error) => {
        logger.warn({ port: metricsPort, err: error.message }, 'metrics endpoint not started');
        return undefined;
      });
      if (metrics) {
        logger.info({ port: metrics.port }, 'metrics on /metrics, health on /healthz and /readyz');
        const targetSettings = cachedSettingsLoader(env.configPath);
        installTargetMetrics(() => targetMetricsSnapshot({ db: database.pool, loadSettings: targetSettings }), {
          onError: (error) => logger.warn({ err: error.message }, 'per-target metrics not refreshed; serving the previous values'),
        });
        installModelMonitorMetrics(() => modelMonitorMetricsSnapshot({ db: database.pool }), {
          onError: (error) => logger.warn({ err: error.message }, 'model monitor metrics not refreshed; serving the previous values'),
        });
      }
    }
    worker = await createSentinelWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: env.taskQueue,
      workflowBundlePath: process.env.SENTINEL_WORKFLOW_BUNDLE,
      deps: {
        db: database.pool,
        loadSettings: cachedSettingsLoader(env.configPath),
        backupDir: env.backupDir,
        configBackup: configBackupSourceFromEnv(),
        alertWebhookUrl: env.alertWebhookUrl,
        webUi: webUiUrl ? { url: webUiUrl, namespace: temporal.namespace } : undefined,
        log: logger,
        redactor,
        embeddedDatabaseUrl: database.embeddedUrl,
        drillDatabaseUrl: env.drillDatabaseUrl,
      },
    });
    const { address, namespace, ...security } = describeConnection(temporal); // no key material, no API key
    logger.info({ address, namespace, taskQueue: env.taskQueue, ...security }, 'worker started');
    const created = worker;
    options.signal?.addEventListener('abort', () => created.shutdown(), { once: true });
    const running = worker.run();
    // run() sets RUNNING synchronously before its first await; a worker that failed to start never reports it.
    if (worker.getState() === 'RUNNING') options.onStarted?.();
    await running;
    logger.info('worker stopped');
  } finally {
    await metrics?.close();
    await databaseProbe.close();
    await connection.close();
    await database.close();
    await shutdownTracing(); // sends the last spans; nothing when tracing is off
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker().catch((error: Error) => {
    logger.error({ err: error.message }, 'worker failed');
    process.exitCode = 1;
  });
}
