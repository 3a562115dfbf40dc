/** Messages between forest-threads.ts and tree-thread.ts. */
import type { ForestOptions } from '../../domain/ml/forest/options.js';

export interface TreeThreadInput {
  rowCount: number;
  featureCount: number;
  /** Backed by SharedArrayBuffers: every thread reads the same memory. */
  bins: Uint8Array;
  labels: Uint8Array;
  thresholds: Float64Array[];
  options: ForestOptions;
  classWeights: [number, number];
  treeIndices: number[];
}

export type TreeThreadMessage =
  | { type: 'tree'; index: number; feature: Int32Array; split: Float64Array; children: Int32Array }
  | { type: 'done'; oobFixedSum: Float64Array; oobVotes: Uint16Array };
