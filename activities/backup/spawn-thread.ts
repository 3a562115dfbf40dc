/**
 * Thread entry of process.ts: starts the backup's child processes off the worker's event loop. child_process.spawn
 * is synchronous until the child has exec'd (libuv forks the whole worker process first); measured on the worker in
 * `npm run bench`, that held the event loop, which also runs the local activities and the SDK's bridge, for
 * 10-25 ms per backup on a loaded machine (BENCHMARKS.md, "Pre-backup decisions"). Here it holds only this thread.
 * The child runs in its own process group (`detached`); killing it, timeouts and heartbeats stay in process.ts.
 */
import { spawn } from 'node:child_process';
import { parentPort } from 'node:worker_threads';
import { TAIL_BYTES, type SpawnMessage, type SpawnRequest } from './spawn-protocol.js';

if (!parentPort) throw new Error('spawn-thread must run in a worker thread');
const port = parentPort;
const post = (message: SpawnMessage) => port.postMessage(message);

port.on('message', (request: SpawnRequest) => {
  const { id } = request;
  let spawnError: NodeJS.ErrnoException | undefined;
  let child;
  try {
    child = spawn(request.command, request.args, { env: request.env, shell: request.shell, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    post({ id, type: 'close', exitCode: null, signal: null, outputTail: '', spawnError: { message: e.message, code: e.code } });
    return;
  }
  post({ id, type: 'spawned', pid: child.pid });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (error) => {
    spawnError = error as NodeJS.ErrnoException;
  });
  child.on('close', (exitCode, signal) =>
    post({
      id,
      type: 'close',
      exitCode,
      signal,
      outputTail: tail,
      ...(spawnError ? { spawnError: { message: spawnError.message, code: spawnError.code } } : {}),
    }),
  );
});
