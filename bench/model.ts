/**
 * Failure-model benchmark (`npm run bench:model`): on synthetic histories of 10k, 100k and 1M runs, for each
 * algorithm and for the rules, in one run: training time, peak memory, prediction latency (single and batch),
 * PR-AUC and ROC-AUC on the newest 20%; then the import speed of 1M runs into PostgreSQL.
 *
 *   npm run bench:model                         # everything (about 10-20 minutes on 2 busy cores)
 *   npm run bench:model -- --bins 64,255        # sentinel-forest fitted with each bin count, side by side (default)
 *   npm run bench:model -- --pipeline-sizes 100000 --budget 120   # the whole training call (selection + refit)
 *   npm run bench:model -- --sizes 10000,100000 --skip-import
 *   npm run bench:model -- --scenarios [--only disk-pressure,drift] [--seeds 1,2]   # the evaluation suite
 *
 * Each measurement runs in its own process (bench/model-cases.ts), so its peak RSS is its own. ml-random-forest
 * trains in quadratic time: a probe on a small history measures its rate, and sizes whose extrapolated fit time
 * exceeds --mlrf-budget seconds are skipped and reported with the estimate. Results go to
 * bench/results/model.json and, as Markdown, to stdout (for BENCHMARKS.md).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_FOREST_OPTIONS } from '../domain/ml/forest/options.js';
import { machineFacts } from './decision-latency/machine.js';

// The evaluation suite (per scenario: model, rules, true probabilities): bench/model-scenarios.ts.
if (process.argv.includes('--scenarios')) {
  await import('./model-scenarios.js');
  process.exit(0);
}

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    'mlrf-budget': { type: 'string', default: '900' },
    'mlrf-probe': { type: 'string', default: '1500,3000' },
    'skip-import': { type: 'boolean', default: false },
    'import-rows': { type: 'string', default: '1000000' },
    /** sentinel-forest is fitted once per bin count on the same history, interleaved (the order flips per size). */
    bins: { type: 'string', default: '64,255' },
    /** Sizes at which the product's whole training call runs (model selection, validation fit, refit); '' for none. */
    'pipeline-sizes': { type: 'string', default: '100000' },
    /** selectionBudgetSeconds of that call; default the product's. */
    budget: { type: 'string' },
  },
});

const CASES = fileURLToPath(new URL('./model-cases.ts', import.meta.url));
type Result = Record<string, unknown> & { error?: string };

function runCase(caseArgs: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, CASES, ...caseArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as Result);
      } catch {
        resolve({ error: `case ${caseArgs.join(' ')} exited with ${code}: ${out.slice(-500)}` });
      }
    });
  });
}

