/** Messages between parallel.ts and tree-worker.ts. */
import type { ForestOptions } from './options.js';

export interface TreeWorkerInput {
  rowCount: number;
  featureCount: number;
  /** Backed by SharedArrayBuffers: every worker reads the same memory. */
  bins: Uint8Array;
  labels: Uint8Array;
  thresholds: Float64Array[];
  options: ForestOptions;
  classWeights: [number, number];
  treeIndices: number[];
}

export type TreeWorkerMessage =
  | { type: 'tree'; index: number; feature: Int32Array; split: Float64Array; children: Int32Array }
  | { type: 'done'; oobFixedSum: Float64Array; oobVotes: Uint16Array };
