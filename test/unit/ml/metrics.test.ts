import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  baseRate,
  baselineBrier,
  brierScore,
  chanceAveragePrecision,
  confusionMatrix,
  evaluateBinary,
  precisionRecallAt,
  recallAtPrecision,
  rocAuc,
} from '../../../domain/ml/metrics.js';

// Ranked high to low: F S F S S F (F = failed = 1).
const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
const labels = [1, 0, 1, 0, 0, 1];

describe('metrics (hand-computed)', () => {
  it('average precision sums precision at each recall step', () => {
    // (1/3)*1 + (1/3)*(2/3) + (1/3)*(3/6) = 13/18
    expect(averagePrecision(scores, labels)).toBeCloseTo(13 / 18, 12);
  });

  it('ROC-AUC counts correctly ordered failure/success pairs', () => {
    // 0.9 beats 3 successes, 0.7 beats 2, 0.4 beats none: 5 of 9 pairs.
    expect(rocAuc(scores, labels)).toBeCloseTo(5 / 9, 12);
  });

  it('handles tied scores as one threshold (AP) and half a pair (ROC)', () => {
    const s = [0.8, 0.5, 0.5, 0.2];
    const y = [1, 1, 0, 0];
    // ROC: 0.8 beats both (2), tied 0.5 pair counts 0.5, 0.5 beats 0.2 (1): 3.5 / 4.
    expect(rocAuc(s, y)).toBeCloseTo(0.875, 12);
    // AP: threshold 0.8 -> recall 1/2 at precision 1; threshold 0.5 -> recall 1 at precision 2/3.
    expect(averagePrecision(s, y)).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    // Order of tied rows must not matter.
    expect(averagePrecision([0.8, 0.5, 0.5, 0.2], [1, 0, 1, 0])).toBeCloseTo(averagePrecision(s, y) as number, 12);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0])).toBe(0.5);
  });

  it('Brier score is the mean squared error, and the base-rate reference is rate*(1-rate)', () => {
    expect(brierScore([0.9, 0.2], [1, 0])).toBeCloseTo((0.01 + 0.04) / 2, 12);
    expect(baselineBrier(labels)).toBeCloseTo(0.25, 12);
    expect(baseRate([1, 0, 0, 0])).toBe(0.25);
  });

  it('confusion matrix, precision and recall at a threshold (score >= threshold predicts failure)', () => {
    expect(confusionMatrix(scores, labels, 0.5)).toEqual({ truePositives: 2, falsePositives: 3, trueNegatives: 0, falseNegatives: 1 });
    const at = precisionRecallAt(scores, labels, 0.5);
    expect(at.precision).toBeCloseTo(2 / 5, 12);
    expect(at.recall).toBeCloseTo(2 / 3, 12);
    expect(precisionRecallAt(scores, labels, 0.95).precision).toBeNull();
  });

  it('recall at a fixed precision', () => {
    // Precision >= 0.6 holds down to threshold 0.7 (2/3), where recall is 2/3.
    expect(recallAtPrecision(scores, labels, 0.6)).toEqual({ recall: 2 / 3, threshold: 0.7 });
    expect(recallAtPrecision([0.9, 0.1], [0, 1], 0.99)).toEqual({ recall: 0, threshold: null });
  });

  it('returns null, never NaN, for metrics undefined on single-class or empty input', () => {
    const allSuccess = evaluateBinary([0.1, 0.4, 0.2], [0, 0, 0]);
    expect(allSuccess.prAuc).toBeNull();
    expect(allSuccess.rocAuc).toBeNull();
    expect(allSuccess.recall).toBeNull();
    expect(allSuccess.baseRate).toBe(0);
    expect(allSuccess.brier).toBeCloseTo((0.01 + 0.16 + 0.04) / 3, 12);
    const allFailed = evaluateBinary([0.1, 0.4], [1, 1]);
    expect(allFailed.rocAuc).toBeNull();
    expect(allFailed.prAuc).toBe(1);
    const empty = evaluateBinary([], []);
    expect(empty.baseRate).toBeNull();
    expect(empty.brier).toBeNull();
    expect(empty.prAuc).toBeNull();
    expect(recallAtPrecision([0.3], [0], 0.5)).toBeNull();
    for (const m of [allSuccess, allFailed, empty]) {
      for (const v of Object.values(m)) if (typeof v === 'number') expect(Number.isNaN(v)).toBe(false);
    }
  });

  it('rejects mismatched lengths, non-finite scores and non-binary labels', () => {
    expect(() => averagePrecision([0.1], [1, 0])).toThrow(RangeError);
    expect(() => rocAuc([Number.NaN, 0.2], [1, 0])).toThrow(RangeError);
    expect(() => brierScore([0.2], [2])).toThrow(RangeError);
  });
});

describe('chanceAveragePrecision', () => {
  /** Mean average precision over every placement of `positives` failures among `rows` ranked rows. */
  function enumerated(positives: number, rows: number): number {
    const scores = Array.from({ length: rows }, (_, i) => rows - i);
    let sum = 0;
    let count = 0;
    for (let mask = 0; mask < 1 << rows; mask++) {
      const labels = Array.from({ length: rows }, (_, i) => (mask >> i) & 1);
      if (labels.reduce((a, b) => a + b, 0) !== positives) continue;
      sum += averagePrecision(scores, labels) as number;
      count++;
    }
    return sum / count;
  }

  it('equals the mean average precision over every ranking (exhaustive for small cases)', () => {
    for (const [positives, rows] of [
      [1, 1],
      [1, 4],
      [2, 5],
      [3, 7],
      [4, 9],
      [9, 9],
    ] as const) {
      expect(chanceAveragePrecision(positives, rows)).toBeCloseTo(enumerated(positives, rows), 12);
    }
  });

  it("is above the base rate (a constant score's average precision) when failures are few", () => {
    const chance = chanceAveragePrecision(93, 1728) as number;
    expect(chance).toBeCloseTo(0.05767, 4);
    expect(chance).toBeGreaterThan(93 / 1728);
    expect(
      averagePrecision(
        new Array(1728).fill(0.5),
        Array.from({ length: 1728 }, (_, i) => (i < 93 ? 1 : 0)),
      ),
    ).toBeCloseTo(93 / 1728, 12);
  });

  it('is null without failures and rejects impossible counts', () => {
    expect(chanceAveragePrecision(0, 10)).toBeNull();
    expect(() => chanceAveragePrecision(11, 10)).toThrow(/positives <= rows/);
    expect(() => chanceAveragePrecision(1.5, 10)).toThrow(RangeError);
  });
});
