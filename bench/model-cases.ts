/**
 * One measurement of bench/model.ts, run in its own process so its peak RSS is its own:
 *   train  --algorithm A --rows N [--max-bins B]   synthetic history of about N runs -> features -> oldest 80% train
 *                                   -> fit (default params; sentinel-forest with B bins) -> calibration on OOB
 *                                   (isotonic/Platt as the product) -> newest 20% scored: times, peak RSS, latency,
 *                                   PR-AUC, ROC-AUC, Brier
 *   pipeline --rows N [--budget S]  the product's whole training call (domain/ml/training.ts): model selection by
 *                                   time-ordered CV within S seconds (default: the product's), validation fit,
 *                                   refit on everything: seconds per phase, candidates, chosen params, metrics
 *   rules  --rows N                 the rule-based predictor (point in time) on the same newest 20%
 *   import --rows N                 CSV and JSON Lines files of N runs imported into a fresh PostgreSQL database,
 *                                   then re-imported (all duplicates), then read back as training columns
 * Prints one JSON line. The same seed gives the same history, so every case of a size sees the same runs.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { threadTreeRunner } from '../activities/models/forest-threads.js';
import { trainClassifier } from '../domain/ml/algorithms.js';
import { applyCalibrationBatch, fitCalibration, IDENTITY_CALIBRATION } from '../domain/ml/calibration.js';
import { coveredOob, type AlgorithmName } from '../domain/ml/classifier.js';
import { buildFeatureTable, featuresForUpcomingRun } from '../domain/ml/features.js';
import { matrixRow, selectLabels, selectRows } from '../domain/ml/matrix.js';
import { evaluateBinary } from '../domain/ml/metrics.js';
import { timeSplit } from '../domain/ml/split.js';
import { trainFailureModel } from '../domain/ml/training.js';
import { generateHistory } from '../domain/ml/synthetic-history.js';
import type { BackupRunRecord } from '../domain/history/types.js';
import { historicalContext } from '../domain/history/context.js';
import { pointInTimeContexts, scoreRunsWithRules } from '../domain/models/rules-scores.js';
import { predictWithRules } from '../domain/risk/rules.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { loadHistoryColumns } from '../db/repositories/history.js';
import { writeHistoryFile } from '../capabilities/history/history-file.js';
import { importHistoryFile } from '../capabilities/history/history-import.js';

const { values: args } = parseArgs({
  options: {
    case: { type: 'string' },
    rows: { type: 'string', default: '10000' },
    algorithm: { type: 'string', default: 'sentinel-forest' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    'max-bins': { type: 'string' },
    budget: { type: 'string' },
  },
});

const rows = Number(args.rows);
const seed = Number(args.seed);
const round = (v: number | null | undefined, d = 4): number | null => (v === null || v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d);
const seconds = (from: number) => round((performance.now() - from) / 1000, 2) as number;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** About `rows` hourly runs: 90 days per target, as many targets as needed. */
function historyShape(n: number): { targets: number; days: number } {
  const targets = Math.max(2, Math.round(n / (24 * 90)));
  return { targets, days: Math.max(1, Math.round(n / (24 * targets))) };
}

function history(): { runs: BackupRunRecord[]; generateSeconds: number } {
  const t = performance.now();
  const runs = generateHistory({ ...historyShape(rows), seed, start: new Date(Date.UTC(2024, 0, 1)) });
  return { runs, generateSeconds: seconds(t) };
}

function quantiles(samples: number[]): { median: number; p99: number } {
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] as number, p99: samples[Math.floor(samples.length * 0.99)] as number };
}

