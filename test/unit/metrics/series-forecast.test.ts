import { describe, expect, it } from 'vitest';
import { toDailySeries, type TimedValue } from '../../../domain/metrics/daily-series.js';
import { MetricsInputError } from '../../../domain/metrics/errors.js';
import { HOLT_ALPHA_GRID, HOLT_BETA_GRID, fitHolt, fitHoltGrid, holtPredict } from '../../../domain/metrics/holt.js';
import { forecastSeries } from '../../../domain/metrics/series-forecast.js';
import { studentT975 } from '../../../domain/metrics/student-t.js';
import { DAY_MS, HOUR_MS, allNumbersFinite, mulberry32 } from './helpers.js';

const START = Date.UTC(2024, 0, 1);

/** Independent Holt reference: keeps every level and trend in arrays, no early-exit tricks. */
function referenceHolt(xs: number[], ys: number[], alpha: number, beta: number) {
  const levels = [ys[0]!];
  const trends = [(ys[1]! - ys[0]!) / (xs[1]! - xs[0]!)];
  const errors: number[] = [];
  for (let t = 1; t < ys.length; t++) {
    const gap = xs[t]! - xs[t - 1]!;
    const oneStep = levels[t - 1]! + trends[t - 1]! * gap;
    if (t >= 2) errors.push(ys[t]! - oneStep);
    levels.push(alpha * ys[t]! + (1 - alpha) * oneStep);
    trends.push((beta * (levels[t]! - levels[t - 1]!)) / gap + (1 - beta) * trends[t - 1]!);
  }
  const sse = errors.reduce((s, e) => s + e * e, 0);
  return { level: levels.at(-1)!, trend: trends.at(-1)!, sse, sigma: Math.sqrt(sse / errors.length), errors: errors.length };
}

describe("Holt's linear trend", () => {
  it('hand-computed: y = 10, 12, 15, 15 with alpha = beta = 0.5', () => {
    // l0 = 10, b0 = 2; t1: f 12, l 12, b 2; t2: f 14 (e = 1), l 14.5, b 2.25; t3: f 16.75 (e = -1.75), l 15.875, b 1.8125
    const fit = fitHolt([0, 1, 2, 3], [10, 12, 15, 15], 0.5, 0.5);
    expect(fit).toMatchObject({ level: 15.875, trend: 1.8125, sse: 4.0625, errorCount: 2 });
    // 2 days ahead: 15.875 + 2*1.8125 = 19.5; variance factor 1 + (0.5 + 0.5*0.5*1)^2 = 1.5625; t(df 1) = 12.706
    const p = holtPredict(fit, 2);
    expect(p.predicted).toBe(19.5);
    expect(p.upper - p.predicted).toBeCloseTo(12.706 * Math.sqrt(4.0625 / 2) * 1.25, 10);
  });

  it('matches the reference loop on a noisy series with gaps', () => {
    const random = mulberry32(21);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let day = 0; day < 120; day++) {
      if (day % 9 === 4) continue; // missing days
      xs.push(day);
      ys.push(50 + 0.8 * day + (day > 80 ? 1.5 * (day - 80) : 0) + (random() - 0.5) * 6);
    }
    for (const [alpha, beta] of [
      [0.3, 0.1],
      [0.8, 0.5],
      [1, 0.01],
    ] as const) {
      const mine = fitHolt(xs, ys, alpha, beta);
      const ref = referenceHolt(xs, ys, alpha, beta);
      expect(mine.level).toBeCloseTo(ref.level, 9);
      expect(mine.trend).toBeCloseTo(ref.trend, 9);
      expect(mine.sse).toBeCloseTo(ref.sse, 6);
      expect(mine.residualStd).toBeCloseTo(ref.sigma, 9);
    }
    // grid search = brute force over the same grid with the reference
    let best = { alpha: 0, beta: 0, sse: Infinity };
    for (const alpha of HOLT_ALPHA_GRID)
      for (const beta of HOLT_BETA_GRID) {
        const { sse } = referenceHolt(xs, ys, alpha, beta);
        if (sse < best.sse) best = { alpha, beta, sse };
      }
    expect(fitHoltGrid(xs, ys)).toMatchObject({ alpha: best.alpha, beta: best.beta });
    // the closed-form interval equals the explicit sum of squared error weights (alpha + alpha*beta*j)
    const fit = fitHoltGrid(xs, ys);
    const h = 10;
    let factor = 1;
    for (let j = 1; j < h; j++) factor += (fit.alpha + fit.alpha * fit.beta * j) ** 2;
    const p = holtPredict(fit, h);
    expect(p.upper - p.predicted).toBeCloseTo(studentT975(fit.errorCount - 2) * fit.residualStd * Math.sqrt(factor), 9);
  });
});

