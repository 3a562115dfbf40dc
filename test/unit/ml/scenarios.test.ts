/**
 * The evaluation suite in CI (issue 16, item 1): every scenario of domain/ml/scenarios through the product's own
 * training round at the default size (8 targets x 90 days x 12 runs, seed 1: about 10 s per scenario on two busy
 * cores), with a floor per scenario. The runs are deterministic (seeded simulator, seeded forest, the same bits
 * on any thread split), so these figures are what `npm run bench:model -- --scenarios --selection-budget 0` measured (BENCHMARKS.md);
 * the floors sit below them with a margin, so a change that makes the model or the rules clearly worse on a
 * scenario fails here, while a retuned forest may move them a little.
 */
import { describe, expect, it } from 'vitest';
import { evaluateScenario, type ScenarioEvaluation } from '../../../domain/ml/scenarios/evaluate.js';
import { findScenario, SCENARIOS } from '../../../domain/ml/scenarios/scenarios.js';

interface Floor {
  /** Lowest model PR-AUC / true-probability PR-AUC. null: not meaningful (nothing to rank). */
  attainable: number | null;
  /** Highest model Brier / base-rate Brier. */
  brierVsBaseRate: number;
  /** Why these numbers. */
  why: string;
}

// Measured (seed 1, default size, feature pipeline 2, selection budget 0: the default params) -> floor. A margin of about 0.1-0.15 on the attainable fraction: PR-AUC on 60-300
// validation failures moves by a few hundredths with any change to the forest's randomness.
const FLOORS: Record<string, Floor> = {
  'disk-pressure': { attainable: 0.85, brierVsBaseRate: 0.75, why: 'measured 1.01 of the attainable, Brier 0.66 of the base rate (pipeline 1: 1.02 and 0.66)' },
  'hour-size-contention': {
    attainable: 0.85,
    brierVsBaseRate: 0.76,
    why: 'measured 1.01 and 0.68: the trees find the hour x size interaction without a crafted feature',
  },
  weekday: {
    attainable: 0.8,
    brierVsBaseRate: 0.97,
    why: 'measured 1.03 and 0.92 (a weak driver: the true probabilities reach only 0.91; cyclic weekday encodings)',
  },
  incidents: { attainable: 0.8, brierVsBaseRate: 0.97, why: 'measured 0.89 and 0.92 (pipeline 1: 0.95): clusters are seen through recent failures' },
  'flaky-targets': {
    attainable: 0.9,
    brierVsBaseRate: 0.98,
    why: 'measured 1.04 and 0.95 (pipeline 1: 0.90 and 0.97, floors 0.75 and 0.99): rates over 50 runs and 30 days, shrunk to the team rate, estimate a lasting flakiness',
  },
  drift: {
    attainable: 0.75,
    brierVsBaseRate: 0.88,
    why: 'measured 0.90 and 0.80: the model is trained mostly on the old regime (the change is on day 60 of 90)',
  },
  'little-history': {
    attainable: 0.6,
    brierVsBaseRate: 0.99,
    why: 'measured 0.81 and 0.96: three targets have 12 days of history, mostly in the validation window',
  },
  'noise-target': { attainable: 0.85, brierVsBaseRate: 0.8, why: 'measured 0.96 and 0.71: the noisy target does not confuse the others' },
  'nothing-predictable': {
    attainable: null,
    brierVsBaseRate: 1.01,
    why: 'nothing to rank (true PR-AUC = base rate); measured 1.00 (pipeline 2: 1.004): calibration must bring it to the base rate, no better is possible',
  },
};

// sentinel-boosting (issue 16 item 5) with its defaults, measured the same way (seed 1, default size, feature pipeline
// 2) -> floor, with the same margins. These histories (about 6,900 training rows) are below SMALL_HISTORY_ROWS, so it
// trains with the small-history capacity (50 rounds of 7 leaves, 100 rows per leaf, L2 10: domain/ml/boosting/
// options.ts); with the large-history defaults (100 rounds of 31 leaves) it memorised the few failures (incidents
// 0.36 of the attainable, below the rules). Floors raised from the earlier 100-round figures, none lowered.
const BOOSTING_FLOORS: Record<string, Floor> = {
  'disk-pressure': { attainable: 0.85, brierVsBaseRate: 0.76, why: 'measured 0.97 of the attainable, Brier 0.68 of the base rate' },
  'hour-size-contention': { attainable: 0.85, brierVsBaseRate: 0.78, why: 'measured 1.00 and 0.69' },
  weekday: { attainable: 0.8, brierVsBaseRate: 1.0, why: 'measured 0.92 and 0.93' },
  incidents: { attainable: 0.75, brierVsBaseRate: 1.0, why: 'measured 0.88 and 0.94 (100 rounds of 31 leaves: 0.36, not promoted)' },
  'flaky-targets': { attainable: 0.7, brierVsBaseRate: 1.02, why: 'measured 0.84 and 0.96' },
  drift: { attainable: 0.7, brierVsBaseRate: 0.9, why: 'measured 0.85 and 0.81 (not promoted: the calibrated rules rank better after the change)' },
  'little-history': { attainable: 0.7, brierVsBaseRate: 1.0, why: 'measured 0.84 and 0.96 (not promoted)' },
  'noise-target': { attainable: 0.85, brierVsBaseRate: 0.75, why: 'measured 0.98 and 0.71' },
  'nothing-predictable': { attainable: null, brierVsBaseRate: 1.03, why: 'nothing to rank; measured 1.003, never promoted' },
};

