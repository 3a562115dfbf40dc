/**
 * Worker-thread entry of boosting-threads.ts: waits for a build command on the shared control array, builds its
 * feature block of the histogram into the shared pool, counts itself done; until told to stop.
 */
import { workerData } from 'node:worker_threads';
import { buildHistogramBlock } from '../../domain/ml/boosting/histogram.js';
import { COMMAND, CONTROL, type HistogramThreadInput } from './histogram-protocol.js';

const { arrays, layout, control, block } = workerData as HistogramThreadInput;
const [f0, f1] = block;
// This thread's own second accumulator (see buildHistogramBlock).
const scratch = new Float64Array(layout.slotSize);
let seen = 0;
for (;;) {
  Atomics.wait(control, CONTROL.SEQ, seen);
  seen = Atomics.load(control, CONTROL.SEQ);
  if (Atomics.load(control, CONTROL.CMD) === COMMAND.STOP) break;
  const slot = Atomics.load(control, CONTROL.SLOT);
  const start = Atomics.load(control, CONTROL.START);
  const end = Atomics.load(control, CONTROL.END);
  buildHistogramBlock(arrays, layout, slot, start, end, f0, f1, scratch);
  Atomics.add(control, CONTROL.DONE, 1);
  Atomics.notify(control, CONTROL.DONE);
}
