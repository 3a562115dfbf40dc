/**
 * `npm start -- --demo`: a guided first run on the service `npm start` just started. It
 *  1. writes a demo `sentinel.yaml` (two command targets whose backups are real tar archives) and a few demo
 *     configuration files and DEMO_* variables for the configuration backup, all under `<data dir>/demo`;
 *  2. imports a seeded synthetic history for the demo targets (idempotent: the same backup IDs every time);
 *  3. trains the failure model on it (`trainFailureModelWorkflow`, the same path as the weekly schedule);
 *  4. runs a configuration backup, one low-risk pre-backup run that proceeds and backs up, and one high-risk run
 *     that waits for an operator's decision;
 *  5. prints the Web UI links and the CLI commands to try next.
 * Everything goes through the public client and the running worker: the demo is what an operator would do by hand.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { SentinelClient } from '../client/index.js';
import type { ConnectionOverrides } from '../platform/temporal-connection.js';
import { createPool } from '../db/pool.js';
import type { PreBackupResult } from '../domain/pre-backup/contract.js';
import { generateHistory } from '../domain/ml/synthetic-history.js';
import { writeHistoryFile } from '../capabilities/history/history-file.js';
import { importHistoryFile } from '../capabilities/history/history-import.js';

export const DEMO_LOW_RISK_TARGET = 'demo-orders-db';
export const DEMO_HIGH_RISK_TARGET = 'demo-payments-db';
/** Prefix of the environment variables the demo's configuration backup picks up. */
export const DEMO_ENV_PREFIX = 'DEMO_';
const HISTORY_DAYS = 120;
const HISTORY_TARGETS = 8;
const HISTORY_SEED = 2026;

export interface DemoPaths {
  dir: string;
  configPath: string;
}

export const demoPaths = (dataDir: string): DemoPaths => ({ dir: path.join(dataDir, 'demo'), configPath: path.join(dataDir, 'demo', 'sentinel.yaml') });

/**
 * Writes the demo's sentinel.yaml, data and configuration files, and points this process's configuration backup at
 * them (the worker reads CONFIG_* at each run). Run before the worker starts, so it loads the demo targets.
 */
export async function prepareDemo(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<DemoPaths> {
  const paths = demoPaths(dataDir);
  const data = path.join(paths.dir, 'data');
  const archives = path.join(paths.dir, 'archives');
  const etc = path.join(paths.dir, 'etc');
  for (const dir of [data, archives, etc]) await mkdir(dir, { recursive: true });
  await writeFile(path.join(data, 'orders.csv'), 'id,total\n1,19.99\n2,5.00\n');
  const archive = (target: string) => `sleep 1 && tar -czf '${archives}/${target}-'"$(date -u +%Y%m%dT%H%M%SZ)"'.tar.gz' -C '${data}' .`;
  const config = {
    timezone: 'UTC',
    targets: [
      { name: DEMO_LOW_RISK_TARGET, kind: 'command', command: archive(DEMO_LOW_RISK_TARGET), policy: 'delay', threshold: 0.7 },
      { name: DEMO_HIGH_RISK_TARGET, kind: 'command', command: archive(DEMO_HIGH_RISK_TARGET), policy: 'manual', threshold: 0.3, approvalTimeout: '4h' },
    ],
  };
  await writeFile(paths.configPath, `# Written by \`npm start -- --demo\`; used instead of sentinel.yaml while the demo runs.\n${stringify(config)}`);
  // A demo secret of its own (or the caller's DEMO_DB_PASSWORD): it must come out encrypted / redacted everywhere.
  const password = env.DEMO_DB_PASSWORD ?? randomBytes(12).toString('base64url');
  env.DEMO_DB_PASSWORD = password;
  env.DEMO_REGION ??= 'eu-west-1';
  await writeFile(path.join(etc, 'app.yaml'), `server:\n  host: orders.internal\n  port: 8443\ndatabase:\n  user: orders\n  password: ${password}\n`);
  await writeFile(path.join(etc, 'nginx.conf'), 'server {\n  listen 443 ssl;\n  server_name orders.example.com;\n}\n');
  env.SENTINEL_CONFIG = paths.configPath;
  env.CONFIG_ENV_PREFIX ??= DEMO_ENV_PREFIX;
  env.CONFIG_FILES_TO_BACKUP ??= path.join(etc, '*');
  return paths;
}

export interface DemoOptions {
  /** Over TEMPORAL_* and the profile file (npm start's own dev server: its address, plaintext). */
  connection: ConnectionOverrides;
  databaseUrl: string;
  taskQueue: string;
  namespace: string;
  uiUrl: string | undefined;
  dataDir: string;
  say: (line: string) => void;
}

export interface DemoOutcome {
  historyRows: number;
  training: { outcome: string; version: number | null };
  configBackup: { workflowId: string; backedUp: number; unchanged: number; failed: number };
  lowRisk: { workflowId: string; result: PreBackupResult };
  highRisk: { workflowId: string; phase: string; riskLevel: string | undefined; probability: number | undefined };
}

export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { say } = options;
  say('');
  say('Demo: 1/4 importing a synthetic backup history for the demo targets...');
  const historyRows = await importDemoHistory(options);
  say(`      ${historyRows} runs in the history`);

  const sentinel = await SentinelClient.connect({ ...options.connection, namespace: options.namespace, taskQueue: options.taskQueue });
  try {
    say('Demo: 2/4 training the failure model on it (trainFailureModelWorkflow)...');
    const trained = await sentinel.trainingResult((await sentinel.startTraining({})).workflowId);
    say(`      ${trained.outcome}${trained.version !== null ? ` (model ${trained.version})` : ''}: ${trained.reason}`);

    say('Demo: 3/4 backing up the demo configuration (configBackupWorkflow)...');
    const config = await sentinel.configBackupResult((await sentinel.startConfigBackup({})).workflowId);
    say(`      set ${config.setId}: ${config.totals.backedUp} backed up, ${config.totals.unchanged} unchanged, ${config.totals.failed} failed`);

    say('Demo: 4/4 starting two pre-backup runs (preBackupWorkflow)...');
    const runId = new Date().toISOString();
    const low = await sentinel.startPreBackup({ target: DEMO_LOW_RISK_TARGET, freeSpaceGb: 800, databaseSizeGb: 20 }, { scheduledAt: `demo-${runId}` });
    const high = await sentinel.startPreBackup(
      // An outsized run onto a nearly full disk: the trained model (not the rules) calls it high risk.
      { target: DEMO_HIGH_RISK_TARGET, freeSpaceGb: 1, estimatedSizeBytes: 900e9, estimatedDurationSeconds: 90_000 },
      { scheduledAt: `demo-${runId}` },
    );
    const lowResult = await sentinel.preBackupResult(low.workflowId);
    const highState = await waitForDecisionPoint(sentinel, high.workflowId);
    const outcome: DemoOutcome = {
      historyRows,
      training: { outcome: trained.outcome, version: trained.version },
      configBackup: { workflowId: config.workflowId, backedUp: config.totals.backedUp, unchanged: config.totals.unchanged, failed: config.totals.failed },
      lowRisk: { workflowId: low.workflowId, result: lowResult },
      highRisk: {
        workflowId: high.workflowId,
        phase: highState.phase,
        riskLevel: highState.prediction?.riskLevel,
        probability: highState.prediction?.failureProbability,
      },
    };
    printNextSteps(options, outcome);
    return outcome;
  } finally {
    await sentinel.close();
  }
}