describe('the evaluation suite', () => {
  it('has a floor, with its reason, for every scenario and algorithm', () => {
    expect(Object.keys(FLOORS).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
    expect(Object.keys(BOOSTING_FLOORS).sort()).toEqual(SCENARIOS.map((s) => s.name).sort());
  });

  it('is deterministic and emits a probability in (0, 1) per run', () => {
    const a = findScenario('incidents').generate({ seed: 3, size: { targets: 2, days: 5 } });
    const b = findScenario('incidents').generate({ seed: 3, size: { targets: 2, days: 5 } });
    expect(a).toEqual(b);
    expect(a.trueProbability.length).toBe(a.runs.length);
    for (const p of a.trueProbability) expect(p > 0 && p < 1).toBe(true);
    const starts = a.runs.map((r) => r.startedAt.getTime());
    expect([...starts].sort((x, y) => x - y)).toEqual(starts);
  });

  it.each(SCENARIOS.map((s) => [s.name]))('%s: the model reaches its floor and the calibrated rules never lose to the base rate', async (name) => {
    const scenario = findScenario(name);
    const floor = FLOORS[name] as Floor;
    // Selection budget 0: the default params only (cross-validated for calibration, then refit), so CI stays fast.
    const e: ScenarioEvaluation = await evaluateScenario(scenario, { seed: 1, params: { selectionBudgetSeconds: 0 } });
    const summary = JSON.stringify({
      model: e.model,
      rules: e.rules,
      pastBaseRate: e.pastBaseRate,
      truth: e.truth,
      attainable: e.attainable,
      outcome: e.outcome,
    });

    // The rules as the gate uses them without a model: never worse than the team's own failure rate known at the
    // time (the same past window, as a constant). Figures are rounded to 4 decimals, hence the 1e-4.
    expect(e.rules.brier, summary).not.toBeNull();
    expect(e.rules.brier as number, summary).toBeLessThanOrEqual((e.pastBaseRate.brier as number) + 1e-4);
    // ... and within 1% of the constant that knows the validation window's own rate (which no predictor working
    // point in time can know; the past rate alone is 1.001-1.08 of it when the rate moves, e.g. the drift scenario).
    expect(e.rules.brierVsBaseRate as number, summary).toBeLessThanOrEqual(e.scenario === 'drift' ? 0.9 : 1.01);
    // The rules as written are what this replaced: worse than the base rate on every scenario.
    expect(e.rulesAsWritten.brierVsBaseRate as number, summary).toBeGreaterThan(1);

    expect(e.model, summary).not.toBeNull();
    expect(e.model?.brierVsBaseRate as number, summary).toBeLessThanOrEqual(floor.brierVsBaseRate);
    if (floor.attainable !== null) expect(e.attainable as number, summary).toBeGreaterThanOrEqual(floor.attainable);
    if (!scenario.predictable) {
      // Bad input "a scenario where nothing is predictable": a model is trained but never promoted.
      expect(e.outcome, summary).toMatch(/^kept-candidate: not promoted: /);
    }
  });

  it.each(SCENARIOS.map((s) => [s.name]))('%s: sentinel-boosting reaches its floor; a model worse than the rules is never promoted', async (name) => {
    const scenario = findScenario(name);
    const floor = BOOSTING_FLOORS[name] as Floor;
    const e: ScenarioEvaluation = await evaluateScenario(scenario, { seed: 1, algorithm: 'sentinel-boosting' });
    const summary = JSON.stringify({ algorithm: e.algorithm, model: e.model, rules: e.rules, truth: e.truth, attainable: e.attainable, outcome: e.outcome });
    expect(e.algorithm).toBe('sentinel-boosting');
    expect(e.model, summary).not.toBeNull();
    expect(e.model?.brierVsBaseRate as number, summary).toBeLessThanOrEqual(floor.brierVsBaseRate);
    if (floor.attainable !== null) expect(e.attainable as number, summary).toBeGreaterThanOrEqual(floor.attainable);
    if (!scenario.predictable) expect(e.outcome, summary).toMatch(/^kept-candidate: not promoted: /);
    // Promoted only when it ranks better than the calibrated rules and beats the base rate's Brier; where it does not
    // (the uncalibrated small-history cases above), the rules stay.
    if (e.outcome === 'promoted') {
      expect(e.model?.prAuc as number, summary).toBeGreaterThan(e.rules.prAuc as number);
      expect(e.model?.brierVsBaseRate as number, summary).toBeLessThan(1);
    } else {
      expect(e.outcome, summary).toMatch(/^kept-candidate: not promoted: /);
    }
    if ((e.model?.brierVsBaseRate as number) >= 1) expect(e.outcome, summary).not.toBe('promoted');
  });
});
