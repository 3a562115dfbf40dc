/**
 * Grows one regression tree of gradient boosting on binned rows from their gradients and hessians (second-order
 * split gain, as LightGBM and scikit-learn's HistGradientBoosting): leaf-wise (the leaf with the largest gain is
 * split next) or depth-wise, up to maxLeaves leaves and maxDepth levels.
 *
 * Per split only the smaller child's histogram is built from its rows; the larger child's is the parent's minus it
 * (histogram subtraction), so each row is read about log2(leaves) times per tree at most, usually far fewer.
 * Rows are kept partitioned by leaf in one index array (stable, so each leaf's rows stay in ascending order and
 * memory is read forwards).
 */
import { LEAF, type FlatTree } from '../forest/tree.js';
import type { HistogramArrays, HistogramBuilder, HistogramLayout } from './histogram.js';
import { subtractHistogram } from './histogram.js';
import type { BoostingOptions } from './options.js';

/** Leaf values are rounded to 7 decimals: the model JSON stays short, and training updates use the same values. */
export function roundLeafValue(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

export interface GrownTree {
  tree: FlatTree;
  /** Per node, the global bin index the split is on (binned prediction during training); 0 for leaves. */
  splitIndex: Int32Array;
  /** Final leaves: rows[start, end) of the grower's row array reached node `node`. */
  leafStart: Int32Array;
  leafEnd: Int32Array;
  leafNode: Int32Array;
  leafCount: number;
}

// Slots of the best-split scratch array.
const GAIN = 0;
const BIN = 1;
const LEFT_G = 2;
const LEFT_H = 3;
const LEFT_C = 4;

/** Best split of one feature's histogram; updates `best` and returns true when it beats best[GAIN]. */
function scanFeature(
  pool: Float64Array,
  o: number,
  binCount: number,
  G: number,
  H: number,
  C: number,
  l2: number,
  minLeaf: number,
  minHess: number,
  parentScore: number,
  best: Float64Array,
): boolean {
  let gl = 0;
  let hl = 0;
  let cl = 0;
  let improved = false;
  for (let b = 0; b < binCount - 1; b++) {
    const s = o + 3 * b;
    gl += pool[s] as number;
    hl += pool[s + 1] as number;
    cl += pool[s + 2] as number;
    if (cl < minLeaf || hl < minHess) continue;
    const cr = C - cl;
    const hr = H - hl;
    if (cr < minLeaf || hr < minHess) break;
    const gr = G - gl;
    const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
    if (gain > (best[GAIN] as number)) {
      best[GAIN] = gain;
      best[BIN] = b;
      best[LEFT_G] = gl;
      best[LEFT_H] = hl;
      best[LEFT_C] = cl;
      improved = true;
    }
  }
  return improved;
}

export class BoostingTreeGrower {
  /** The root's counts per global bin, once known (buildRoot). */
  private rootCounts: Float64Array | null = null;
  private readonly best = new Float64Array(5);
  private readonly freeSlots: number[] = [];
  // Per live leaf (index = leaf number in this tree).
  private readonly leafNode: Int32Array;
  private readonly leafStart: Int32Array;
  private readonly leafEnd: Int32Array;
  private readonly leafDepth: Int32Array;
  private readonly leafSlot: Int32Array;
  private readonly leafG: Float64Array;
  private readonly leafH: Float64Array;
  private readonly leafC: Float64Array;
  private readonly bestGain: Float64Array;
  private readonly bestFeature: Int32Array;
  private readonly bestBin: Int32Array;
  private readonly bestLeft: Float64Array;

  constructor(
    private readonly arrays: HistogramArrays,
    private readonly layout: HistogramLayout,
    private readonly options: BoostingOptions,
    private readonly thresholds: readonly Float64Array[],
    private readonly builder: HistogramBuilder,
  ) {
    const L = options.maxLeaves;
    this.leafNode = new Int32Array(L);
    this.leafStart = new Int32Array(L);
    this.leafEnd = new Int32Array(L);
    this.leafDepth = new Int32Array(L);
    this.leafSlot = new Int32Array(L);
    this.leafG = new Float64Array(L);
    this.leafH = new Float64Array(L);
    this.leafC = new Float64Array(L);
    this.bestGain = new Float64Array(L);
    this.bestFeature = new Int32Array(L);
    this.bestBin = new Int32Array(L);
    this.bestLeft = new Float64Array(3 * L);
  }

  /** Histogram slots the pool must hold: one per live leaf plus one for a child being built. */
  static slotsNeeded(options: Pick<BoostingOptions, 'maxLeaves'>): number {
    return options.maxLeaves + 1;
  }

  private canSplit(count: number, depth: number): boolean {
    return depth < this.options.maxDepth && count >= 2 * this.options.minSamplesLeaf;
  }

  /** Finds leaf `leaf`'s best split over the allowed features from its histogram (its slot). */
  private findSplit(leaf: number, features: Int32Array, featureTotal: number): void {
    const { pool } = this.arrays;
    const { offsets, slotSize } = this.layout;
    const { l2Regularization: l2, minSamplesLeaf, minHessianLeaf, minGainToSplit } = this.options;
    const G = this.leafG[leaf] as number;
    const H = this.leafH[leaf] as number;
    const C = this.leafC[leaf] as number;
    const parentScore = (G * G) / (H + l2);
    const best = this.best;
    // A split must gain more than the threshold and more than float noise relative to the leaf's own score.
    best[GAIN] = Math.max(minGainToSplit, parentScore * 1e-12);
    let bestFeature = -1;
    const base = (this.leafSlot[leaf] as number) * slotSize;
    for (let j = 0; j < featureTotal; j++) {
      const f = features[j] as number;
      const binCount = (offsets[f + 1] as number) - (offsets[f] as number);
      if (binCount < 2) continue;
      if (scanFeature(pool, base + 3 * (offsets[f] as number), binCount, G, H, C, l2, minSamplesLeaf, minHessianLeaf, parentScore, best)) bestFeature = f;
    }
    this.bestFeature[leaf] = bestFeature;
    this.bestGain[leaf] = bestFeature === -1 ? 0 : (best[GAIN] as number);
    this.bestBin[leaf] = best[BIN] as number;
    this.bestLeft[3 * leaf] = best[LEFT_G] as number;
    this.bestLeft[3 * leaf + 1] = best[LEFT_H] as number;
    this.bestLeft[3 * leaf + 2] = best[LEFT_C] as number;
    if (bestFeature === -1) this.releaseSlot(leaf);
  }

  private takeSlot(): number {
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new Error('histogram pool exhausted');
    return slot;
  }

  private releaseSlot(leaf: number): void {
    const slot = this.leafSlot[leaf] as number;
    if (slot >= 0) this.freeSlots.push(slot);
    this.leafSlot[leaf] = -1;
  }

  /** Next leaf to split, or -1: leaf-wise the largest gain, depth-wise the shallowest (then the oldest). */
  private pickLeaf(leafCount: number): number {
    let pick = -1;
    for (let l = 0; l < leafCount; l++) {
      if ((this.bestFeature[l] as number) < 0) continue;
      if (pick === -1) {
        pick = l;
        continue;
      }
      if (this.options.growth === 'leaf-wise') {
        if ((this.bestGain[l] as number) > (this.bestGain[pick] as number)) pick = l;
      } else if ((this.leafDepth[l] as number) < (this.leafDepth[pick] as number)) pick = l;
    }
    return pick;
  }

  /**
   * Grows a tree on rows[0, rowCount) (the grower's row array must hold them, ascending) whose gradient and
   * hessian sums are G and H, splitting only on `features[0, featureTotal)`. `sameRootRows`: rows[0, rowCount) are
   * the same rows in every call (no subsampling), so the root's counts are taken from the first call's.
   */
  async grow(rowCount: number, G: number, H: number, features: Int32Array, featureTotal: number, sameRootRows = false): Promise<GrownTree> {
    const { options, layout, arrays, thresholds } = this;
    const { pool } = arrays;
    this.freeSlots.length = 0;
    for (let s = BoostingTreeGrower.slotsNeeded(options) - 1; s >= 0; s--) this.freeSlots.push(s);

    const feature: number[] = [LEAF];
    const split: number[] = [0];
    const splitIndexes: number[] = [0];
    const children: number[] = [-1];

    let leafCount = 1;
    this.leafNode[0] = 0;
    this.leafStart[0] = 0;
    this.leafEnd[0] = rowCount;
    this.leafDepth[0] = 0;
    this.leafG[0] = G;
    this.leafH[0] = H;
    this.leafC[0] = rowCount;
    this.leafSlot[0] = -1;
    this.bestFeature[0] = -1;
    if (this.canSplit(rowCount, 0)) {
      this.leafSlot[0] = this.takeSlot();
      await this.buildRoot(this.leafSlot[0] as number, rowCount, sameRootRows);
      this.findSplit(0, features, featureTotal);
    }

    while (leafCount < options.maxLeaves) {
      const leaf = this.pickLeaf(leafCount);
      if (leaf === -1) break;
      const f = this.bestFeature[leaf] as number;
      const bin = this.bestBin[leaf] as number;
      const start = this.leafStart[leaf] as number;
      const end = this.leafEnd[leaf] as number;
      const depth = (this.leafDepth[leaf] as number) + 1;
      const lg = this.bestLeft[3 * leaf] as number;
      const lh = this.bestLeft[3 * leaf + 1] as number;
      const lc = this.bestLeft[3 * leaf + 2] as number;
      const splitIndex = (layout.offsets[f] as number) + bin;
      const middle = await this.builder.partition(start, end, f, bin);

      const node = this.leafNode[leaf] as number;
      const left = feature.length;
      feature[node] = f;
      split[node] = (thresholds[f] as Float64Array)[bin] as number;
      splitIndexes[node] = splitIndex;
      children[node] = left;
      feature.push(LEAF, LEAF);
      split.push(0, 0);
      splitIndexes.push(0, 0);
      children.push(-1, -1);

      // The left child takes over the parent's leaf number (and slot), the right child is a new leaf.
      const right = leafCount++;
      const parentSlot = this.leafSlot[leaf] as number;
      const G0 = this.leafG[leaf] as number;
      const H0 = this.leafH[leaf] as number;
      const C0 = this.leafC[leaf] as number;
      this.setLeaf(leaf, left, start, middle, depth, lg, lh, lc);
      this.setLeaf(right, left + 1, middle, end, depth, G0 - lg, H0 - lh, C0 - lc);

      const leftSplits = this.canSplit(middle - start, depth);
      const rightSplits = this.canSplit(end - middle, depth);
      if (!leftSplits && !rightSplits) {
        this.freeSlots.push(parentSlot);
        continue;
      }
      const smaller = middle - start <= end - middle ? leaf : right;
      const larger = smaller === leaf ? right : leaf;
      const smallerSlot = this.takeSlot();
      await this.builder.build(smallerSlot, this.leafStart[smaller] as number, this.leafEnd[smaller] as number);
      this.leafSlot[smaller] = smallerSlot;
      if (smaller === leaf ? rightSplits : leftSplits) {
        subtractHistogram(pool, layout.slotSize, parentSlot, smallerSlot);
        this.leafSlot[larger] = parentSlot;
        this.findSplit(larger, features, featureTotal);
      } else {
        this.freeSlots.push(parentSlot);
      }
      if (smaller === leaf ? leftSplits : rightSplits) this.findSplit(smaller, features, featureTotal);
      else this.releaseSlot(smaller);
    }

    const l2 = options.l2Regularization;
    const leafNode = new Int32Array(leafCount);
    for (let l = 0; l < leafCount; l++) {
      const node = this.leafNode[l] as number;
      leafNode[l] = node;
      split[node] = roundLeafValue((-options.learningRate * (this.leafG[l] as number)) / ((this.leafH[l] as number) + l2));
    }
    return {
      tree: { feature: Int32Array.from(feature), split: Float64Array.from(split), children: Int32Array.from(children) },
      splitIndex: Int32Array.from(splitIndexes),
      leafStart: this.leafStart.slice(0, leafCount),
      leafEnd: this.leafEnd.slice(0, leafCount),
      leafNode,
      leafCount,
    };
  }

  /**
   * The root's histogram. Its counts only depend on the rows: when they are the same every round, the first round's
   * counts are kept and later roots are built without counting (a third of the root's memory updates; the root is
   * about a third of all histogram work). Counts are exact integers, so the histogram has the same bits either way.
   */
  private async buildRoot(slot: number, rowCount: number, sameRootRows: boolean): Promise<void> {
    const cached = sameRootRows ? this.rootCounts : null;
    await this.builder.build(slot, 0, rowCount, cached === null);
    const { pool } = this.arrays;
    const base = slot * this.layout.slotSize;
    const bins = this.layout.slotSize / 3;
    if (cached) {
      for (let g = 0; g < bins; g++) pool[base + 3 * g + 2] = cached[g] as number;
    } else if (sameRootRows) {
      const counts = new Float64Array(bins);
      for (let g = 0; g < bins; g++) counts[g] = pool[base + 3 * g + 2] as number;
      this.rootCounts = counts;
    }
  }

  private setLeaf(l: number, node: number, start: number, end: number, depth: number, g: number, h: number, c: number): void {
    this.leafNode[l] = node;
    this.leafStart[l] = start;
    this.leafEnd[l] = end;
    this.leafDepth[l] = depth;
    this.leafG[l] = g;
    this.leafH[l] = h;
    this.leafC[l] = c;
    this.leafSlot[l] = -1;
    this.bestFeature[l] = -1;
    this.bestGain[l] = 0;
  }
}
