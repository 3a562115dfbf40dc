/**
 * `npm start`: one command for a working service on this machine. Starts the Temporal dev server (Web UI on 8233,
 * state persisted in .data/temporal.db) unless TEMPORAL_ADDRESS or the Temporal profile file names a cluster (then it
 * connects with the TEMPORAL_* / profile TLS and API key settings, platform/temporal-connection.ts), uses DATABASE_URL or an embedded
 * PGlite under .data/pglite, applies migrations, and runs the worker until Ctrl-C, then shuts everything down.
 * It serves the payload codec endpoint (SENTINEL_CODEC_PORT, default 8888) on loopback and starts the Web UI with
 * `--ui-codec-endpoint` pointing at it, so operators see decoded payloads. Without CONFIG_BACKUP_KEY it creates (once)
 * and uses a development key in .data/dev-key (platform/dev-key.ts), which the CLI then picks up too.
 *
 * It runs compiled (dist/scripts/start.js, built by `npm run build`; `npm start` builds first when stale), so the worker
 * it runs in-process loads the compiled activities and the prebuilt workflow bundle dist/workflow-bundle.js.
 *
 * `npm start -- --demo` (or `npm start --demo`, which npm passes as npm_config_demo) then runs scripts/demo.ts:
 * history, training, a config backup, one low-risk and one high-risk pre-backup run, and what to try next.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { startLocalCodecEndpoint, type LocalCodecEndpoint } from '../platform/codec/local-endpoint.js';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from '../platform/data-dir-lock.js';
import { startDevServer, stopOrphanedDevServer, type DevServer } from '../platform/dev-server.js';
import { ensureDevKey } from '../platform/dev-key.js';
import { dataDirOf, DEFAULT_UI_PORT, readEnv } from '../platform/env.js';
import { logFormatFrom } from '../platform/log-format.js';
import { logger, setLogFormat } from '../platform/logger.js';
import { redactUrl } from '../platform/redact.js';
import { removeRuntimeInfo, writeRuntimeInfo } from '../platform/runtime-file.js';
import { settingsFileExists, loadSettings, missingSettingsMessage } from '../platform/settings-file.js';
import { connectClient } from '../platform/temporal.js';
import {
  type ConnectionOverrides,
  describeConnection,
  namesAnAddress,
  resolveConnectionSettings,
  type TemporalConnectionSettings,
} from '../platform/temporal-connection.js';
import { applySchedules } from '../schedules/apply.js';
import { declaredSchedules } from '../schedules/index.js';
import { runWorker } from '../workers/main.js';
import { prepareDemo, runDemo } from './demo.js';

const EMBEDDED_PG_PORT = Number(process.env.SENTINEL_EMBEDDED_PG_PORT ?? 5433);
const TEMPORAL_PORT = Number(process.env.SENTINEL_TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.SENTINEL_UI_PORT ?? DEFAULT_UI_PORT);

const DEMO = process.argv.includes('--demo') || process.env.npm_config_demo === 'true';

async function main(): Promise<void> {
  // Text log lines for the person at the terminal; `npm start -- --log-format json` or SENTINEL_LOG_FORMAT=json for JSON.
  const logFormat = logFormatFrom(process.argv, process.env, 'text');
  if (!logFormat.ok) throw new Error(logFormat.problem);
  setLogFormat(logFormat.format);
  const dataDir = dataDirOf();
  await mkdir(dataDir, { recursive: true });
  // Before anything else touches the data directory: one service per directory (platform/data-dir-lock.ts).
  let lock: DataDirLock;
  try {
    lock = await acquireDataDirLock(dataDir, 'npm start');
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${error.message}: not starting a second one (stop it first, or set SENTINEL_DATA_DIR to another directory)\n`);
    process.exitCode = 1;
    return;
  }
  // Before anything reads SENTINEL_CONFIG / CONFIG_*: the demo points them at its own files.
  const demo = DEMO ? await prepareDemo(dataDir) : undefined;
  const env = readEnv();
  const firstRun = !existsSync(path.join(env.dataDir, 'temporal.db'));
  let server: DevServer | undefined;
  let embedded: EmbeddedPostgres | undefined;
  let codec: LocalCodecEndpoint | undefined;
  const stop = async () => {
    await removeRuntimeInfo(env.dataDir); // only if this process wrote it
    await server?.stop();
    await codec?.server?.close();
    await embedded?.stop();
    lock.release();
  };
  watchParent();
  try {
    const devKey = await ensureDevKey(env.dataDir); // before the codec endpoint, the worker and any client read it
    if (devKey.source !== 'env')
      say(
        `CONFIG_BACKUP_KEY is not set: using the development key in ${devKey.file}${devKey.source === 'created' ? ' (just created)' : ''}; set CONFIG_BACKUP_KEY in production`,
      );
    // The cluster named by flags-free settings (TEMPORAL_* or the profile file, as the temporal CLI reads them), else
    // a dev server of our own, reached in plaintext whatever TLS settings are around. Bad settings stop here, one line.
    const named = resolveConnectionSettings();
    const useCluster = namesAnAddress(named);
    // Before the dev server: its Web UI is told where the codec endpoint listens.
    codec = await startLocalCodecEndpoint({ env: process.env, uiPort: UI_PORT, namespace: named.namespace, log: logger });
    if (!useCluster) {
      if (named.tlsMode !== 'off' || named.apiKey !== undefined)
        say('TLS / API key settings are set but no Temporal address is: they are not used for the local dev server (set TEMPORAL_ADDRESS to use your cluster)');
      const pidFile = path.join(env.dataDir, 'dev-server.pid');
      const orphan = await stopOrphanedDevServer(pidFile);
      if (orphan) say(`stopped the Temporal dev server (process group ${orphan}) that an earlier \`npm start\` of ${env.dataDir} left running`);
      say(`starting the Temporal dev server (state in ${path.join(env.dataDir, 'temporal.db')})...`);
      server = await startDevServer({
        port: TEMPORAL_PORT,
        uiPort: UI_PORT,
        dbFile: path.join(env.dataDir, 'temporal.db'),
        uiCodecEndpoint: codec.server?.url,
        pidFile,
      });
    }
    const connection: ConnectionOverrides = useCluster ? {} : { address: server!.address, tls: false };
    const temporal = useCluster ? named : resolveConnectionSettings({ overrides: connection });
    const temporalAddress = temporal.address;
    if (!env.databaseUrl) embedded = await startEmbeddedPostgres(path.join(env.dataDir, 'pglite'), EMBEDDED_PG_PORT);
    const databaseUrl = env.databaseUrl ?? embedded!.url;
    const applied = await migrate(databaseUrl);
    say(
      `database ${redactUrl(databaseUrl)}${embedded ? ` (embedded PGlite in ${path.join(env.dataDir, 'pglite')})` : ''}: ${applied.length} migration(s) applied`,
    );
    await writeRuntimeInfo(env.dataDir, {
      pid: process.pid,
      temporalAddress,
      databaseUrl,
      uiUrl: server?.uiUrl,
      codecEndpoint: codec.server?.url,
      configPath: demo?.configPath,
    });

    const controller = new AbortController();
    stopController = controller;
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const worker = runWorker({ connectionSettings: temporal, databaseUrl, signal: controller.signal, onStarted: () => markStarted() });
    // From here (not only after the demo) a signal stops the worker and then everything else in `finally`.
    // `on`, not `once`: Ctrl-C reaches this process more than once (terminal, npm), and a second SIGINT with
    // no listener left would kill it before the dev server and database are stopped.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopWithin(controller, FORCED_EXIT_MS));
    const schedules = applyDeclaredSchedules(temporal, env.configPath, env.taskQueue);
    // "running" only once the worker polls: a worker that fails to start (e.g. a broken sentinel.yaml) rejects here.
    const workerStarted = await Promise.race([started.then(() => true), worker.then(() => false)]);
    say(await schedules);
    if (!workerStarted) return; // stopped before it started polling
    say('');
    const described = describeConnection(temporal);
    const security = [described.tls !== 'off' ? described.tls.toUpperCase().replace('MTLS', 'mTLS') : '', described.apiKey === 'set' ? 'API key' : '']
      .filter(Boolean)
      .join(', ');
    say(
      `Backup Sentinel is running (data in ${env.dataDir}). Temporal ${temporalAddress}${security ? ` (${security})` : ''}, namespace ${temporal.namespace}, task queue ${env.taskQueue}.`,
    );
    if (server?.uiUrl) say(`Temporal Web UI: ${server.uiUrl}/namespaces/${temporal.namespace}/workflows`);
    say(codec.note);
    say(`Config: ${env.configPath}. Try, in another terminal:  npx sentinel backup run <target> --wait`);
    if (!(await settingsFileExists(env.configPath))) say(missingSettingsMessage(env.configPath));
    if (firstRun && !demo) say('First run? `npm start -- --demo` imports a demo history, trains a model and starts a low-risk and a high-risk run to look at.');
    if (demo) {
      // The demo is a guest: if it fails, say why and keep the service running.
      await runDemo({
        connection,
        databaseUrl,
        taskQueue: env.taskQueue,
        namespace: temporal.namespace,
        uiUrl: server?.uiUrl,
        dataDir: env.dataDir,
        say,
      }).catch((error: Error) => say(`demo failed: ${error.message}`));
    }
    say('Press Ctrl-C to stop.');
    await worker;
  } finally {
    say('stopping...');
    await stop();
  }
}

/**
 * The dev server runs in a process group of its own (platform/dev-server.ts), so Ctrl-C reaches only this process and
 * the server is stopped after the worker. Should it be gone anyway, the SDK retries it without end: past the
 * worker's shutdown grace (30 s for a running backup) plus a margin, exit anyway rather than hang the terminal.
 * Nothing started here outlives that exit: the dev server's wrapper sees its stdin pipe close, backup commands'
 * process groups are killed on exit (activities/backup/process.ts), the embedded database is in this process.
 */
