/**
 * Configuration-backup benchmark (`npm run bench:config`): 2,000 configuration files (20 MiB in all, YAML, JSON,
 * INI, .env, TOML and nginx-style text in equal parts) and 2,000 environment variables, backed up by the real
 * configBackupWorkflow on a Temporal dev server and PostgreSQL, side by side with Debian's `restic` on the same files.
 *
 * Each repeat, on an emptied store, emptied tables and a fresh restic repository, interleaved (the order of project
 * and restic alternates between repeats):
 *   files only (the same 2,000 files for both; CONFIG_ENV_PREFIX unset for the project):
 *     project full run       | `restic backup` into the fresh repository (cold: empty repository and cache)
 *     project unchanged run  | `restic backup` again, unchanged (warm: parent snapshot, cache)
 *     project verify         | `restic check --read-data`
 *   with the 2,000 environment variables as well (the project's own 5 s goal): full run, unchanged run, verify.
 * Then, once: the project's per-file stage costs on one thread (bench/config-backup/stages.ts): what restic does too
 * and what it does not (parsing, secret detection, views, sealed attributes).
 * Runs are timed from the client (start -> result) and, for the workflow, also from the server's history; restic as
 * a whole process. Method and recorded figures: BENCHMARKS.md, "Configuration backups".
 *
 * The worker runs the compiled build (dist/, built first by the npm script when stale), as production does.
 *
 * Knobs (env): BENCH_FROM (dist | sources), BENCH_FILES (2000), BENCH_TOTAL_MB (20), BENCH_ENV_VARS (2000), BENCH_REPEATS (3),
 * BENCH_RESTIC (1: compare with restic, installed with apt-get when missing and root; 0 skips it), RESTIC_BINARY,
 * BENCH_STAGES (1), BENCH_CLI_VERIFY (1: also time `sentinel config verify` as a process), BENCH_RESULTS_FILE
 * (bench/results/config-backup.json; "-" to skip).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { Keyring } from '../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../domain/config-backup/contract.js';
import { verifyBackups } from '../capabilities/config-backup/operations/verify.js';
import { configBackupWorkflow } from '../workflows/config-backup.js';
import { PayloadStore } from '../capabilities/config-backup/store/payload-store.js';
import { benchEnvVars, writeCorpus, type Corpus } from './config-backup/corpus.js';
import { openConfigBenchEnvironment, type ConfigBenchEnvironment } from './config-backup/environment.js';
import { ensureRestic, initResticRepo, timeResticBackup, timeResticCheck, type ResticInfo, type ResticTiming } from './config-backup/restic.js';
import { measureStages, RESTIC_ALSO_DOES, type StageCosts } from './config-backup/stages.js';
import { cpuBetween, cpuSnapshot, type CpuUse } from './decision-latency/cpu.js';
import { procCpuSeconds } from './shared/proc.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { writeResults } from './shared/results.js';
import { exitWith } from './shared/exit.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const settings = {
  files: intFromEnv('BENCH_FILES', 2000),
  totalBytes: intFromEnv('BENCH_TOTAL_MB', 20) * 1024 * 1024,
  envVars: intFromEnv('BENCH_ENV_VARS', 2000),
  repeats: Math.max(1, intFromEnv('BENCH_REPEATS', 3)),
  cliVerify: intFromEnv('BENCH_CLI_VERIFY', 1) === 1,
  restic: intFromEnv('BENCH_RESTIC', 1) === 1,
  stages: intFromEnv('BENCH_STAGES', 1) === 1,
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'config-backup.json'),
};
const GOALS = { fullRunSeconds: 5, unchangedRunSeconds: 1.5, verifySeconds: 3 };
const ENV_PREFIX = 'BENCH_CFG_';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

interface RunFigures {
  clientSeconds: number;
  /** CPU of the PostgreSQL backends serving the bench's database (its pool's connections), from /proc. */
  postgresCpuSeconds: number;
  serverSeconds: number;
  activitiesMs: Record<string, number>;
  cpu: CpuUse;
  totals: ConfigBackupResult['totals'];
  storeBytesWrittenOnDisk: number;
}

type VerifyFigures = { seconds: number; payloads: number; plaintextBytes: number; ok: boolean; cpu: CpuUse };

interface Repeat {
  /** With the environment variables: the project's own goals. */
  full: RunFigures;
  unchanged: RunFigures;
  verify: VerifyFigures;
  /** The same files only, beside restic (absent with BENCH_RESTIC=0). */
  filesOnly?: {
    order: 'project first' | 'restic first';
    project: { full: RunFigures; unchanged: RunFigures; verify: VerifyFigures };
    restic: { cold: ResticTiming; warm: ResticTiming; check: ResticTiming };
    /** project seconds / restic seconds: below 1 the project is faster. */
    ratios: { fullVsCold: number; unchangedVsWarm: number; verifyVsCheck: number };
    /**
     * CPU seconds, all processes of each side (project: bench process with worker and parse threads, dev server,
     * PostgreSQL backends; restic: its process), and their ratios: less sensitive to a busy machine than wall time.
     */
    cpu: {
      projectFull: number;
      resticCold: number | null;
      projectUnchanged: number;
      resticWarm: number | null;
      fullVsCold: number | null;
      unchangedVsWarm: number | null;
    };
  };
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

