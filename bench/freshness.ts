import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { checkFreshness } from '../capabilities/freshness/check.js';
import { createPool } from '../db/pool.js';
import { runSummaries, staleAlertKey } from '../db/repositories/freshness.js';
import { createScratchDatabase } from '../db/scratch-database.js';
import { parseSettings } from '../domain/settings/schema.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { writeResults } from './shared/results.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const settings = {
  targets: intFromEnv('BENCH_TARGETS', 10_000, 1),
  runs: intFromEnv('BENCH_RUNS', 1_000_000, 1),
  reps: intFromEnv('BENCH_REPS', 7, 1),
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'freshness.json'),
};
const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const say = (line: string) => process.stderr.write(`bench:freshness: ${line}\n`);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = loadAverage();
  const database = await createScratchDatabase(adminUrl, 'sentinel_bench_freshness', 'the freshness benchmark');
  const pool = createPool(database.url, 4);
  try {
    say(`inserting ${settings.runs} runs for ${settings.targets} targets into ${database.name}`);
    // Runs every 6 hours per target, the newest 1-6 h ago; 3% failed at random; every 10th target's runs of the
    // last 2 days all failed (so its newest success is older than its 26 h maxAge: stale), every 50th never succeeded.
    const insert = await timed(() =>
      pool.query(
        `INSERT INTO backup_runs (backup_id, target, started_at, ended_at, status, duration_seconds, size_bytes, source)
         SELECT 'b' || i, 't' || (i % $1), r.started_at, r.started_at + interval '10 minutes',
                CASE WHEN (i % $1) % 50 = 0 THEN 'failed'
                     WHEN (i % $1) % 10 = 0 AND r.started_at > now() - interval '2 days' THEN 'failed'
                     WHEN random() < 0.03 THEN 'failed' ELSE 'completed' END,
                600, 1000000000, 'import'
           FROM generate_series(0, $2 - 1) AS i,
                LATERAL (SELECT now() - make_interval(hours => 1 + (i % $1) % 6) - make_interval(hours => 6 * (i / $1)) AS started_at) r`,
        [settings.targets, settings.runs],
      ),
    );
    await pool.query('ANALYZE backup_runs');
    say(`inserted in ${Math.round(insert.ms)} ms`);

    const config = parseSettings({
      targets: Array.from({ length: settings.targets }, (_, t) => ({ name: `t${t}`, kind: 'command', command: 'true', maxAge: '26h' })),
    });
    const names = config.targets.map((t) => t.name);
    const deps = { db: pool, log: pino({ level: 'silent' }), loadSettings: async () => config };

    // Warm-up (plans, caches), then the statement alone.
    await runSummaries(pool, names);
    const summaries: number[] = [];
    for (let i = 0; i < settings.reps; i++) summaries.push((await timed(() => runSummaries(pool, names))).ms);

    const first = await timed(() => checkFreshness(deps, { callerId: 'bench-first' }, null));
    say(`first pass: ${Math.round(first.ms)} ms, ${first.value.counts.stale} stale, ${first.value.counts.opened} incidents opened`);
    // The workflow would now send their alerts: store them, as sendAlert does, so later passes have nothing to send.
    await pool.query(
      `INSERT INTO alerts (dedupe_key, target, kind, severity, message)
       SELECT $1::text || id, target, 'stale-backup', 'critical', 'bench' FROM freshness_incidents WHERE closed_at IS NULL`,
      [staleAlertKey(0).slice(0, -1)],
    );
    const steady: number[] = [];
    let lastSteady = first.value;
    for (let i = 0; i < settings.reps; i++) {
      const pass = await timed(() => checkFreshness(deps, { callerId: `bench-${i}` }, null));
      steady.push(pass.ms);
      lastSteady = pass.value;
    }
    // The same statement without migration 0007's partial index (only the (target, started_at) index): the
    // evidence for that index.
    await pool.query('DROP INDEX backup_runs_target_completed');
    await runSummaries(pool, names);
    const withoutIndex: number[] = [];
    for (let i = 0; i < settings.reps; i++) withoutIndex.push((await timed(() => runSummaries(pool, names))).ms);
    const result = {
      benchmark: 'freshness',
      machine: machineFacts(started),
      loadAverage: { start: loadAtStart, end: loadAverage() },
      postgres: database.serverVersion,
      targets: settings.targets,
      runs: settings.runs,
      reps: settings.reps,
      insertMs: Math.round(insert.ms),
      runSummariesMs: { median: median(summaries), all: summaries.map(Math.round) },
      runSummariesWithoutPartialIndexMs: { median: median(withoutIndex), all: withoutIndex.map(Math.round) },
      firstPassMs: Math.round(first.ms),
      firstPass: first.value.counts,
      steadyPassMs: { median: median(steady), all: steady.map(Math.round), goalMs: 1000, met: median(steady) <= 1000 },
      steadyPass: { ...lastSteady.counts, alerts: lastSteady.alerts.length },
    };
    say(
      `runSummaries median ${Math.round(result.runSummariesMs.median)} ms; steady pass median ${Math.round(result.steadyPassMs.median)} ms (goal <= 1000 ms)`,
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    await writeResults(settings.resultsFile, result);
  } finally {
    await pool.end();
    await database.drop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:freshness: ${error.message}\n`);
  process.exitCode = 1;
});
