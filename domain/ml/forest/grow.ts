/**
 * Grows single trees on binned data. Used identically by the single-threaded trainer and by each worker thread:
 * a tree depends only on (data, options, its index), never on which thread grew it or what it grew before.
 */
import { deriveSeed, SeededRng } from '../rng.js';
import type { BinnedFeatures } from './binning.js';
import { featuresPerSplit, type ForestOptions } from './options.js';
import { LEAF, type FlatTree } from './tree.js';

/**
 * OOB sums are kept in fixed point (probability * 2^32, rounded): integer sums below 2^53 are exact in a double,
 * so adding trees in any order (any thread split) gives the same bits.
 */
export const OOB_FIXED_POINT_SCALE = 2 ** 32;

/** Leaf probabilities are rounded to 6 decimals: invisible in any metric, and it keeps model JSON short. */
function roundProbability(p: number): number {
  const clamped = p <= 0 ? 0 : Math.min(p, 1);
  return Math.round(clamped * 1e6) / 1e6;
}

export interface GrowerInput {
  binned: BinnedFeatures;
  labels: Uint8Array;
  options: ForestOptions;
  classWeights: readonly [number, number];
}

/** Bootstrap draws per tree: sampleFraction of the rows, at most maxSamplesPerTree. */
export function drawsPerTree(rowCount: number, options: Pick<ForestOptions, 'sampleFraction' | 'maxSamplesPerTree'>): number {
  return Math.max(1, Math.min(Math.round(rowCount * options.sampleFraction), options.maxSamplesPerTree));
}

// Slots of the best-split scratch array.
const SCORE = 0;
const BIN = 1;
const LEFT_NEG_DRAWS = 2;
const LEFT_POS_DRAWS = 3;

/*
 * The hot loops are small standalone functions: V8 optimises them reliably, one big grow() kept deoptimising.
 * Per row, `packed` holds (bootstrap draws << 1) | label, so one histogram of draws per (bin, class) gives both
 * the class weights (draws * class weight, constant per class) and the draw counts for minSamplesLeaf.
 */
function accumulateHistogram(
  rows: Int32Array,
  start: number,
  end: number,
  bins: Uint8Array,
  base: number,
  packed: Uint32Array,
  binCount: number,
  hist: Float64Array,
): void {
  hist.fill(0, 0, 2 * binCount);
  for (let k = start; k < end; k++) {
    const row = rows[k] as number;
    const v = packed[row] as number;
    const slot = ((bins[base + row] as number) << 1) | (v & 1);
    hist[slot] = (hist[slot] as number) + (v >>> 1);
  }
}

/** Updates `best` and returns true when a split of this feature beats best[SCORE] (weighted Gini). */
function scanSplits(
  binCount: number,
  hist: Float64Array,
  negDraws: number,
  posDraws: number,
  w0: number,
  w1: number,
  minLeaf: number,
  best: Float64Array,
): boolean {
  const neg = negDraws * w0;
  const pos = posDraws * w1;
  const total = neg + pos;
  const nodeDraws = negDraws + posDraws;
  let improved = false;
  let leftNegDraws = 0;
  let leftPosDraws = 0;
  for (let b = 0; b < binCount - 1; b++) {
    leftNegDraws += hist[2 * b] as number;
    leftPosDraws += hist[2 * b + 1] as number;
    const leftDraws = leftNegDraws + leftPosDraws;
    if (leftDraws < minLeaf) continue;
    if (nodeDraws - leftDraws < minLeaf) break;
    const leftN = leftNegDraws * w0;
    const leftP = leftPosDraws * w1;
    const leftW = leftN + leftP;
    const rightN = neg - leftN;
    const rightP = pos - leftP;
    const rightW = total - leftW;
    const score = (leftP * leftP + leftN * leftN) / leftW + (rightP * rightP + rightN * rightN) / rightW;
    if (score > (best[SCORE] as number)) {
      best[SCORE] = score;
      best[BIN] = b;
      best[LEFT_NEG_DRAWS] = leftNegDraws;
      best[LEFT_POS_DRAWS] = leftPosDraws;
      improved = true;
    }
  }
  return improved;
}

/** In-place partition of rows[start, end): rows with bin <= splitBin first; returns where the right part starts. */
function partitionRows(rows: Int32Array, start: number, end: number, bins: Uint8Array, base: number, splitBin: number): number {
  let i = start;
  let j = end - 1;
  while (i <= j) {
    const row = rows[i] as number;
    if ((bins[base + row] as number) <= splitBin) i++;
    else {
      rows[i] = rows[j] as number;
      rows[j] = row;
      j--;
    }
  }
  return i;
}

function drawBootstrap(rng: SeededRng, rowCount: number, draws: number, labels: Uint8Array, packed: Uint32Array): void {
  packed.fill(0);
  for (let d = 0; d < draws; d++) {
    const r = rng.intBelow(rowCount);
    packed[r] = (packed[r] as number) + 2;
  }
  for (let i = 0; i < rowCount; i++) if ((packed[i] as number) !== 0) packed[i] = (packed[i] as number) | (labels[i] as number);
}

function addOutOfBag(
  tree: FlatTree,
  splitBin: Int32Array,
  packed: Uint32Array,
  bins: Uint8Array,
  rowCount: number,
  oobFixedSum: Float64Array,
  oobVotes: Uint16Array,
): void {
  const { feature, split, children } = tree;
  for (let i = 0; i < rowCount; i++) {
    if ((packed[i] as number) !== 0) continue;
    let node = 0;
    let f = feature[0] as number;
    // Bin-space traversal equals raw-value traversal by construction of the bins (see binning.ts).
    while (f !== LEAF) {
      node = (children[node] as number) + ((bins[f * rowCount + i] as number) <= (splitBin[node] as number) ? 0 : 1);
      f = feature[node] as number;
    }
    oobFixedSum[i] = (oobFixedSum[i] as number) + Math.round((split[node] as number) * OOB_FIXED_POINT_SCALE);
    oobVotes[i] = (oobVotes[i] as number) + 1;
  }
}

