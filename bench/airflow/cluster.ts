import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmptyDatabase } from '../../db/scratch-database.js';
import { redactUrl } from '../../platform/redact.js';
import { createTeardown, withTimeout } from '../shared/teardown.js';
import { AirflowApi } from './api.js';
import type { AirflowInstall } from './install.js';
import { type AirflowSetting, airflowEnvironment, runtimeSettings } from './settings.js';

/**
 * A private Airflow for one bench run: its own database on the test PostgreSQL, AIRFLOW_HOME in a temporary folder,
 * a free port, and the three long-running processes Airflow 3 needs for LocalExecutor (api-server, which also
 * serves the Execution API the tasks report to; scheduler, which runs the LocalExecutor workers; dag-processor).
 * No triggerer: nothing in the DAG defers. Each process leads its own process group so `close` stops it with
 * everything it forked; any process left behind that still carries this run's AIRFLOW_HOME is killed as well.
 */
export interface AirflowCluster {
  api: AirflowApi;
  /** The settings in force, with the secrets and the database password replaced. */
  settings: AirflowSetting[];
  database: { name: string; server: string; version: string };
  home: string;
  /** Rejects as soon as one of the processes exits on its own. */
  processFailed: Promise<never>;
  close(): Promise<string[]>;
}

const DAG_FILES = ['sentinel_gate.py', 'sentinel_rules.py'];
const STOP_GRACE_MS = 20_000;
const READY_TIMEOUT_MS = 180_000;

export async function startAirflow(options: {
  install: AirflowInstall;
  benchDir: string;
  adminUrl: string;
  tuned: readonly AirflowSetting[];
  log: (message: string) => void;
}): Promise<AirflowCluster> {
  const { install, log } = options;
  const { closers, close } = createTeardown(60_000);
  try {
    const home = await mkdtemp(path.join(os.tmpdir(), 'airflow-bench-'));
    closers.push({
      name: 'keep the Airflow logs, remove AIRFLOW_HOME',
      run: async () => {
        // The processes' logs outlive the run (overwritten by the next one): a failed burst is diagnosable.
        const kept = path.join(os.tmpdir(), 'airflow-bench-logs');
        await rm(kept, { recursive: true, force: true });
        // Only *.log files: the folder also holds the generated password and secrets.
        const logsOnly = async (source: string) => source.endsWith('.log') || (await stat(source)).isDirectory();
        await cp(home, kept, { recursive: true, filter: logsOnly }).catch(() => undefined);
        log(`Airflow's logs are kept in ${kept}`);
        await rm(home, { recursive: true, force: true });
      },
    });
    const dagsFolder = path.join(home, 'dags');
    await mkdir(dagsFolder);
    for (const file of DAG_FILES) await copyFile(path.join(options.benchDir, 'airflow', 'dags', file), path.join(dagsFolder, file));

    const database = await createDatabase(options.adminUrl);
    closers.push({ name: `drop database ${database.name}`, run: () => database.drop() });
    log(`created database ${database.name} on ${redactUrl(options.adminUrl)}`);

    const user = 'bench';
    const password = randomBytes(18).toString('base64url');
    const passwordsFile = path.join(home, 'passwords.json');
    await writeFile(passwordsFile, JSON.stringify({ [user]: password }), { mode: 0o600 });
    const port = await freePort();
    const runtime = runtimeSettings({
      home,
      dagsFolder,
      databaseUrl: database.sqlAlchemyUrl,
      port,
      jwtSecret: randomBytes(48).toString('base64url'),
      apiSecretKey: randomBytes(24).toString('base64url'),
      user,
      passwordsFile,
    });
    const settings = [...runtime, ...options.tuned];
    const env = {
      ...withoutAirflowVariables(process.env),
      ...airflowEnvironment(home, settings),
      PATH: `${path.join(install.venv, 'bin')}:${process.env.PATH ?? ''}`,
      VIRTUAL_ENV: install.venv,
    };

    log('airflow db migrate');
    await runToEnd(install.airflowBin, ['db', 'migrate'], env, path.join(home, 'db-migrate.log'), 300_000);

    const processes: ChildProcess[] = [];
    closers.push({ name: 'stray processes with this AIRFLOW_HOME', run: () => killByHome(home) });
    // All three at once: each may take its grace time to shut down.
    closers.push({ name: 'stop the airflow processes', run: () => Promise.all(processes.map(stopGroup)) });
    for (const command of ['api-server', 'scheduler', 'dag-processor']) {
      const child = spawn(install.airflowBin, [command], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      const logFile = createWriteStream(path.join(home, `${command}.log`));
      child.stdout!.pipe(logFile);
      child.stderr!.pipe(logFile);
      processes.push(child);
      log(`started airflow ${command} (pid ${child.pid})`);
    }
    const processFailed = Promise.race(
      processes.map(
        (child, i) =>
          new Promise<never>((_, reject) =>
            child.once('exit', (code, signal) =>
              reject(new Error(`airflow ${['api-server', 'scheduler', 'dag-processor'][i]} exited (${signal ?? code}); its log is in ${home}`)),
            ),
          ),
      ),
    );
    processFailed.catch(() => undefined);

    const api = new AirflowApi(`http://127.0.0.1:${port}`, { username: user, password });
    await Promise.race([waitUntilReady(api, log), processFailed]);

    return {
      api,
      settings: settings.map(publishable),
      database: { name: database.name, server: redactUrl(options.adminUrl), version: database.version },
      home,
      processFailed,
      close,
    };
  } catch (error) {
    const problems = await close();
    if (problems.length) (error as Error).message += ` (cleanup problems: ${problems.join('; ')})`;
    throw error;
  }
}

async function waitUntilReady(api: AirflowApi, log: (message: string) => void): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'not tried';
  let phase: 'api' | 'dag' = 'api';
  while (Date.now() < deadline) {
    try {
      if (phase === 'api') {
        await api.health();
        await api.login();
        phase = 'dag';
        log('api-server answers; waiting for the dag-processor to parse the DAG');
      }
      const dag = await api.dag();
      if (!dag.is_paused) return;
      last = 'the DAG is paused';
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`Airflow was not ready within ${READY_TIMEOUT_MS / 1000} s (${phase}: ${last})`);
}

async function createDatabase(adminUrl: string) {
  const database = await createEmptyDatabase(adminUrl, 'airflow_bench', 'bench:airflow');
  const url = new URL(database.url);
  // SQLAlchemy's dialect+driver form; psycopg2 comes with the postgres extra.
  url.protocol = 'postgresql+psycopg2:';
  return { name: database.name, version: database.serverVersion, sqlAlchemyUrl: url.toString(), drop: database.drop };
}

function withoutAirflowVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('AIRFLOW')));
}

