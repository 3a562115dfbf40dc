/**
 * The evaluation suite (`npm run bench:model -- --scenarios`, or this file directly): every scenario of
 * domain/ml/scenarios through the product's training round, per scenario PR-AUC, ROC-AUC and Brier of the model,
 * the rules calibrated to the team (what the gate uses without a model), the rules as written and the true
 * probabilities, and the fraction of the attainable PR-AUC. Results: bench/results/model-scenarios.json (another
 * algorithm than sentinel-forest: model-scenarios-ALGORITHM.json) and a
 * Markdown table on stdout (for BENCHMARKS.md).
 *
 *   npx tsx bench/model-scenarios.ts [--only NAME,NAME] [--seeds 1,2,3] [--targets 8 --days 90 --runs-per-day 12]
 *                                    [--algorithm sentinel-boosting]   (default sentinel-forest)
 *                                    [--selection-budget S]   (default: the product's selectionBudgetSeconds)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { threadTreeRunner } from '../activities/models/forest-threads.js';
import { algorithmNameSchema } from '../domain/ml/algorithms.js';
import { evaluateScenario, type PredictorFigures, type ScenarioEvaluation } from '../domain/ml/scenarios/evaluate.js';
import { DEFAULT_SCENARIO_SIZE, SCENARIOS } from '../domain/ml/scenarios/scenarios.js';
import { machineFacts } from './decision-latency/machine.js';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    targets: { type: 'string', default: String(DEFAULT_SCENARIO_SIZE.targets) },
    days: { type: 'string', default: String(DEFAULT_SCENARIO_SIZE.days) },
    'runs-per-day': { type: 'string', default: String(DEFAULT_SCENARIO_SIZE.runsPerDay) },
    threads: { type: 'string', default: '2' },
    algorithm: { type: 'string', default: 'sentinel-forest' },
    scenarios: { type: 'boolean', default: true },
    'selection-budget': { type: 'string' },
  },
});

const algorithm = algorithmNameSchema.parse(args.algorithm);
const size = { targets: Number(args.targets), days: Number(args.days), runsPerDay: Number(args['runs-per-day']) };
const wanted = args.only ? new Set(args.only.split(',')) : null;
const seeds = args.seeds.split(',').map(Number);
const started = new Date();
const machine = machineFacts(started);
const log = (m: string) => process.stderr.write(`[bench:model scenarios] ${m}\n`);
log(`machine: ${machine.nproc} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverage.join(' ')}`);

const results: ScenarioEvaluation[] = [];
for (const scenario of SCENARIOS) {
  if (wanted && !wanted.has(scenario.name)) continue;
  for (const seed of seeds) {
    log(`${scenario.name} seed ${seed} ${algorithm}`);
    results.push(
      await evaluateScenario(scenario, {
        seed,
        size,
        algorithm,
        params: {
          threads: Number(args.threads),
          ...(args['selection-budget'] !== undefined ? { selectionBudgetSeconds: Number(args['selection-budget']) } : {}),
        },
        treeRunner: threadTreeRunner,
      }),
    );
  }
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL(`./results/model-scenarios${algorithm === 'sentinel-forest' ? '' : `-${algorithm}`}.json`, import.meta.url),
  `${JSON.stringify({ machine, algorithm, size, finishedAt: new Date().toISOString(), results }, null, 2)}\n`,
);

const f = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
const trio = (p: PredictorFigures | null) => (p ? `${f(p.prAuc)} / ${f(p.rocAuc)} / ${f(p.brier)} (${f(p.brierVsBaseRate)})` : '-');
const lines = [
  '| scenario | seed | runs | valid. failures (rate) | model PR / ROC / Brier (vs base) | rules calibrated | rules as written | past base rate | true probabilities | attainable | outcome |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.scenario} | ${r.seed} | ${r.runs} | ${r.validationFailures} (${(r.baseRate * 100).toFixed(1)}%) | ${trio(r.model)} | ${trio(r.rules)} | ${trio(r.rulesAsWritten)} | ${trio(r.pastBaseRate)} | ${trio(r.truth)} | ${f(r.attainable)} | ${r.outcome.split(':')[0]} |`,
  ),
];
lines.push(
  '',
  ...results.map(
    (r) =>
      `- ${r.scenario} seed ${r.seed}: ${r.selection ? `${r.selection.candidates} candidate(s) (${r.selection.stopped}), chosen ${JSON.stringify(r.selection.params)}` : 'no model'}`,
  ),
);
process.stdout.write(`${lines.join('\n')}\n`);
log(`done, load ${machineFacts(new Date()).loadAverage.join(' ')}`);
