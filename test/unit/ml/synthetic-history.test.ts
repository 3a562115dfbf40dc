import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../../domain/ml/synthetic-history.js';

describe('synthetic history', () => {
  const runs = generateHistory({ targets: 10, days: 30, seed: 3 });

  it('is deterministic for a seed', () => {
    const again = generateHistory({ targets: 10, days: 30, seed: 3 });
    expect(again).toEqual(runs);
    expect(generateHistory({ targets: 10, days: 30, seed: 4 })).not.toEqual(runs);
  });

  it('has hourly runs per target, a 4-8% failure rate and the documented columns', () => {
    expect(runs).toHaveLength(10 * 30 * 24);
    expect(new Set(runs.map((r) => r.target)).size).toBe(10);
    const rate = runs.filter((r) => r.status === 'failed').length / runs.length;
    expect(rate).toBeGreaterThan(0.04);
    expect(rate).toBeLessThan(0.08);
    for (let k = 1; k < runs.length; k++) expect(runs[k]!.startedAt.getTime()).toBeGreaterThanOrEqual(runs[k - 1]!.startedAt.getTime());
    expect(runs.some((r) => r.estimatedSize === null)).toBe(true);
    expect(runs.some((r) => typeof r.estimatedDuration === 'number' && r.estimatedDuration > 0)).toBe(true);
    expect(runs.some((r) => typeof r.freeSpaceGb === 'number')).toBe(true);
    expect(runs.some((r) => typeof r.databaseSizeGb === 'number')).toBe(true);
    expect(runs.filter((r) => r.status === 'failed').every((r) => typeof r.errorMessage === 'string')).toBe(true);
    expect(runs.every((r) => r.durationSeconds > 0 && r.sizeBytes >= 0)).toBe(true);
  });
});