async function trainCase() {
  const algorithm = args.algorithm as AlgorithmName;
  const { runs, generateSeconds } = history();
  let t = performance.now();
  const table = buildFeatureTable(runs);
  const featuresSeconds = seconds(t);
  const split = timeSplit(table.startedAtMs);
  const trainX = selectRows(table.matrix, split.train);
  const trainY = selectLabels(table.labels, split.train);
  const validX = selectRows(table.matrix, split.validation);
  const validY = selectLabels(table.labels, split.validation);

  const params = algorithm === 'sentinel-forest' ? { threads: Number(args.threads), ...(args['max-bins'] ? { maxBins: Number(args['max-bins']) } : {}) } : {};
  const cpu = process.cpuUsage();
  t = performance.now();
  // The worker's way: trees on worker threads.
  const trained = await trainClassifier(algorithm, trainX, trainY, params, { treeRunner: threadTreeRunner });
  const fitSeconds = seconds(t);
  const fitCpu = process.cpuUsage(cpu);
  const oob = trained.oob ? coveredOob(trained.oob, trainY) : null;
  const calibration = oob ? fitCalibration(oob.scores, oob.labels) : IDENTITY_CALIBRATION;

  t = performance.now();
  const scores = applyCalibrationBatch(calibration, trained.classifier.predictProbaBatch(validX));
  const batchMicrosPerRow = round(((performance.now() - t) * 1000) / validX.rowCount, 2);
  const metrics = evaluateBinary(scores, validY);

  const single: number[] = [];
  const reps = Math.min(2000, validX.rowCount);
  for (let k = 0; k < reps; k++) {
    const row = matrixRow(validX, k);
    const s = performance.now();
    trained.classifier.predictProba(row);
    single.push((performance.now() - s) * 1000);
  }
  // Live prediction: features of an upcoming run from its target's history (a month of runs), then the model.
  const target = runs[runs.length - 1] as BackupRunRecord;
  const past = runs.filter(
    (r) => r.target === target.target && r.startedAt.getTime() > target.startedAt.getTime() - 31 * 86_400_000 && r.startedAt < target.startedAt,
  );
  const upcoming: number[] = [];
  for (let k = 0; k < 200; k++) {
    const s = performance.now();
    const row = featuresForUpcomingRun(
      { target: target.target, startAt: target.startedAt, estimatedDuration: target.estimatedDuration, estimatedSize: target.estimatedSize },
      past,
    );
    trained.classifier.predictProba(row);
    upcoming.push((performance.now() - s) * 1000);
  }
  const s = quantiles(single);
  const u = quantiles(upcoming);
  return {
    case: 'train',
    algorithm,
    params: trained.params,
    historyRows: runs.length,
    trainRows: trainX.rowCount,
    validationRows: validX.rowCount,
    generateSeconds,
    featuresSeconds,
    fitSeconds,
    fitCpuSeconds: round((fitCpu.user + fitCpu.system) / 1e6, 1),
    peakRssMb: peakRssMb(),
    modelJsonMb: round(JSON.stringify(trained.classifier.toJSON()).length / 1e6, 2),
    singlePredictionMicros: { median: round(s.median, 1), p99: round(s.p99, 1) },
    liveFeaturesAndPredictionMicros: { median: round(u.median, 1), p99: round(u.p99, 1), pastRuns: past.length },
    batchMicrosPerRow,
    validation: { baseRate: round(metrics.baseRate), prAuc: round(metrics.prAuc), rocAuc: round(metrics.rocAuc), brier: round(metrics.brier) },
    loadAverage: os.loadavg().map((v) => round(v, 1)),
  };
}

function rulesCase() {
  const { runs, generateSeconds } = history();
  const startedAt = Float64Array.from(runs, (r) => r.startedAt.getTime());
  const split = timeSplit(startedAt);
  const t = performance.now();
  const scores = scoreRunsWithRules(runs, { only: split.validation });
  const scoreMs = performance.now() - t;
  const scoreSeconds = round(scoreMs / 1000, 2) as number;
  const labels = Uint8Array.from(split.validation, (i) => ((runs[i] as BackupRunRecord).status === 'failed' ? 1 : 0));
  const metrics = evaluateBinary(scores, labels);
  const contexts = pointInTimeContexts(runs.slice(0, 5000));
  const single: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const run = runs[k] as BackupRunRecord;
    const s = performance.now();
    predictWithRules({ target: run.target, threshold: 0.5, startAt: run.startedAt.toISOString() }, contexts[k]!, '');
    single.push((performance.now() - s) * 1000);
  }
  const target = runs[runs.length - 1] as BackupRunRecord;
  const past = runs.filter((r) => r.target === target.target && r.startedAt < target.startedAt).slice(-200);
  const live: number[] = [];
  for (let k = 0; k < 200; k++) {
    const s = performance.now();
    predictWithRules({ target: target.target, threshold: 0.5, startAt: target.startedAt.toISOString() }, historicalContext(past, target.startedAt), '');
    live.push((performance.now() - s) * 1000);
  }
  const q = quantiles(single);
  const l = quantiles(live);
  return {
    case: 'rules',
    historyRows: runs.length,
    validationRows: split.validation.length,
    generateSeconds,
    scoreSeconds,
    // Point-in-time contexts over the whole history plus the rules on the validation rows, per validation row.
    batchMicrosPerRow: round((scoreMs * 1000) / split.validation.length, 2),
    singlePredictionMicros: { median: round(q.median, 1), p99: round(q.p99, 1) },
    liveContextAndPredictionMicros: { median: round(l.median, 1), p99: round(l.p99, 1), pastRuns: past.length },
    peakRssMb: peakRssMb(),
    validation: { baseRate: round(metrics.baseRate), prAuc: round(metrics.prAuc), rocAuc: round(metrics.rocAuc), brier: round(metrics.brier) },
    loadAverage: os.loadavg().map((v) => round(v, 1)),
  };
}

