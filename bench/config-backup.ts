/**
 * Configuration-backup benchmark (`npm run bench:config`): 2,000 configuration files (20 MiB in all, YAML, JSON,
 * INI, .env, TOML and nginx-style text in equal parts) and 2,000 environment variables, backed up by the real
 * configBackupWorkflow on a Temporal dev server and PostgreSQL:
 *   1. full run (empty store), 2. unchanged re-run (must write 0 payload bytes), 3. verify of every payload.
 * Runs are timed from the client (start -> result) and, for the workflow, also from the server's history. The
 * sequence is repeated BENCH_REPEATS times on an emptied store and emptied tables; the first repeat is the cold one.
 * Method and recorded figures: BENCHMARKS.md, "Configuration backups".
 *
 * Knobs (env): BENCH_FILES (2000), BENCH_TOTAL_MB (20), BENCH_ENV_VARS (2000), BENCH_REPEATS (3),
 * BENCH_CLI_VERIFY (1: also time `sentinel config verify` as a process), BENCH_RESULTS_FILE
 * (bench/results/config-backup.json; "-" to skip).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { Keyring } from '../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../domain/config-backup/contract.js';
import { verifyBackups } from '../capabilities/config-backup/operations/verify.js';
import { PayloadStore } from '../capabilities/config-backup/store/payload-store.js';
import { benchEnvVars, writeCorpus, type Corpus } from './config-backup/corpus.js';
import { openConfigBenchEnvironment, type ConfigBenchEnvironment } from './config-backup/environment.js';
import { cpuBetween, cpuSnapshot, type CpuUse } from './decision-latency/cpu.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const settings = {
  files: intFromEnv('BENCH_FILES', 2000),
  totalBytes: intFromEnv('BENCH_TOTAL_MB', 20) * 1024 * 1024,
  envVars: intFromEnv('BENCH_ENV_VARS', 2000),
  repeats: Math.max(1, intFromEnv('BENCH_REPEATS', 3)),
  cliVerify: intFromEnv('BENCH_CLI_VERIFY', 1) === 1,
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'config-backup.json'),
};
const GOALS = { fullRunSeconds: 5, unchangedRunSeconds: 1.5, verifySeconds: 3 };
const ENV_PREFIX = 'BENCH_CFG_';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

interface RunFigures {
  clientSeconds: number;
  serverSeconds: number;
  activitiesMs: Record<string, number>;
  cpu: CpuUse;
  totals: ConfigBackupResult['totals'];
  storeBytesWrittenOnDisk: number;
}

interface Repeat {
  full: RunFigures;
  unchanged: RunFigures;
  verify: { seconds: number; payloads: number; plaintextBytes: number; ok: boolean; cpu: CpuUse };
  loadAverage: [number, number, number];
}

async function main(): Promise<number> {
  const machine = machineFacts();
  log(`load average at start: ${machine.loadAverage.join(' ')} on ${machine.nproc} CPU(s)`);
  const key = randomBytes(32).toString('base64');
  process.env.CONFIG_BACKUP_KEY = key; // before the client and worker exist: the payload codec reads it
  let env: ConfigBenchEnvironment | undefined;
  try {
    env = await openConfigBenchEnvironment(log);
    const corpusDir = path.join(env.workDir, 'etc');
    const storeDir = path.join(env.workDir, 'store');
    log(`writing the corpus: ${settings.files} files, ${settings.totalBytes} bytes`);
    const corpus = await writeCorpus(corpusDir, { files: settings.files, totalBytes: settings.totalBytes });
    Object.assign(process.env, benchEnvVars(ENV_PREFIX, settings.envVars), {
      CONFIG_ENV_PREFIX: ENV_PREFIX,
      CONFIG_FILES_TO_BACKUP: `${corpusDir}/**/*`,
      CONFIG_BACKUP_DIR: storeDir,
    });

    const repeats: Repeat[] = [];
    for (let n = 1; n <= settings.repeats; n++) {
      await rm(storeDir, { recursive: true, force: true });
      await env.pool.query('TRUNCATE config_backup_items, config_backup_views, config_backup_sets');
      const full = await measureRun(env, storeDir, `full run ${n}`);
      if (full.totals.failed > 0 || full.totals.backedUp !== settings.files + 1)
        throw new Error(`full run ${n}: unexpected totals ${JSON.stringify(full.totals)}`);
      const unchanged = await measureRun(env, storeDir, `unchanged run ${n}`);
      if (unchanged.totals.unchanged !== settings.files + 1) throw new Error(`unchanged run ${n}: unexpected totals ${JSON.stringify(unchanged.totals)}`);
      const verify = await measureVerify(env, key, storeDir);
      log(`verify ${n}: ${verify.seconds.toFixed(2)} s, ${verify.payloads} payloads, ok=${verify.ok}`);
      repeats.push({ full, unchanged, verify, loadAverage: loadAverage() });
    }
    const cliVerifySeconds = settings.cliVerify ? await timeCliVerify(env, key, storeDir) : undefined;

    const summary = summarize(machine, env, corpus, repeats, cliVerifySeconds);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (settings.resultsFile !== '-') {
      await mkdir(path.dirname(settings.resultsFile), { recursive: true });
      await writeFile(settings.resultsFile, `${JSON.stringify(summary, null, 2)}\n`);
      log(`summary written to ${path.relative(process.cwd(), settings.resultsFile)}`);
    }
    return 0;
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    if (env) {
      log('cleaning up (worker, server, database)');
      for (const problem of await env.close()) log(`cleanup: ${problem}`);
    }
  }
}

async function measureRun(env: ConfigBenchEnvironment, storeDir: string, label: string): Promise<RunFigures> {
  const store = new PayloadStore(storeDir);
  const before = await storeSize(store);
  const cpuBefore = cpuSnapshot(env.devServerPid);
  const started = performance.now();
  const handle: WorkflowHandle = await env.client.workflow.start('configBackupWorkflow', {
    taskQueue: env.taskQueue,
    workflowId: configBackupWorkflowId(new Date()),
    args: [{}],
  });
  const result: ConfigBackupResult = await handle.result();
  const clientSeconds = (performance.now() - started) / 1000;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(env.devServerPid));
  const { serverSeconds, activitiesMs } = await historyTimings(handle);
  const storeBytesWrittenOnDisk = (await storeSize(store)) - before;
  log(
    `${label}: ${clientSeconds.toFixed(2)} s (server ${serverSeconds.toFixed(2)} s), ${JSON.stringify(result.totals)}, store +${storeBytesWrittenOnDisk} bytes`,
  );
  return { clientSeconds: round(clientSeconds), serverSeconds: round(serverSeconds), activitiesMs, cpu, totals: result.totals, storeBytesWrittenOnDisk };
}

async function measureVerify(env: ConfigBenchEnvironment, key: string, storeDir: string): Promise<Repeat['verify']> {
  const cpuBefore = cpuSnapshot(env.devServerPid);
  const started = performance.now();
  const report = await verifyBackups(env.pool, Keyring.fromSpec(key), new PayloadStore(storeDir));
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: round(seconds),
    payloads: report.payloadsChecked,
    plaintextBytes: report.plaintextBytes,
    ok: report.ok,
    cpu: cpuBetween(cpuBefore, cpuSnapshot(env.devServerPid)),
  };
}

/** `sentinel config verify` as an operator runs it: a new process (tsx start-up included). */
function timeCliVerify(env: ConfigBenchEnvironment, key: string, storeDir: string): Promise<number> {
  const bin = path.resolve(BENCH_DIR, '..', 'bin', 'sentinel.js');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, 'config', 'verify', '--json'],
      {
        env: { ...process.env, DATABASE_URL: env.databaseUrl, CONFIG_BACKUP_KEY: key, CONFIG_BACKUP_DIR: storeDir, LOG_LEVEL: 'warn' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout) => {
        if (error) return reject(new Error(`sentinel config verify failed: ${error.message}`));
        const seconds = round((performance.now() - started) / 1000);
        log(`sentinel config verify (process): ${seconds} s, ok=${JSON.parse(stdout).ok}`);
        resolve(seconds);
      },
    );
  });
}

async function historyTimings(handle: WorkflowHandle): Promise<{ serverSeconds: number; activitiesMs: Record<string, number> }> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(String(t?.seconds ?? 0)) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled = new Map<string, { name: string; at: number }>();
  const activitiesMs: Record<string, number> = {};
  for (const event of events) {
    const id = String(event.eventId);
    if (event.activityTaskScheduledEventAttributes)
      scheduled.set(id, { name: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: ms(event.eventTime) });
    const done = event.activityTaskCompletedEventAttributes;
    if (done) {
      const from = scheduled.get(String(done.scheduledEventId));
      if (from) activitiesMs[from.name] = round((activitiesMs[from.name] ?? 0) + ms(event.eventTime) - from.at, 1);
    }
  }
  const first = events[0];
  const last = events[events.length - 1];
  return { serverSeconds: (ms(last?.eventTime) - ms(first?.eventTime)) / 1000, activitiesMs };
}

async function storeSize(store: PayloadStore): Promise<number> {
  let total = 0;
  for (const hash of await store.list()) total += (await stat(store.pathFor(hash))).size;
  return total;
}

function summarize(
  machine: ReturnType<typeof machineFacts>,
  env: ConfigBenchEnvironment,
  corpus: Corpus,
  repeats: Repeat[],
  cliVerifySeconds: number | undefined,
) {
  const median = (values: number[]) => round([...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!);
  const full = repeats.map((r) => r.full.clientSeconds);
  const unchanged = repeats.map((r) => r.unchanged.clientSeconds);
  const verify = repeats.map((r) => r.verify.seconds);
  return {
    bench: 'config-backup',
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    temporal: env.devServerPid ? 'own dev server (in-memory SQLite)' : 'TEMPORAL_ADDRESS',
    postgres: env.postgresVersion,
    corpus: { files: corpus.paths.length, bytes: corpus.totalBytes, byFormat: corpus.byFormat, envVars: settings.envVars },
    repeats,
    cliVerifySeconds,
    medians: { fullRunSeconds: median(full), unchangedRunSeconds: median(unchanged), verifySeconds: median(verify) },
    goals: {
      fullRun: { goalSeconds: GOALS.fullRunSeconds, coldSeconds: full[0], medianSeconds: median(full), met: median(full) <= GOALS.fullRunSeconds },
      unchangedRun: {
        goalSeconds: GOALS.unchangedRunSeconds,
        medianSeconds: median(unchanged),
        met: median(unchanged) <= GOALS.unchangedRunSeconds,
        payloadBytesWritten: repeats.map((r) => r.unchanged.totals.payloadBytesWritten),
        storeBytesWrittenOnDisk: repeats.map((r) => r.unchanged.storeBytesWrittenOnDisk),
      },
      verify: { goalSeconds: GOALS.verifySeconds, medianSeconds: median(verify), met: median(verify) <= GOALS.verifySeconds },
    },
  };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// Exits explicitly: parse threads and sockets may still be winding down.
main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(`failed: ${error.message}`);
    process.exit(1);
  },
);
