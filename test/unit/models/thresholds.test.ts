import { describe, expect, it } from 'vitest';
import { buildThresholdCurves, DEFAULT_ALERT_BUDGET, recommendForTarget, recommendThreshold, thresholdCurve } from '../../../domain/models/thresholds.js';
import { thresholdAdvice } from '../../../domain/models/train-candidate.js';

// 1000 runs: scores i/1000; the 50 highest-scored runs fail one in two, the rest one in fifty.
const n = 1000;
const scores = Float64Array.from({ length: n }, (_, i) => i / n);
const labels = Uint8Array.from({ length: n }, (_, i) => (i >= 950 ? (i % 2 === 0 ? 1 : 0) : i % 50 === 0 ? 1 : 0));

describe('threshold curves', () => {
  const curve = thresholdCurve(scores, labels);

  it('counts flagged runs with ">" like the gate, ascending thresholds, precision and recall exact', () => {
    expect(curve.rows).toBe(n);
    expect(curve.failures).toBe(25 + 19);
    const thresholds = curve.points.map((p) => p.threshold);
    expect([...thresholds].sort((a, b) => a - b)).toEqual(thresholds);
    const at = curve.points.find((p) => p.threshold === 0.5);
    // Scores 0.501 .. 0.999 are above 0.5: 499 runs.
    expect(at?.flagged).toBe(499);
    expect(at?.flaggedShare).toBeCloseTo(0.499, 6);
    for (const p of curve.points) {
      const flagged = Array.from(scores).filter((s) => s > p.threshold).length;
      expect(p.flagged).toBe(flagged);
      const caught = Array.from(scores).filter((s, i) => s > p.threshold && labels[i] === 1).length;
      expect(p.recall).toBeCloseTo(caught / curve.failures, 6);
      expect(p.precision).toBe(flagged === 0 ? null : Math.round((caught / flagged) * 1e6) / 1e6);
    }
  });

  it('recommends the lowest threshold within an alert budget, exactly on the share grid', () => {
    const r = recommendThreshold(curve, { alertBudget: 0.05 }, 'overall');
    expect(r.expected.flaggedShare).toBeLessThanOrEqual(0.05);
    expect(r.expected.flaggedShare).toBeGreaterThan(0.045);
    // Every lower threshold on the curve would break the budget.
    for (const p of curve.points) if (p.threshold < r.threshold) expect(p.flaggedShare).toBeGreaterThan(0.05);
    expect(r.reason).toMatch(/within the budget of 5\.0%/);
  });

  it('the default goal is the default budget; a wanted precision picks the most recall reaching it', () => {
    expect(recommendThreshold(curve, {}, 'overall').goal).toEqual({ alertBudget: DEFAULT_ALERT_BUDGET });
    const r = recommendThreshold(curve, { wantedPrecision: 0.4 }, 'overall');
    expect(r.expected.precision).toBeGreaterThanOrEqual(0.4);
    for (const p of curve.points) if (p.threshold < r.threshold && p.flagged >= 3) expect(p.precision ?? 0).toBeLessThan(0.4);
    const impossible = recommendThreshold(curve, { wantedPrecision: 0.99 }, 'overall');
    expect(impossible.reason).toMatch(/no threshold reaches precision 0.99/);
  });

  it('per target only with enough validation rows; other targets follow the overall curve', () => {
    const targets = Array.from({ length: n }, (_, i) => (i < 950 ? 'big' : 'small'));
    const curves = buildThresholdCurves(scores, labels, targets);
    expect(Object.keys(curves.targets)).toEqual(['big']);
    expect(recommendForTarget(curves, 'small', { alertBudget: 0.05 }).basis).toBe('overall');
    expect(recommendForTarget(curves, 'big', { alertBudget: 0.05 }).basis).toBe('target');
    expect(recommendForTarget(curves, 'never-seen', { alertBudget: 0.05 }).basis).toBe('overall');
    const advice = thresholdAdvice(
      scores,
      labels,
      targets,
      { default: { alertBudget: 0.1 }, targets: { small: { wantedPrecision: 0.4 } } },
      { from: 'a', to: 'b' },
    );
    expect(advice.recommendations.big?.goal).toEqual({ alertBudget: 0.1 });
    expect(advice.recommendations.small?.goal).toEqual({ wantedPrecision: 0.4 });
  });
});
