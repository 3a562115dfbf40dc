import { describe, expect, it } from 'vitest';
import { riskLevel } from '../../../domain/risk/levels.js';
import { normaliseContext, predictWithRules } from '../../../domain/risk/rules.js';

const MiB = 1024 ** 2;
const request = (over: Partial<Parameters<typeof predictWithRules>[0]> = {}) => ({
  target: 'orders-db',
  threshold: 0.5,
  startAt: '2026-11-22T12:00:00Z',
  estimatedDurationSeconds: 300,
  estimatedSizeBytes: 500 * MiB,
  databaseSizeGb: 50,
  ...over,
});

describe('risk levels', () => {
  it('bands: low < 0.3 <= medium < threshold <= high < 0.8 <= critical', () => {
    expect(riskLevel(0.29, 0.5)).toBe('low');
    expect(riskLevel(0.3, 0.5)).toBe('medium');
    expect(riskLevel(0.49, 0.5)).toBe('medium');
    expect(riskLevel(0.5, 0.5)).toBe('high');
    expect(riskLevel(0.79, 0.5)).toBe('high');
    expect(riskLevel(0.8, 0.5)).toBe('critical');
    expect(riskLevel(0.65, 0.7)).toBe('medium');
  });
});

describe('rule-based predictor', () => {
  it('gives the seed example a sensible low risk, explained by its history', () => {
    const p = predictWithRules(request(), normaliseContext({ successRate: 0.92, recentFailures: 1 }), '2026-11-22T12:00:00Z');
    expect(p.failureProbability).toBeGreaterThan(0.08);
    expect(p.failureProbability).toBeLessThan(0.2);
    expect(p.riskLevel).toBe('low');
    expect(p.model).toEqual({ kind: 'rules' });
    expect(p.riskFactors.map((f) => f.factor)).toEqual(['recent_failures', 'historical_failure_rate']);
    expect(p.recommendedActions[0]).toContain('most recent failed run');
  });

  it('raises the risk with recent failures, overruns and too little free space, and says why', () => {
    const calm = predictWithRules(
      request(),
      normaliseContext({ successRate: 1, recentFailures: 0, typicalDurationSeconds: 300, typicalSizeBytes: 500 * MiB }),
      'x',
    );
    const stormy = predictWithRules(
      request({ estimatedDurationSeconds: 3000, estimatedSizeBytes: 2000 * MiB, freeSpaceGb: 1 }),
      normaliseContext({ successRate: 0.6, recentFailures: 3, typicalDurationSeconds: 300, typicalSizeBytes: 500 * MiB }),
      'x',
    );
    expect(calm.failureProbability).toBeLessThan(0.05);
    expect(stormy.failureProbability).toBeGreaterThan(0.95);
    expect(stormy.riskLevel).toBe('critical');
    expect(stormy.riskFactors[0]!.factor).toBe('free_space');
    expect(stormy.riskFactors.map((f) => f.factor)).toEqual(expect.arrayContaining(['recent_failures', 'duration_vs_typical', 'size_vs_typical']));
    expect(stormy.recommendedActions[0]).toMatch(/High failure risk/);
  });

  it('is monotone in recent failures and never leaves [0, 1]', () => {
    let previous = 0;
    for (let failures = 0; failures <= 10; failures++) {
      const p = predictWithRules(request(), normaliseContext({ successRate: 0.5, recentFailures: failures }), 'x').failureProbability;
      expect(p).toBeGreaterThanOrEqual(previous);
      expect(p).toBeLessThanOrEqual(1);
      previous = p;
    }
  });

  it('with no history at all, uses the prior and says so, with low confidence', () => {
    const p = predictWithRules(request(), normaliseContext(undefined), 'x');
    expect(p.failureProbability).toBeCloseTo(0.05, 2);
    expect(p.confidence).toBe(0.4);
    expect(p.recommendedActions).toEqual(['No action needed: proceed with the backup.']);
  });
});
