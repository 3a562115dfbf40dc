/**
 * Process entry of process.ts: a small Node process that starts the backups' child processes for the worker.
 *
 * Why a process and not a thread: libuv's spawn forks the calling process before it execs the command, and a fork
 * copies the caller's page tables. The worker holds about 500 MiB (the SDK, the workflow isolates, the models), so
 * each backup's spawn cost it 14 ms of CPU here (58 MiB process: 1.7 ms; BENCHMARKS.md, "Pre-backup decisions"),
 * on whichever thread called it, and needed that much memory to be committable under strict overcommit. This
 * process stays small, so its forks are cheap; it is started once per worker, on first use.
 *
 * It keeps no state that matters: each child runs in its own process group (`detached`), and killing, timeouts and
 * heartbeats stay in process.ts, which kills groups by pid. It exits when the worker's IPC channel closes (the
 * worker exited or died); its children then live on, as they would have without it, and the attempt record
 * (attempts.ts) lets the next attempt stop them. It ignores SIGINT, SIGTERM and SIGHUP: those reach it with the
 * worker (a terminal's Ctrl-C, systemd stopping the unit's cgroup) while the worker shuts down gracefully and its
 * running backups still need their results.
 */
import { spawn } from 'node:child_process';
import { TAIL_BYTES, type SpawnMessage, type SpawnRequest } from './spawn-protocol.js';

const send = process.send?.bind(process);
if (!send) throw new Error('spawn-helper must be started with an IPC channel (platform/worker-threads.ts startNodeProcess)');
const post = (message: SpawnMessage) => {
  // A worker that went away cannot be told; its children are in their own groups and the attempt record covers them.
  if (process.connected) send(message, undefined, undefined, () => undefined);
};

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
process.on('disconnect', () => process.exit(0));

process.on('message', (request: SpawnRequest) => {
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
