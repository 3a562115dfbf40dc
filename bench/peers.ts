/**
 * The project's models side by side with scikit-learn and LightGBM (`npm run bench:peers`; issue 16 items 4 and 5).
 *
 * Per data set -- every scenario of the evaluation suite (domain/ml/scenarios, default size, seeds 1, 2, 3: a scenario's
 * figures are the mean over its seeds, as PR-AUC on 60-300 failures moves by a few hundredths with the seed) and 10k / 100k /
 * 1M runs of the project's own generator -- the feature matrix is built ONCE with the product's pipeline (the code
 * `model train` runs) and written to binary files (bench/peers/dataset.ts); then, interleaved (the order rotates every
 * repeat), each model fits on the identical train rows with the same threads in its own process and scores the
 * identical validation rows: sentinel-forest, sentinel-boosting (bench/peers/case.ts), scikit-learn
 * RandomForestClassifier with sentinel-forest's trees, depth, leaf size and sample cap, HistGradientBoostingClassifier
 * and LightGBM (bench/peers/fit.py). PR-AUC, ROC-AUC and Brier are computed here with the project's metric code for
 * every model. The project's models are calibrated as the training pipeline calibrates them; the peers' probabilities
 * are used as they come (PR-AUC and ROC-AUC do not depend on a monotone calibration; Brier does). On a scenario the
 * true failure probabilities it drew the outcomes from are scored the same way on the same rows: the attainable
 * PR-AUC, beside which a gap between two models can be read (a model above it was lucky on this window).
 *
 * Model seeds: on a scenario, changing only a forest's seed moves its 3-seed PR-AUC by as much as the gaps the goals
 * judge (BENCHMARKS.md), so every model fits each scenario data set once per model seed (`--model-seeds`, the same
 * seeds for the project's models and the peers' random_state) and a scenario's metric is the mean over data seeds and
 * model seeds; the per-seed figures are kept. The generator sizes use the first model seed only.
 *
 * Python: a virtualenv at bench/.venv with scikit-learn 1.9.1, LightGBM 4.7.0 and numpy, created and filled on the
 * first run (idempotent; needs PyPI). A benchmark only: nothing of the product imports them.
 *
 *   npm run bench:peers                                  # everything: 9 scenarios x 3 seeds + 3 sizes
 *   npm run bench:peers -- --sizes 10000,100000 --scenarios none --repeats 3
 *   npm run bench:peers -- --omp-wait-policy passive     # libgomp's setting for scikit-learn's HGB and LightGBM
 *
 * Results: bench/results/peers.json (every repeat, with the load before each fit) and a Markdown table on stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_FOREST_OPTIONS } from '../domain/ml/forest/options.js';
import { chanceAveragePrecision, evaluateBinary } from '../domain/ml/metrics.js';
import { SCENARIOS } from '../domain/ml/scenarios/scenarios.js';
import { generateHistory } from '../domain/ml/synthetic-history.js';
import type { BackupRunRecord } from '../domain/history/types.js';
import { loadAverage, machineFacts } from './decision-latency/machine.js';
import { readDataset, readScores, writeDataset, type DatasetMeta } from './peers/dataset.js';

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'all' },
    /** Scenario seeds: PR-AUC on a scenario's 60-300 validation failures moves by a few hundredths with the seed. */
    seeds: { type: 'string', default: '1,2,3' },
    /** Model seeds per scenario data set, for every model (project seed / peers' random_state). */
    'model-seeds': { type: 'string', default: '1,2,3' },
    /** Repeats per scenario seed and model seed (each fit is itself a timing sample). */
    'scenario-repeats': { type: 'string', default: '1' },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    repeats: { type: 'string', default: '3' },
    /** Repeats for sizes of 1M runs and more (scikit-learn's forest alone takes minutes there). */
    'large-repeats': { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    models: { type: 'string', default: 'sentinel-forest,sentinel-boosting,sklearn-rf,sklearn-hgb,lightgbm' },
    'omp-wait-policy': { type: 'string' },
    /** File under bench/results/ for the raw results. */
    results: { type: 'string', default: 'peers.json' },
  },
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VENV = path.join(ROOT, 'bench/.venv');
const PYTHON = path.join(VENV, 'bin/python');
const CASE = fileURLToPath(new URL('./peers/case.ts', import.meta.url));
const FIT_PY = fileURLToPath(new URL('./peers/fit.py', import.meta.url));
const PIP_PACKAGES = ['scikit-learn==1.9.1', 'lightgbm==4.7.0', 'numpy'];
const PROJECT_MODELS = new Set(['sentinel-forest', 'sentinel-boosting']);
const PEER_MODELS = new Set(['sklearn-rf', 'sklearn-hgb', 'lightgbm']);
/** The two sides of the goal "best project model's PR-AUC at least the best scikit-learn model's". */
const PROJECT_SIDE = [...PROJECT_MODELS];
const SKLEARN_SIDE = ['sklearn-rf', 'sklearn-hgb'];

