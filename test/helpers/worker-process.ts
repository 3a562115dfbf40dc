import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

/**
 * The real worker entry point (`workers/main.ts`: config check, migrations, pool, Temporal connection) in a child
 * process, so a fault test can SIGKILL it the way the kernel's OOM killer or a crashed host would: no shutdown
 * hooks, no graceful activity cancellation, children (pg_dump) left behind.
 */
export interface WorkerProcessOptions {
  /** Names the log file and error messages. */
  name: string;
  temporalAddress: string;
  taskQueue: string;
  databaseUrl: string;
  configPath: string;
  backupDir: string;
  /** SENTINEL_DATA_DIR: keeps the worker away from the repository's `.data/runtime.json`. */
  dataDir: string;
  /** Extra environment (CONFIG_BACKUP_DIR, CONFIG_FILES_TO_BACKUP, ...); `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Where the worker's JSON log lines go besides memory. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface WorkerProcess {
  name: string;
  pid: number;
  /** Resolves once the worker logged "worker started" (connected, bundle loaded, about to poll). */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The worker's log so far (JSON lines). */
  log(): string;
}

const WORKER_MAIN = path.resolve('workers/main.ts');

/** A worker process on a harness's server, database, sentinel.yaml and backup dir, logging to `<dir>/<name>.log`. */
export function harnessWorkerOptions(
  h: { temporalAddress: string; databaseUrl: string; configPath: string; backupDir: string; dir: string },
  name: string,
  taskQueue: string,
): WorkerProcessOptions {
  return {
    name,
    taskQueue,
    temporalAddress: h.temporalAddress,
    databaseUrl: h.databaseUrl,
    configPath: h.configPath,
    backupDir: h.backupDir,
    dataDir: h.dir,
    logFile: path.join(h.dir, `${name}.log`),
  };
}

export function spawnWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: options.temporalAddress,
    SENTINEL_TASK_QUEUE: options.taskQueue,
    DATABASE_URL: options.databaseUrl,
    SENTINEL_CONFIG: options.configPath,
    BACKUP_DIR: options.backupDir,
    SENTINEL_DATA_DIR: options.dataDir,
    SENTINEL_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    SENTINEL_METRICS_PORT: 'off',
    LOG_LEVEL: 'info',
    // `ready` and the tests read the worker's JSON lines, whatever the developer's own SENTINEL_LOG_FORMAT says.
    SENTINEL_LOG_FORMAT: 'json',
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // `node --import tsx` rather than the tsx CLI: the CLI runs the script in a grandchild, which a SIGKILL of the
  // pid we hold would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  let output = '';
  let exitedFlag = false;
  let markReady: () => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-1_000_000);
    file?.write(text);
    if (output.includes('"msg":"worker started"')) markReady();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      file?.end();
      failReady(new Error(`worker ${options.name} exited (code ${code}, signal ${signal}) before it was ready:\n${output.slice(-4000)}`));
      resolve({ code, signal });
    }),
  );
  const timer = setTimeout(
    () => failReady(new Error(`worker ${options.name} not ready within ${options.readyTimeoutMs ?? 90_000} ms:\n${output.slice(-4000)}`)),
    options.readyTimeoutMs ?? 90_000,
  );
  void ready.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );

  return {
    name: options.name,
    pid: child.pid!,
    ready,
    exited,
    hasExited: () => exitedFlag,
    async kill() {
      if (!exitedFlag) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
    log: () => output,
  };
}
