/**
 * Sentinel-boosting training: histogram gradient-boosted trees on the log-loss, the project's own (no maintained
 * pure-JavaScript GBDT exists on npm: docs/model-lifecycle.md says what was checked).
 *
 * - features are binned once with the forest's quantile binning (forest/binning.ts), thresholds from the rows
 *   trained on;
 * - the newest `validationFraction` of the rows (the caller passes rows in time order, oldest first) is held out:
 *   training stops when its log-loss has not improved for `earlyStoppingRounds` rounds and keeps the best round;
 *   its predictions are handed back for calibration (the only out-of-sample predictions boosting has);
 * - each round: gradients and hessians of the log-loss in one Float64Array, one tree (grow.ts), the raw scores of
 *   the rows updated leaf by leaf (no tree walk for the rows the tree was grown on);
 * - seeded: rows (subsample) and features (featureFraction) are drawn per round from deriveSeed(seed, round), and
 *   histograms are summed in row order per feature on any thread split, so a seed gives byte-identical models;
 * - threads only through `control.histogramThreads`, supplied from outside domain/ (domain code starts none).
 */
import type { ProgressCallback } from '../classifier.js';
import type { FlatTree } from '../forest/tree.js';
import { assertFiniteMatrix, checkBinaryLabels, type DenseMatrix } from '../matrix.js';
import { deriveSeed, SeededRng } from '../rng.js';
import { allocateSharedTree, writeSharedTree } from './apply-tree.js';
import { BoostingTreeGrower } from './grow.js';
import {
  histogramLayout,
  inProcessHistogramBuilder,
  MAX_TOTAL_BINS,
  type HistogramArrays,
  type HistogramBuilder,
  type HistogramLayout,
  type TrainingShape,
} from './histogram.js';
import { SentinelBoosting, sigmoid } from './model.js';
import { resolveBoostingOptions, SMALL_HISTORY_ROWS, type BoostingOptions } from './options.js';

/** What spreads histogram building over worker threads (activities/models/boosting-threads.ts on the worker side). */
export interface BoostingThreads {
  /** Threads to use when the caller names none (e.g. the machine's cores). */
  defaultThreads: number;
  /** Memory the threads can share (a SharedArrayBuffer); the arrays of `start` are allocated from it. */
  allocate(byteLength: number): ArrayBufferLike;
  /** A builder that splits the setup and each round's large loops over `threads` threads (the caller's included). */
  start(arrays: HistogramArrays, shape: TrainingShape, threads: number): Promise<HistogramBuilder>;
}

export interface BoostingRunControl {
  /** Threads for histogram building (default 1: the calling thread); only used with `histogramThreads`. */
  threads?: number;
  /** Called after each round with (rounds done, maxIterations); the last call has done = total. */
  onProgress?: ProgressCallback;
  /** Checked between rounds (the event loop is given a turn each round, so an abort gets through). */
  signal?: AbortSignal;
  histogramThreads?: BoostingThreads;
}

export interface BoostingTrainingResult {
  model: SentinelBoosting;
  /** Predictions of the held-out rows [firstRow, rowCount) at the kept round; null when nothing was held out. */
  heldOut: { firstRow: number; probabilities: Float64Array } | null;
  /** Held-out log-loss before any tree and after each round (empty without a held-out fold). */
  validationLoss: number[];
  /** Rounds trained before stopping; the model keeps `model.trees.length` of them. */
  iterationsTrained: number;
}

/** Rows used for training and the held-out fold after them: the fold only when it can judge (both classes). */
export function heldOutRows(labels: Uint8Array, options: Pick<BoostingOptions, 'validationFraction' | 'minValidationFailures'>): number {
  const n = labels.length;
  const held = Math.floor(n * options.validationFraction);
  if (held === 0) return n;
  let failures = 0;
  for (let i = n - held; i < n; i++) failures += labels[i] as number;
  let trainingFailures = 0;
  for (let i = 0; i < n - held; i++) trainingFailures += labels[i] as number;
  const min = options.minValidationFailures;
  const enough = failures >= min && held - failures >= min && trainingFailures > 0 && trainingFailures < n - held;
  return enough ? n - held : n;
}

