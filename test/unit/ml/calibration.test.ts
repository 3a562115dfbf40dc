import { describe, expect, it } from 'vitest';
import {
  applyCalibration,
  calibrationSchema,
  fitCalibration,
  fitIsotonicCalibration,
  fitPlattCalibration,
  MIN_ISOTONIC_FAILURES,
} from '../../../domain/ml/calibration.js';
import { createRng } from '../../../domain/ml/rng.js';

describe('Platt calibration', () => {
  it('recovers the slope and intercept of a logistic relation', () => {
    const rng = createRng(2);
    const n = 20_000;
    const scores = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const s = rng.next();
      scores[i] = s;
      labels[i] = rng.chance(1 / (1 + Math.exp(-(6 * s - 5)))) ? 1 : 0;
    }
    const c = fitPlattCalibration(scores, labels);
    expect(c.method).toBe('platt');
    if (c.method !== 'platt') return;
    expect(c.a).toBeCloseTo(6, 0);
    expect(c.b).toBeCloseTo(-5, 0);
    expect(c.fittedOn.rows).toBe(n);
    expect(calibrationSchema.parse(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it('maps over-confident scores to the observed rate', () => {
    // Score 0.9 fails 30% of the time, score 0.1 fails 2% of the time.
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 1000; i++) {
      scores.push(0.9, 0.1);
      labels.push(i % 10 < 3 ? 1 : 0, i % 50 === 0 ? 1 : 0);
    }
    const c = fitPlattCalibration(scores, labels);
    expect(applyCalibration(c, 0.9)).toBeCloseTo(0.3, 1);
    expect(applyCalibration(c, 0.1)).toBeCloseTo(0.02, 1);
    expect(applyCalibration(c, 0.5)).toBeGreaterThan(applyCalibration(c, 0.1));
  });

  it('never ranks in reverse: scores that run against the outcomes map to the observed rate', () => {
    // Higher scores fail less often: a slope below 0 would turn the order around.
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 1000; i++) {
      scores.push(0.9, 0.1);
      labels.push(i % 50 === 0 ? 1 : 0, i % 10 < 3 ? 1 : 0);
    }
    const c = fitPlattCalibration(scores, labels);
    expect(c.method).toBe('platt');
    if (c.method !== 'platt') return;
    expect(c.a).toBe(0);
    const observed = (20 + 300) / 2000;
    expect(applyCalibration(c, 0.9)).toBeCloseTo(observed, 3);
    expect(applyCalibration(c, 0.1)).toBe(applyCalibration(c, 0.9));
  });

  it('stays finite on perfectly separated scores', () => {
    const c = fitPlattCalibration([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(c.method).toBe('platt');
    if (c.method === 'platt') expect(Number.isFinite(c.a) && Number.isFinite(c.b)).toBe(true);
  });

  it('falls back to identity with one class or no rows', () => {
    expect(fitPlattCalibration([0.1, 0.4], [0, 0])).toEqual({ method: 'identity', reason: 'cannot fit on 0 failures and 2 successes' });
    expect(fitPlattCalibration([], []).method).toBe('identity');
    const identity = fitPlattCalibration([0.3], [1]);
    expect(applyCalibration(identity, 0.37)).toBe(0.37);
  });
});

describe('calibration choice and isotonic calibration', () => {
  const data = (n: number, failures: number) => {
    const rng = createRng(7);
    const scores = Float64Array.from({ length: n }, () => rng.next());
    // The highest scores fail: ranking is perfect, the relation is a step (no logistic shape).
    const order = Array.from(scores.keys()).sort((a, b) => (scores[b] as number) - (scores[a] as number));
    const labels = new Uint8Array(n);
    for (const i of order.slice(0, failures)) labels[i] = 1;
    return { scores, labels };
  };

  it(`is Platt below ${MIN_ISOTONIC_FAILURES} failures and isotonic from ${MIN_ISOTONIC_FAILURES}`, () => {
    const few = data(2000, MIN_ISOTONIC_FAILURES - 1);
    expect(fitCalibration(few.scores, few.labels).method).toBe('platt');
    const enough = data(2000, MIN_ISOTONIC_FAILURES);
    expect(fitCalibration(enough.scores, enough.labels).method).toBe('isotonic');
    expect(fitCalibration(enough.scores, enough.labels, 51).method).toBe('platt');
  });

  it('is monotone, keeps the order of scores inside the fitted range, and follows the observed rates', () => {
    const rng = createRng(3);
    const n = 20_000;
    const scores = new Float64Array(n);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = rng.next();
      labels[i] = rng.chance((scores[i] as number) ** 3) ? 1 : 0; // not logistic: Platt's shape would not fit
    }
    const c = fitIsotonicCalibration(scores, labels);
    expect(calibrationSchema.parse(c)).toEqual(c);
    let previous = -1;
    for (let s = 0.05; s <= 0.95; s += 0.01) {
      const p = applyCalibration(c, s);
      expect(p).toBeGreaterThan(previous); // strictly: no ties that would cost ranking quality
      previous = p;
    }
    for (const s of [0.2, 0.5, 0.8]) expect(applyCalibration(c, s)).toBeCloseTo(s ** 3, 1);
    expect(applyCalibration(c, -5)).toBe(0);
    expect(applyCalibration(c, 5)).toBe(1);
  });

  it('is the identity, saying why, on a single class', () => {
    expect(fitIsotonicCalibration([0.1, 0.2], [0, 0])).toEqual({ method: 'identity', reason: 'cannot fit on 0 failures and 2 successes' });
  });
});