/** The product's training call at this size, phase by phase (selection, validated fit, refit). */
async function pipelineCase() {
  const { runs, generateSeconds } = history();
  const t = performance.now();
  const cpu = process.cpuUsage();
  const result = await trainFailureModel(runs, {
    algorithm: 'sentinel-forest',
    params: { threads: Number(args.threads), ...(args.budget !== undefined ? { selectionBudgetSeconds: Number(args.budget) } : {}) },
    createdAt: new Date(0),
    createdBy: 'bench',
    treeRunner: threadTreeRunner,
  });
  const totalSeconds = seconds(t);
  const fitCpu = process.cpuUsage(cpu);
  const s = result.selection;
  const chosen = s ? s.candidates[s.chosen] : null;
  const m = result.validationMetrics;
  return {
    case: 'pipeline',
    historyRows: runs.length,
    generateSeconds,
    totalSeconds,
    cpuSeconds: round((fitCpu.user + fitCpu.system) / 1e6, 1),
    selection: s
      ? {
          budgetSeconds: s.budgetSeconds,
          elapsedSeconds: s.elapsedSeconds,
          stopped: s.stopped,
          candidates: s.candidates.map((c) => ({ params: c.params, seconds: round(c.seconds, 1), meanPrAuc: round(c.mean.prAuc) })),
          chosen: chosen?.params ?? null,
          folds: chosen?.folds.map((f) => ({ prAuc: round(f.prAuc), rocAuc: round(f.rocAuc), brier: round(f.brier) })) ?? [],
          mean: chosen ? { prAuc: round(chosen.mean.prAuc), rocAuc: round(chosen.mean.rocAuc), brier: round(chosen.mean.brier) } : null,
        }
      : null,
    calibration: result.artifact.calibration.method,
    deployedRows: result.deployedRows.length,
    validation: m ? { baseRate: round(m.baseRate), prAuc: round(m.prAuc), rocAuc: round(m.rocAuc), brier: round(m.brier) } : null,
    peakRssMb: peakRssMb(),
    loadAverage: os.loadavg().map((v) => round(v, 1)),
  };
}

async function importCase() {
  const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-model-'));
  const name = `bench_model_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 4);
  try {
    await migrate(url.toString());
    const { runs, generateSeconds } = history();
    const results: Record<string, unknown> = { case: 'import', rows: runs.length, generateSeconds };
    for (const ext of ['csv', 'jsonl']) {
      const file = path.join(dir, `history.${ext}`);
      let t = performance.now();
      await writeHistoryFile(file, runs);
      const writeSeconds = seconds(t);
      t = performance.now();
      const first = await importHistoryFile(pool, file);
      const importSeconds = seconds(t);
      t = performance.now();
      const again = await importHistoryFile(pool, file);
      const reimportSeconds = seconds(t);
      results[ext] = {
        fileMb: round((await stat(file)).size / 1e6, 1),
        writeSeconds,
        importSeconds,
        rowsPerSecond: Math.round(first.rows / importSeconds),
        inserted: first.inserted,
        reimportSeconds,
        reimportDuplicates: again.duplicates,
      };
      if (ext === 'csv') {
        t = performance.now();
        const columns = await loadHistoryColumns(pool);
        results.loadTrainingColumns = { rows: columns.size, seconds: seconds(t) };
      }
      await pool.query('TRUNCATE backup_runs CASCADE');
    }
    results.peakRssMb = peakRssMb();
    results.loadAverage = os.loadavg().map((v) => round(v, 1));
    return results;
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

const result =
  args.case === 'train'
    ? await trainCase()
    : args.case === 'pipeline'
      ? await pipelineCase()
      : args.case === 'rules'
        ? rulesCase()
        : args.case === 'import'
          ? await importCase()
          : null;
if (!result) throw new Error('--case must be train, pipeline, rules or import');
process.stdout.write(`${JSON.stringify(result)}\n`);
