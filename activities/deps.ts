import type { Logger } from 'pino';
import type pg from 'pg';
import type { ConfigBackupSource } from '../capabilities/config-backup/services.js';
import type { SentinelSettings } from '../domain/settings/schema.js';
import type { SecretRedactor } from '../platform/redact.js';

/** What activities need from the process that hosts them; built once by the worker (and by tests). */
export interface ActivityDeps {
  db: pg.Pool;
  loadSettings: () => Promise<SentinelSettings>;
  backupDir: string;
  alertWebhookUrl?: string | undefined;
  /** The Temporal Web UI alerts link runs to (SENTINEL_UI_URL, else the local service's `npm start` UI). */
  webUi?: { url: string; namespace: string } | undefined;
  log: Logger;
  /** The worker's known-secret redactor (workers/secret-redaction.ts); format-only redaction when absent. */
  redactor?: SecretRedactor | undefined;
  /** Keyring, CONFIG_* settings and variables for configuration backups (`configBackupSourceFromEnv` in a worker). */
  configBackup: ConfigBackupSource;
  /** DRILL_DATABASE_URL: where restore drills create (and always drop) their scratch databases. */
  drillDatabaseUrl?: string | undefined;
  /** The embedded database this worker's `db` is served by, if any: `postgres` targets that reach it are refused. */
  embeddedDatabaseUrl?: string | undefined;
}
