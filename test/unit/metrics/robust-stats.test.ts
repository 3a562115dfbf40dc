import fc from 'fast-check';
import { errorFunction, probit } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { effectiveSigma, medianInPlace, modifiedZ, robustSummary, selectInPlace } from '../../../domain/metrics/robust-stats.js';
import { Z_975, studentT975 } from '../../../domain/metrics/student-t.js';
import { dayHourIndex, dayOfWeek, hourOfDay, isoDate } from '../../../domain/metrics/time-buckets.js';

const sortedMedian = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

describe('selection and medians', () => {
  it('selectInPlace returns the k-th smallest, matching a full sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 200 }), fc.nat(), (values, kSeed) => {
        const k = kSeed % values.length;
        const a = Float64Array.from(values);
        const expected = [...values].sort((x, y) => x - y)[k];
        expect(selectInPlace(a, 0, a.length - 1, k)).toBe(expected);
      }),
    );
  });

  it('medianInPlace matches the sorted median for odd and even lengths, including many ties', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }), (values) => {
        expect(medianInPlace(Float64Array.from(values), 0, values.length)).toBe(sortedMedian(values));
      }),
    );
    expect(medianInPlace(Float64Array.from([9, 1, 5, 3]), 0, 4)).toBe(4);
  });

  it('works on a sub-range without touching the rest', () => {
    const a = Float64Array.from([100, 3, 1, 2, -100]);
    expect(medianInPlace(a, 1, 4)).toBe(2);
    expect(a[0]).toBe(100);
    expect(a[4]).toBe(-100);
  });

  it('robustSummary: median, raw MAD and mean absolute deviation by hand', () => {
    // values 1,2,3,4,100: median 3; |dev| = 2,1,0,1,97 -> MAD = 1, mean = 101/5 = 20.2
    const s = robustSummary([4, 100, 1, 3, 2]);
    expect(s).toEqual({ median: 3, mad: 1, meanAbsDev: 20.2 });
  });
});

describe('spread fallbacks and modified z', () => {
  it('uses 1.4826*MAD when positive', () => {
    expect(effectiveSigma({ median: 3, mad: 1, meanAbsDev: 20 }, 0.05)).toEqual({ sigma: 1.4826, source: 'mad' });
  });

  it('falls back to 1.2533*mean absolute deviation when MAD is 0', () => {
    const { sigma, source } = effectiveSigma({ median: 0, mad: 0, meanAbsDev: 0.1 }, 0.05);
    expect(source).toBe('meanAbsoluteDeviation');
    expect(sigma).toBeCloseTo(0.12533, 10);
  });

  it('never goes below the floor (constant series)', () => {
    expect(effectiveSigma({ median: 5, mad: 0, meanAbsDev: 0 }, 0.05)).toEqual({ sigma: 0.05, source: 'floor' });
    expect(effectiveSigma({ median: 5, mad: 0.001, meanAbsDev: 0.001 }, 0.05)).toEqual({ sigma: 0.05, source: 'floor' });
  });

  it('modifiedZ is 0.6745*(x - median)/MAD', () => {
    // MAD 2 -> sigma 2.9652; x = 10, median 4: 0.6745 * 6 / 2 = 2.0235
    expect(modifiedZ(10, 4, 1.4826 * 2)).toBeCloseTo(2.0235, 10);
  });
});

describe('Student t quantiles', () => {
  it('table for small df', () => {
    expect(studentT975(1)).toBe(12.706);
    expect(studentT975(3)).toBe(3.182);
    expect(studentT975(5)).toBe(2.571);
    expect(studentT975(29)).toBe(2.045);
  });

  it('expansion around probit(0.975) for df >= 30, matching tables and converging to 1.96', () => {
    // The constant is the true quantile (normal CDF 0.975); simple-statistics' probit is ~0.003 low.
    expect(0.5 * (1 + errorFunction(Z_975 / Math.SQRT2))).toBeCloseTo(0.975, 6);
    expect(Math.abs(probit(0.975) - Z_975)).toBeLessThan(0.005);
    expect(studentT975(30)).toBeCloseTo(2.042, 3);
    expect(studentT975(60)).toBeCloseTo(2.0, 3);
    expect(studentT975(120)).toBeCloseTo(1.98, 3);
    expect(studentT975(1e6)).toBeCloseTo(1.96, 3);
  });

  it('rejects df < 1', () => {
    expect(() => studentT975(0)).toThrow(RangeError);
  });
});

describe('time buckets', () => {
  it('day of week, hour and the day-hour index in UTC and with an offset', () => {
    const sunday0230 = Date.UTC(2024, 0, 7, 2, 30);
    expect(dayOfWeek(sunday0230, 0)).toBe(0);
    expect(hourOfDay(sunday0230, 0)).toBe(2);
    expect(dayHourIndex(sunday0230, 0)).toBe(2);
    // UTC-3: still Saturday 23:30 locally
    expect(dayHourIndex(sunday0230, -180)).toBe(6 * 24 + 23);
    expect(dayHourIndex(Date.UTC(1969, 11, 31, 5), 0)).toBe(3 * 24 + 5); // a Wednesday before the epoch
  });

  it('isoDate matches Date#toISOString', () => {
    for (const day of [-1, 0, 59, 60, 11016, 19723, 20000, 2932896]) {
      expect(isoDate(day)).toBe(new Date(day * 86_400_000).toISOString().slice(0, 10));
    }
  });
});
