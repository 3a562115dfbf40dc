/** Shared state between boosting-threads.ts and histogram-thread.ts. */
import type { HistogramArrays } from '../../domain/ml/boosting/histogram.js';

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
  /** PARTITION's feature and bin. */
  FEATURE: 6,
  BIN: 7,
  /** Then one slot per thread: the left rows of its PARTITION block (control[LENGTH + part]). */
  LENGTH: 8,
} as const;

/**
 * BUILD: a histogram (SLOT, rows START..END), by feature block; BUILD_SUMS: the same without the counts;
 * GRADIENTS: gradients of rows 0..END, by row block; PARTITION: rows START..END by FEATURE and BIN, by row block;
 * APPLY_TREE: the shared tree (SLOT leaves) added to the scores, bag rows 0..END, START 1 when subsampled, by row block;
 * THRESHOLDS: cut values (START bins, END sample rows), by feature block; CONFIGURE: the layout (SLOT = slot size,
 * offsets in arrays.setup); BIN: every row's bins (START bins per feature, as THRESHOLDS), by row block.
 */
export const COMMAND = { BUILD: 1, STOP: 2, GRADIENTS: 3, BUILD_SUMS: 4, PARTITION: 5, APPLY_TREE: 6, THRESHOLDS: 7, CONFIGURE: 8, BIN: 9 } as const;

export interface HistogramThreadInput {
  /** SharedArrayBuffer-backed, the same memory as the calling thread's. */
  arrays: HistogramArrays;
  featureCount: number;
  /** Training rows: the layout's row count. */
  trainRows: number;
  control: Int32Array;
  /** This thread's feature block [f0, f1). */
  block: [number, number];
  /** This thread's row block of a GRADIENTS or PARTITION command: `part` of `parts` (rowBlock). */
  part: number;
  parts: number;
}