/** A copy of `values` in memory from `allocate` (shared with the threads). */
function copyTo(values: Float64Array, allocate: (bytes: number) => ArrayBufferLike): Float64Array {
  const copy = new Float64Array(allocate(values.byteLength));
  copy.set(values);
  return copy;
}

/** Mean log-loss of raw scores (log-odds) against labels, computed stably. */
function logLoss(raw: Float64Array, labels: Uint8Array, offset: number): number {
  let sum = 0;
  for (let k = 0; k < raw.length; k++) {
    const z = raw[k] as number;
    // -log(sigmoid(z)) = log(1 + e^-z); for y = 0, -log(1 - sigmoid(z)) = log(1 + e^z).
    const m = labels[offset + k] === 1 ? -z : z;
    sum += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
  }
  return sum / raw.length;
}

/** Sums of the gradients and hessians gh holds for rows[0, m), in row order, into sums: [G, H]. */
function sumGradients(rows: Int32Array, m: number, gh: Float64Array, sums: Float64Array): void {
  let G = 0;
  let H = 0;
  for (let k = 0; k < m; k++) {
    const r = rows[k] as number;
    G += gh[2 * r] as number;
    H += gh[2 * r + 1] as number;
  }
  sums[0] = G;
  sums[1] = H;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function trainBoosting(
  X: DenseMatrix,
  y: ArrayLike<number>,
  options: Partial<BoostingOptions> = {},
  control: BoostingRunControl = {},
): Promise<BoostingTrainingResult> {
  const requested = resolveBoostingOptions(options);
  const threads = control.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  if (X.rowCount === 0) throw new RangeError('cannot train on zero rows');
  assertFiniteMatrix(X);
  const labels = checkBinaryLabels(y, X.rowCount);
  control.signal?.throwIfAborted();

  const n = X.rowCount;
  const p = X.columnCount;
  const nt = heldOutRows(labels, requested);
  const nv = n - nt;
  // Small histories get smaller trees and fewer rounds unless the caller chose them (options.ts says why).
  const opts = nv > 0 && n >= SMALL_HISTORY_ROWS ? requested : resolveBoostingOptions(options, true);
  const slots = BoostingTreeGrower.slotsNeeded(opts);
  const shared = threads > 1 && control.histogramThreads ? control.histogramThreads : null;
  const allocate = (bytes: number): ArrayBufferLike => (shared ? shared.allocate(bytes) : new ArrayBuffer(bytes));
  // The threads get the histogram pool before the cuts are known: room for the most bins a layout can have.
  const maxSlotSize = 3 * Math.min(p * opts.maxBins, MAX_TOTAL_BINS);
  const arrays: HistogramArrays = {
    bins: new Uint16Array(allocate(2 * n * p)),
    gh: new Float64Array(allocate(16 * nt)),
    rows: new Int32Array(allocate(4 * nt)),
    pool: new Float64Array(allocate(8 * maxSlotSize * slots)),
    raw: new Float64Array(allocate(8 * nt)),
    labels: new Uint8Array(allocate(nt)),
    columns: new Uint8Array(allocate(n * p)),
    partitionScratch: new Int32Array(allocate(4 * nt)),
    rawValid: new Float64Array(allocate(8 * nv)),
    inBag: new Uint8Array(allocate(nt)),
    tree: allocateSharedTree(opts.maxLeaves, allocate),
    setup: {
      // Threads read the feature values from shared memory: a copy for the setup, let go after binning.
      values: shared && !(X.values.buffer instanceof SharedArrayBuffer) ? copyTo(X.values, allocate) : X.values,
      cuts: new Float64Array(allocate(8 * p * opts.maxBins)),
      cutCounts: new Int32Array(allocate(4 * p)),
      offsets: new Int32Array(allocate(4 * (p + 1))),
    },
  };
  arrays.labels.set(labels.subarray(0, nt));

  let positives = 0;
  for (let i = 0; i < nt; i++) positives += labels[i] as number;
  // Start from the training base rate's log-odds (kept finite for a one-class history).
  const rate = Math.min(Math.max(positives / nt, 1e-6), 1 - 1e-6);
  const baseScore = Math.log(rate / (1 - rate));
  arrays.raw.fill(baseScore);
  const rawValid = arrays.rawValid.fill(baseScore);
  const bestValid = new Float64Array(nv).fill(baseScore);
  const validationLoss: number[] = nv > 0 ? [logLoss(rawValid, labels, nt)] : [];
  let bestLoss = validationLoss[0] ?? Number.POSITIVE_INFINITY;
  let bestRounds = 0;

  const shape = { featureCount: p, trainRows: nt };
  const builder = shared ? await shared.start(arrays, shape, threads) : inProcessHistogramBuilder(arrays, shape);
  const trees: FlatTree[] = [];
  let round = 0;
  try {
    // Cut values from the training rows, bins for every row (setup.ts: split over the threads like the rounds).
    const thresholds = await builder.thresholds(opts.maxBins, opts.binSampleSize);
    const computed = histogramLayout(nt, thresholds);
    arrays.setup.offsets.set(computed.offsets);
    const layout: HistogramLayout = { ...computed, offsets: arrays.setup.offsets };
    await builder.configure(layout);
    await builder.bin(thresholds);
    control.signal?.throwIfAborted();

    const grower = new BoostingTreeGrower(arrays, layout, opts, thresholds, builder);
    const features = Int32Array.from({ length: p }, (_, f) => f);
    const featureTotal = Math.max(1, Math.round(opts.featureFraction * p));
    const bagSize = Math.max(1, Math.round(opts.subsample * nt));
    const inBag = opts.subsample < 1 ? arrays.inBag : null;
    const sums = new Float64Array(2);
    const { rows } = arrays;

    for (; round < opts.maxIterations; round++) {
      const rng = new SeededRng(deriveSeed(opts.seed, round));
      let m = nt;
      if (inBag) {
        // Selection sampling: exactly bagSize rows, in ascending order.
        m = 0;
        inBag.fill(0);
        for (let i = 0; i < nt && m < bagSize; i++) {
          if (rng.next() * (nt - i) < bagSize - m) {
            rows[m++] = i;
            inBag[i] = 1;
          }
        }
      } else {
        for (let i = 0; i < nt; i++) rows[i] = i;
      }
      if (featureTotal < p) {
        for (let f = 0; f < p; f++) features[f] = f;
        for (let j = 0; j < featureTotal; j++) {
          const r = j + rng.intBelow(p - j);
          const f = features[r] as number;
          features[r] = features[j] as number;
          features[j] = f;
        }
        // Ascending, so the split search visits features in the same order as without sampling.
        features.subarray(0, featureTotal).sort();
      }

      await builder.gradients(m);
      sumGradients(rows, m, arrays.gh, sums);
      const grown = await grower.grow(m, sums[0] as number, sums[1] as number, features, featureTotal, inBag === null);

      const { tree } = grown;
      trees.push(tree);

      await builder.applyTree(writeSharedTree(arrays.tree, grown), m, inBag !== null);

      if (nv > 0) {
        const loss = logLoss(rawValid, labels, nt);
        validationLoss.push(loss);
        if (loss < bestLoss - 1e-7) {
          bestLoss = loss;
          bestRounds = round + 1;
          bestValid.set(rawValid);
        } else if (opts.earlyStoppingRounds > 0 && round + 1 - bestRounds >= opts.earlyStoppingRounds) {
          round++;
          break;
        }
      }
      control.onProgress?.(round + 1, opts.maxIterations);
      await yieldToEventLoop();
      control.signal?.throwIfAborted();
    }
  } finally {
    await builder.close();
  }
  control.onProgress?.(opts.maxIterations, opts.maxIterations);

  // Stopping early keeps the best round on the held-out fold; otherwise every round is kept.
  const keepBest = nv > 0 && opts.earlyStoppingRounds > 0;
  const kept = keepBest ? trees.slice(0, bestRounds) : trees;
  const model = new SentinelBoosting(p, baseScore, opts, kept, round);
  const heldOut = nv > 0 ? { firstRow: nt, probabilities: (keepBest ? bestValid : rawValid).map(sigmoid) } : null;
  return { model, heldOut, validationLoss, iterationsTrained: round };
}
