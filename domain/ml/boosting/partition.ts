/**
 * Splitting a leaf's rows between its two children: a stable partition of rows[start, end) by "local bin of feature
 * f <= bin" (each side keeps ascending row order, so memory is read forwards and the model does not depend on how
 * the work is split). Threads partition row blocks of their own (partitionBlock), then the calling thread joins
 * the blocks (joinPartitions): the result is the same as one pass over the whole range.
 */
import type { HistogramArrays } from './histogram.js';

/** Row block `part` of `parts` over positions [0, m): [start, end). */
export function rowBlock(m: number, part: number, parts: number): [number, number] {
  return [Math.floor((part * m) / parts), Math.floor(((part + 1) * m) / parts)];
}

/**
 * Partitions the rows at positions [a, b): left rows to rows[a, a + L) in order, right rows to scratch[a, a + R) in
 * order; returns L. Reads the column-major bins (columns[f * n + row]): one byte per row, and neighbouring rows share
 * cache lines (the row-major global bins would cost a cache line per row).
 */
export function partitionBlock(arrays: HistogramArrays, n: number, f: number, bin: number, a: number, b: number): number {
  const { rows, partitionScratch: scratch, columns } = arrays;
  const base = f * n;
  let left = a;
  let right = a;
  for (let k = a; k < b; k++) {
    const r = rows[k] as number;
    if ((columns[base + r] as number) <= bin) rows[left++] = r;
    else scratch[right++] = r;
  }
  return left - a;
}

/**
 * Joins blocks partitioned by partitionBlock (block t covered positions [bounds[t], bounds[t + 1]) and kept
 * leftCounts[t] rows on the left) into rows[start, end) = every block's left rows, then every block's right rows, in
 * block order; returns the position of the first right row.
 */
export function joinPartitions(arrays: HistogramArrays, bounds: readonly number[], leftCounts: readonly number[]): number {
  const { rows, partitionScratch: scratch } = arrays;
  const blocks = leftCounts.length;
  let at = bounds[0] as number;
  for (let t = 0; t < blocks; t++) {
    const from = bounds[t] as number;
    const count = leftCounts[t] as number;
    if (from !== at) rows.copyWithin(at, from, from + count);
    at += count;
  }
  const middle = at;
  for (let t = 0; t < blocks; t++) {
    const from = bounds[t] as number;
    const count = (bounds[t + 1] as number) - from - (leftCounts[t] as number);
    rows.set(scratch.subarray(from, from + count), at);
    at += count;
  }
  return middle;
}