    const restic = settings.restic ? ensureRestic() : undefined;
    if (restic) log(`peer: ${restic.version}`);
    const envPrefix = ENV_PREFIX;
    const clear = async () => {
      await rm(storeDir, { recursive: true, force: true });
      await env!.pool.query('TRUNCATE config_backup_items, config_backup_views, config_backup_sets');
    };
    let resticRepositoryVersion: number | null = null;

    const repeats: Repeat[] = [];
    for (let n = 1; n <= settings.repeats; n++) {
      let filesOnly: Repeat['filesOnly'];
      if (restic) {
        // The same files for both: no environment step for the project.
        delete process.env.CONFIG_ENV_PREFIX;
        await clear();
        const repo = await initResticRepo(restic, env.workDir, String(n));
        resticRepositoryVersion = repo.repositoryVersion;
        const projectFirst = n % 2 === 1;
        const pair = async <A, B>(project: () => Promise<A>, peer: () => Promise<B>): Promise<[A, B]> => {
          if (projectFirst) {
            const a = await project();
            return [a, await peer()];
          }
          const b = await peer();
          return [await project(), b];
        };
        const [full, cold] = await pair(
          () => measureRun(env!, storeDir, `files only, full run ${n}`),
          () => timeResticBackup(restic, repo, corpusDir),
        );
        checkTotals(`files only, full run ${n}`, full, { backedUp: settings.files });
        log(`restic backup ${n} (cold): ${cold.seconds.toFixed(2)} s, CPU ${cold.cpuSeconds} s ${JSON.stringify(cold.summary)}`);
        const [unchanged, warm] = await pair(
          () => measureRun(env!, storeDir, `files only, unchanged run ${n}`),
          () => timeResticBackup(restic, repo, corpusDir),
        );
        checkTotals(`files only, unchanged run ${n}`, unchanged, { unchanged: settings.files });
        if (warm.summary && warm.summary.filesUnmodified !== settings.files)
          throw new Error(`restic's second backup found changes: ${JSON.stringify(warm.summary)}`);
        log(`restic backup ${n} (warm, unchanged): ${warm.seconds.toFixed(2)} s, CPU ${warm.cpuSeconds} s`);
        const [verify, check] = await pair(
          () => measureVerify(env!, key, storeDir),
          () => timeResticCheck(restic, repo),
        );
        log(`files only, verify ${n}: ${verify.seconds.toFixed(2)} s; restic check --read-data: ${check.seconds.toFixed(2)} s`);
        await rm(repo.dir, { recursive: true, force: true });
        await rm(repo.cacheDir, { recursive: true, force: true });
        filesOnly = {
          order: projectFirst ? 'project first' : 'restic first',
          project: { full, unchanged, verify },
          restic: { cold: roundTiming(cold), warm: roundTiming(warm), check: roundTiming(check) },
          ratios: {
            fullVsCold: round(full.clientSeconds / cold.seconds),
            unchangedVsWarm: round(unchanged.clientSeconds / warm.seconds),
            verifyVsCheck: round(verify.seconds / check.seconds),
          },
          cpu: {
            projectFull: projectCpu(full),
            resticCold: cold.cpuSeconds,
            projectUnchanged: projectCpu(unchanged),
            resticWarm: warm.cpuSeconds,
            fullVsCold: cold.cpuSeconds ? round(projectCpu(full) / cold.cpuSeconds) : null,
            unchangedVsWarm: warm.cpuSeconds ? round(projectCpu(unchanged) / warm.cpuSeconds) : null,
          },
        };
        process.env.CONFIG_ENV_PREFIX = envPrefix;
      }

      await clear();
      const full = await measureRun(env, storeDir, `full run ${n}`);
      checkTotals(`full run ${n}`, full, { backedUp: settings.files + 1 });
      const unchanged = await measureRun(env, storeDir, `unchanged run ${n}`);
      checkTotals(`unchanged run ${n}`, unchanged, { unchanged: settings.files + 1 });
      const verify = await measureVerify(env, key, storeDir);
      log(`verify ${n}: ${verify.seconds.toFixed(2)} s, ${verify.payloads} payloads, ok=${verify.ok}`);
      repeats.push({ full, unchanged, verify, ...(filesOnly ? { filesOnly } : {}), loadAverage: loadAverage() });
    }
    let stages: StageCosts | undefined;
    if (settings.stages) {
      log('per-file stage costs (one thread)');
      stages = await measureStages(corpus.paths, key, path.join(env.workDir, 'stages'));
      log(`stages (CPU µs per file): ${JSON.stringify(stages.perFileCpuMicros)}`);
    }
    const cliVerifySeconds = settings.cliVerify ? await timeCliVerify(env, key, storeDir) : undefined;

