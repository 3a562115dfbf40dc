/**
 * Order statistics on Float64Array ranges without sorting or allocating: the baseline builder calls these
 * millions of times, so they work in place on caller-owned buffers.
 */

/** Scale from the raw median absolute deviation to a normal-consistent standard deviation. */
export const MAD_TO_SIGMA = 1.4826;
/** Scale from the mean absolute deviation (about the median) to a normal-consistent standard deviation: sqrt(pi/2). */
export const MEAN_ABS_DEV_TO_SIGMA = 1.2533;
/** Iglewicz & Hoaglin's constant: modified z = 0.6745 * (x - median) / MAD. */
export const MODIFIED_Z_FACTOR = 0.6745;

/**
 * Rearranges a[lo..hi] (inclusive) so that a[k] holds the value of rank k, everything left of k is <= a[k] and
 * everything right is >= a[k]; returns a[k]. Hoare partitioning with a median-of-three pivot: runs of equal
 * values (constant series are common) split evenly instead of degrading to quadratic time.
 */
export function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : Math.max(x, z)) : x < z ? x : Math.max(y, z);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Median of a[lo..hi) (half-open); reorders that range. The range must be non-empty. */
export function medianInPlace(a: Float64Array, lo: number, hi: number): number {
  const n = hi - lo;
  const k = lo + (n >> 1);
  const upper = selectInPlace(a, lo, hi - 1, k);
  if (n % 2 === 1) return upper;
  // After selection every element left of k is <= a[k], so the lower middle is their maximum.
  let lower = a[lo]!;
  for (let i = lo + 1; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

export interface RobustLocationSpread {
  median: number;
  /** Raw median absolute deviation (not scaled). */
  mad: number;
  /** Mean absolute deviation about the median: still informative when more than half the values are equal. */
  meanAbsDev: number;
}

/**
 * Median, MAD and mean absolute deviation of a[lo..hi). Reorders `a` in that range and overwrites
 * scratch[0..hi-lo), so pass buffers you own.
 */
export function robustLocationSpread(a: Float64Array, lo: number, hi: number, scratch: Float64Array): RobustLocationSpread {
  const n = hi - lo;
  const median = medianInPlace(a, lo, hi);
  let absSum = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[lo + i]! - median);
    scratch[i] = d;
    absSum += d;
  }
  return { median, mad: medianInPlace(scratch, 0, n), meanAbsDev: absSum / n };
}

/** Convenience for callers with ordinary arrays (copies; not for hot loops). Throws on an empty input. */
export function robustSummary(values: ArrayLike<number>): RobustLocationSpread {
  if (values.length === 0) throw new RangeError('robustSummary needs at least one value');
  const copy = Float64Array.from(values);
  return robustLocationSpread(copy, 0, copy.length, new Float64Array(copy.length));
}

export type SpreadSource = 'mad' | 'meanAbsoluteDeviation' | 'floor';

/**
 * Normal-consistent spread with fallbacks so a constant (or mostly constant) history never yields a zero
 * divisor: 1.4826*MAD, else 1.2533*mean absolute deviation when MAD is 0, and never below `floor`.
 */
export function effectiveSigma(spread: RobustLocationSpread, floor: number): { sigma: number; source: SpreadSource } {
  let sigma = MAD_TO_SIGMA * spread.mad;
  let source: SpreadSource = 'mad';
  if (!(sigma > 0)) {
    sigma = MEAN_ABS_DEV_TO_SIGMA * spread.meanAbsDev;
    source = 'meanAbsoluteDeviation';
  }
  if (!(sigma >= floor)) {
    sigma = floor;
    source = 'floor';
  }
  return { sigma, source };
}

/** Modified z-score of x given a centre and a normal-consistent spread (sigma = 1.4826 * MAD). */
export function modifiedZ(x: number, median: number, sigma: number): number {
  return (MODIFIED_Z_FACTOR * (x - median) * MAD_TO_SIGMA) / sigma;
}
