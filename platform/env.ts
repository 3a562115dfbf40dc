import path from 'node:path';

/** Every environment variable the service reads, in one place, with its default. Documented in docs/configuration.md. */
export interface SentinelEnv {
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  databaseUrl: string | undefined;
  /** DRILL_DATABASE_URL: an admin URL of the server restore drills create their scratch databases on. */
  drillDatabaseUrl: string | undefined;
  configPath: string;
  backupDir: string;
  alertWebhookUrl: string | undefined;
  /** SENTINEL_UI_URL: the Temporal Web UI alerts link runs to (default: the local service's, from its runtime file). */
  webUiUrl: string | undefined;
  dataDir: string;
  /** Raw CAPACITY_ALERT_HORIZON_DAYS (days; validated where used, default 14). */
  capacityAlertHorizonDays: string | undefined;
  /** Port of the worker's Prometheus endpoint; undefined when disabled (`SENTINEL_METRICS_PORT=off`). */
  metricsPort: number | undefined;
}

/** SENTINEL_DATA_DIR, absolute; default (also when blank) `.data`. */
export function dataDirOf(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return path.resolve(nonEmpty(env.SENTINEL_DATA_DIR) ?? '.data');
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): SentinelEnv {
  const dataDir = dataDirOf(env);
  return {
    temporalAddress: nonEmpty(env.TEMPORAL_ADDRESS),
    temporalNamespace: nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    taskQueue: nonEmpty(env.SENTINEL_TASK_QUEUE) ?? 'backup-sentinel',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    drillDatabaseUrl: nonEmpty(env.DRILL_DATABASE_URL),
    configPath: path.resolve(nonEmpty(env.SENTINEL_CONFIG) ?? 'sentinel.yaml'),
    backupDir: path.resolve(nonEmpty(env.BACKUP_DIR) ?? path.join(dataDir, 'backups')),
    alertWebhookUrl: nonEmpty(env.ALERT_WEBHOOK_URL),
    webUiUrl: nonEmpty(env.SENTINEL_UI_URL),
    dataDir,
    capacityAlertHorizonDays: nonEmpty(env.CAPACITY_ALERT_HORIZON_DAYS),
    metricsPort: parseMetricsPort(env.SENTINEL_METRICS_PORT),
  };
}

function parseMetricsPort(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return 9464;
  if (raw.trim() === 'off') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SENTINEL_METRICS_PORT must be a port number or "off", got "${raw}"`);
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Default local Temporal frontend when TEMPORAL_ADDRESS is unset (the dev server `npm start` runs). */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_UI_PORT = 8233;
