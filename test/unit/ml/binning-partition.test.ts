import { describe, expect, it } from 'vitest';
import type { HistogramArrays } from '../../../domain/ml/boosting/histogram.js';
import { joinPartitions, partitionBlock } from '../../../domain/ml/boosting/partition.js';
import { binMatrix, binOf, computeThresholds } from '../../../domain/ml/forest/binning.js';
import { createMatrix } from '../../../domain/ml/matrix.js';
import { createRng } from '../../../domain/ml/rng.js';

describe('quantile binning', () => {
  const rng = createRng(11);
  const rows = 5_000;
  const p = 4;
  // A continuous feature, one with a few levels (ties), one constant, one with negatives, -0 and +0.
  const X = createMatrix(rows, p);
  for (let i = 0; i < rows; i++) {
    X.values[i * p] = rng.next() * 100;
    X.values[i * p + 1] = Math.floor(rng.next() * 5);
    X.values[i * p + 2] = 7;
    X.values[i * p + 3] = i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : rng.next() * 2 - 1;
  }

  it('bins every value as binOf does, column-major and row-major with offsets', () => {
    for (const maxBins of [2, 3, 16, 255, 256]) {
      const thresholds = computeThresholds(X, maxBins, 1_000);
      const columns = new Uint8Array(rows * p);
      const out = new Uint16Array(rows * p);
      const offsets = Int32Array.from([0, 1000, 2000, 3000]);
      binMatrix(X, thresholds, columns, { out, offsets });
      let mismatches = 0;
      for (let i = 0; i < rows; i++) {
        for (let f = 0; f < p; f++) {
          const expected = binOf(X.values[i * p + f] as number, thresholds[f] as Float64Array);
          if (columns[f * rows + i] !== expected || out[i * p + f] !== (offsets[f] as number) + expected) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    }
  });

  it('cuts at real values: at most maxBins bins, every level its own bin when there are few, none for a constant', () => {
    const thresholds = computeThresholds(X, 16, 1_000);
    expect((thresholds[0] as Float64Array).length).toBeLessThanOrEqual(15);
    expect(Array.from(thresholds[1] as Float64Array)).toEqual([0, 1, 2, 3]);
    expect((thresholds[2] as Float64Array).length).toBe(0);
    const cuts = thresholds[0] as Float64Array;
    for (let k = 1; k < cuts.length; k++) expect(cuts[k] as number).toBeGreaterThan(cuts[k - 1] as number);
  });
});

describe('stable partition of a leaf by row blocks', () => {
  it('gives the one-pass result for any split of the range into blocks', () => {
    const rng = createRng(5);
    const n = 2_000;
    const p = 3;
    const columns = new Uint8Array(n * p);
    for (let k = 0; k < columns.length; k++) columns[k] = Math.floor(rng.next() * 10);
    const leafRows = Array.from({ length: n }, (_, i) => i).filter(() => rng.next() < 0.6);
    const start = 17;
    const end = start + leafRows.length;
    const f = 1;
    const bin = 4;
    const goesLeft = (r: number): boolean => (columns[f * n + r] as number) <= bin;
    const expected = [...leafRows.filter(goesLeft), ...leafRows.filter((r) => !goesLeft(r))];

    for (const blocks of [1, 2, 3, 7]) {
      const arrays = {
        rows: new Int32Array(end + 5).fill(-1),
        partitionScratch: new Int32Array(end + 5),
        columns,
      } as unknown as HistogramArrays;
      arrays.rows.set(leafRows, start);
      const bounds = Array.from({ length: blocks + 1 }, (_, t) => start + Math.floor((t * leafRows.length) / blocks));
      const leftCounts = bounds.slice(0, -1).map((a, t) => partitionBlock(arrays, n, f, bin, a, bounds[t + 1] as number));
      const middle = joinPartitions(arrays, bounds, leftCounts);
      expect(middle - start).toBe(leafRows.filter(goesLeft).length);
      expect(Array.from(arrays.rows.subarray(start, end))).toEqual(expected);
      // Outside the leaf nothing moved.
      expect(Array.from(arrays.rows.subarray(0, start)).every((r) => r === -1)).toBe(true);
      expect(Array.from(arrays.rows.subarray(end)).every((r) => r === -1)).toBe(true);
    }
  });
});
