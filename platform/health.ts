import type { Connection } from '@temporalio/client';
import type pg from 'pg';
import { redactSecrets } from './redact.js';
import { connectClientConnection, type TemporalConnectionSettings } from './temporal-connection.js';

export interface HealthReport {
  healthy: boolean;
  temporal: { ok: boolean; address: string; detail: string };
  database: { ok: boolean; detail: string };
  model: { active: boolean; version: string | null; detail: string };
}

/** Whether Temporal and PostgreSQL answer, and whether a trained failure model is active (else the rules predict). */
export async function checkHealth(options: { temporal: TemporalConnectionSettings; pool: pg.Pool | undefined; databaseError?: string }): Promise<HealthReport> {
  const temporal = await checkTemporal(options.temporal);
  const database = options.pool ? await checkDatabase(options.pool) : { ok: false, detail: options.databaseError ?? 'not configured' };
  const model = options.pool && database.ok ? await activeModel(options.pool) : { active: false, version: null, detail: 'unknown (database unavailable)' };
  return { healthy: temporal.ok && database.ok, temporal, database, model };
}

async function checkTemporal(settings: TemporalConnectionSettings): Promise<HealthReport['temporal']> {
  const { address, namespace } = settings;
  let connection: Connection | undefined;
  try {
    connection = await connectClientConnection(settings, 3000);
    const info = await connection.workflowService.getSystemInfo({});
    await connection.workflowService.describeNamespace({ namespace });
    return { ok: true, address, detail: `server ${info.serverVersion ?? 'unknown'}, namespace ${namespace}` };
  } catch (error) {
    return { ok: false, address, detail: redactSecrets((error as Error).message) };
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function checkDatabase(pool: pg.Pool): Promise<HealthReport['database']> {
  try {
    const result = await pool.query('SELECT version() AS version');
    return { ok: true, detail: String(result.rows[0].version).split(',')[0]! };
  } catch (error) {
    return { ok: false, detail: redactSecrets((error as Error).message) };
  }
}

async function activeModel(pool: pg.Pool): Promise<HealthReport['model']> {
  const registry = await pool.query(`SELECT to_regclass('ml_models') IS NOT NULL AS exists`);
  if (!registry.rows[0].exists) return { active: false, version: null, detail: 'no model registry: predictions use the rules' };
  const active = await pool.query(`SELECT version::text AS version FROM ml_models WHERE status = 'active' LIMIT 1`);
  return active.rows[0]
    ? { active: true, version: active.rows[0].version, detail: `model ${active.rows[0].version} is active` }
    : { active: false, version: null, detail: 'no active model: predictions use the rules' };
}