/**
 * The synthetic history, with its first two targets renamed to the demo's; imported like an operator's file. Its
 * rows have no artifacts, so they never count as usage of BACKUP_DIR's disk in capacity forecasts.
 */
export async function importDemoHistory(options: Pick<DemoOptions, 'dataDir' | 'databaseUrl'>): Promise<number> {
  const today = new Date();
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - HISTORY_DAYS * 86_400_000);
  const names = new Map([
    ['db-001', DEMO_LOW_RISK_TARGET],
    ['db-002', DEMO_HIGH_RISK_TARGET],
  ]);
  const runs = generateHistory({ targets: HISTORY_TARGETS, days: HISTORY_DAYS, runsPerDay: 4, seed: HISTORY_SEED, start }).map((run) => {
    const target = names.get(run.target) ?? `demo-${run.target}`;
    return { ...run, target, backupId: run.backupId.replace(run.target, target) };
  });
  const file = path.join(demoPaths(options.dataDir).dir, 'history.csv');
  await writeHistoryFile(file, runs);
  const pool = createPool(options.databaseUrl, 2);
  try {
    await importHistoryFile(pool, file);
    const counted = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM backup_runs WHERE target LIKE 'demo-%'`);
    return counted.rows[0]?.n ?? 0;
  } finally {
    await pool.end();
  }
}

async function waitForDecisionPoint(sentinel: SentinelClient, workflowId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await sentinel.preBackupState(workflowId);
    if (state.phase === 'awaiting-approval' || state.phase === 'done' || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printNextSteps(options: DemoOptions, outcome: DemoOutcome): void {
  const { say } = options;
  const link = (id: string) => (options.uiUrl ? `${options.uiUrl}/namespaces/${options.namespace}/workflows/${encodeURIComponent(id)}` : id);
  const low = outcome.lowRisk;
  const lowPrediction = low.result.prediction;
  say('');
  say('Demo ready.');
  say(`  low risk  ${low.workflowId}`);
  say(
    `            risk ${lowPrediction.riskLevel} (${lowPrediction.failureProbability.toFixed(2)}) -> ${low.result.decision}; backup ${low.result.backup?.status ?? 'none'}`,
  );
  say(`            ${link(low.workflowId)}`);
  say(`  high risk ${outcome.highRisk.workflowId}`);
  say(`            risk ${outcome.highRisk.riskLevel ?? '?'} (${outcome.highRisk.probability?.toFixed(2) ?? '?'}) -> ${outcome.highRisk.phase}`);
  say(`            ${link(outcome.highRisk.workflowId)}`);
  if (options.uiUrl)
    say(
      `  all demo runs: ${options.uiUrl}/namespaces/${options.namespace}/workflows?query=${encodeURIComponent(`BackupTarget IN ('${DEMO_LOW_RISK_TARGET}', '${DEMO_HIGH_RISK_TARGET}')`)}`,
    );
  say('');
  say('Try next (in another terminal):');
  say(`  npx sentinel backup status '${outcome.highRisk.workflowId}'`);
  say(`  npx sentinel backup approve '${outcome.highRisk.workflowId}' --by you --reason "checked free space"   # or: backup reject`);
  say(`  npx sentinel predict --target ${DEMO_HIGH_RISK_TARGET} --free-space-gb 1 --estimated-size 900000000000 --estimated-duration 90000`);
  say('  npx sentinel model list');
  say('  npx sentinel config list && npx sentinel config diff <ID>');
  say(`  npx sentinel anomalies check --target ${DEMO_LOW_RISK_TARGET}`);
  say('  npx sentinel schedules list');
}
