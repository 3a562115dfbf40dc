import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The project's side: `npm run bench` itself, as a child process (its own dev server, database and worker), with
 * its summary written to a temporary file and read back. Run as a process rather than imported so it measures
 * exactly what `npm run bench` measures, whatever that bench grows into, and owns its own clean-up.
 */
const latency = z.object({ count: z.number(), p50: z.number(), p95: z.number(), p99: z.number() });
const sentinelSummary = z.object({
  latency: z.object({ serverStartToDecisionMs: latency }),
  throughput: z.object({ runs: z.number(), decisionsPerSecond: z.number() }),
  runsNotProceeding: z.number(),
  machine: z.object({ loadAverage: z.array(z.number()), date: z.string() }).loose(),
});

export interface SentinelFigures {
  latencyMs: { count: number; p50: number; p95: number; p99: number };
  decisionsPerSecond: number;
  burstRuns: number;
  runsNotProceeding: number;
  loadAverageAtStart: number[];
  date: string;
  /** The whole summary `npm run bench` wrote, for reference. */
  summary: unknown;
  /** Its exit code (set by runSentinelBench). */
  exitCode?: number | null;
}

export function parseSentinelSummary(body: unknown): SentinelFigures {
  const result = sentinelSummary.safeParse(body);
  if (!result.success) throw new Error(`npm run bench wrote a summary this bench cannot read: ${z.prettifyError(result.error)}`);
  const s = result.data;
  return {
    latencyMs: s.latency.serverStartToDecisionMs,
    decisionsPerSecond: s.throughput.decisionsPerSecond,
    burstRuns: s.throughput.runs,
    runsNotProceeding: s.runsNotProceeding,
    loadAverageAtStart: s.machine.loadAverage,
    date: s.machine.date,
    summary: body,
  };
}

/**
 * Runs `npm run bench` with `BENCH_THROUGHPUT_RUNS` set to the Airflow burst size (unless the caller set it), so both
 * sides are measured on bursts of the same size. Its progress goes to stderr with a prefix; its stdout (the summary
 * and tables, also in the file) is dropped.
 */
export async function runSentinelBench(options: {
  cwd: string;
  burstRuns: number;
  log: (message: string) => void;
  signal: AbortSignal;
}): Promise<SentinelFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-airflow-bench-'));
  const resultsFile = path.join(dir, 'decision-latency.json');
  try {
    const env = { ...process.env, BENCH_RESULTS_FILE: resultsFile, BENCH_THROUGHPUT_RUNS: process.env.BENCH_THROUGHPUT_RUNS ?? String(options.burstRuns) };
    options.log(`running npm run bench (BENCH_THROUGHPUT_RUNS=${env.BENCH_THROUGHPUT_RUNS})`);
    const child = spawn('npm', ['run', '--silent', 'bench'], { cwd: options.cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Ctrl-C reaches the child from the terminal itself; a SIGTERM sent to this bench alone is passed on.
    const stop = () => child.kill('SIGTERM');
    options.signal.addEventListener('abort', stop, { once: true });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n')) if (line.trim()) options.log(`  sentinel | ${line}`);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode) => resolve(exitCode));
    });
    options.signal.removeEventListener('abort', stop);
    options.signal.throwIfAborted();
    // It exits 1 after writing its summary when a run did not proceed or its clean-up had a problem: the figures
    // are still read (runsNotProceeding says which), and the caller is told.
    const written = await readFile(resultsFile, 'utf8').catch(() => undefined);
    if (written === undefined) throw new Error(`npm run bench exited with ${code} without a summary; last output:\n${tail}`);
    if (code !== 0) options.log(`WARNING: npm run bench exited with ${code} after writing its summary`);
    return { ...parseSentinelSummary(JSON.parse(written)), exitCode: code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