describe('toDailySeries', () => {
  const day1 = START + DAY_MS;
  const points: TimedValue[] = [
    { at: new Date(day1 + 20 * HOUR_MS), value: 4 },
    { at: START, value: 1 },
    { at: day1 + 8 * HOUR_MS, value: 5 },
    { at: new Date(day1 + 12 * HOUR_MS).toISOString(), value: 6 },
  ];

  it('sorts and folds same-day points: max (default), last, sum, mean', () => {
    const max = toDailySeries(points);
    expect(Array.from(max.days)).toEqual([START / DAY_MS, START / DAY_MS + 1]);
    expect(Array.from(max.values)).toEqual([1, 6]);
    expect(max.duplicatesMerged).toBe(2);
    expect(Array.from(toDailySeries(points, 'last').values)).toEqual([1, 4]);
    expect(Array.from(toDailySeries(points, 'sum').values)).toEqual([1, 15]);
    expect(Array.from(toDailySeries(points, 'mean').values)).toEqual([1, 5]);
  });

  it("'last' breaks exact timestamp ties by input order", () => {
    const tie = [
      { at: START, value: 3 },
      { at: START, value: 4 },
      { at: START - 1, value: 9 },
    ];
    expect(Array.from(toDailySeries(tie, 'last').values)).toEqual([9, 4]);
  });

  it('rejects bad points with typed errors', () => {
    expect(() => toDailySeries([])).toThrow(expect.objectContaining({ code: 'EMPTY_SERIES' }));
    expect(() => toDailySeries([{ at: 'not a date', value: 1 }])).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
    expect(() => toDailySeries([{ at: START, value: Number.NaN }])).toThrow(expect.objectContaining({ code: 'INVALID_VALUE' }));
    expect(() => toDailySeries([{ at: START, value: -3 }])).toThrow(/points\[0\]\.value/);
    expect(() => toDailySeries([{ at: START, value: 1 }], 'median' as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('forecastSeries', () => {
  const daily = (values: number[], start = START): TimedValue[] => values.map((value, i) => ({ at: start + i * DAY_MS, value }));

  it('uses a day index, not epoch milliseconds, and handles gaps', () => {
    const points = [0, 1, 5, 6, 10, 11, 12].map((day) => ({ at: START + day * DAY_MS + 3 * HOUR_MS, value: 100 + 2 * day }));
    const f = forecastSeries(points, { daysAhead: 10, method: 'ols' });
    expect(f.slopePerDay).toBeCloseTo(2, 10);
    expect(f.predicted).toBeCloseTo(100 + 2 * 22, 8);
    expect(f).toMatchObject({ lastDate: '2024-01-13', targetDate: '2024-01-23', trend: 'increasing', method: 'ols' });
  });

  it('unsorted input gives the same forecast as sorted input', () => {
    const random = mulberry32(4);
    const points = daily(Array.from({ length: 60 }, (_, i) => 20 + 0.3 * i + random()));
    const shuffled = [...points].sort(() => random() - 0.5);
    expect(forecastSeries(shuffled, { daysAhead: 14 })).toEqual(forecastSeries(points, { daysAhead: 14 }));
  });

  it('fewer than 10 days: OLS without a holdout comparison', () => {
    const f = forecastSeries(daily([10.5, 11.2, 12.1, 12.8, 13.6, 14.3, 15.2]), { daysAhead: 30 });
    expect(f).toMatchObject({ method: 'ols', selection: null, trend: 'increasing', confidence: 0.95 });
    expect(f.predicted).toBeCloseTo(38.5071429, 6);
    expect(f.reason).toMatch(/no holdout/);
  });

  it('picks Holt when growth recently changed (the OLS window still averages the flat past)', () => {
    const random = mulberry32(8);
    const values = Array.from({ length: 230 }, (_, i) => 100 + (i >= 200 ? 2 * (i - 200) : 0) + (random() - 0.5));
    const f = forecastSeries(daily(values), { daysAhead: 30, capacity: 200 });
    expect(f.selection).not.toBeNull();
    expect(f.selection!.holdoutPoints).toBe(14);
    expect(f.selection!.holtMae).toBeLessThan(f.selection!.olsMae);
    expect(f.method).toBe('holt');
    expect(f.slopePerDay).toBeGreaterThan(1.5);
    expect(f.predicted).toBeGreaterThan(f.lower);
    expect(f.upper).toBeGreaterThan(f.predicted);
    expect(f.daysUntilFull).toMatchObject({ growing: true });
    expect(f.daysUntilFull!.conservativeDays!).toBeLessThanOrEqual(f.daysUntilFull!.pointDays!);
    expect(f.fitted).toHaveLength(f.holt.windowPoints);
  });

  it('the chosen method is always the one with the lower holdout error', () => {
    const random = mulberry32(12);
    const f = forecastSeries(daily(Array.from({ length: 100 }, (_, i) => 500 + 3 * i + (random() - 0.5) * 40)), { daysAhead: 7 });
    const { olsMae, holtMae } = f.selection!;
    expect(f.method).toBe(holtMae < olsMae ? 'holt' : 'ols');
  });

  it('returns history, fit and a daily path ending on the target date', () => {
    const f = forecastSeries(daily(Array.from({ length: 40 }, (_, i) => 10 + i)), { daysAhead: 30, method: 'ols' });
    expect(f.history).toHaveLength(40);
    expect(f.fitted).toHaveLength(40);
    expect(f.path).toHaveLength(30);
    expect(f.path.at(-1)).toMatchObject({ date: f.targetDate, daysAhead: 30 });
    expect(f.path.at(-1)!.predicted).toBeCloseTo(f.predicted, 10);
    const long = forecastSeries(daily(Array.from({ length: 40 }, (_, i) => 10 + i)), { daysAhead: 2000 });
    expect(long.path.length).toBeLessThanOrEqual(367);
    expect(long.path.at(-1)!.daysAhead).toBe(2000);
  });

  it('constant series: stable, no NaN anywhere, never full', () => {
    const f = forecastSeries(daily(Array.from({ length: 30 }, () => 42)), { daysAhead: 30, capacity: 100 });
    expect(f).toMatchObject({ trend: 'stable', predicted: 42, lower: 42, upper: 42 });
    expect(f.daysUntilFull).toMatchObject({ growing: false, pointDays: null, conservativeDays: null });
    expect(allNumbersFinite(f)).toEqual([]);
  });

  it('bad input: typed errors with clear messages', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsInputError);
        return (e as MetricsInputError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => forecastSeries([], { daysAhead: 3 }))).toBe('EMPTY_SERIES');
    expect(codeOf(() => forecastSeries([{ at: START, value: 1 }], { daysAhead: 3 }))).toBe('TOO_FEW_POINTS');
    const sameTwoDays = [START, START + HOUR_MS, START + DAY_MS, START + DAY_MS + HOUR_MS].map((at) => ({ at, value: 1 }));
    expect(codeOf(() => forecastSeries(sameTwoDays, { daysAhead: 3 }))).toBe('TOO_FEW_POINTS');
    expect(codeOf(() => forecastSeries(daily([1, 2, 3]), { daysAhead: 0 }))).toBe('INVALID_HORIZON');
    expect(codeOf(() => forecastSeries(daily([1, 2, 3]), { daysAhead: 3, capacity: -1 }))).toBe('INVALID_CAPACITY');
    expect(codeOf(() => forecastSeries(daily([1, 2, 3]), { daysAhead: 3, method: 'arima' as never }))).toBe('INVALID_OPTION');
    expect(codeOf(() => forecastSeries(daily([1, Number.NaN, 3]), { daysAhead: 3 }))).toBe('INVALID_VALUE');
    expect(codeOf(() => forecastSeries([{ at: new Date(Number.NaN), value: 1 }], { daysAhead: 3 }))).toBe('INVALID_TIMESTAMP');
  });
});
