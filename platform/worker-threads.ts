/**
 * The one way this project starts its own Node entries: worker threads (forest trees, the training thread, the config
 * parse pool) and helper processes (the backups' spawn helper).
 *
 * Compiled (`npm run build`, dist/: the worker, the CLI, `npm start`, the Docker image), the `.js` entry is started
 * directly. Run as TypeScript (tsx, vitest), Node 20 does not apply `--import` loaders to a worker's entry module: a
 * `.ts` entry is therefore started through worker-thread-tsx.mjs, which registers tsx (a development dependency) in
 * the new thread and then imports the entry. Threads get an
 * empty execArgv unless the caller passes one, so the parent's flags (tsx's preflight and loader) are not
 * re-applied on top of the shim.
 */
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
  return new Worker(TSX_SHIM, { ...withDefaults, argv: [...(options.argv ?? []), ...shimArgs(entry)] });
}

/**
 * Starts `entry` (as for startThread) as a Node child process with an IPC channel (`process.send` in the entry).
 * Its execArgv is empty unless given, and NODE_OPTIONS is taken out of its environment, so the parent's flags (a
 * profiler, an inspector, tsx's loader, an APM agent's `--require`) are not applied to it again; as TypeScript it
 * starts through the same shim as a thread.
 */
export function startNodeProcess(entry: URL, options: ForkOptions = {}): ChildProcess {
  const { NODE_OPTIONS: _parentFlags, ...env } = options.env ?? process.env;
  const withDefaults: ForkOptions = { execArgv: [], ...options, env };
  if (!RUNNING_AS_TYPESCRIPT) return fork(fileURLToPath(entry), [], withDefaults);
  return fork(fileURLToPath(TSX_SHIM), shimArgs(entry), withDefaults);
}

/** The shim's arguments naming `entry`'s TypeScript source (the `.js` name it is imported by, as `.ts`). */
function shimArgs(entry: URL): string[] {
  return [THREAD_ENTRY_ARG, new URL(entry.href.replace(/\.js$/, '.ts')).href];
}
