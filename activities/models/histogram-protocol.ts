/** Shared state between boosting-threads.ts and histogram-thread.ts. */
import type { HistogramArrays, HistogramLayout } from '../../domain/ml/boosting/histogram.js';

/** Slots of the control array (an Int32Array on a SharedArrayBuffer). */
export const CONTROL = {
  /** Bumped by the calling thread for each command; threads wait on it. */
  SEQ: 0,
  CMD: 1,
  SLOT: 2,
  START: 3,
  END: 4,
  /** Threads that finished the current command. */
  DONE: 5,
  LENGTH: 6,
} as const;

export const COMMAND = { BUILD: 1, STOP: 2 } as const;

export interface HistogramThreadInput {
  /** SharedArrayBuffer-backed, the same memory as the calling thread's. */
  arrays: HistogramArrays;
  layout: HistogramLayout;
  control: Int32Array;
  /** This thread's feature block [f0, f1). */
  block: [number, number];
}
