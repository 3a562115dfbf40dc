import { describe, expect, it } from 'vitest';
import { createRng } from '../../../domain/ml/rng.js';
import { brierScore } from '../../../domain/ml/metrics.js';
import { applyRulesCalibration, calibratePrediction, fitRulesCalibration, MIN_CALIBRATION_RUNS } from '../../../domain/risk/rules-calibration.js';
import { predictWithRules } from '../../../domain/risk/rules.js';

function sample(n: number, informative: boolean, seed: number) {
  const rng = createRng(seed);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = rng.uniform(0.02, 0.6);
    scores.push(s);
    // Informative: the true probability is half the rule's; otherwise 3% whatever the rule says.
    labels.push(rng.chance(informative ? s / 2 : 0.03) ? 1 : 0);
  }
  return { scores, labels };
}

describe('rules calibrated to the team', () => {
  it('leaves the rules as written below the minimum history', () => {
    const c = fitRulesCalibration([0.1, 0.2], [0, 1]);
    expect(c).toEqual({ method: 'none', reason: `2 past runs, at least ${MIN_CALIBRATION_RUNS} needed to calibrate the rules` });
    expect(applyRulesCalibration(c, 0.3)).toBe(0.3);
  });

  it('comes down to about the constant rate when the rules carry nothing, and beats the rules as written', () => {
    const past = sample(4000, false, 1);
    const c = fitRulesCalibration(past.scores, past.labels);
    // The constant itself, or a Platt map with a slope near 0: either way about 3% whatever the rules say.
    expect(c.method === 'none' ? null : Math.abs(c.a)).toBeLessThan(0.5);
    expect(applyRulesCalibration(c, 0.6) - applyRulesCalibration(c, 0.02)).toBeLessThan(0.03);
    const future = sample(4000, false, 2);
    const calibrated = future.scores.map((s) => applyRulesCalibration(c, s));
    expect(brierScore(calibrated, future.labels)).toBeLessThan(brierScore(future.scores, future.labels) as number);
  });

  it('keeps the ranking and fixes the scale when the rules are informative', () => {
    const past = sample(4000, true, 3);
    const c = fitRulesCalibration(past.scores, past.labels);
    expect(c.method === 'platt' || c.method === 'shift').toBe(true);
    const future = sample(4000, true, 4);
    const calibrated = future.scores.map((s) => applyRulesCalibration(c, s));
    expect(brierScore(calibrated, future.labels)).toBeLessThan(brierScore(future.scores, future.labels) as number);
    // Monotone: a higher rule score never gets a lower probability.
    expect(applyRulesCalibration(c, 0.5)).toBeGreaterThan(applyRulesCalibration(c, 0.1));
  });

  it('a team without any failure yet gets a small probability, not zero', () => {
    const c = fitRulesCalibration(new Array(200).fill(0.1), new Array(200).fill(0));
    const p = applyRulesCalibration(c, 0.1);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.01);
  });

  it('the calibrated prediction says how, and its factors still add up to its log-odds', () => {
    const raw = predictWithRules(
      { target: 't', threshold: 0.5, startAt: '2026-01-01T12:00:00Z' },
      { successRate: 0.6, recentFailures: 3, typicalDurationSeconds: null, typicalSizeBytes: null, runCount: 20, hoursSinceLastSuccess: 1 },
      '',
    );
    const calibrated = calibratePrediction(raw, { method: 'base-rate', a: 0, b: Math.log(0.02 / 0.98), runs: 1000, failures: 20 });
    expect(calibrated.failureProbability).toBeCloseTo(0.02, 4);
    expect(calibrated.riskLevel).toBe('low');
    expect(calibrated.model.calibration).toMatch(/team's failure rate/);
    const logit = (p: number) => Math.log(p / (1 - p));
    const sum = calibrated.riskFactors.reduce((s, f) => s + f.contribution, logit(0.05));
    expect(sum).toBeCloseTo(logit(calibrated.failureProbability), 1);
  });
});
