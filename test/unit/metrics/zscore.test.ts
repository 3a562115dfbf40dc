import { describe, expect, it } from 'vitest';
import { detectAnomalies } from '../../../domain/metrics/zscore.js';

describe('detectAnomalies (mean/std, compatible API)', () => {
  it('seed example: 300 s against baseline (120, 30) is critical, z = 6, above', () => {
    const [finding] = detectAnomalies({ duration: 300 }, { duration: { mean: 120, std: 30 } });
    expect(finding).toEqual({
      metric: 'duration',
      value: 300,
      isAnomaly: true,
      score: 6,
      severity: 'critical',
      direction: 'above',
      expected: { mean: 120, std: 30 },
    });
  });

  it('thresholds: |z| >= 2 warning, >= 3 critical, below is info/normal', () => {
    const base = { m: { mean: 100, std: 10 } };
    expect(detectAnomalies({ m: 119 }, base)[0]).toMatchObject({ severity: 'info', isAnomaly: false, direction: 'normal' });
    expect(detectAnomalies({ m: 80 }, base)[0]).toMatchObject({ severity: 'warning', direction: 'below', score: -2 });
    expect(detectAnomalies({ m: 130 }, base)[0]).toMatchObject({ severity: 'critical', direction: 'above' });
  });

  it('zero std: equal value is normal, anything else critical with a finite score; bad baselines are skipped', () => {
    const base = { a: { mean: 5, std: 0 }, b: { mean: 5, std: -1 } };
    const findings = detectAnomalies({ a: 6, b: 6, c: 1 }, base);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ metric: 'a', severity: 'critical', score: 1e9 });
    expect(detectAnomalies({ a: 5 }, base)[0]).toMatchObject({ score: 0, isAnomaly: false });
  });
});