    const summary = summarize(machine, env, corpus, repeats, cliVerifySeconds, restic, resticRepositoryVersion, stages);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    const written = await writeResults(settings.resultsFile, summary);
    if (written) log(`summary written to ${written}`);
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
  const postgresBefore = await postgresCpu(env);
  const started = performance.now();
  const handle: WorkflowHandle = await env.client.workflow.start(configBackupWorkflow, {
    taskQueue: env.taskQueue,
    workflowId: configBackupWorkflowId(new Date()),
    args: [{}],
  });
  const result: ConfigBackupResult = await handle.result();
  const clientSeconds = (performance.now() - started) / 1000;
  const cpu = cpuBetween(cpuBefore, cpuSnapshot(env.devServerPid));
  const postgresAfter = await postgresCpu(env);
  let postgresCpuSeconds = 0;
  for (const [pid, seconds] of postgresAfter) postgresCpuSeconds += seconds - (postgresBefore.get(pid) ?? 0);
  const { serverSeconds, activitiesMs } = await historyTimings(handle);
  const storeBytesWrittenOnDisk = (await storeSize(store)) - before;
  log(
    `${label}: ${clientSeconds.toFixed(2)} s (server ${serverSeconds.toFixed(2)} s), ${JSON.stringify(result.totals)}, store +${storeBytesWrittenOnDisk} bytes`,
  );
  return {
    clientSeconds: round(clientSeconds),
    postgresCpuSeconds: round(postgresCpuSeconds),
    serverSeconds: round(serverSeconds),
    activitiesMs,
    cpu,
    totals: result.totals,
    storeBytesWrittenOnDisk,
  };
}

/**
 * CPU seconds so far of each PostgreSQL backend connected to the bench's database (the worker's pool keeps its
 * connections open across a run; PostgreSQL runs on this machine, so /proc sees its processes).
 */
async function postgresCpu(env: ConfigBenchEnvironment): Promise<Map<number, number>> {
  const backends = await env.pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const cpu = new Map<number, number>();
  for (const { pid } of backends.rows) {
    const seconds = procCpuSeconds(pid);
    if (seconds !== undefined) cpu.set(pid, seconds);
  }
  return cpu;
}

function checkTotals(label: string, run: RunFigures, expected: { backedUp?: number; unchanged?: number }): void {
  const ok =
    run.totals.failed === 0 &&
    (expected.backedUp === undefined || run.totals.backedUp === expected.backedUp) &&
    (expected.unchanged === undefined || run.totals.unchanged === expected.unchanged);
  if (!ok) throw new Error(`${label}: unexpected totals ${JSON.stringify(run.totals)}`);
}

/** CPU of every process serving one project run: bench process (worker, parse threads, client), dev server, PostgreSQL. */
function projectCpu(run: RunFigures): number {
  return round(run.cpu.benchProcessSeconds + (run.cpu.devServerSeconds ?? 0) + run.postgresCpuSeconds);
}

function roundTiming(timing: ResticTiming): ResticTiming {
  return { ...timing, seconds: round(timing.seconds) };
}

