/**
 * Worker-thread entry of boosting-threads.ts: waits for a build command on the shared control array, builds its
 * feature block of the histogram into the shared pool, counts itself done; until told to stop.
 */
import { workerData } from 'node:worker_threads';
import { applyTreeBlock } from '../../domain/ml/boosting/apply-tree.js';
import { buildHistogramBlock, buildHistogramSums, gradientBlock } from '../../domain/ml/boosting/histogram.js';
import { partitionBlock, rowBlock } from '../../domain/ml/boosting/partition.js';
import { COMMAND, CONTROL, type HistogramThreadInput } from './histogram-protocol.js';

const { arrays, layout, control, block, part, parts } = workerData as HistogramThreadInput;
const [f0, f1] = block;
const rowsPerColumn = arrays.columns.length / layout.featureCount;
// This thread's own second accumulator (see buildHistogramBlock).
const scratch = new Float64Array(layout.slotSize);
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.SEQ, seen);
  seen = Atomics.load(control, CONTROL.SEQ);
  const command = Atomics.load(control, CONTROL.CMD);
  if (command === COMMAND.STOP) break;
  if (command === COMMAND.PARTITION) {
    const first = Atomics.load(control, CONTROL.START);
    const [a, b] = rowBlock(Atomics.load(control, CONTROL.END) - first, part, parts);
    const f = Atomics.load(control, CONTROL.FEATURE);
    const left = partitionBlock(arrays, rowsPerColumn, f, Atomics.load(control, CONTROL.BIN), first + a, first + b);
    Atomics.store(control, CONTROL.LENGTH + part, left);
    Atomics.add(control, CONTROL.DONE, 1);
    Atomics.notify(control, CONTROL.DONE);
    continue;
  }
  if (command === COMMAND.APPLY_TREE) {
    const sampled = Atomics.load(control, CONTROL.START) === 1;
    applyTreeBlock(arrays, layout.featureCount, Atomics.load(control, CONTROL.SLOT), Atomics.load(control, CONTROL.END), sampled, part, parts);
    Atomics.add(control, CONTROL.DONE, 1);
    Atomics.notify(control, CONTROL.DONE);
    continue;
  }
  if (command === COMMAND.GRADIENTS) {
    const [start, end] = rowBlock(Atomics.load(control, CONTROL.END), part, parts);
    gradientBlock(arrays, start, end);
    Atomics.add(control, CONTROL.DONE, 1);
    Atomics.notify(control, CONTROL.DONE);
    continue;
  }
  const slot = Atomics.load(control, CONTROL.SLOT);
  const start = Atomics.load(control, CONTROL.START);
  const end = Atomics.load(control, CONTROL.END);
  const build = command === COMMAND.BUILD ? buildHistogramBlock : buildHistogramSums;
  build(arrays, layout, slot, start, end, f0, f1, scratch);
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
}