const log = (m: string) => process.stderr.write(`[bench:peers] ${m}\n`);
const threads = Number(args.threads);
const models = args.models.split(',');
for (const m of models) if (!PROJECT_MODELS.has(m) && !PEER_MODELS.has(m)) throw new Error(`unknown model "${m}"`);

/** bench/.venv with the pinned peers; created and filled only when an import or a version does not match. */
function ensureVenv(): { sklearn: string; lightgbm: string; numpy: string } {
  const probe = () =>
    spawnSync(PYTHON, ['-c', 'import json, sklearn, lightgbm, numpy; print(json.dumps([sklearn.__version__, lightgbm.__version__, numpy.__version__]))'], {
      encoding: 'utf8',
    });
  let versions = probe();
  const ok = () => versions.status === 0 && versions.stdout.includes('"1.9.1"') && versions.stdout.includes('"4.7.0"');
  if (!ok()) {
    log(`setting up ${VENV} (${PIP_PACKAGES.join(' ')})`);
    const venv = spawnSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (venv.status !== 0) throw new Error('python3 -m venv failed: install python3-venv');
    const pip = spawnSync(path.join(VENV, 'bin/pip'), ['install', '--quiet', ...PIP_PACKAGES], { stdio: 'inherit' });
    if (pip.status !== 0) throw new Error(`pip install ${PIP_PACKAGES.join(' ')} failed`);
    versions = probe();
    if (!ok()) throw new Error(`bench/.venv does not import the pinned peers: ${versions.stderr || versions.stdout}`);
  }
  const [sklearn, lightgbm, numpy] = JSON.parse(versions.stdout) as [string, string, string];
  return { sklearn, lightgbm, numpy };
}

type CaseResult = Record<string, unknown> & { model: string; fitSeconds: number; error?: string };

function runProcess(command: string, commandArgs: string[], env: NodeJS.ProcessEnv): Promise<CaseResult | { error: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as CaseResult);
      } catch {
        resolve({ error: `exited with ${code}: ${(err || out).slice(-600)}` });
      }
    });
  });
}

const ompWaitPolicy = args['omp-wait-policy'] ?? process.env.OMP_WAIT_POLICY;
const pythonEnv: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: String(threads) };
if (ompWaitPolicy) pythonEnv.OMP_WAIT_POLICY = ompWaitPolicy;
else delete pythonEnv.OMP_WAIT_POLICY;

function runModel(model: string, prefix: string, scoresPath: string, seed: number) {
  if (PROJECT_MODELS.has(model)) {
    return runProcess(
      process.execPath,
      [...process.execArgv, CASE, '--data', prefix, '--algorithm', model, '--threads', String(threads), '--scores', scoresPath, '--seed', String(seed)],
      process.env,
    );
  }
  const f = DEFAULT_FOREST_OPTIONS;
  const forest = [
    '--rf-trees',
    String(f.nTrees),
    '--rf-depth',
    String(f.maxDepth),
    '--rf-min-leaf',
    String(f.minSamplesLeaf),
    '--rf-max-samples',
    String(f.maxSamplesPerTree),
  ];
  return runProcess(
    PYTHON,
    [FIT_PY, '--data', prefix, '--model', model, '--threads', String(threads), '--scores', scoresPath, '--seed', String(seed), ...forest],
    pythonEnv,
  );
}

