import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assessLiveQuality } from '../capabilities/models/model-monitor.js';
import { createPool } from '../db/pool.js';
import { insertImportedRuns } from '../db/repositories/history.js';
import { insertModel, sha256Hex } from '../db/repositories/models.js';
import { createScratchDatabase } from '../db/scratch-database.js';
import type { BackupRunRecord } from '../domain/history/types.js';
import { buildFeatureTable } from '../domain/ml/features.js';
import { selectRows } from '../domain/ml/matrix.js';
import { loadFailureModel } from '../domain/ml/model.js';
import { generateHistory } from '../domain/ml/synthetic-history.js';
import { judgeLiveQuality } from '../domain/models/live-quality.js';
import { trainCandidate } from '../domain/models/train-candidate.js';
import { parseSettings } from '../domain/settings/schema.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { intFromEnv } from './env.js';
import { writeResults } from './shared/results.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const DAY = 86_400_000;
const settings = {
  targets: intFromEnv('BENCH_TARGETS', 50, 2),
  days: intFromEnv('BENCH_DAYS', 120, 45),
  maxOutcomes: intFromEnv('BENCH_MAX_OUTCOMES', 1000, 100),
  reps: intFromEnv('BENCH_REPS', 5, 1),
  resultsFile: process.env.BENCH_RESULTS_FILE ?? path.join(BENCH_DIR, 'results', 'model-monitor.json'),
};
const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const say = (line: string) => process.stderr.write(`bench:model-monitor: ${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

async function train(runs: readonly BackupRunRecord[], seed: number) {
  const out = await trainCandidate({
    runs,
    algorithm: 'sentinel-forest',
    params: { nTrees: 30, seed },
    minFailures: 25,
    active: null,
    createdAt: new Date(),
    createdBy: 'bench:model-monitor',
  });
  if (out.outcome !== 'trained') throw new Error(`training failed: ${out.reason}`);
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = loadAverage();
  const now = Date.now();
  const start = new Date(Math.floor((now - settings.days * DAY) / DAY) * DAY);
  const history = generateHistory({ targets: settings.targets, days: settings.days, seed: 16, start }).filter((r) => r.startedAt.getTime() < now - 3_600_000);
  const database = await createScratchDatabase(adminUrl, 'sentinel_bench_model_monitor', 'the model monitor benchmark');
  const pool = createPool(database.url, 4);
  try {
    say(`${history.length} runs of ${settings.targets} targets over ${settings.days} days into ${database.name}`);
    for (let i = 0; i < history.length; i += 5000)
      await insertImportedRuns(
        pool,
        history.slice(i, i + 5000).map((r) => ({ ...r, hourOfDay: r.startedAt.getUTCHours(), dayOfWeek: r.startedAt.getUTCDay(), previousSuccessRate: null })),
      );
    const activatedAt = new Date(now - 14 * DAY);
    const a = await train(
      history.filter((r) => r.startedAt.getTime() < now - 30 * DAY),
      1,
    );
    const b = await train(
      history.filter((r) => r.startedAt < activatedAt),
      2,
    );
    say(`trained A (${a.trainingSeconds.toFixed(1)} s) and B (${b.trainingSeconds.toFixed(1)} s)`);
    const store = async (out: typeof a, name: string) =>
      (
        await insertModel(pool, {
          algorithm: 'sentinel-forest',
          parameters: out.params,
          featurePipelineVersion: 1,
          trainingFrom: null,
          trainingTo: null,
          metrics: { evaluation: out.evaluation, decision: out.decision } as never,
          explanation: out.explanation,
          canaryProbability: out.canaryProbability,
          decisionReason: out.decision.reason,
          artifact: Buffer.from(out.artifactText),
          source: 'training',
          createdBy: 'bench',
          trainingRun: name,
        })
      ).version;
    const versionA = await store(a, 'bench-a');
    const versionB = await store(b, 'bench-b');
    await pool.query(`UPDATE ml_models SET status = 'archived' WHERE version = $1`, [versionA]);
    await pool.query(`UPDATE ml_models SET status = 'active' WHERE version = $1`, [versionB]);
    await pool.query(
      `INSERT INTO model_snapshots (taken_at, change, model_version, replaced_by, artifact, artifact_sha256, package_version, changed_by)
       VALUES ($1, 'promotion', $2, $3, $4, $5, 'bench', 'bench')`,
      [activatedAt, versionA, versionB, Buffer.from(a.artifactText), sha256Hex(a.artifactText)],
    );
    // The last 14 days as gates predicted by B recorded them: B's own probabilities, threshold 0.5.
    const table = buildFeatureTable(history);
    const live = history.map((r, i) => ({ r, i })).filter(({ r }) => r.startedAt >= activatedAt);
    const probabilities = loadFailureModel(b.artifactText).predictBatch(
      selectRows(
        table.matrix,
        live.map(({ i }) => i),
      ),
    );
    await pool.query(
      `UPDATE backup_runs b SET predicted_by = 'model', model_version = $1, prediction_threshold = 0.5, failure_probability = x.p
         FROM unnest($2::text[], $3::float8[]) AS x(id, p) WHERE b.backup_id = x.id`,
      [versionB, live.map(({ r }) => r.backupId), Array.from(probabilities)],
    );
    await pool.query('ANALYZE backup_runs');
    say(`${live.length} live outcomes of model ${versionB} in the last 14 days; window at most ${settings.maxOutcomes}`);

    const config = parseSettings({ modelMonitor: { maxOutcomes: settings.maxOutcomes } });
    const warm = await assessLiveQuality(pool, config);
    const checks: number[] = [];
    for (let i = 0; i < settings.reps; i++) checks.push((await timed(() => assessLiveQuality(pool, config))).ms);
    // The judgement alone on the same window (rules and replaced shadows as the check computed them are not kept, so
    // the bench uses the recorded probabilities for all three: the cost is the same arithmetic).
    const outcomes = live.slice(-Math.min(settings.maxOutcomes, live.length));
    const probs = Float64Array.from(probabilities.slice(-outcomes.length));
    const window = {
      labels: Uint8Array.from(outcomes, ({ r }) => (r.status === 'failed' ? 1 : 0)),
      active: probs,
      thresholds: new Float64Array(outcomes.length).fill(0.5),
      rules: probs,
      replaced: probs,
    };
    const judgements: number[] = [];
    for (let i = 0; i < settings.reps; i++)
      judgements.push((await timed(() => judgeLiveQuality({ window, validation: { brier: 0.05, prAuc: 0.5 }, policy: warm.policy }))).ms);

    const result = {
      benchmark: 'model-monitor',
      machine: machineFacts(started),
      loadAverage: { start: loadAtStart, end: loadAverage() },
      postgres: database.serverVersion,
      targets: settings.targets,
      days: settings.days,
      runs: history.length,
      liveOutcomes: live.length,
      window: { maxOutcomes: settings.maxOutcomes, outcomes: warm.judgement?.outcomes ?? 0, failures: warm.judgement?.failures ?? 0 },
      bootstrapSamples: warm.policy.bootstrapSamples,
      verdict: warm.verdict,
      reason: warm.reason,
      shadowProblems: warm.shadowProblems,
      reps: settings.reps,
      checkMs: { median: Math.round(median(checks)), all: checks.map(Math.round) },
      judgementMs: { median: Math.round(median(judgements)), all: judgements.map(Math.round) },
    };
    say(`check median ${result.checkMs.median} ms (judgement alone ${result.judgementMs.median} ms); verdict ${warm.verdict}`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    await writeResults(settings.resultsFile, result);
  } finally {
    await pool.end();
    await database.drop();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:model-monitor: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
