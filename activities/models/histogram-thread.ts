/**
 * Worker-thread entry of boosting-threads.ts: waits for a command on the shared control array, does its share of it
 * (a feature block of the cut values or of a histogram, a row block of the bins, gradients, a partition or the tree's
 * scores) in the shared arrays, counts itself done; until told to stop.
 */
import { workerData } from 'node:worker_threads';
import { applyTreeBlock } from '../../domain/ml/boosting/apply-tree.js';
import { buildHistogramBlock, buildHistogramSums, gradientBlock, type HistogramLayout } from '../../domain/ml/boosting/histogram.js';
import { partitionBlock, rowBlock } from '../../domain/ml/boosting/partition.js';
import { binBlock, readThresholds, thresholdsBlock } from '../../domain/ml/boosting/setup.js';
import { COMMAND, CONTROL, type HistogramThreadInput } from './histogram-protocol.js';

const { arrays, featureCount, trainRows, control, block, part, parts } = workerData as HistogramThreadInput;
const [f0, f1] = block;
const rowsPerColumn = arrays.columns.length / featureCount;
// Known from CONFIGURE on (the cut values decide it); with it this thread's own second accumulator (buildHistogramBlock).
let layout: HistogramLayout | null = null;
let scratch = new Float64Array(0);

function run(command: number): void {
  const read = (slot: number): number => Atomics.load(control, slot);
  switch (command) {
    case COMMAND.THRESHOLDS:
      thresholdsBlock(arrays.setup, featureCount, trainRows, read(CONTROL.START), read(CONTROL.END), f0, f1);
      return;
    case COMMAND.CONFIGURE:
      layout = { rowCount: trainRows, featureCount, offsets: arrays.setup.offsets, slotSize: read(CONTROL.SLOT) };
      scratch = new Float64Array(layout.slotSize);
      return;
    case COMMAND.BIN: {
      const thresholds = readThresholds(arrays.setup, featureCount, read(CONTROL.START));
      binBlock(arrays.setup, arrays, thresholds, arrays.setup.offsets, featureCount, part, parts);
      arrays.setup.values = new Float64Array(0); // this thread's reference to the copy, so it can be freed
      return;
    }
    case COMMAND.PARTITION: {
      const first = read(CONTROL.START);
      const [a, b] = rowBlock(read(CONTROL.END) - first, part, parts);
      const left = partitionBlock(arrays, rowsPerColumn, read(CONTROL.FEATURE), read(CONTROL.BIN), first + a, first + b);
      Atomics.store(control, CONTROL.LENGTH + part, left);
      return;
    }
    case COMMAND.APPLY_TREE:
      applyTreeBlock(arrays, featureCount, read(CONTROL.SLOT), read(CONTROL.END), read(CONTROL.START) === 1, part, parts);
      return;
    case COMMAND.GRADIENTS: {
      const [start, end] = rowBlock(read(CONTROL.END), part, parts);
      gradientBlock(arrays, start, end);
      return;
    }
    case COMMAND.BUILD:
    case COMMAND.BUILD_SUMS: {
      if (!layout) throw new Error('histogram thread: BUILD before CONFIGURE');
      const build = command === COMMAND.BUILD ? buildHistogramBlock : buildHistogramSums;
      build(arrays, layout, read(CONTROL.SLOT), read(CONTROL.START), read(CONTROL.END), f0, f1, scratch);
      return;
    }
    default:
      throw new Error(`histogram thread: unknown command ${command}`);
  }
}

let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.SEQ, seen);
  seen = Atomics.load(control, CONTROL.SEQ);
  const command = Atomics.load(control, CONTROL.CMD);
  if (command === COMMAND.STOP) break;
  run(command);
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
}
