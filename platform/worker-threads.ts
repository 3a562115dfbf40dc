/**
 * The one way this project starts worker threads (forest trees, the training thread, the config parse pool).
 *
 * Compiled (`npm run build`, dist/: the worker, the CLI, `npm start`, the Docker image), the `.js` entry is started
 * directly. Run as TypeScript (tsx, vitest), Node 20 does not apply `--import` loaders to a worker's entry module: a
 * `.ts` entry is therefore started through worker-thread-tsx.mjs, which registers tsx (a development dependency) in
 * the new thread and then imports the entry. Threads get an
 * empty execArgv unless the caller passes one, so the parent's flags (tsx's preflight and loader) are not
 * re-applied on top of the shim.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Marks the entry's URL in the shim's argv (removed again before the entry runs). */
export const THREAD_ENTRY_ARG = '--sentinel-thread-entry';

const RUNNING_AS_TYPESCRIPT = import.meta.url.endsWith('.ts');
const TSX_SHIM = new URL('./worker-thread-tsx.mjs', import.meta.url);

/**
 * Starts `entry` (named like an import: `new URL('./tree-thread.js', import.meta.url)`) on a new worker thread;
 * `options` are Node's, `workerData` and `transferList` included.
 */
export function startThread(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const withDefaults: WorkerOptions = { execArgv: [], ...options };
  if (!RUNNING_AS_TYPESCRIPT) return new Worker(entry, withDefaults);
  const source = new URL(entry.href.replace(/\.js$/, '.ts'));
  return new Worker(TSX_SHIM, { ...withDefaults, argv: [...(options.argv ?? []), THREAD_ENTRY_ARG, source.href] });
}