const FORCED_EXIT_MS = 45_000;

let stopController: AbortController | undefined;

/**
 * `npm start` runs `exec node dist/scripts/start.js` (this file compiled), so npm forwards its SIGINT/SIGTERM here. Should npm itself
 * die without forwarding (SIGKILL), this process is reparented: treat that as a stop request too.
 */
function watchParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      say(`the parent process (pid ${parent}) is gone: stopping`);
      if (stopController) stopWithin(stopController, FORCED_EXIT_MS);
      else process.kill(process.pid, 'SIGTERM');
    }
  }, 1000).unref();
}

function stopWithin(controller: AbortController, ms: number): void {
  if (controller.signal.aborted) return;
  controller.abort();
  setTimeout(() => {
    say(`the worker did not stop within ${ms / 1000} s (is the Temporal server gone?); exiting`);
    process.exit(1);
  }, ms).unref();
}

/** The schedules in schedules/ are part of the running service; a failure here is reported, not fatal. */
async function applyDeclaredSchedules(settings: TemporalConnectionSettings, configPath: string, taskQueue: string): Promise<string> {
  let connection: Awaited<ReturnType<typeof connectClient>>['connection'] | undefined;
  try {
    const config = await loadSettings(configPath);
    const temporal = await connectClient({ settings });
    connection = temporal.connection;
    const report = await applySchedules(temporal.client, declaredSchedules({ config, timezone: config.timezone }), { taskQueue });
    return `schedules: ${report.created.length} created, ${report.updated.length} updated, ${report.deleted.length} deleted, ${report.unchanged.length} unchanged${report.skipped.length ? `, ${report.skipped.length} skipped (retry with: npx sentinel schedules apply)` : ''} (sentinel schedules list)`;
  } catch (error) {
    return `schedules not applied: ${(error as Error).message} (retry with: npx sentinel schedules apply)`;
  } finally {
    await connection?.close();
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: Error) => {
  logger.error({ err: error.message }, 'start failed');
  process.exitCode = 1;
});
