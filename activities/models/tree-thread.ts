/** Worker-thread entry of forest-threads.ts: grows the trees it is given and posts each one back, then its OOB sums. */
import { parentPort, workerData } from 'node:worker_threads';
import { TreeGrower } from '../../domain/ml/forest/grow.js';
import type { TreeThreadInput, TreeThreadMessage } from './tree-protocol.js';

const input = workerData as TreeThreadInput;
if (!parentPort) throw new Error('tree-thread must run in a worker thread');
const port = parentPort;

const grower = new TreeGrower({
  binned: { rowCount: input.rowCount, featureCount: input.featureCount, bins: input.bins, thresholds: input.thresholds },
  labels: input.labels,
  options: input.options,
  classWeights: input.classWeights,
});

for (const index of input.treeIndices) {
  const tree = grower.grow(index);
  const message: TreeThreadMessage = { type: 'tree', index, ...tree };
  port.postMessage(message, [tree.feature.buffer as ArrayBuffer, tree.split.buffer as ArrayBuffer, tree.children.buffer as ArrayBuffer]);
}
const done: TreeThreadMessage = { type: 'done', oobFixedSum: grower.oobFixedSum, oobVotes: grower.oobVotes };
port.postMessage(done, [grower.oobFixedSum.buffer as ArrayBuffer, grower.oobVotes.buffer as ArrayBuffer]);
