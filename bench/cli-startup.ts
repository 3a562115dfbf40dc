/**
 * Start-up benchmark of the compiled build (`npm run bench:cli`, which builds dist/ first when stale), as users run it
 * (`sentinel` is the package's bin, bin/sentinel, which starts commands from the start-up snapshot dist/cli-snapshot):
 *   - `sentinel --help`: wall and CPU time of each process, interleaved run by run with `.tools/bin/temporal --help`
 *     (a Go binary: the floor for "a CLI answering at once" on this machine at this moment) and `node bin/sentinel.js --help`;
 *   - `sentinel backup status ID --json` against a dev server holding a finished pre-backup run, interleaved with
 *     `temporal workflow describe` of the same run (connect, one or two RPCs, print), with the same command through
 *     `node bin/sentinel.js` (no snapshot), and with the floors: `node -e ''`, `require('@temporalio/client')` alone, and
 *     the snapshot restored with nothing run (SENTINEL_SNAPSHOT_PROBE=1);
 *   - worker start-up: `node bin/sentinel.js worker` (the Docker image's command) from spawn to its "worker started"
 *     log line (settings checked, database migrated, Temporal connected, dist/workflow-bundle.js loaded), with the
 *     process's CPU seconds at that moment; for reference once, the sources through tsx bundling with webpack at
 *     start (how `npm run worker` started before the build);
 *   - the no-op staleness check that `npm start`, `npm test` and `npm run worker` run first
 *     (`node scripts/build.mjs --if-stale` with dist/ current), interleaved with a bare `node -e ''`;
 *   - for reference, `sentinel --help` from the TypeScript sources through tsx, as bin/sentinel.js ran before the build.
 * Medians, because other work on a shared machine makes single runs noisy; CPU time (utime + stime of the child) is
 * reported beside wall time since it hardly depends on that load. Machine, load and date are recorded with the figures.
 *
 * Knobs (env): BENCH_RUNS (15, per CLI measurement), BENCH_WORKER_RUNS (5), BENCH_TSX_RUNS (3; 0 skips),
 * BENCH_NICE (e.g. -20, as root: the bench and everything it starts, dev server included, run at that priority, so
 * that on a machine busy with other work the figures come closer to an idle machine's; recorded in the results),
 * BENCH_RESULTS_FILE (bench/results/cli-startup.json; "-" to skip). Needs PostgreSQL (SENTINEL_TEST_DATABASE_URL, else
 * postgres://postgres:postgres@127.0.0.1:5432/postgres) and the Temporal CLI in .tools/bin (npm run temporal:build).
 * Method and recorded figures: BENCHMARKS.md, "CLI and worker start-up".
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../db/scratch-database.js';
import { startDevServer, TEMPORAL_BIN } from '../platform/dev-server.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { procCpuSeconds } from './shared/proc.js';
import { writeResults } from './shared/results.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'sentinel.js');
/** The package's bin (`npx sentinel`, an installed `sentinel`): starts from the CLI's start-up snapshot when it can. */
const SENTINEL = path.join(ROOT, 'bin', 'sentinel');

const settings = {
  runs: intFromEnv('BENCH_RUNS', 15, 1),
  workerRuns: intFromEnv('BENCH_WORKER_RUNS', 5, 1),
  tsxRuns: intFromEnv('BENCH_TSX_RUNS', 3, 0),
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(ROOT, 'bench', 'results', 'cli-startup.json'),
};

interface Sample {
  wallS: number;
  cpuS: number;
}

interface Summary {
  runs: number;
  medianWallS: number;
  minWallS: number;
  maxWallS: number;
  medianCpuS: number;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds of this process's reaped children (cutime + cstime): the delta around a spawnSync is that child's. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / clockTicks;
}

/** Runs a command to completion; fails the benchmark on a non-zero exit (a figure for a failing command means nothing). */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Sample & { stdout: string } {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const result = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const wallS = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { wallS, cpuS: childrenCpuSeconds() - cpuBefore, stdout: result.stdout };
}

function summarise(samples: Sample[]): Summary {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const walls = samples.map((s) => s.wallS);
  return {
    runs: samples.length,
    medianWallS: round3(median(walls)),
    minWallS: round3(Math.min(...walls)),
    maxWallS: round3(Math.max(...walls)),
    medianCpuS: round3(median(samples.map((s) => s.cpuS))),
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Alternates the commands run by run, so that both see the same moments of the machine's load. */
function interleaved(runs: number, commands: Array<() => Sample>): Sample[][] {
  const samples: Sample[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((command, k) => samples[k]!.push(command()));
  return samples;
}

/**
 * Spawn to the "worker started" line, then a graceful stop; returns the seconds to the line and the process's CPU
 * seconds (all its threads) at that moment.
 */
async function workerStartUp(env: NodeJS.ProcessEnv, args = [BIN, 'worker']): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const sample = await new Promise<Sample>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not started within 120 s:\n${output}`)), 120_000);
    const see = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve({ wallS: (performance.now() - started) / 1000, cpuS: procCpuSeconds(child.pid!) ?? Number.NaN });
      }
    };
    child.stdout.on('data', see);
    child.stderr.on('data', see);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it started:\n${output}`)));
  });
  child.kill('SIGTERM');
  await exited;
  return sample;
}

