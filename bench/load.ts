/**
 * Load benchmark (`npm run bench:load`, issue #7): the pre-backup gate under many concurrent runs, with the real
 * worker (`workers/main.ts`) in separate processes so each one's memory is its own. Own headless dev server, own
 * scratch PostgreSQL database, a sentinel.yaml of LOAD_TARGETS `command` targets (`true`), payloads encrypted.
 *   A. 1 worker process: LOAD_RUNS runs started at once (20 scheduled times per target) plus LOAD_DUPLICATES second
 *      starts of the same logical runs; all must complete, once each, one backup_runs row each.
 *   B. the same with 2 worker processes on one task queue (fresh workflow IDs); which worker did what, from history.
 *   C. soak: LOAD_SOAK_RATE runs/s on 1 worker process for LOAD_SOAK_WARMUP_SECONDS + LOAD_SOAK_SECONDS; RSS every
 *      LOAD_SOAK_SAMPLE_SECONDS; growth over the soak judged against LOAD_SOAK_BOUND_MIB.
 * Method and recorded figures: BENCHMARKS.md, "Load".
 *
 * Knobs (env): LOAD_RUNS (1000), LOAD_TARGETS (50), LOAD_DUPLICATES (50), LOAD_SOAK_SECONDS (600), LOAD_SOAK_RATE (5),
 * LOAD_SOAK_WARMUP_SECONDS (60), LOAD_SOAK_SAMPLE_SECONDS (10), LOAD_SOAK_BOUND_MIB (64), LOAD_BURST_SAMPLE_SECONDS
 * (2), LOAD_SETTLE_SECONDS (10), LOAD_PHASE_TIMEOUT_SECONDS (1800), LOAD_PHASES (ABC), LOAD_BACKUP_COMMAND (true),
 * LOAD_RESULTS_FILE (bench/results/load.json; "-" to skip).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPORAL_BIN } from '../platform/dev-server.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { runBurst } from './load/burst.js';
import { LOAD_GATE, openLoadEnvironment, type LoadEnvironment } from './load/environment.js';
import { markdown, verdicts, type LoadSummary } from './load/report.js';
import { runSoak } from './load/soak.js';
import { exitWith } from './shared/exit.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

const settings = {
  runs: intFromEnv('LOAD_RUNS', 1000, 1),
  targets: intFromEnv('LOAD_TARGETS', 50, 1),
  duplicates: intFromEnv('LOAD_DUPLICATES', 50),
  soakSeconds: intFromEnv('LOAD_SOAK_SECONDS', 600, 1),
  soakRate: intFromEnv('LOAD_SOAK_RATE', 5, 1),
  soakWarmupSeconds: intFromEnv('LOAD_SOAK_WARMUP_SECONDS', 60),
  soakSampleSeconds: intFromEnv('LOAD_SOAK_SAMPLE_SECONDS', 10, 1),
  soakBoundMiB: intFromEnv('LOAD_SOAK_BOUND_MIB', 64, 1),
  burstSampleSeconds: intFromEnv('LOAD_BURST_SAMPLE_SECONDS', 2, 1),
  settleSeconds: intFromEnv('LOAD_SETTLE_SECONDS', 10),
  phaseTimeoutSeconds: intFromEnv('LOAD_PHASE_TIMEOUT_SECONDS', 1800, 1),
  phases: (process.env.LOAD_PHASES ?? 'ABC').toUpperCase(),
  backupCommand: process.env.LOAD_BACKUP_COMMAND?.trim() || 'true',
  resultsFile: process.env.LOAD_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'load.json'),
};

const log = (message: string) => process.stderr.write(`[bench:load ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function measure(env: LoadEnvironment): Promise<LoadSummary> {
  const machine = machineFacts();
  const clockStart = Date.now();
  log(`machine: ${machine.nproc} CPU(s), ${machine.cpuModel}, ${machine.memoryGiB} GiB; load average ${machine.loadAverage.join(' ')}`);
  const phases: LoadSummary['phases'] = {};
  const burst = {
    runs: settings.runs,
    duplicates: settings.duplicates,
    sampleMs: settings.burstSampleSeconds * 1000,
    settleMs: settings.settleSeconds * 1000,
    timeoutMs: settings.phaseTimeoutSeconds * 1000,
  };
  if (settings.phases.includes('A')) phases.A = await runBurst(env, { ...burst, phase: 'A', phaseIndex: 0, workers: 1, split: false }, log);
  if (settings.phases.includes('B')) phases.B = await runBurst(env, { ...burst, phase: 'B', phaseIndex: 1, workers: 2, split: true }, log);
  if (settings.phases.includes('C')) {
    phases.C = await runSoak(
      env,
      {
        phaseIndex: 2,
        rate: settings.soakRate,
        warmupSeconds: settings.soakWarmupSeconds,
        soakSeconds: settings.soakSeconds,
        sampleMs: settings.soakSampleSeconds * 1000,
        boundMiB: settings.soakBoundMiB,
        drainTimeoutMs: settings.phaseTimeoutSeconds * 1000,
      },
      log,
    );
  }
  return {
    bench: 'load',
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    temporal: { address: env.temporalAddress, source: 'own dev server (headless, in-memory SQLite)', version: temporalVersion() },
    postgres: { database: env.database.name, server: env.database.server, version: env.database.version },
    payloadEncryption: true,
    method: {
      runs: settings.runs,
      targets: settings.targets,
      duplicates: settings.duplicates,
      backupCommand: env.backupCommand,
      gate: { ...LOAD_GATE },
      burstSampleSeconds: settings.burstSampleSeconds,
      settleSeconds: settings.settleSeconds,
      soakRate: settings.soakRate,
      soakWarmupSeconds: settings.soakWarmupSeconds,
      soakSeconds: settings.soakSeconds,
      soakSampleSeconds: settings.soakSampleSeconds,
      soakBoundMiB: settings.soakBoundMiB,
    },
    phases,
    verdicts: verdicts(phases),
    logDir: env.logDir,
    wallClockSeconds: Math.round((Date.now() - clockStart) / 1000),
  };
}

function temporalVersion(): string {
  try {
    return execFileSync(TEMPORAL_BIN, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  let env: LoadEnvironment | undefined;
  let exitCode = 0;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      if (!env) return;
      log('cleaning up (worker processes, dev server, database)');
      const stray = (error: unknown) => log(`ignored during cleanup: ${error instanceof Error ? error.message : String(error)}`);
      process.on('uncaughtException', stray).on('unhandledRejection', stray);
      const problems = await env.close();
      for (const problem of problems) log(`cleanup: ${problem}`);
      if (problems.length) exitCode = 1;
    })());
  // Ctrl-C must not leave worker processes, a dev server or a scratch database behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    env = await openLoadEnvironment({ targets: settings.targets, backupCommand: settings.backupCommand, log });
    log(`worker logs and memory probes: ${env.logDir}`);
    const summary = await measure(env);
    const json = `${JSON.stringify(summary, null, 2)}\n`;
    process.stdout.write(`${json}\n${markdown(summary)}\n`);
    if (settings.resultsFile !== '-') {
      await mkdir(path.dirname(settings.resultsFile), { recursive: true });
      await writeFile(settings.resultsFile, json);
      log(`summary written to ${path.relative(process.cwd(), settings.resultsFile)}`);
    }
    if (summary.verdicts.some((v) => !v.pass)) exitCode = 1;
  } catch (error) {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    exitCode = 1;
  } finally {
    await cleanUp();
  }
  return exitCode;
}

exitWith(main(), log);
