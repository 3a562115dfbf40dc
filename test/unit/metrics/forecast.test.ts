import { describe, expect, it } from 'vitest';
import { estimateDaysUntilFull } from '../../../domain/metrics/capacity.js';
import { MetricsInputError, type MetricsInputErrorCode } from '../../../domain/metrics/errors.js';
import { forecast } from '../../../domain/metrics/forecast.js';
import { fitOls, olsPredict } from '../../../domain/metrics/ols.js';
import { allNumbersFinite } from './helpers.js';

function expectInputError(fn: () => unknown, code: MetricsInputErrorCode): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricsInputError);
    expect((error as MetricsInputError).code).toBe(code);
    expect((error as Error).message.length).toBeGreaterThan(10);
    return;
  }
  throw new Error(`expected MetricsInputError ${code}`);
}

describe('OLS forecast by hand', () => {
  /*
   * y = 1, 3, 3, 5, 8 at x = 0..4.
   * xbar = 2, Sxx = 4+1+0+1+4 = 10, ybar = 4.
   * Sxy = (-2)(1) + (-1)(3) + 0 + (1)(5) + (2)(8) = 16  -> slope b = 1.6, intercept a = 4 - 1.6*2 = 0.8.
   * Fitted 0.8, 2.4, 4.0, 5.6, 7.2; residuals 0.2, 0.6, -1.0, -0.6, 0.8; SSE = 0.04+0.36+1+0.36+0.64 = 2.4.
   * s^2 = 2.4/3 = 0.8, s = 0.894427; t(0.975, 3) = 3.182.
   * SST = 9+1+1+1+16 = 28, R^2 = 1 - 2.4/28 = 0.9142857.
   * 2 days ahead: x0 = 6, y0 = 0.8 + 1.6*6 = 10.4;
   *   half width = 3.182 * 0.894427 * sqrt(1 + 1/5 + (6-2)^2/10) = 3.182 * sqrt(0.8 * 2.8) = 3.182 * 1.496663 = 4.762382
   *   -> [5.637618, 15.162382].
   * Slope CI: 1.6 +- 3.182 * s/sqrt(10) = 1.6 +- 0.900006 -> [0.699994, 2.500006] excludes 0 -> increasing.
   */
  const ys = [1, 3, 3, 5, 8];

  it('fitOls', () => {
    const fit = fitOls([0, 1, 2, 3, 4], ys);
    expect(fit.slope).toBeCloseTo(1.6, 12);
    expect(fit.intercept).toBeCloseTo(0.8, 12);
    expect(fit.sse).toBeCloseTo(2.4, 12);
    expect(fit.residualStd).toBeCloseTo(Math.sqrt(0.8), 12);
    expect(fit.r2).toBeCloseTo(0.9142857, 6);
    expect(fit.slopeLower).toBeCloseTo(0.699994, 5);
    expect(fit.slopeUpper).toBeCloseTo(2.500006, 5);
    const p = olsPredict(fit, 6);
    expect(p.predicted).toBeCloseTo(10.4, 12);
    expect(p.lower).toBeCloseTo(5.637618, 5);
    expect(p.upper).toBeCloseTo(15.162382, 5);
  });

  it('forecast() returns the same numbers through the compatible API', () => {
    expect(forecast(ys, 2)).toMatchObject({
      method: 'ols',
      confidence: 0.95,
      trend: 'increasing',
      n: 5,
      daysAhead: 2,
      clampedAtZero: false,
    });
    const f = forecast(ys, 2);
    expect(f.predictedSizeGb).toBeCloseTo(10.4, 10);
    expect(f.lower).toBeCloseTo(5.637618, 5);
    expect(f.upper).toBeCloseTo(15.162382, 5);
    expect(f.r2).toBeCloseTo(0.9142857, 6);
  });

  it('days until full, by hand: point (20 - 7.2)/1.6 = 8 days; the upper bound gets there between day 4 and 4.1', () => {
    // upper(h) = 7.2 + 1.6h + 3.182*0.894427*sqrt(1.2 + (2+h)^2/10): upper(4) = 19.835, upper(4.1) = 20.073
    const f = forecast(ys, 2, { capacityGb: 20 });
    expect(f.daysUntilFull).toMatchObject({ capacity: 20, growing: true, alreadyFull: false });
    expect(f.daysUntilFull!.pointDays).toBeCloseTo(8, 10);
    expect(f.daysUntilFull!.conservativeDays!).toBeGreaterThan(4);
    expect(f.daysUntilFull!.conservativeDays!).toBeLessThan(4.1);
    expect(olsPredict(fitOls([0, 1, 2, 3, 4], ys), 4 + f.daysUntilFull!.conservativeDays!).upper).toBeCloseTo(20, 6);
  });
});

