import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { summarise } from './decision-latency/stats.js';
import { withTimeout } from './shared/teardown.js';
import { intFromEnv } from './env.js';
import { type AirflowCluster, startAirflow } from './airflow/cluster.js';
import { ensureAirflow } from './airflow/install.js';
import { readRuns, runBurst, runSequentially } from './airflow/measure.js';
import { type AirflowBenchSummary, markdownReport } from './airflow/report.js';
import { runSentinelBench } from './airflow/sentinel.js';
import { AIRFLOW_VERSION, parseConfigOverrides, TUNED_SETTINGS, withOverrides } from './airflow/settings.js';
import { burstThroughput, meanBreakdown, ratios, triggerToDecision } from './airflow/timings.js';
import { writeResults } from './shared/results.js';
import { exitWith } from './shared/exit.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(BENCH_DIR);
const MIN_LATENCY_RUNS = 30;
const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

const settings = {
  warmupRuns: intFromEnv('BENCH_AIRFLOW_WARMUP_RUNS', 3),
  latencyRuns: intFromEnv('BENCH_AIRFLOW_LATENCY_RUNS', 40, 1),
  burstRuns: intFromEnv('BENCH_AIRFLOW_BURST_RUNS', 100, 1),
  triggerConcurrency: intFromEnv('BENCH_AIRFLOW_TRIGGER_CONCURRENCY', 10, 1),
  timeoutMs: intFromEnv('BENCH_AIRFLOW_TIMEOUT_MS', 40 * 60_000, 1),
  resultsFile: process.env.BENCH_AIRFLOW_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'airflow.json'),
  adminUrl: process.env.SENTINEL_BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL,
  configOverrides: parseConfigOverrides(process.env.BENCH_AIRFLOW_CONFIG),
};

const benchStarted = Date.now();
const log = (message: string) => process.stderr.write(`[bench:airflow +${Math.round((Date.now() - benchStarted) / 1000)}s] ${message}\n`);

// Ctrl-C or SIGTERM: stop measuring, then let the finally blocks stop Airflow and drop its database.
const interrupted = new AbortController();
let signalled: NodeJS.Signals | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx passes the terminal's Ctrl-C on as well, so one Ctrl-C may arrive twice.
    if (signalled) return;
    signalled = signal;
    log(`${signal}: stopping and cleaning up`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  });
}
const abortedPromise = new Promise<never>((_, reject) => interrupted.signal.addEventListener('abort', () => reject(interrupted.signal.reason)));
abortedPromise.catch(() => undefined);

async function measureAirflow(cluster: AirflowCluster) {
  const started = Date.now();
  const atStart = loadAverage();
  const stop = interrupted.signal;
  const every = (label: string, total: number, step: number) => (done: number) => {
    if (done % step === 0 || done === total) log(`${label}: ${done}/${total}`);
  };
  log(`load average at start of the Airflow phase: ${atStart.join(' ')}`);
  await runSequentially(cluster.api, 'warmup', settings.warmupRuns, every('warm-up', settings.warmupRuns, 1), stop);
  const sequential = await runSequentially(cluster.api, 'latency', settings.latencyRuns, every('latency (sequential)', settings.latencyRuns, 10), stop);
  const burst = await runBurst(cluster.api, 'burst', settings.burstRuns, settings.triggerConcurrency, (m) => log(`burst: ${m}`), stop, 15 * 60_000);
  const atEnd = loadAverage();

  const latencyRead = await readRuns(cluster.api, sequential);
  const burstRead = await readRuns(cluster.api, burst);
  const notProceeding = [...latencyRead, ...burstRead].filter((r) => r.decision !== 'proceed');
  if (notProceeding.length) log(`WARNING: ${notProceeding.length} Airflow run(s) did not take 'proceed'; they are left out of the figures`);
  const latencyRuns = latencyRead.filter((r) => r.decision === 'proceed');
  const burstRuns = burstRead.filter((r) => r.decision === 'proceed');
  return {
    loadAverage: { atStart, atEnd },
    latency: {
      triggerToDecisionMs: summarise(latencyRuns.map(triggerToDecision)),
      clientTriggerToDecisionMs: summarise(latencyRuns.map((r) => r.decidedAt - r.clientTriggerAt)),
      meanBreakdownMs: meanBreakdown(latencyRuns),
    },
    throughput: burstThroughput(burstRuns),
    runsNotProceeding: notProceeding.length,
    wallClockSeconds: Math.round((Date.now() - started) / 1000),
  };
}

