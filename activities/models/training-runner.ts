/**
 * Runs one training round on a worker thread (training-thread.ts) and waits for it. The history columns are
 * transferred, not copied. Aborting the signal (activity cancellation) terminates the thread, which also ends the
 * forest's own tree threads.
 */
import { transferablesOf } from '../../domain/models/history-columns.js';
import type { CandidateTrainingOutput, TrainingPhase } from '../../domain/models/train-candidate.js';
import { startThread } from '../../platform/worker-threads.js';
import type { TrainingThreadInput, TrainingThreadMessage } from './training-protocol.js';

const TRAINING_THREAD = new URL('./training-thread.js', import.meta.url);

export class TrainingThreadError extends Error {
  constructor(
    message: string,
    readonly originalName: string,
  ) {
    super(message);
    this.name = 'TrainingThreadError';
  }
}

export function runTrainingThread(
  input: TrainingThreadInput,
  options: { onProgress?: (phase: TrainingPhase, done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<CandidateTrainingOutput> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  return new Promise<CandidateTrainingOutput>((resolve, reject) => {
    const worker = startThread(TRAINING_THREAD, { workerData: input, transferList: transferablesOf(input.columns) });
    let settled = false;
    const finish = (error: unknown, output?: CandidateTrainingOutput) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(output as CandidateTrainingOutput);
    };
    const onAbort = () => finish(signal?.reason ?? new Error('training cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: TrainingThreadMessage) => {
      if (message.type === 'progress') onProgress?.(message.phase, message.done, message.total);
      else if (message.type === 'result') finish(null, message.output);
      else finish(new TrainingThreadError(message.message, message.name));
    });
    worker.on('error', (error) => finish(error));
    worker.on('exit', (code) => finish(new Error(`training thread exited with code ${code} before finishing`)));
  });
}