describe('seed example', () => {
  /*
   * 10.5, 11.2, 12.1, 12.8, 13.6, 14.3, 15.2 at x = 0..6: xbar 3, Sxx 28, ybar 12.8142857, Sxy 21.8,
   * slope 0.7785714, intercept 10.4785714; x0 = 36 -> 38.5071429.
   * SSE 0.0157143, s = 0.0560612, t(5) = 2.571, sqrt(1 + 1/7 + 33^2/28) = 6.327378 -> half width 0.91198.
   */
  const sizes = [10.5, 11.2, 12.1, 12.8, 13.6, 14.3, 15.2];

  it('30 days ahead: increasing, interval contains the linear extrapolation', () => {
    const f = forecast(sizes, 30);
    expect(f.trend).toBe('increasing');
    expect(f.confidence).toBe(0.95);
    expect(f.slopePerDay).toBeCloseTo(0.7785714, 6);
    expect(f.predictedSizeGb).toBeCloseTo(38.5071429, 6);
    expect(f.lower).toBeLessThan(38.5071429);
    expect(f.upper).toBeGreaterThan(38.5071429);
    expect(f.upper - f.predictedSizeGb).toBeCloseTo(0.91198, 4);
    expect(f.r2).toBeGreaterThan(0.99);
  });
});

describe('trend and edge cases', () => {
  it('constant series: stable, zero-width interval, r2 1, never NaN', () => {
    for (const value of [5, 0.1, 0]) {
      const f = forecast([value, value, value, value], 10, { capacityGb: 100 });
      expect(f).toMatchObject({ trend: 'stable', slopePerDay: 0, r2: 1, predictedSizeGb: value, lower: value, upper: value });
      expect(f.daysUntilFull).toMatchObject({ growing: false, pointDays: null, conservativeDays: null });
      expect(allNumbersFinite(f)).toEqual([]);
    }
  });

  it('perfectly linear growth is increasing with a zero-width interval', () => {
    const f = forecast([1, 2, 3, 4], 1);
    expect(f).toMatchObject({ trend: 'increasing', residualStd: 0 });
    expect(f.predictedSizeGb).toBeCloseTo(5, 12);
    expect(f.upper).toBeCloseTo(5, 12);
  });

  it('noisy but flat is stable; a clear decline is decreasing and clamps at zero', () => {
    expect(forecast([10, 12, 9, 11, 10, 12, 9, 11], 7).trend).toBe('stable');
    const down = forecast([10, 8, 6, 4], 10);
    expect(down).toMatchObject({ trend: 'decreasing', predictedSizeGb: 0, lower: 0, clampedAtZero: true });
  });

  it('bad input raises MetricsInputError with a code', () => {
    expectInputError(() => forecast([], 30), 'EMPTY_SERIES');
    expectInputError(() => forecast([5], 30), 'TOO_FEW_POINTS');
    expectInputError(() => forecast([5, 6], 30), 'TOO_FEW_POINTS');
    expectInputError(() => forecast([5, Number.NaN, 6], 30), 'INVALID_VALUE');
    expectInputError(() => forecast([5, -1, 6], 30), 'INVALID_VALUE');
    expectInputError(() => forecast([5, Infinity, 6], 30), 'INVALID_VALUE');
    expectInputError(() => forecast([1, 2, 3], 0), 'INVALID_HORIZON');
    expectInputError(() => forecast([1, 2, 3], -5), 'INVALID_HORIZON');
    expectInputError(() => forecast([1, 2, 3], Number.NaN), 'INVALID_HORIZON');
    expectInputError(() => forecast([1, 2, 3], 1e300), 'INVALID_HORIZON');
    expectInputError(() => forecast([1, 2, 3], 5, { capacityGb: 0 }), 'INVALID_CAPACITY');
  });
});

describe('estimateDaysUntilFull', () => {
  const linear = (start: number, slope: number, half: number) => ({
    slopePerDay: slope,
    lastObserved: start,
    predict: (h: number) => ({ predicted: start + slope * h, lower: start + slope * h - half, upper: start + slope * h + half }),
  });

  it('already full -> 0; not growing -> null; beyond the horizon -> null', () => {
    expect(estimateDaysUntilFull(linear(100, 1, 0), 100)).toMatchObject({ alreadyFull: true, pointDays: 0, conservativeDays: 0 });
    expect(estimateDaysUntilFull(linear(50, 0, 5), 100)).toMatchObject({ growing: false, pointDays: null, conservativeDays: null });
    expect(estimateDaysUntilFull(linear(50, -1, 5), 100)).toMatchObject({ pointDays: null, conservativeDays: null });
    expect(estimateDaysUntilFull(linear(0, 0.001, 0), 100, 365)).toMatchObject({ pointDays: null, conservativeDays: null });
  });

  it('constant half-width 10 and slope 2: point 25 days, conservative 20 days', () => {
    const e = estimateDaysUntilFull(linear(50, 2, 10), 100);
    expect(e.pointDays).toBeCloseTo(25, 10);
    expect(e.conservativeDays).toBeCloseTo(20, 8);
  });
});