export class TreeGrower {
  /** Sum over grown trees of the fixed-point OOB probability of each row. */
  readonly oobFixedSum: Float64Array;
  readonly oobVotes: Uint16Array;

  private readonly n: number;
  private readonly p: number;
  private readonly mtry: number;
  private readonly packed: Uint32Array;
  private readonly rows: Int32Array;
  private readonly featureOrder: Int32Array;
  private readonly hist: Float64Array;
  private readonly best = new Float64Array(4);

  constructor(private readonly input: GrowerInput) {
    const { binned, labels } = input;
    this.n = binned.rowCount;
    this.p = binned.featureCount;
    if (labels.length !== this.n) throw new RangeError('labels and binned rows differ in length');
    this.mtry = featuresPerSplit(input.options.maxFeatures, this.p);
    this.oobFixedSum = new Float64Array(this.n);
    this.oobVotes = new Uint16Array(this.n);
    this.packed = new Uint32Array(this.n);
    this.rows = new Int32Array(this.n);
    this.featureOrder = Int32Array.from({ length: this.p }, (_, f) => f);
    let maxBinCount = 2;
    for (const cuts of binned.thresholds) maxBinCount = Math.max(maxBinCount, cuts.length + 1);
    this.hist = new Float64Array(2 * maxBinCount);
  }

  /** Grows tree `treeIndex` and adds its out-of-bag predictions to oobFixedSum/oobVotes. */
  grow(treeIndex: number): FlatTree {
    const { binned, labels, options, classWeights } = this.input;
    const { n, p, mtry, packed, rows, featureOrder, hist, best } = this;
    const { bins, thresholds } = binned;
    const minLeaf = options.minSamplesLeaf;
    const [w0, w1] = classWeights;
    const rng = new SeededRng(deriveSeed(options.seed, treeIndex));
    // The feature permutation is scratch state: reset it so a tree never depends on the trees grown before it.
    for (let f = 0; f < p; f++) featureOrder[f] = f;

    drawBootstrap(rng, n, drawsPerTree(n, options), labels, packed);
    let inBag = 0;
    let rootNeg = 0;
    let rootPos = 0;
    for (let i = 0; i < n; i++) {
      const v = packed[i] as number;
      if (v === 0) continue;
      rows[inBag++] = i;
      if ((v & 1) === 1) rootPos += v >>> 1;
      else rootNeg += v >>> 1;
    }

    const feature: number[] = [LEAF];
    const split: number[] = [0];
    const splitBin: number[] = [0];
    const children: number[] = [-1];
    // Explicit DFS stack of (node id, row range start, end, depth, negative draws, positive draws).
    const stack: number[] = [0, 0, inBag, 0, rootNeg, rootPos];

    while (stack.length > 0) {
      const posDraws = stack.pop() as number;
      const negDraws = stack.pop() as number;
      const depth = stack.pop() as number;
      const end = stack.pop() as number;
      const start = stack.pop() as number;
      const node = stack.pop() as number;

      let bestFeature = -1;
      if (depth < options.maxDepth && negDraws + posDraws >= 2 * minLeaf && negDraws > 0 && posDraws > 0) {
        // Maximising sum over children of (neg^2 + pos^2) / weight minimises weighted Gini impurity; the relative
        // margin keeps float noise from producing useless splits.
        const neg = negDraws * w0;
        const pos = posDraws * w1;
        best[SCORE] = ((neg * neg + pos * pos) / (neg + pos)) * (1 + 1e-12);
        for (let j = 0; j < mtry; j++) {
          const r = j + rng.intBelow(p - j);
          const f = featureOrder[r] as number;
          featureOrder[r] = featureOrder[j] as number;
          featureOrder[j] = f;
          const binCount = (thresholds[f] as Float64Array).length + 1;
          if (binCount < 2) continue;
          accumulateHistogram(rows, start, end, bins, f * n, packed, binCount, hist);
          if (scanSplits(binCount, hist, negDraws, posDraws, w0, w1, minLeaf, best)) bestFeature = f;
        }
      }

      if (bestFeature === -1) {
        const neg = negDraws * w0;
        const pos = posDraws * w1;
        split[node] = roundProbability(pos / (neg + pos));
        continue;
      }

      const bestBin = best[BIN] as number;
      const leftNeg = best[LEFT_NEG_DRAWS] as number;
      const leftPos = best[LEFT_POS_DRAWS] as number;
      const middle = partitionRows(rows, start, end, bins, bestFeature * n, bestBin);
      const left = feature.length;
      feature[node] = bestFeature;
      split[node] = (thresholds[bestFeature] as Float64Array)[bestBin] as number;
      splitBin[node] = bestBin;
      children[node] = left;
      feature.push(LEAF, LEAF);
      split.push(0, 0);
      splitBin.push(0, 0);
      children.push(-1, -1);
      stack.push(left + 1, middle, end, depth + 1, negDraws - leftNeg, posDraws - leftPos);
      stack.push(left, start, middle, depth + 1, leftNeg, leftPos);
    }

    const tree: FlatTree = {
      feature: Int32Array.from(feature),
      split: Float64Array.from(split),
      children: Int32Array.from(children),
    };
    addOutOfBag(tree, Int32Array.from(splitBin), packed, bins, n, this.oobFixedSum, this.oobVotes);
    return tree;
  }
}