const log = (message: string) => process.stderr.write(`[bench:model] ${message}\n`);
const sizes = args.sizes.split(',').map(Number);
const started = new Date();
const machine = machineFacts(started);
log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverage.join(' ')}`);

const results: { size: number; rules: Result; sentinelForest: Result; sentinelForestByBins: Record<string, Result>; mlRandomForest: Result }[] = [];
const binCounts = args.bins.split(',').filter(Boolean).map(Number);
const defaultBins = String(DEFAULT_FOREST_OPTIONS.maxBins);

// Two probes give ml-random-forest's growth exponent (time ~ rows^k); sentinel-forest on the larger probe's history
// compares the two algorithms' PR-AUC on the same rows.
const probeSizes = args['mlrf-probe'].split(',').map(Number);
const probes: Result[] = [];
for (const n of probeSizes) {
  log(`ml-random-forest probe on ${n} runs`);
  probes.push(await runCase(['--case', 'train', '--algorithm', 'ml-random-forest', '--rows', String(n)]));
}
log(`sentinel-forest on the ${probeSizes.at(-1)} runs of the last probe`);
const probeSentinel = await runCase(['--case', 'train', '--algorithm', 'sentinel-forest', '--rows', String(probeSizes.at(-1))]);
const last = probes.at(-1) as Result;
const first = probes[0] as Result;
const probeRows = Number(last.trainRows);
const probeSeconds = Number(last.fitSeconds);
const exponent =
  probes.length > 1 ? Math.log(Number(last.fitSeconds) / Number(first.fitSeconds)) / Math.log(Number(last.trainRows) / Number(first.trainRows)) : 2;
// Never extrapolate below linear-times-log growth: a noisy pair of probes must not make it look cheap.
const growth = Math.max(1.2, Number.isFinite(exponent) ? exponent : 2);
const estimateMlrf = (trainRows: number) => probeSeconds * (trainRows / probeRows) ** growth;
log(`ml-random-forest: ${probeSeconds} s for ${probeRows} training rows, time ~ rows^${exponent.toFixed(2)}`);

for (const size of sizes) {
  log(`${size} runs: rules`);
  const rules = await runCase(['--case', 'rules', '--rows', String(size)]);
  const sentinelForestByBins: Record<string, Result> = {};
  const order = results.length % 2 === 0 ? binCounts : [...binCounts].reverse();
  for (const bins of order) {
    log(`${size} runs: sentinel-forest, ${bins} bins`);
    sentinelForestByBins[bins] = await runCase(['--case', 'train', '--algorithm', 'sentinel-forest', '--rows', String(size), '--max-bins', String(bins)]);
  }
  const sentinelForest = sentinelForestByBins[defaultBins] ?? (await runCase(['--case', 'train', '--algorithm', 'sentinel-forest', '--rows', String(size)]));
  const trainRows = Number(sentinelForest.trainRows ?? size * 0.8);
  const estimate = estimateMlrf(trainRows);
  let mlRandomForest: Result;
  if (estimate <= Number(args['mlrf-budget'])) {
    log(`${size} runs: ml-random-forest (estimated ${Math.round(estimate)} s)`);
    mlRandomForest = await runCase(['--case', 'train', '--algorithm', 'ml-random-forest', '--rows', String(size)]);
  } else {
    mlRandomForest = {
      skipped: true,
      estimatedFitSeconds: Math.round(estimate),
      reason: `${probeSeconds} s for ${probeRows} training rows, time ~ rows^${growth.toFixed(2)}: ~${Math.round(estimate / 60)} min for ${trainRows}`,
    };
    log(`${size} runs: ml-random-forest skipped (${mlRandomForest.reason})`);
  }
  results.push({ size, rules, sentinelForest, sentinelForestByBins, mlRandomForest });
}

const pipelines: Result[] = [];
for (const size of args['pipeline-sizes'].split(',').filter(Boolean).map(Number)) {
  log(`${size} runs: the whole training call (selection within ${args.budget ?? 'the default'} s, validation fit, refit)`);
  pipelines.push(await runCase(['--case', 'pipeline', '--rows', String(size), ...(args.budget !== undefined ? ['--budget', args.budget] : [])]));
}

let importResult: Result | null = null;
if (!args['skip-import']) {
  log(`import of ${args['import-rows']} runs`);
  importResult = await runCase(['--case', 'import', '--rows', args['import-rows']]);
}

const report = {
  machine,
  finishedAt: new Date().toISOString(),
  mlRandomForestProbes: probes,
  mlRandomForestExponent: exponent,
  sameDataSentinelForest: probeSentinel,
  sizes: results,
  pipelines,
  import: importResult,
};
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/model.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

// Markdown for BENCHMARKS.md.
const v = (r: Result, path: string): string => {
  const value = path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), r);
  return value === undefined || value === null ? '-' : String(value);
};
const lines = [
  `| history runs | predictor | training rows | fit s (CPU s) | features s | peak RSS MB | single µs (median / p99) | live features+predict µs | batch µs/row | PR-AUC | ROC-AUC | Brier |`,
  `|---|---|---|---|---|---|---|---|---|---|---|---|`,
];
const row = (size: number, name: string, r: Result) => {
  if (r.skipped) return `| ${size} | ${name} | - | skipped: ${r.reason} | | | | | | | | |`;
  if (r.error) return `| ${size} | ${name} | error: ${r.error.slice(0, 80)} | | | | | | | | | |`;
  const fit = r.case === 'rules' ? `- (scores: ${v(r, 'scoreSeconds')})` : `${v(r, 'fitSeconds')} (${v(r, 'fitCpuSeconds')})`;
  const live = r.case === 'rules' ? v(r, 'liveContextAndPredictionMicros.median') : v(r, 'liveFeaturesAndPredictionMicros.median');
  return `| ${v(r, 'historyRows')} | ${name} | ${r.case === 'rules' ? '-' : v(r, 'trainRows')} | ${fit} | ${r.case === 'rules' ? '-' : v(r, 'featuresSeconds')} | ${v(r, 'peakRssMb')} | ${v(r, 'singlePredictionMicros.median')} / ${v(r, 'singlePredictionMicros.p99')} | ${live} | ${v(r, 'batchMicrosPerRow')} | ${v(r, 'validation.prAuc')} | ${v(r, 'validation.rocAuc')} | ${v(r, 'validation.brier')} |`;
};
for (const r of results) {
  const forests = Object.entries(r.sentinelForestByBins).sort(([a], [b]) => Number(a) - Number(b));
  if (forests.length === 0) lines.push(row(r.size, 'sentinel-forest', r.sentinelForest));
  for (const [bins, result] of forests) lines.push(row(r.size, `sentinel-forest (${bins} bins${bins === defaultBins ? ', default' : ''})`, result));
  lines.push(row(r.size, 'ml-random-forest', r.mlRandomForest), row(r.size, 'rules', r.rules));
}
lines.push('', 'Same history (the last ml-random-forest probe):', '', lines[0] as string, lines[1] as string);
for (const p of probes) lines.push(row(Number(p.historyRows), 'ml-random-forest', p));
lines.push(row(Number(probeSentinel.historyRows), 'sentinel-forest', probeSentinel));
lines.push('', `ml-random-forest fit time grows like rows^${exponent.toFixed(2)} between the probes.`);
for (const p of pipelines) lines.push('', `whole training call at ${v(p, 'historyRows')} runs: ${JSON.stringify(p)}`);
if (importResult) lines.push('', `import: ${JSON.stringify(importResult)}`);
process.stdout.write(`${lines.join('\n')}\n`);