/** About `rows` hourly runs: 90 days per target, as many targets as needed (as bench/model-cases.ts shapes them). */
function sizedHistory(rows: number): BackupRunRecord[] {
  const targets = Math.max(2, Math.round(rows / (24 * 90)));
  const days = Math.max(1, Math.round(rows / (24 * targets)));
  return generateHistory({ targets, days, seed: 1, start: new Date(Date.UTC(2024, 0, 1)) });
}

interface DataSpec {
  name: string;
  /** Data sets of a group (a scenario's seeds) are summarised together: metrics averaged, times' median. */
  group: string;
  kind: 'scenario' | 'size';
  runs: () => { runs: readonly BackupRunRecord[]; source: string; trueProbability?: ArrayLike<number> };
  repeats: number;
  modelSeeds: readonly number[];
}

const repeats = Number(args.repeats);
const modelSeeds = args['model-seeds'].split(',').map(Number);
if (modelSeeds.length === 0 || modelSeeds.some((s) => !Number.isInteger(s) || s < 0))
  throw new Error(`--model-seeds: non-negative integers, got "${args['model-seeds']}"`);
const specs: DataSpec[] = [];
if (args.scenarios !== 'none') {
  const wanted = args.scenarios === 'all' ? null : new Set(args.scenarios.split(','));
  for (const s of SCENARIOS) {
    if (wanted && !wanted.has(s.name)) continue;
    for (const seed of args.seeds.split(',').map(Number)) {
      specs.push({
        name: `${s.name}-seed${seed}`,
        group: s.name,
        kind: 'scenario',
        repeats: Number(args['scenario-repeats']),
        modelSeeds,
        runs: () => {
          const generated = s.generate({ seed });
          return { runs: generated.runs, trueProbability: generated.trueProbability, source: `scenario ${s.name}, seed ${seed}, default size` };
        },
      });
    }
  }
}
for (const size of args.sizes === 'none' ? [] : args.sizes.split(',').map(Number)) {
  specs.push({
    name: `generator-${size}`,
    group: `generator-${size}`,
    kind: 'size',
    repeats: size >= 1_000_000 ? Number(args['large-repeats']) : repeats,
    modelSeeds: modelSeeds.slice(0, 1),
    runs: () => ({ runs: sizedHistory(size), source: `domain/ml/synthetic-history.ts, about ${size} runs, seed 1` }),
  });
}

