/**
 * One scenario of the evaluation suite through the product's own training round (domain/models/train-candidate.ts:
 * features, time split, forest, calibration, the rules calibrated to the team, the promotion gate), scored beside
 * the rules as written and the true probabilities on the same held-out rows (the newest 20%).
 *
 * `attainable` = model PR-AUC / true-probability PR-AUC: the share of the achievable ranking quality the model
 * reaches. Brier scores are also given relative to the constant base rate of the window (below 1 beats it).
 * CPU-heavy (trains a forest); threads only through the `treeRunner` the caller passes.
 */
import type { BackupRunRecord } from '../../history/types.js';
import { trainCandidate } from '../../models/train-candidate.js';
import { scoreRunsWithCalibratedRules, scoreRunsWithRules } from '../../models/rules-scores.js';
import type { AlgorithmName } from '../classifier.js';
import type { TreeRunner } from '../forest/runner.js';
import { evaluateBinary, type BinaryMetrics } from '../metrics.js';
import { timeSplitRuns } from '../split.js';
import type { Scenario, ScenarioSize } from './scenarios.js';

export interface PredictorFigures {
  prAuc: number | null;
  rocAuc: number | null;
  brier: number | null;
  /** Brier / the base rate's Brier (below 1 beats always predicting the window's failure rate). */
  brierVsBaseRate: number | null;
}

export interface ScenarioEvaluation {
  scenario: string;
  algorithm: AlgorithmName;
  seed: number;
  runs: number;
  failures: number;
  validationRows: number;
  validationFailures: number;
  baseRate: number;
  baseRateBrier: number;
  /** null when the history gave no model (the reason is in `outcome`). */
  model: PredictorFigures | null;
  /** The rules as the gate uses them without a model: calibrated to the team, point in time. */
  rules: PredictorFigures;
  rulesAsWritten: PredictorFigures;
  /** The team's observed failure rate over the same past window, as a constant (point in time). */
  pastBaseRate: PredictorFigures;
  truth: PredictorFigures;
  /** Model PR-AUC / true-probability PR-AUC (null without a model). */
  attainable: number | null;
  /** `promoted`, `kept-candidate: <reason>` or `no-model: <reason>`. */
  outcome: string;
  trainingSeconds: number | null;
  /** Model selection: candidates tried within the budget and the chosen params (null without a model). */
  selection: { candidates: number; stopped: string; params: Record<string, unknown> } | null;
}

const r4 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10_000) / 10_000);

function figures(m: Pick<BinaryMetrics, 'prAuc' | 'rocAuc' | 'brier' | 'brierBaseline'>): PredictorFigures {
  return {
    prAuc: r4(m.prAuc),
    rocAuc: r4(m.rocAuc),
    brier: r4(m.brier),
    brierVsBaseRate: m.brier === null || m.brierBaseline === null || m.brierBaseline === 0 ? null : r4(m.brier / m.brierBaseline),
  };
}

export async function evaluateScenario(
  scenario: Scenario,
  options: {
    seed: number;
    size?: Partial<ScenarioSize>;
    /** Default sentinel-forest. */
    algorithm?: AlgorithmName;
    params?: Record<string, unknown>;
    treeRunner?: TreeRunner;
  },
): Promise<ScenarioEvaluation> {
  const { runs, trueProbability } = scenario.generate({ seed: options.seed, ...(options.size ? { size: options.size } : {}) });
  const split = timeSplitRuns(runs);
  const labels = Uint8Array.from(split.validation, (i) => ((runs[i] as BackupRunRecord).status === 'failed' ? 1 : 0));
  const truth = evaluateBinary(
    Float64Array.from(split.validation, (i) => trueProbability[i] as number),
    labels,
  );
  const rulesAsWritten = evaluateBinary(scoreRunsWithRules(runs, { only: split.validation }), labels);
  const out = await trainCandidate({
    runs,
    algorithm: options.algorithm ?? 'sentinel-forest',
    ...(options.params ? { params: options.params } : {}),
    minFailures: 25,
    active: null,
    createdAt: new Date(0),
    createdBy: 'scenario-suite',
    ...(options.treeRunner ? { treeRunner: options.treeRunner } : {}),
  });
  const failures = runs.reduce((n, r) => n + (r.status === 'failed' ? 1 : 0), 0);
  const base = {
    scenario: scenario.name,
    algorithm: options.algorithm ?? 'sentinel-forest',
    seed: options.seed,
    runs: runs.length,
    failures,
    validationRows: labels.length,
    validationFailures: truth.positives,
    baseRate: r4(truth.baseRate) as number,
    baseRateBrier: r4(truth.brierBaseline) as number,
    rulesAsWritten: figures(rulesAsWritten),
    pastBaseRate: figures(evaluateBinary(scoreRunsWithCalibratedRules(runs, { only: split.validation, constantBaseRate: true }), labels)),
    truth: figures(truth),
  };
  if (out.outcome !== 'trained') {
    return {
      ...base,
      model: null,
      rules: figures(evaluateBinary(scoreRunsWithCalibratedRules(runs, { only: split.validation }), labels)),
      attainable: null,
      outcome: `no-model: ${out.reason}`,
      trainingSeconds: null,
      selection: null,
    };
  }
  const { candidate, rules } = out.evaluation;
  return {
    ...base,
    model: figures(candidate),
    rules: figures(rules),
    attainable: candidate.prAuc === null || !truth.prAuc ? null : r4(candidate.prAuc / truth.prAuc),
    outcome: out.decision.promote ? 'promoted' : `kept-candidate: ${out.decision.reason}`,
    trainingSeconds: Math.round(out.trainingSeconds * 100) / 100,
    selection: out.evaluation.selection
      ? { candidates: out.evaluation.selection.candidates, stopped: out.evaluation.selection.stopped, params: out.evaluation.selection.params }
      : null,
  };
}
