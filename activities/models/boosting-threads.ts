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
 * coordination would cost more than it saves. The same threads compute each round's gradients by row blocks
 * (the other per-row loop of a round: 0.6 s of the 1M-run fit's serial part), split each leaf's rows between its
 * children, and add the round's tree to the scores, by row blocks, above MIN_PARALLEL_ROWS rows.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { applyTreeBlock } from '../../domain/ml/boosting/apply-tree.js';
import {
  buildHistogramBlock,
  buildHistogramSums,
  featureBlocks,
  gradientBlock,
  type HistogramBuilder,
  type HistogramLayout,
} from '../../domain/ml/boosting/histogram.js';
import { joinPartitions, partitionBlock, rowBlock } from '../../domain/ml/boosting/partition.js';
import { binBlock, readThresholds, thresholdsBlock } from '../../domain/ml/boosting/setup.js';
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
export const MIN_PARALLEL_CELLS = 30_000;
/** Rows below which a round's gradients, or a leaf's partition, are computed on the calling thread alone. */
export const MIN_PARALLEL_ROWS = 20_000;

export const boostingThreads: BoostingThreads = {
  defaultThreads: availableParallelism(),
  allocate: (byteLength) => new SharedArrayBuffer(byteLength),

  async start(arrays, shape, threads) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    const { featureCount, trainRows } = shape;
    const blocks = featureBlocks(featureCount, threads);
    const control = new Int32Array(new SharedArrayBuffer(4 * (CONTROL.LENGTH + blocks.length)));
    const rowsPerColumn = arrays.columns.length / featureCount;
    // Known from configure() on (the cut values decide it), with the calling thread's second accumulator.
    let layout: HistogramLayout | null = null;
    let scratch = new Float64Array(0);
    const configured = (): HistogramLayout => {
      if (!layout) throw new Error('histogram builder used before configure()');
      return layout;
    };
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
      const input: HistogramThreadInput = { arrays, featureCount, trainRows, control, block: blocks[t] as [number, number], part: t, parts: blocks.length };
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

    /** Starts `command` on the helper threads (they read SLOT, START and END as set here). */
    function command(cmd: number, slot: number, start: number, end: number): void {
      Atomics.store(control, CONTROL.DONE, 0);
      Atomics.store(control, CONTROL.CMD, cmd);
      Atomics.store(control, CONTROL.SLOT, slot);
      Atomics.store(control, CONTROL.START, start);
      Atomics.store(control, CONTROL.END, end);
      Atomics.add(control, CONTROL.SEQ, 1);
      Atomics.notify(control, CONTROL.SEQ);
    }

    /** Runs `cmd` on the helpers and `own` (the calling thread's share) here; resolves when all are done. */
    function together(cmd: number, slot: number, start: number, end: number, own: () => void): void | Promise<void> {
      command(cmd, slot, start, end);
      own();
      if (Atomics.load(control, CONTROL.DONE) >= workers.length) return;
      return waitForHelpers();
    }

    const builder: HistogramBuilder = {
      async thresholds(maxBins, sampleSize) {
        if (failure) throw failure;
        await together(COMMAND.THRESHOLDS, 0, maxBins, sampleSize, () => thresholdsBlock(arrays.setup, featureCount, trainRows, maxBins, sampleSize, f0, f1));
        return readThresholds(arrays.setup, featureCount, maxBins);
      },
      configure(chosen) {
        if (failure) throw failure;
        if (chosen.offsets !== arrays.setup.offsets) throw new Error("configure(): the layout's offsets must be arrays.setup.offsets");
        layout = chosen;
        scratch = new Float64Array(chosen.slotSize);
        return together(COMMAND.CONFIGURE, chosen.slotSize, 0, 0, () => undefined);
      },
      async bin(thresholds) {
        if (failure) throw failure;
        const maxBins = arrays.setup.cuts.length / featureCount;
        await together(COMMAND.BIN, 0, maxBins, 0, () => binBlock(arrays.setup, arrays, thresholds, arrays.setup.offsets, featureCount, 0, blocks.length));
        arrays.setup.values = new Float64Array(0);
      },
      build(slot, start, end, counts = true) {
        if (failure) throw failure;
        const build = counts ? buildHistogramBlock : buildHistogramSums;
        const current = configured();
        if (workers.length === 0 || (end - start) * featureCount < MIN_PARALLEL_CELLS) {
          build(arrays, current, slot, start, end, 0, featureCount, scratch);
          return;
        }
        return together(counts ? COMMAND.BUILD : COMMAND.BUILD_SUMS, slot, start, end, () => build(arrays, current, slot, start, end, f0, f1, scratch));
      },
      gradients(m) {
        if (failure) throw failure;
        if (workers.length === 0 || m < MIN_PARALLEL_ROWS) {
          gradientBlock(arrays, 0, m);
          return;
        }
        const [start, end] = rowBlock(m, 0, blocks.length);
        return together(COMMAND.GRADIENTS, 0, 0, m, () => gradientBlock(arrays, start, end));
      },
      partition(start, end, f, bin) {
        if (failure) throw failure;
        if (workers.length === 0 || end - start < MIN_PARALLEL_ROWS) {
          const left = partitionBlock(arrays, rowsPerColumn, f, bin, start, end);
          return joinPartitions(arrays, [start, end], [left]);
        }
        Atomics.store(control, CONTROL.FEATURE, f);
        Atomics.store(control, CONTROL.BIN, bin);
        const bounds = Array.from({ length: blocks.length + 1 }, (_, t) => start + rowBlock(end - start, t, blocks.length)[0]);
        bounds[blocks.length] = end;
        let left = 0;
        const join = (): number => {
          const leftCounts = blocks.map((_, t) => (t === 0 ? left : Atomics.load(control, CONTROL.LENGTH + t)));
          return joinPartitions(arrays, bounds, leftCounts);
        };
        const done = together(COMMAND.PARTITION, 0, start, end, () => {
          left = partitionBlock(arrays, rowsPerColumn, f, bin, bounds[0] as number, bounds[1] as number);
        });
        return done ? done.then(join) : join();
      },
      applyTree(leafCount, m, sampled) {
        if (failure) throw failure;
        if (workers.length === 0 || m + arrays.rawValid.length < MIN_PARALLEL_ROWS) {
          applyTreeBlock(arrays, featureCount, leafCount, m, sampled, 0, 1);
          return;
        }
        return together(COMMAND.APPLY_TREE, leafCount, sampled ? 1 : 0, m, () => applyTreeBlock(arrays, featureCount, leafCount, m, sampled, 0, blocks.length));
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