const nice = process.env.BENCH_NICE ? Number(process.env.BENCH_NICE) : undefined;
if (nice !== undefined) os.setPriority(0, nice); // inherited by every process started below
const machine = machineFacts();
const loadBefore = loadAverage();
const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-bench-cli-'));
const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const database = await createScratchDatabase(adminUrl, 'sentinel_bench_cli', 'the CLI benchmark');
const server = await startDevServer({ headless: true });
try {
  await writeFile(path.join(dir, 'sentinel.yaml'), 'targets:\n  - name: nightly\n    kind: command\n    command: "true"\n');
  await mkdir(path.join(dir, 'data'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: database.url,
    SENTINEL_CONFIG: path.join(dir, 'sentinel.yaml'),
    SENTINEL_TASK_QUEUE: 'bench-cli',
    SENTINEL_DATA_DIR: path.join(dir, 'data'),
    BACKUP_DIR: path.join(dir, 'backups'),
    SENTINEL_METRICS_PORT: 'off',
    SENTINEL_LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    // The payload codec on, as in production: the status command decrypts the run's result.
    CONFIG_BACKUP_KEY: `bench:${randomBytes(32).toString('base64')}`,
  };
  for (const variable of ['SENTINEL_WORKFLOW_BUNDLE', 'NODE_OPTIONS']) delete env[variable];

  process.stderr.write(`worker start-up x${settings.workerRuns}...\n`);
  const workerStarts: Sample[] = [];
  for (let i = 0; i < settings.workerRuns; i++) workerStarts.push(await workerStartUp(env));

  // A real finished run for `backup status`: one pre-backup gate that proceeds and runs its command.
  process.stderr.write('one pre-backup run for `backup status`...\n');
  const worker = spawn(process.execPath, [BIN, 'worker'], { env, stdio: 'ignore' });
  const run = spawnSync(process.execPath, [BIN, 'backup', 'run', 'nightly', '--wait', '--json'], { env, encoding: 'utf8', timeout: 300_000 });
  worker.kill('SIGTERM');
  await new Promise((resolve) => worker.once('exit', resolve));
  if (run.status !== 0) throw new Error(`backup run failed (${run.status}): ${run.stderr}`);
  const workflowId = (JSON.parse(run.stdout) as { workflowId: string; decision: string }).workflowId;

  // The snapshot's restored process alone (it returns before loading the CLI): the floor of `bin/sentinel`. Empty
  // output proves bin/sentinel did start from the snapshot (else this would print the status), so the figures mean it.
  const probe = () => timed(SENTINEL, ['backup', 'status', workflowId, '--json'], { ...env, SENTINEL_SNAPSHOT_PROBE: '1' });
  if (probe().stdout !== '') throw new Error('bin/sentinel did not start from the snapshot (dist/cli-snapshot): run `npm run build`');
  const completed = (sample: Sample & { stdout: string }) => {
    if ((JSON.parse(sample.stdout) as { status: string }).status !== 'COMPLETED') throw new Error(`unexpected status: ${sample.stdout}`);
    return sample;
  };
  process.stderr.write(`backup status (bin/sentinel, node bin/sentinel.js), temporal workflow describe and the floors x${settings.runs}...\n`);
  const [status = [], describe = [], statusNoSnapshot = [], bareNodeFloor = [], clientImport = [], snapshotRestore = []] = interleaved(settings.runs, [
    () => completed(timed(SENTINEL, ['backup', 'status', workflowId, '--json'], env)),
    () => timed(TEMPORAL_BIN, ['workflow', 'describe', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'], env),
    () => completed(timed(process.execPath, [BIN, 'backup', 'status', workflowId, '--json'], env)),
    () => timed(process.execPath, ['-e', ''], env),
    () => timed(process.execPath, ['-e', "require('@temporalio/client')"], { ...env, NODE_PATH: path.join(ROOT, 'node_modules') }),
    probe,
  ]);

  process.stderr.write(`sentinel --help and temporal --help x${settings.runs}...\n`);
  const [help = [], temporalHelp = [], helpThroughNode = []] = interleaved(settings.runs, [
    () => timed(SENTINEL, ['--help'], env),
    () => timed(TEMPORAL_BIN, ['--help'], env),
    () => timed(process.execPath, [BIN, '--help'], env),
  ]);

  process.stderr.write(`build --if-stale (no-op) and node -e '' x${settings.runs}...\n`);
  const [staleCheck = [], bareNode = []] = interleaved(settings.runs, [
    () => timed(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], env),
    () => timed(process.execPath, ['-e', ''], env),
  ]);

  process.stderr.write(`sentinel --help from the sources through tsx x${settings.tsxRuns}...\n`);
  const tsxHelp = Array.from({ length: settings.tsxRuns }, () =>
    timed(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), '--help'], env),
  );
  // How `npm run worker` started before the build: the sources through tsx, the workflows bundled with webpack.
  const tsxWorkerRuns = Math.min(settings.tsxRuns, 1);
  process.stderr.write(`worker from the sources through tsx, bundling at start, x${tsxWorkerRuns}...\n`);
  const tsxWorker: Sample[] = [];
  for (let i = 0; i < tsxWorkerRuns; i++) tsxWorker.push(await workerStartUp(env, ['--import', 'tsx', path.join(ROOT, 'workers', 'main.ts')]));
  const report = {
    benchmark: 'cli-startup',
    machine,
    loadAverage: { before: loadBefore, after: loadAverage() },
    nice: nice ?? 0,
    method:
      'compiled build (dist/); `sentinel` is the package bin (bin/sentinel: from the start-up snapshot dist/cli-snapshot for commands, without it for --help); each figure one process from spawn to exit (wall) and its utime+stime (CPU); sentinel, temporal, `node bin/sentinel.js` and the floors interleaved run by run; worker: spawn of `node bin/sentinel.js worker` to its "worker started" log line',
    help: { sentinel: summarise(help), temporal: summarise(temporalHelp), nodeBinSentinelJs: summarise(helpThroughNode), goalWallS: 0.25 },
    status: {
      sentinel: summarise(status),
      temporalDescribe: summarise(describe),
      nodeBinSentinelJs: summarise(statusNoSnapshot),
      goalWallS: 0.4,
      workflowId,
      floors: { bareNode: summarise(bareNodeFloor), requireTemporalClient: summarise(clientImport), snapshotRestored: summarise(snapshotRestore) },
    },
    workerStartUp: summarise(workerStarts),
    ...(tsxWorker.length > 0 ? { workerStartUpFromSourcesThroughTsx: summarise(tsxWorker) } : {}),
    buildCheck: { noOpIfStale: summarise(staleCheck), bareNode: summarise(bareNode) },
    ...(tsxHelp.length > 0 ? { helpFromSourcesThroughTsx: summarise(tsxHelp) } : {}),
  };
  const line = (name: string, s: Summary) =>
    `${name.padEnd(52)} median ${s.medianWallS.toFixed(3)} s wall (min ${s.minWallS.toFixed(3)}, max ${s.maxWallS.toFixed(3)}), ${s.medianCpuS.toFixed(3)} s CPU, ${s.runs} runs`;
  process.stdout.write(
    [
      `${machine.date}, ${machine.nproc} cores (${machine.cpuModel}), Node ${machine.node}, load ${loadBefore.join(' ')} -> ${report.loadAverage.after.join(' ')}, nice ${report.nice}`,
      line('sentinel --help', report.help.sentinel),
      line('temporal --help', report.help.temporal),
      line('node bin/sentinel.js --help', report.help.nodeBinSentinelJs),
      line('sentinel backup status ID --json', report.status.sentinel),
      line('temporal workflow describe -w ID', report.status.temporalDescribe),
      line('node bin/sentinel.js backup status (no snapshot)', report.status.nodeBinSentinelJs),
      line("floor: node -e ''", report.status.floors.bareNode),
      line('floor: node -e "require(\'@temporalio/client\')"', report.status.floors.requireTemporalClient),
      line('floor: the snapshot restored, nothing run', report.status.floors.snapshotRestored),
      line('worker start-up to "worker started"', report.workerStartUp),
      ...(report.workerStartUpFromSourcesThroughTsx ? [line('worker start-up, sources through tsx + webpack', report.workerStartUpFromSourcesThroughTsx)] : []),
      line('build --if-stale, dist/ current (no-op)', report.buildCheck.noOpIfStale),
      line("node -e '' (Node's own start-up)", report.buildCheck.bareNode),
      ...(report.helpFromSourcesThroughTsx ? [line('sentinel --help, sources through tsx', report.helpFromSourcesThroughTsx)] : []),
      '',
    ].join('\n'),
  );
  await writeResults(settings.resultsFile, report);
} finally {
  await server.stop();
  await database.drop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
