/**
 * Adding a round's tree to the raw scores, the last per-row loop of a round: the training rows it was grown on (leaf
 * by leaf: rows stay partitioned by leaf, so no tree walk), the training rows a subsample left out, and the held-out
 * rows (tree walks on the binned rows). Threads take row blocks of each (rowBlock); every score gets exactly one
 * addition, so the result has the same bits for any split. The tree is copied into shared arrays for the threads.
 */
import { LEAF, type FlatTree } from '../forest/tree.js';
import type { GrownTree } from './grow.js';
import type { HistogramArrays } from './histogram.js';
import { rowBlock } from './partition.js';

/** A round's tree as the threads read it (SharedArrayBuffer-backed; longer than any tree: 2 x maxLeaves nodes). */
export interface SharedTree {
  feature: Int32Array;
  split: Float64Array;
  children: Int32Array;
  splitIndex: Int32Array;
  /** Per final leaf: the positions [start, end) of its rows in `rows`, and its value. */
  leafStart: Int32Array;
  leafEnd: Int32Array;
  leafValue: Float64Array;
}

/** Shared-tree arrays for trees of at most `maxLeaves` leaves, from `allocate`. */
export function allocateSharedTree(maxLeaves: number, allocate: (bytes: number) => ArrayBufferLike): SharedTree {
  const nodes = 2 * maxLeaves;
  return {
    feature: new Int32Array(allocate(4 * nodes)),
    split: new Float64Array(allocate(8 * nodes)),
    children: new Int32Array(allocate(4 * nodes)),
    splitIndex: new Int32Array(allocate(4 * nodes)),
    leafStart: new Int32Array(allocate(4 * maxLeaves)),
    leafEnd: new Int32Array(allocate(4 * maxLeaves)),
    leafValue: new Float64Array(allocate(8 * maxLeaves)),
  };
}

/** Copies a grown tree into the shared arrays; returns its leaf count. */
export function writeSharedTree(shared: SharedTree, grown: GrownTree): number {
  const { tree } = grown;
  shared.feature.set(tree.feature);
  shared.split.set(tree.split);
  shared.children.set(tree.children);
  shared.splitIndex.set(grown.splitIndex);
  shared.leafStart.set(grown.leafStart);
  shared.leafEnd.set(grown.leafEnd);
  for (let l = 0; l < grown.leafCount; l++) shared.leafValue[l] = tree.split[grown.leafNode[l] as number] as number;
  return grown.leafCount;
}

/**
 * Block `part` of `parts` of the work: the bag's rows at positions [0, m) of `rows` (by leaf), with `sampled` the
 * training rows outside the bag (inBag 0), and the held-out rows (rawValid).
 */
export function applyTreeBlock(
  arrays: HistogramArrays,
  featureCount: number,
  leafCount: number,
  m: number,
  sampled: boolean,
  part: number,
  parts: number,
): void {
  const { rows, raw, rawValid, inBag, bins, tree } = arrays;
  const [a, b] = rowBlock(m, part, parts);
  for (let l = 0; l < leafCount; l++) {
    const start = Math.max(a, tree.leafStart[l] as number);
    const end = Math.min(b, tree.leafEnd[l] as number);
    const value = tree.leafValue[l] as number;
    for (let k = start; k < end; k++) {
      const r = rows[k] as number;
      raw[r] = (raw[r] as number) + value;
    }
  }
  const flat: FlatTree = tree;
  const nt = raw.length;
  if (sampled) {
    const [c, d] = rowBlock(nt, part, parts);
    for (let i = c; i < d; i++) if (inBag[i] === 0) raw[i] = (raw[i] as number) + predictBinnedTree(flat, tree.splitIndex, bins, i * featureCount);
  }
  const [v0, v1] = rowBlock(rawValid.length, part, parts);
  for (let k = v0; k < v1; k++) rawValid[k] = (rawValid[k] as number) + predictBinnedTree(flat, tree.splitIndex, bins, (nt + k) * featureCount);
}

/** Leaf value of a binned row (row-major global bin indices) in a tree grown here: prediction during training. */
export function predictBinnedTree(tree: FlatTree, splitIndex: Int32Array, bins: Uint16Array, rowBase: number): number {
  const { feature, split, children } = tree;
  let node = 0;
  let f = feature[0] as number;
  while (f !== LEAF) {
    node = (children[node] as number) + ((bins[rowBase + f] as number) <= (splitIndex[node] as number) ? 0 : 1);
    f = feature[node] as number;
  }
  return split[node] as number;
}
