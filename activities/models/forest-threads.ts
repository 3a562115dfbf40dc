/**
 * The sentinel forest's trees grown on worker threads: the `TreeRunner` the worker side hands to domain training
 * (domain/ml/forest/runner.ts), which itself starts no threads.
 *
 * Trees are dealt round-robin to `threads` threads (tree-thread.ts) that read the binned data from
 * SharedArrayBuffers. Each tree is grown from its own derived seed and OOB sums are exact fixed-point integers, so
 * the model and OOB predictions are identical to `trainForest` for any thread count. The calling thread stays
 * free, so the caller can heartbeat from `onProgress`.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { TreeRunner } from '../../domain/ml/forest/runner.js';
import type { FlatTree } from '../../domain/ml/forest/tree.js';
import { startThread } from '../../platform/worker-threads.js';
import { boostingThreads } from './boosting-threads.js';
import type { TreeThreadInput, TreeThreadMessage } from './tree-protocol.js';

const TREE_THREAD = new URL('./tree-thread.js', import.meta.url);

/** Threads default to os.availableParallelism() (the `threads` the caller asks for wins), never more than the trees. */
export const threadTreeRunner: TreeRunner = {
  allocate: (length) => new Uint8Array(new SharedArrayBuffer(length)),
  // sentinel-boosting, handed the same runner, builds its histograms on these.
  boostingThreads,

  async grow(prepared, { threads: requestedThreads, onProgress, signal }) {
    const total = prepared.options.nTrees;
    const requested = requestedThreads ?? availableParallelism();
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`threads must be a positive integer, got ${requested}`);
    const threads = Math.min(total, requested);
    signal?.throwIfAborted();

    const n = prepared.binned.rowCount;
    const trees: (FlatTree | undefined)[] = new Array(total);
    const oobFixedSum = new Float64Array(n);
    const oobVotes = new Uint16Array(n);
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
          const workerInput: TreeThreadInput = {
            rowCount: n,
            featureCount: prepared.binned.featureCount,
            bins: prepared.binned.bins,
            labels: prepared.labels,
            thresholds: prepared.binned.thresholds,
            options: prepared.options,
            classWeights: prepared.classWeights,
            treeIndices,
          };
          const worker = startThread(TREE_THREAD, { workerData: workerInput });
          workers.push(worker);
          let workerDone = false;
          worker.on('message', (message: TreeThreadMessage) => {
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
            // Integer-valued sums below 2^53: exact, so the order threads finish in does not matter.
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
    return { trees: complete, oobFixedSum, oobVotes };
  },
};
