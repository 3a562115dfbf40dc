/**
 * Multi-threaded sentinel-forest training on node:worker_threads. Not for Temporal workflow code (it starts
 * threads); call it from activities, scripts or the CLI.
 *
 * Trees are dealt round-robin to `threads` workers that read the binned data from SharedArrayBuffers. Each tree is
 * grown from its own derived seed and OOB sums are exact fixed-point integers, so the model and OOB predictions
 * are identical to `trainForest` for any thread count. The main thread stays free, so the caller can heartbeat
 * from `onProgress`.
 *
 * The worker is `tree-worker.ts`. When this module runs as TypeScript (tsx, vitest) workers start from
 * `tree-worker-tsx.mjs`, which registers tsx first (Node 20 ignores `--import` for a worker's entry module);
 * compiled to .js, `tree-worker.js` is started directly. Workers get an empty execArgv so the parent's flags
 * (e.g. tsx's preflight) are not re-applied.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ProgressCallback } from '../classifier.js';
import type { DenseMatrix } from '../matrix.js';
import { finishTraining, prepareTraining, type ForestTrainingResult } from './forest.js';
import type { ForestOptions } from './options.js';
import type { FlatTree } from './tree.js';
import type { TreeWorkerInput, TreeWorkerMessage } from './worker-protocol.js';

export interface ParallelTrainingOptions {
  /** Worker threads; default os.availableParallelism(), never more than the number of trees. */
  threads?: number;
  onProgress?: ProgressCallback;
  /** Aborting terminates the workers and rejects with the signal's reason. */
  signal?: AbortSignal;
}

function workerEntry(): URL {
  const runningAsTypeScript = import.meta.url.endsWith('.ts');
  return new URL(runningAsTypeScript ? './tree-worker-tsx.mjs' : './tree-worker.js', import.meta.url);
}

function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

export async function trainForestParallel(
  X: DenseMatrix,
  y: ArrayLike<number>,
  options: Partial<ForestOptions> = {},
  parallel: ParallelTrainingOptions = {},
): Promise<ForestTrainingResult> {
  const prepared = prepareTraining(X, y, options, sharedBytes);
  const total = prepared.options.nTrees;
  const requested = parallel.threads ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`threads must be a positive integer, got ${requested}`);
  const threads = Math.min(total, requested);
  const { signal, onProgress } = parallel;
  signal?.throwIfAborted();

  const n = prepared.binned.rowCount;
  const trees: (FlatTree | undefined)[] = new Array(total);
  const oobFixedSum = new Float64Array(n);
  const oobVotes = new Uint16Array(n);
  const entry = workerEntry();
  const workers: Worker[] = [];
  let done = 0;
  let onAbort: (() => void) | undefined;

  try {
    await new Promise<void>((resolve, reject) => {
      let finishedWorkers = 0;
      let failed = false;
      const fail = (error: unknown): void => {
        if (failed) return;
        failed = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      if (signal) {
        onAbort = () => fail(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }

      for (let w = 0; w < threads; w++) {
        const treeIndices: number[] = [];
        for (let t = w; t < total; t += threads) treeIndices.push(t);
        const workerInput: TreeWorkerInput = {
          rowCount: n,
          featureCount: prepared.binned.featureCount,
          bins: prepared.binned.bins,
          labels: prepared.labels,
          thresholds: prepared.binned.thresholds,
          options: prepared.options,
          classWeights: prepared.classWeights,
          treeIndices,
        };
        const worker = new Worker(entry, { workerData: workerInput, execArgv: [] });
        workers.push(worker);
        let workerDone = false;
        worker.on('message', (message: TreeWorkerMessage) => {
          if (failed) return;
          if (message.type === 'tree') {
            trees[message.index] = { feature: message.feature, split: message.split, children: message.children };
            done++;
            try {
              onProgress?.(done, total);
            } catch (error) {
              fail(error);
            }
            return;
          }
          // Integer-valued sums below 2^53: exact, so the order workers finish in does not matter.
          for (let i = 0; i < n; i++) {
            oobFixedSum[i] = (oobFixedSum[i] as number) + (message.oobFixedSum[i] as number);
            oobVotes[i] = (oobVotes[i] as number) + (message.oobVotes[i] as number);
          }
          workerDone = true;
          finishedWorkers++;
          if (finishedWorkers === threads) resolve();
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (!workerDone) fail(new Error(`forest worker ${w} exited with code ${code} before finishing`));
        });
      }
    });
  } finally {
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  const complete = trees.filter((t): t is FlatTree => t !== undefined);
  if (complete.length !== total) throw new Error(`forest workers returned ${complete.length} of ${total} trees`);
  return finishTraining(prepared, complete, oobFixedSum, oobVotes);
}
