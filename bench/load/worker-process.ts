import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER_ENTRY = path.join(PROJECT_ROOT, 'bench', 'load', 'worker-entry.ts');
const READY_LINE = '"msg":"worker started"';

export interface LoadWorkerOptions {
  name: string;
  temporalAddress: string;
  taskQueue: string;
  databaseUrl: string;
  configPath: string;
  backupDir: string;
  /** SENTINEL_DATA_DIR: keeps the worker away from the repository's `.data` (dev key, runtime.json). */
  dataDir: string;
  workflowBundlePath: string;
  codecKey: string;
  logFile: string;
  memoryProbeFile: string;
  memoryProbeMs: number;
  readyTimeoutMs: number;
}

export interface LoadWorker {
  name: string;
  pid: number;
  logFile: string;
  memoryProbeFile: string;
  /** Set when the process exited (on its own or stopped). */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Rejects if the process exits before `stop` is called: a worker dying under load fails the phase. */
  died: Promise<never>;
  logTail(chars?: number): string;
  /** SIGTERM (the SDK drains in-flight tasks, up to its 30 s grace time), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The real worker (`runWorker` of workers/main.ts: config check, migrations, a pool of 10, Temporal connection,
 * prebuilt bundle; started through bench/load/worker-entry.ts, which adds the memory probe) as its own process, so its memory is its own. `node --import tsx` rather than the tsx CLI, so
 * the pid held here is the worker itself and not a launcher. Output goes straight to a file, not through the bench
 * process, which must not pay for the worker's logging.
 */
export async function startLoadWorker(options: LoadWorkerOptions): Promise<LoadWorker> {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: options.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        SENTINEL_TASK_QUEUE: options.taskQueue,
        DATABASE_URL: options.databaseUrl,
        SENTINEL_CONFIG: options.configPath,
        BACKUP_DIR: options.backupDir,
        SENTINEL_DATA_DIR: options.dataDir,
        SENTINEL_WORKFLOW_BUNDLE: options.workflowBundlePath,
        SENTINEL_METRICS_PORT: 'off',
        CONFIG_BACKUP_KEY: options.codecKey,
        ALERT_WEBHOOK_URL: '',
        LOG_LEVEL: 'info',
        LOAD_MEMORY_PROBE_FILE: options.memoryProbeFile,
        LOAD_MEMORY_PROBE_MS: String(options.memoryProbeMs),
      },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`worker ${options.name} could not be spawned`);

  let stopping = false;
  const worker: LoadWorker = {
    name: options.name,
    pid,
    logFile: options.logFile,
    memoryProbeFile: options.memoryProbeFile,
    exit: undefined,
    died: undefined as unknown as Promise<never>,
    logTail: (chars = 3000) => readTail(options.logFile, chars),
    async stop(graceMs = 40_000) {
      stopping = true;
      if (worker.exit) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
  };
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      worker.exit = { code, signal };
      resolve();
    }),
  );
  worker.died = exited.then(() => {
    if (stopping) return new Promise<never>(() => undefined);
    throw new Error(
      `worker ${options.name} (pid ${pid}) exited on its own (code ${worker.exit?.code}, signal ${worker.exit?.signal}); log tail:\n${worker.logTail()}`,
    );
  });
  worker.died.catch(() => undefined);

  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (worker.exit) throw new Error(`worker ${options.name} exited before it was ready (code ${worker.exit.code}):\n${worker.logTail()}`);
    if (readTail(options.logFile, 200_000).includes(READY_LINE)) return worker;
    if (Date.now() > deadline) {
      await worker.stop(5_000);
      throw new Error(`worker ${options.name} not ready within ${options.readyTimeoutMs} ms:\n${worker.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readTail(file: string, chars: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-chars);
  } catch {
    return '';
  }
}

/** The probe's JSON lines (process.memoryUsage() of the worker's main thread). */
export interface ProbeSample {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export function readProbeSamples(file: string): ProbeSample[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const samples: ProbeSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      samples.push(JSON.parse(line) as ProbeSample);
    } catch {
      // A line cut by a kill is skipped.
    }
  }
  return samples;
}