const peerVersions = models.some((m) => PEER_MODELS.has(m)) ? ensureVenv() : null;
const started = new Date();
const machine = machineFacts(started);
log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, load ${machine.loadAverage.join(' ')}; OMP_WAIT_POLICY=${ompWaitPolicy ?? 'unset'}`);
const work = mkdtempSync(path.join(os.tmpdir(), 'sentinel-peers-'));

interface Measured {
  modelSeed: number;
  repeat: number;
  order: number;
  loadAverage: [number, number, number];
  fitSeconds?: number;
  prAuc?: number | null;
  rocAuc?: number | null;
  brier?: number | null;
  brierUncalibrated?: number | null;
  result: Record<string, unknown>;
}
interface DataResult {
  group: string;
  dataset: DatasetMeta;
  runs: Record<string, Measured[]>;
}
const results: DataResult[] = [];

try {
  for (const spec of specs) {
    const prefix = path.join(work, spec.name);
    const { runs, source, trueProbability } = spec.runs();
    const meta = writeDataset(prefix, spec.name, source, runs, trueProbability ?? null);
    const { validY } = readDataset(prefix);
    log(`${spec.name}: ${meta.rows} rows x ${meta.columns} features (${meta.trainRows} train), ${meta.validationFailures} validation failures`);
    const entry: DataResult = { group: spec.group, dataset: meta, runs: Object.fromEntries(models.map((m) => [m, []])) };
    let rotation = 0;
    for (const modelSeed of spec.modelSeeds) {
      for (let r = 0; r < spec.repeats; r++, rotation++) {
        // Rotated each repeat, so no model always runs first (or right after the heaviest one).
        const order = models.map((_, k) => models[(k + rotation) % models.length] as string);
        for (const [position, model] of order.entries()) {
          const scoresPath = path.join(work, `${spec.name}.${model}.scores`);
          const load = loadAverage();
          const result = await runModel(model, prefix, scoresPath, modelSeed);
          const measured: Measured = { modelSeed, repeat: r, order: position, loadAverage: load, result };
          if (!('error' in result) || result.error === undefined) {
            const m = evaluateBinary(readScores(scoresPath), validY);
            measured.fitSeconds = (result as CaseResult).fitSeconds;
            measured.prAuc = m.prAuc;
            measured.rocAuc = m.rocAuc;
            measured.brier = m.brier;
            if (PROJECT_MODELS.has(model)) measured.brierUncalibrated = evaluateBinary(readScores(`${scoresPath}.raw`), validY).brier;
            log(`  ${spec.name} seed ${modelSeed} #${r} ${model}: fit ${measured.fitSeconds.toFixed(2)} s, PR-AUC ${m.prAuc?.toFixed(4)} (load ${load[0]})`);
          } else {
            log(`  ${spec.name} seed ${modelSeed} #${r} ${model}: ${String(result.error)}`);
          }
          (entry.runs[model] as Measured[]).push(measured);
        }
      }
    }
    results.push(entry);
    rmSync(`${prefix}.X.f64`, { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Summary per group (a scenario's seeds, or one generator size): metrics are the mean over the group's data sets and
// model seeds of each (data set, model seed)'s median over repeats (the same each repeat for seeded models); times are
// the median of all fits. Per model seed, the group's mean over its data sets is kept as well (the seed's spread).
const median = (values: number[]): number | null => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const nums = (ms: Measured[], pick: (m: Measured) => unknown) => ms.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

interface Summary {
  fitSeconds: number | null;
  batchMicrosPerRow: number | null;
  singleMicros: number | null;
  prAuc: number | null;
  rocAuc: number | null;
  brier: number | null;
  /** PR-AUC per model seed: the group's mean over its data sets with that seed. */
  prAucBySeed: Record<string, number | null>;
  repeats: number;
  errors: string[];
}
const mean = (values: number[]): number | null => (values.length === 0 ? null : values.reduce((x, v) => x + v, 0) / values.length);
const groups = [...new Set(results.map((r) => r.group))].map((group) => results.filter((r) => r.group === group));
const summaries = groups.map((members) => {
  const first = members[0] as DataResult;
  const perModel: Record<string, Summary> = {};
  for (const model of models) {
    const all = members.flatMap((r) => r.runs[model] ?? []);
    const meanOfPresent = (values: (number | null)[]) => mean(values.filter((v): v is number => v !== null));
    const seedMetric = (seed: number, pick: (m: Measured) => unknown) =>
      meanOfPresent(
        members.map((r) =>
          median(
            nums(
              (r.runs[model] ?? []).filter((m) => m.modelSeed === seed),
              pick,
            ),
          ),
        ),
      );
    const seeds = [...new Set(all.map((m) => m.modelSeed))];
    const metric = (pick: (m: Measured) => unknown) => meanOfPresent(seeds.map((seed) => seedMetric(seed, pick)));
    const prAucBySeed = Object.fromEntries(seeds.map((seed) => [seed, seedMetric(seed, (m) => m.prAuc)]));
    perModel[model] = {
      fitSeconds: median(nums(all, (m) => m.fitSeconds)),
      batchMicrosPerRow: median(nums(all, (m) => m.result.batchMicrosPerRow)),
      singleMicros: median(nums(all, (m) => (m.result.singleMicros as { median?: number } | undefined)?.median)),
      prAuc: meanOfPresent(Object.values(prAucBySeed)),
      rocAuc: metric((m) => m.rocAuc),
      brier: metric((m) => m.brier),
      prAucBySeed,
      repeats: all.filter((m) => m.fitSeconds !== undefined).length,
      errors: all.map((m) => m.result.error).filter((e): e is string => typeof e === 'string'),
    };
  }
  const get = (model: string) => perModel[model];
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b > 0 ? a / b : null);
  const diff = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null ? a - b : null);
  const bestOf = (values: (number | null | undefined)[]) => {
    const present = values.filter((v): v is number => typeof v === 'number');
    return present.length ? Math.max(...present) : null;
  };
  const best = (names: string[]) => bestOf(names.map((n) => get(n)?.prAuc));
  const seedsOfGroup = Object.keys(get(models[0] as string)?.prAucBySeed ?? {});
  const bestAtSeed = (names: string[], seed: string) => bestOf(names.map((n) => get(n)?.prAucBySeed[seed]));
  const goals = {
    boostingPrAucMinusLightgbm: diff(get('sentinel-boosting')?.prAuc, get('lightgbm')?.prAuc),
    boostingFitOverLightgbm: ratio(get('sentinel-boosting')?.fitSeconds, get('lightgbm')?.fitSeconds),
    bestProjectPrAucMinusBestSklearn: diff(best(PROJECT_SIDE), best(SKLEARN_SIDE)),
    /** The same difference with one model seed at a time (how much of it the seeds decide). */
    bestProjectPrAucMinusBestSklearnBySeed: Object.fromEntries(
      seedsOfGroup.map((seed) => [seed, diff(bestAtSeed(PROJECT_SIDE, seed), bestAtSeed(SKLEARN_SIDE, seed))]),
    ),
    forestFitOverSklearnRf: ratio(get('sentinel-forest')?.fitSeconds, get('sklearn-rf')?.fitSeconds),
  };
  /**
   * The true probabilities' PR-AUC on the same rows (scenarios only): the attainable. A model above it ranked this
   * window's failures better than the probabilities they were drawn from: luck of the sample, not skill.
   */
  const truePrAuc = members.every((r) => r.dataset.truth?.prAuc != null) ? mean(members.map((r) => r.dataset.truth!.prAuc as number)) : null;
  const met = {
    boostingWithin0005OfLightgbm: goals.boostingPrAucMinusLightgbm === null ? null : goals.boostingPrAucMinusLightgbm >= -0.005,
    boostingFitAtMost2xLightgbm: goals.boostingFitOverLightgbm === null ? null : goals.boostingFitOverLightgbm <= 2,
    projectAtLeastBestSklearn: goals.bestProjectPrAucMinusBestSklearn === null ? null : goals.bestProjectPrAucMinusBestSklearn >= 0,
    forestFitAtMostSklearnRf: goals.forestFitOverSklearnRf === null ? null : goals.forestFitOverSklearnRf <= 1,
  };
  return {
    dataset: first.group,
    dataSets: members.map((r) => r.dataset.name),
    rows: first.dataset.rows,
    trainRows: first.dataset.trainRows,
    validationFailures: mean(members.map((r) => r.dataset.validationFailures)) as number,
    /** What a random ranking scores on average (the level for a scenario where nothing is predictable). */
    chancePrAuc: mean(
      members.map((r) => chanceAveragePrecision(r.dataset.validationFailures, r.dataset.rows - r.dataset.trainRows)).filter((v): v is number => v !== null),
    ),
    truePrAuc,
    /** Each side's best PR-AUC as a fraction of the attainable (above 1: the sample's luck). */
    bestOverAttainable: { project: ratio(best(PROJECT_SIDE), truePrAuc), sklearn: ratio(best(SKLEARN_SIDE), truePrAuc) },
    models: perModel,
    goals,
    met,
  };
});

const report = {
  machine,
  finishedAt: new Date().toISOString(),
  loadAverageAtEnd: loadAverage(),
  threads,
  ompWaitPolicy: ompWaitPolicy ?? 'unset',
  peerVersions,
  modelSeeds,
  method:
    'feature matrix built once per data set with the product pipeline (buildFeatureTable + timeSplit: oldest 80% train); every model fits each scenario data set once per model seed (generator sizes: the first seed); each model in its own process, order rotated per repeat; fit = wall time of the fit call; metrics by domain/ml/metrics.ts on the newest 20%; project models calibrated as training does (Platt on out-of-bag / held-out predictions), peers uncalibrated',
  summaries,
  results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/${path.basename(args.results)}`, import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '-' : v.toFixed(d));
const lines = [
  `Machine: ${machine.nproc} cores, ${machine.cpuModel}; load ${machine.loadAverage.join(' ')} at start, ${report.loadAverageAtEnd.join(' ')} at end; ${threads} threads each; OMP_WAIT_POLICY=${report.ompWaitPolicy}; ${machine.date}`,
  '',
  '| data set (scenarios: mean of the seeds) | rows (train) | valid. failures | model | fit s | batch µs/row | single µs | PR-AUC | ROC-AUC | Brier |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const s of summaries) {
  for (const [model, m] of Object.entries(s.models)) {
    const err = m.errors.length && m.repeats === 0 ? ` error: ${m.errors[0]?.slice(0, 80)}` : '';
    lines.push(
      `| ${s.dataset} | ${s.rows} (${s.trainRows}) | ${Math.round(s.validationFailures)} | ${model}${err} | ${f(m.fitSeconds, 2)} | ${f(m.batchMicrosPerRow, 2)} | ${f(m.singleMicros, 1)} | ${f(m.prAuc, 4)} | ${f(m.rocAuc, 4)} | ${f(m.brier, 4)} |`,
    );
  }
}
lines.push(
  '',
  '| data set | boosting − LightGBM PR-AUC (goal ≥ −0.005) | boosting / LightGBM fit (goal ≤ 2) | best project − best scikit-learn PR-AUC (goal ≥ 0) | … per model seed | chance PR-AUC (random ranking) | true probabilities PR-AUC (attainable) | best project / best scikit-learn ÷ attainable | sentinel-forest / sklearn RF fit (goal ≤ 1) |',
  '|---|---|---|---|---|---|---|---|---|',
);
const mark = (ok: boolean | null) => (ok === null ? '' : ok ? ' ✓' : ' ✗');
for (const s of summaries) {
  lines.push(
    `| ${s.dataset} | ${f(s.goals.boostingPrAucMinusLightgbm, 4)}${mark(s.met.boostingWithin0005OfLightgbm)} | ${f(s.goals.boostingFitOverLightgbm, 2)}${mark(s.met.boostingFitAtMost2xLightgbm)} | ${f(s.goals.bestProjectPrAucMinusBestSklearn, 4)}${mark(s.met.projectAtLeastBestSklearn)} | ${Object.values(
      s.goals.bestProjectPrAucMinusBestSklearnBySeed,
    )
      .map((v) => f(v, 4))
      .join(
        ' / ',
      )} | ${f(s.chancePrAuc, 4)} | ${f(s.truePrAuc, 4)} | ${f(s.bestOverAttainable.project, 3)} / ${f(s.bestOverAttainable.sklearn, 3)} | ${f(s.goals.forestFitOverSklearnRf, 2)}${mark(s.met.forestFitAtMostSklearnRf)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
log(`done in ${Math.round((Date.now() - started.getTime()) / 1000)} s, load ${loadAverage().join(' ')}`);
