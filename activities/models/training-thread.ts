/**
 * Worker-thread entry of model training: rebuilds the runs from the transferred columns and runs one training
 * round (domain/models/train-candidate.ts), posting progress and then the result. Everything CPU-heavy (features,
 * the forest's own tree threads, scoring, permutation importance) happens here, so the worker's event loop keeps
 * serving its other activities and heartbeats. The forest's trees grow on threads of their own (forest-threads.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runsOfColumns } from '../../domain/models/history-columns.js';
import { trainCandidate } from '../../domain/models/train-candidate.js';
import { threadTreeRunner } from './forest-threads.js';
import type { TrainingThreadInput, TrainingThreadMessage } from './training-protocol.js';

if (!parentPort) throw new Error('training-thread must run in a worker thread');
const port = parentPort;
const input = workerData as TrainingThreadInput;
const post = (message: TrainingThreadMessage) => port.postMessage(message);

try {
  const output = await trainCandidate({
    runs: runsOfColumns(input.columns),
    algorithm: input.algorithm,
    params: input.params,
    minFailures: input.minFailures,
    active: input.active,
    createdAt: new Date(input.createdAt),
    createdBy: input.createdBy,
    onProgress: (phase, done, total) => post({ type: 'progress', phase, done, total }),
    treeRunner: threadTreeRunner,
    ...(input.thresholdGoals ? { thresholdGoals: input.thresholdGoals } : {}),
  });
  post({ type: 'result', output });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', name: e.name, message: e.message });
}
