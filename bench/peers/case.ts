/**
 * One project model of bench:peers in its own process (bench/peers.ts spawns it):
 *   npx tsx bench/peers/case.ts --data PREFIX --algorithm sentinel-forest|sentinel-boosting --threads 2 --scores OUT [--seed N]
 * Fits on the train rows with the worker's thread runner (as the worker trains), calibrates as the training pipeline
 * does (Platt on the out-of-bag / held-out predictions), writes the calibrated validation scores to OUT (float64)
 * and prints one JSON line: fit time, predict latency (batch per row, single row), model size.
 *
 * The model code comes from the compiled build (dist/: what the worker, `npm start` and the image run; bench:peers
 * builds it first when stale), so the training threads start as plain JavaScript, as in production; under tsx each
 * thread would first transpile its modules (about 0.15 s per fit here). BENCH_FROM=sources runs the TypeScript.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readDataset, writeScores } from './dataset.js';

type Algorithms = typeof import('../../domain/ml/algorithms.js');
type ForestThreads = typeof import('../../activities/models/forest-threads.js');
type Calibration = typeof import('../../domain/ml/calibration.js');
type Classifier = typeof import('../../domain/ml/classifier.js');
type Matrix = typeof import('../../domain/ml/matrix.js');

const fromSources = process.env.BENCH_FROM === 'sources';
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
if (!fromSources && !existsSync(path.join(DIST, 'domain/ml/algorithms.js'))) {
  throw new Error(`${DIST} is missing: run \`npm run build\` (npm run bench:peers does), or BENCH_FROM=sources`);
}
/** A product module from dist/ (default) or from the TypeScript sources; `relative` is its path from the root. */
async function load<T>(relative: string): Promise<T> {
  if (fromSources) return (await import(pathToFileURL(path.resolve(DIST, '..', relative.replace(/\.js$/, '.ts'))).href)) as T;
  return (await import(pathToFileURL(path.join(DIST, relative)).href)) as T;
}
const { algorithmNameSchema, trainClassifier } = await load<Algorithms>('domain/ml/algorithms.js');
const { threadTreeRunner } = await load<ForestThreads>('activities/models/forest-threads.js');
const { applyCalibration, applyCalibrationBatch, fitPlattCalibration, IDENTITY_CALIBRATION } = await load<Calibration>('domain/ml/calibration.js');
const { coveredOob } = await load<Classifier>('domain/ml/classifier.js');
const { matrixRow } = await load<Matrix>('domain/ml/matrix.js');

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    algorithm: { type: 'string' },
    threads: { type: 'string', default: '2' },
    scores: { type: 'string' },
    /** The model's seed (bootstrap and feature draws); the algorithm's default when absent. */
    seed: { type: 'string' },
  },
});
if (!args.data || !args.scores) throw new Error('--data and --scores are required');
const algorithm = algorithmNameSchema.parse(args.algorithm);
const threads = Number(args.threads);
const data = readDataset(args.data);

const loadBefore = os.loadavg()[0] as number;
const cpu = process.cpuUsage();
let t = performance.now();
const seed = args.seed === undefined ? null : Number(args.seed);
const trained = await trainClassifier(algorithm, data.trainX, data.trainY, { threads, ...(seed === null ? {} : { seed }) }, { treeRunner: threadTreeRunner });
const fitSeconds = (performance.now() - t) / 1000;
const fitCpu = process.cpuUsage(cpu);
const oob = trained.oob ? coveredOob(trained.oob, data.trainY) : null;
const calibration = oob && oob.scores.length > 0 ? fitPlattCalibration(oob.scores, oob.labels) : IDENTITY_CALIBRATION;

t = performance.now();
const raw = trained.classifier.predictProbaBatch(data.validX);
const batchMicrosPerRow = ((performance.now() - t) * 1000) / data.validX.rowCount;
const scores = applyCalibrationBatch(calibration, raw);
writeScores(args.scores, scores);
writeScores(`${args.scores}.raw`, raw);

const single: number[] = [];
const reps = Math.min(2000, data.validX.rowCount);
for (let k = 0; k < reps; k++) {
  const row = matrixRow(data.validX, k);
  const s = performance.now();
  applyCalibration(calibration, trained.classifier.predictProba(row));
  single.push((performance.now() - s) * 1000);
}
single.sort((a, b) => a - b);
const json = trained.classifier.toJSON() as { iterations?: number; iterationsTrained?: number };

process.stdout.write(
  `${JSON.stringify({
    model: algorithm,
    threads,
    fitSeconds,
    fitCpuSeconds: (fitCpu.user + fitCpu.system) / 1e6,
    batchMicrosPerRow,
    singleMicros: { median: single[Math.floor(single.length / 2)], p99: single[Math.floor(single.length * 0.99)] },
    modelJsonMb: JSON.stringify(json).length / 1e6,
    iterations: json.iterations ?? null,
    iterationsTrained: json.iterationsTrained ?? null,
    calibration: calibration.method,
    params: trained.params,
    seed,
    loadBefore,
    from: fromSources ? 'sources' : 'dist',
  })}\n`,
);