async function main(): Promise<number> {
  if (settings.latencyRuns < MIN_LATENCY_RUNS) log(`note: ${settings.latencyRuns} latency runs is below the ${MIN_LATENCY_RUNS} the recorded figures need`);
  const clockStart = Date.now();
  const machine = machineFacts();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the bench did not finish within ${settings.timeoutMs} ms`));
      interrupted.abort(new Error('timed out'));
    }, settings.timeoutMs);
  });
  timedOut.catch(() => undefined);
  const guard = <T>(work: Promise<T>) => Promise.race([work, timedOut, abortedPromise]);

  let exitCode = 0;
  try {
    const install = await guard(ensureAirflow(BENCH_DIR, log));
    const tuned = withOverrides(TUNED_SETTINGS, settings.configOverrides);

    // Airflow phase: everything it starts is stopped before the project's bench runs, so neither disturbs the other.
    log(`starting Airflow ${AIRFLOW_VERSION} (LocalExecutor)`);
    const opening = startAirflow({ install, benchDir: BENCH_DIR, adminUrl: settings.adminUrl, tuned, log });
    opening.catch(() => undefined);
    let cluster: AirflowCluster | undefined;
    let airflow: Awaited<ReturnType<typeof measureAirflow>>;
    const airflowStarted = Date.now();
    try {
      cluster = await guard(opening);
      airflow = await guard(Promise.race([measureAirflow(cluster), cluster.processFailed]));
    } finally {
      // Start-up overtaken by Ctrl-C or the timeout still owns processes and a database: let it finish, then release them.
      cluster ??= await withTimeout(opening, 240_000, 'Airflow start-up').catch(() => undefined);
      if (cluster) {
        log('stopping Airflow (api-server, scheduler, dag-processor), dropping its database');
        const problems = await cluster.close();
        for (const problem of problems) log(`cleanup: ${problem}`);
        if (problems.length) exitCode = 1;
      }
    }
    const openedCluster = cluster!;

    // The project's phase, right after on the same machine.
    const sentinelStarted = Date.now();
    const sentinel = await guard(runSentinelBench({ cwd: REPO_DIR, burstRuns: settings.burstRuns, log, signal: interrupted.signal }));
    const sentinelSeconds = Math.round((Date.now() - sentinelStarted) / 1000);

    const summary: AirflowBenchSummary = {
      bench: 'airflow',
      machine: { ...machine, loadAverageAtEnd: loadAverage() },
      airflow: {
        version: AIRFLOW_VERSION,
        python: install.python,
        install: { installedNow: install.installed, seconds: install.installSeconds },
        database: openedCluster.database,
        dag: 'predict (PythonOperator: the gate rules) -> branch (BranchPythonOperator) -> proceed | high_risk (EmptyOperator)',
        settings: openedCluster.settings,
        method: {
          warmupRuns: settings.warmupRuns,
          latencyRuns: settings.latencyRuns,
          burstRuns: settings.burstRuns,
          triggerConcurrency: settings.triggerConcurrency,
          decisionMoment:
            "Airflow's own records: DAG run queued_at (set when POST /api/v2/dags/sentinel_gate/dagRuns created the run) -> end_date of the branch task instance; runs read back through the REST API after each series",
        },
        ...airflow!,
        wallClockSeconds: Math.round((sentinelStarted - airflowStarted) / 1000),
      },
      sentinel: { ...sentinel, wallClockSeconds: sentinelSeconds },
      ratios: ratios(
        {
          p50: airflow!.latency.triggerToDecisionMs.p50,
          p95: airflow!.latency.triggerToDecisionMs.p95,
          decisionsPerSecond: airflow!.throughput.decisionsPerSecond,
        },
        { p50: sentinel.latencyMs.p50, p95: sentinel.latencyMs.p95, decisionsPerSecond: sentinel.decisionsPerSecond },
      ),
      wallClockSeconds: Math.round((Date.now() - clockStart) / 1000),
    };
    process.stdout.write(
      `${JSON.stringify({ ...summary, sentinel: { ...summary.sentinel, summary: '(in the results file)' } }, null, 2)}\n\n${markdownReport(summary)}\n`,
    );
    const written = await writeResults(settings.resultsFile, summary);
    if (written) log(`summary written to ${written}`);
    if (summary.airflow.runsNotProceeding > 0 || sentinel.runsNotProceeding > 0 || sentinel.exitCode !== 0) exitCode = 1;
  } catch (error) {
    if (signalled) log(`interrupted by ${signalled}; Airflow stopped and its database dropped`);
    else log(`failed: ${(error as Error).stack ?? String(error)}`);
    exitCode = signalled ? 130 : 1;
  } finally {
    clearTimeout(timer);
  }
  return exitCode;
}

exitWith(main(), log);