async function measureVerify(env: ConfigBenchEnvironment, key: string, storeDir: string): Promise<VerifyFigures> {
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

/** Bytes of every file in the store (loose objects and packs, pack indexes included). */
async function storeSize(store: PayloadStore): Promise<number> {
  let total = 0;
  for (const entry of await readdir(store.dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function summarize(
  machine: ReturnType<typeof machineFacts>,
  env: ConfigBenchEnvironment,
  corpus: Corpus,
  repeats: Repeat[],
  cliVerifySeconds: number | undefined,
  restic: ResticInfo | undefined,
  resticRepositoryVersion: number | null,
  stages: StageCosts | undefined,
) {
  const median = (values: number[]) => round([...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!);
  const medianOrNull = (values: number[]) => (values.length === 0 ? null : median(values));
  const full = repeats.map((r) => r.full.clientSeconds);
  const warmFull = full.length > 1 ? full.slice(1) : full;
  const unchanged = repeats.map((r) => r.unchanged.clientSeconds);
  const verify = repeats.map((r) => r.verify.seconds);
  const pairs = repeats.flatMap((r) => (r.filesOnly ? [r.filesOnly] : []));
  const peer = restic
    ? {
        restic: {
          version: restic.version,
          installed: restic.installed,
          repositoryVersion: resticRepositoryVersion,
          settings: {
            repository: 'fresh local repository per repeat (restic init, its defaults; compression auto on repository version 2)',
            RESTIC_PASSWORD: 'random per repository (restic always encrypts: AES-256-CTR + Poly1305)',
            RESTIC_CACHE_DIR: 'its own, empty per repository: the first backup is cold',
            flags: 'backup --json --quiet --host bench <corpus dir>; check --read-data --quiet',
            process: 'a new process per command (start-up included), as cron runs it',
          },
        },
        filesOnly: {
          files: corpus.paths.length,
          projectFullSeconds: pairs.map((p) => p.project.full.clientSeconds),
          resticColdSeconds: pairs.map((p) => p.restic.cold.seconds),
          projectUnchangedSeconds: pairs.map((p) => p.project.unchanged.clientSeconds),
          resticWarmSeconds: pairs.map((p) => p.restic.warm.seconds),
          projectVerifySeconds: pairs.map((p) => p.project.verify.seconds),
          resticCheckSeconds: pairs.map((p) => p.restic.check.seconds),
          projectFullCpuSeconds: pairs.map((p) => p.cpu.projectFull),
          resticColdCpuSeconds: pairs.map((p) => p.cpu.resticCold),
          projectUnchangedCpuSeconds: pairs.map((p) => p.cpu.projectUnchanged),
          resticWarmCpuSeconds: pairs.map((p) => p.cpu.resticWarm),
          medianCpuRatios: {
            fullVsCold: medianOrNull(pairs.flatMap((p) => (p.cpu.fullVsCold === null ? [] : [p.cpu.fullVsCold]))),
            unchangedVsWarm: medianOrNull(pairs.flatMap((p) => (p.cpu.unchangedVsWarm === null ? [] : [p.cpu.unchangedVsWarm]))),
          },
          medianRatios: {
            fullVsCold: median(pairs.map((p) => p.ratios.fullVsCold)),
            unchangedVsWarm: median(pairs.map((p) => p.ratios.unchangedVsWarm)),
            verifyVsCheck: median(pairs.map((p) => p.ratios.verifyVsCheck)),
          },
        },
      }
    : undefined;
  const stageCosts = stages
    ? {
        ...stages,
        resticAlsoDoes: [...RESTIC_ALSO_DOES],
        projectOnlyCpuMicrosPerFile: round(
          Object.entries(stages.perFileCpuMicros)
            .filter(([stage]) => !(RESTIC_ALSO_DOES as readonly string[]).includes(stage))
            .reduce((sum, [, micros]) => sum + micros, 0),
          1,
        ),
      }
    : undefined;
  return {
    bench: 'config-backup',
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    temporal: env.devServerPid ? 'own dev server (in-memory SQLite)' : 'TEMPORAL_ADDRESS',
    worker: env.workerFrom === 'dist' ? 'compiled build (dist/), in the bench process' : 'TypeScript sources (tsx), in the bench process',
    postgres: env.postgresVersion,
    corpus: { files: corpus.paths.length, bytes: corpus.totalBytes, byFormat: corpus.byFormat, envVars: settings.envVars },
    repeats,
    cliVerifySeconds,
    ...(peer ? { peer } : {}),
    ...(stageCosts ? { stageCosts } : {}),
    medians: { fullRunSeconds: median(full), warmFullRunSeconds: median(warmFull), unchangedRunSeconds: median(unchanged), verifySeconds: median(verify) },
    goals: {
      fullRun: {
        goalSeconds: GOALS.fullRunSeconds,
        coldSeconds: full[0],
        medianSeconds: median(full),
        warmMedianSeconds: median(warmFull),
        met: median(warmFull) <= GOALS.fullRunSeconds,
      },
      unchangedRun: {
        goalSeconds: GOALS.unchangedRunSeconds,
        medianSeconds: median(unchanged),
        met: median(unchanged) <= GOALS.unchangedRunSeconds,
        payloadBytesWritten: repeats.map((r) => r.unchanged.totals.payloadBytesWritten),
        storeBytesWrittenOnDisk: repeats.map((r) => r.unchanged.storeBytesWrittenOnDisk),
      },
      verify: { goalSeconds: GOALS.verifySeconds, medianSeconds: median(verify), met: median(verify) <= GOALS.verifySeconds },
      ...(peer
        ? {
            fullRunVsRestic: {
              goal: 'project full run <= restic backup (cold) on the same files',
              medianRatio: peer.filesOnly.medianRatios.fullVsCold,
              met: peer.filesOnly.medianRatios.fullVsCold <= 1,
            },
            unchangedVsRestic: {
              goal: 'project unchanged re-run <= restic backup (warm, unchanged)',
              medianRatio: peer.filesOnly.medianRatios.unchangedVsWarm,
              met: peer.filesOnly.medianRatios.unchangedVsWarm <= 1,
            },
          }
        : {}),
    },
  };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

exitWith(main(), log);
