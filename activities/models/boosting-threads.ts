/**
 * Sentinel-boosting's histograms built on worker threads: the `BoostingThreads` the worker side offers to domain
 * training (domain/ml/boosting/train.ts), which itself starts no threads.
 *
 * Boosting grows one tree after the other, so the parallelism is inside a tree: each large histogram is split into
 * feature blocks, the calling thread builds the first block and `threads - 1` helper threads (histogram-thread.ts)
 * the others, all on SharedArrayBuffers. Commands and completion go through a shared control array with
 * Atomics (wait/notify): a build costs microseconds of coordination, where a message round trip would cost tens.
 * Each feature's sums are accumulated by one thread in row order, so the model is the same for any thread count.
 * Small histograms (below MIN_PARALLEL_CELLS rows x features) are built on the calling thread alone: there the
 * coordination would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { buildHistogramBlock, featureBlocks, type HistogramBuilder } from '../../domain/ml/boosting/histogram.js';
import type { BoostingThreads } from '../../domain/ml/boosting/train.js';
import { startThread } from '../../platform/worker-threads.js';
import { COMMAND, CONTROL, type HistogramThreadInput } from './histogram-protocol.js';

const HISTOGRAM_THREAD = new URL('./histogram-thread.js', import.meta.url);

/** Atomics.waitAsync is in Node 20 (V8) but in TypeScript's lib only from ES2024, later than this project's. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Rows x features below which a histogram is built on the calling thread alone. */
export const MIN_PARALLEL_CELLS = 100_000;

export const boostingThreads: BoostingThreads = {
  defaultThreads: availableParallelism(),
  allocate: (byteLength) => new SharedArrayBuffer(byteLength),

  async start(arrays, layout, threads) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const blocks = featureBlocks(layout.featureCount, threads);
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.LENGTH));
    const scratch = new Float64Array(layout.slotSize);
    const [f0, f1] = blocks[0] as [number, number];
    const workers: Worker[] = [];
    let failure: Error | null = null;
    let rejectFailure: (error: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
      rejectFailure = reject;
    });
    // Without a waiter the rejection would be reported as unhandled; the builder rethrows it where it matters.
    failed.catch(() => undefined);
    let closing = false;
    for (let t = 1; t < blocks.length; t++) {
      const input: HistogramThreadInput = { arrays, layout, control, block: blocks[t] as [number, number] };
      const worker = startThread(HISTOGRAM_THREAD, { workerData: input });
      const fail = (error: Error): void => {
        if (closing || failure) return;
        failure = error;
        rejectFailure(error);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`histogram thread ${t} exited with code ${code}`)));
      workers.push(worker);
    }

    async function waitForHelpers(): Promise<void> {
      for (;;) {
        if (failure) throw failure;
        const done = Atomics.load(control, CONTROL.DONE);
        if (done >= workers.length) return;
        const waiting = waitAsync(control, CONTROL.DONE, done);
        if (waiting.async) await Promise.race([waiting.value, failed]);
      }
    }

    const builder: HistogramBuilder = {
      build(slot, start, end) {
        if (failure) throw failure;
        if (workers.length === 0 || (end - start) * layout.featureCount < MIN_PARALLEL_CELLS) {
          buildHistogramBlock(arrays, layout, slot, start, end, 0, layout.featureCount, scratch);
          return;
        }
        Atomics.store(control, CONTROL.DONE, 0);
        Atomics.store(control, CONTROL.CMD, COMMAND.BUILD);
        Atomics.store(control, CONTROL.SLOT, slot);
        Atomics.store(control, CONTROL.START, start);
        Atomics.store(control, CONTROL.END, end);
        Atomics.add(control, CONTROL.SEQ, 1);
        Atomics.notify(control, CONTROL.SEQ);
        buildHistogramBlock(arrays, layout, slot, start, end, f0, f1, scratch);
        if (Atomics.load(control, CONTROL.DONE) >= workers.length) return;
        return waitForHelpers();
      },
      async close() {
        closing = true;
        Atomics.store(control, CONTROL.CMD, COMMAND.STOP);
        Atomics.add(control, CONTROL.SEQ, 1);
        Atomics.notify(control, CONTROL.SEQ);
        await Promise.all(workers.map((worker) => worker.terminate()));
      },
    };
    return builder;
  },
};
