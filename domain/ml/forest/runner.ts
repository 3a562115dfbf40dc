/**
 * How a forest's trees get grown is the caller's choice: domain code starts no threads. `trainForestWith` prepares
 * the data, hands it to a `TreeRunner` and assembles the model; `inProcessTreeRunner` grows the trees one after the
 * other on the calling thread (the default: unit tests, anything small), and the worker side supplies one that
 * spreads them over worker threads (activities/models/forest-threads.ts). Tree t depends only on the data, the
 * options and t, and OOB sums are exact fixed-point integers, so every runner returns the same model.
 */
import type { BoostingThreads } from '../boosting/train.js';
import type { ProgressCallback } from '../classifier.js';
import type { DenseMatrix } from '../matrix.js';
import { finishTraining, prepareTraining, type ForestTrainingResult, type PreparedTraining } from './forest.js';
import { TreeGrower } from './grow.js';
import type { ForestOptions } from './options.js';
import type { FlatTree } from './tree.js';

export interface TreeRunControl {
  /** Parallelism the caller asked for (the sentinel forest's `threads` param); a runner without threads ignores it. */
  threads?: number;
  /** Called after each tree with (trees grown, total). */
  onProgress?: ProgressCallback;
  /** Aborting stops the run; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Trees in index order (tree t grown from deriveSeed(seed, t)) and the summed out-of-bag votes. */
export interface GrownTrees {
  trees: FlatTree[];
  oobFixedSum: Float64Array;
  oobVotes: Uint16Array;
}

export interface TreeRunner {
  /** Storage for the binned data and labels (a thread runner shares it with its threads); default a plain array. */
  allocate?(length: number): Uint8Array;
  grow(prepared: PreparedTraining, control: TreeRunControl): Promise<GrownTrees>;
  /**
   * Threads for sentinel-boosting's histograms, offered by a runner that has them: boosting grows one tree at a
   * time, so its parallelism is inside each tree, but the caller hands over one runner for either algorithm.
   */
  boostingThreads?: BoostingThreads;
}

/** Grows every tree on the calling thread, checking for an abort between trees. */
export const inProcessTreeRunner: TreeRunner = {
  async grow(prepared, { onProgress, signal }) {
    const grower = new TreeGrower(prepared);
    const total = prepared.options.nTrees;
    const trees: FlatTree[] = [];
    for (let t = 0; t < total; t++) {
      signal?.throwIfAborted();
      trees.push(grower.grow(t));
      onProgress?.(t + 1, total);
    }
    return { trees, oobFixedSum: grower.oobFixedSum, oobVotes: grower.oobVotes };
  },
};

/** Trains a sentinel forest with `runner` growing the trees; same model as `trainForest` for any runner. */
export async function trainForestWith(
  X: DenseMatrix,
  y: ArrayLike<number>,
  options: Partial<ForestOptions> = {},
  runner: TreeRunner = inProcessTreeRunner,
  control: TreeRunControl = {},
): Promise<ForestTrainingResult> {
  const prepared = prepareTraining(X, y, options, runner.allocate?.bind(runner));
  control.signal?.throwIfAborted();
  const grown = await runner.grow(prepared, control);
  if (grown.trees.length !== prepared.options.nTrees) throw new Error(`the tree runner returned ${grown.trees.length} of ${prepared.options.nTrees} trees`);
  return finishTraining(prepared, grown.trees, grown.oobFixedSum, grown.oobVotes);
}