const SECRET_KEYS = new Set(['jwt_secret', 'secret_key']);

function publishable(s: AirflowSetting): AirflowSetting {
  if (SECRET_KEYS.has(s.key)) return { ...s, value: '<random per run>' };
  if (s.key === 'sql_alchemy_conn') return { ...s, value: redactUrl(s.value) };
  return s;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function runToEnd(command: string, args: string[], env: Record<string, string>, logPath: string, timeoutMs: number): Promise<void> {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const logFile = createWriteStream(logPath);
  child.stdout!.pipe(logFile);
  child.stderr!.pipe(logFile);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  let code: number | null;
  try {
    code = await withTimeout(exited, timeoutMs, `airflow ${args.join(' ')}`);
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  if (code !== 0) {
    const tail = (await readFile(logPath, 'utf8').catch(() => '')).slice(-2000);
    throw new Error(`airflow ${args.join(' ')} exited with ${code}:\n${tail}`);
  }
}

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to the process group (Airflow shuts its workers down), SIGKILL to whatever is left after the grace time. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined || !groupAlive(pgid)) return;
  process.kill(-pgid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(200);
  if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
}

/**
 * Task processes are forked by the LocalExecutor's workers and stay in the scheduler's group, but a process that
 * started a session of its own would survive `stopGroup`: anything whose environment names this run's AIRFLOW_HOME
 * (a fresh temporary folder, so only processes this bench started) is killed.
 */
async function killByHome(home: string): Promise<void> {
  const needle = `AIRFLOW_HOME=${home}\0`;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return; // not Linux: the process groups were all there is
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (!environ.includes(needle)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
