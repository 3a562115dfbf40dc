/**
 * Quantile binning, done once per training: every feature becomes at most `maxBins` ordered bins so split search
 * is a histogram scan instead of a sort per node.
 *
 * Thresholds are real data values and bin(x) is the first b with x <= thresholds[b] (or thresholds.length), so
 * "bin(x) <= b" is exactly "x <= thresholds[b]": trees trained on bins predict raw rows with the same answer.
 */
import type { DenseMatrix } from '../matrix.js';

export const MAX_SUPPORTED_BINS = 256;

export interface BinnedFeatures {
  rowCount: number;
  featureCount: number;
  /** Column-major: bin of (row i, feature f) is bins[f * rowCount + i]. */
  bins: Uint8Array;
  /** Per feature, ascending cut values; the feature has thresholds[f].length + 1 bins. */
  thresholds: Float64Array[];
}

/** Evenly strided rows (deterministic) when the data is larger than the sample size. */
function sampleColumn(X: DenseMatrix, feature: number, sampleSize: number): Float64Array {
  const n = X.rowCount;
  const take = Math.min(n, sampleSize);
  const out = new Float64Array(take);
  const step = n / take;
  for (let k = 0; k < take; k++) {
    const row = Math.min(n - 1, Math.floor(k * step));
    out[k] = X.values[row * X.columnCount + feature] as number;
  }
  return out;
}

export function computeThresholds(X: DenseMatrix, maxBins: number, sampleSize: number): Float64Array[] {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_SUPPORTED_BINS) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_SUPPORTED_BINS}]`);
  }
  const thresholds: Float64Array[] = [];
  for (let f = 0; f < X.columnCount; f++) {
    const sorted = sampleColumn(X, f, sampleSize).sort();
    const distinct: number[] = [];
    for (let k = 0; k < sorted.length; k++) {
      const v = sorted[k] as number;
      if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
    }
    let cuts: number[];
    if (distinct.length <= maxBins) {
      cuts = distinct.slice(0, -1);
    } else {
      cuts = [];
      const max = sorted[sorted.length - 1] as number;
      for (let q = 1; q < maxBins; q++) {
        const v = sorted[Math.floor((q * sorted.length) / maxBins)] as number;
        // Heavy ties (sentinels, neutral ratios) collapse several quantiles into one cut.
        if (v < max && (cuts.length === 0 || v > (cuts[cuts.length - 1] as number))) cuts.push(v);
      }
    }
    thresholds.push(Float64Array.from(cuts));
  }
  return thresholds;
}

export function binOf(value: number, cuts: Float64Array): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= (cuts[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins every value; `bins` may be backed by a SharedArrayBuffer so worker threads read it without copies. */
export function binFeatures(X: DenseMatrix, thresholds: Float64Array[], bins?: Uint8Array): BinnedFeatures {
  const n = X.rowCount;
  const p = X.columnCount;
  if (thresholds.length !== p) throw new RangeError(`got thresholds for ${thresholds.length} features, matrix has ${p}`);
  const out = bins ?? new Uint8Array(n * p);
  if (out.length !== n * p) throw new RangeError('bins buffer has the wrong length');
  for (let f = 0; f < p; f++) {
    const cuts = thresholds[f] as Float64Array;
    const base = f * n;
    for (let i = 0; i < n; i++) out[base + i] = binOf(X.values[i * p + f] as number, cuts);
  }
  return { rowCount: n, featureCount: p, bins: out, thresholds };
}
