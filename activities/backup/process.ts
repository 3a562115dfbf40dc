import type { Worker } from 'node:worker_threads';
import { Context } from '@temporalio/activity';
import { startThread } from '../../platform/worker-threads.js';
import { forgetAttempt, recordAttempt } from './attempts.js';
import type { SpawnMessage, SpawnRequest } from './spawn-protocol.js';

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few KiB of stderr (and stdout), for the error message. */
  outputTail: string;
  spawnError?: NodeJS.ErrnoException;
}

const HEARTBEAT_MS = 5_000;

/** Process groups of running children: killed when this process exits, so none outlives a worker that exits. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

export interface RunProcessOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  shell?: boolean;
  /** Record the child's process group here while it runs (attempts.ts), so the next attempt can stop an orphan. */
  attempt?: { file: string; artifactName: string };
}

/**
 * Runs a child process in a process group of its own (`detached`, so the whole group, a shell's children too, can
 * be killed) while heartbeating, so Temporal notices a dead worker within the heartbeat timeout, and kills the
 * group on timeout, when the activity is cancelled, and when this process exits. SIGKILL of the worker runs none of
 * that: the group record (`attempt`) lets the next attempt stop it. The spawn itself happens on the spawn thread
 * (spawn-thread.ts), so its synchronous fork and exec do not hold this event loop.
 */
export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<ProcessOutcome> {
  const context = activityContext();
  return new Promise((resolve) => {
    let pgid: number | undefined;
    let recorded: Promise<unknown> = Promise.resolve();
    let timedOut = false;
    let killWanted = false;
    const killGroup = () => {
      killWanted = true; // a kill asked for before the pid is known happens as soon as it is
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    const started = Date.now();
    const beat = setInterval(() => context?.heartbeat({ elapsedSeconds: Math.round((Date.now() - started) / 1000) }), HEARTBEAT_MS);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    context?.cancelled.catch(() => killGroup());
    spawnOffThread(
      { command, args, env: options.env ?? process.env, shell: options.shell ?? false },
      (pid) => {
        pgid = pid;
        if (pid === undefined) return;
        liveGroups.add(pid);
        if (options.attempt) recorded = recordAttempt(options.attempt.file, pid, options.attempt.artifactName).catch(() => undefined);
        if (killWanted) killGroup();
      },
      (closed) => {
        clearInterval(beat);
        clearTimeout(timer);
        // The leader is gone; kill what it may have left in its group (a shell's background children).
        if (pgid !== undefined) {
          killGroup();
          liveGroups.delete(pgid);
        }
        const { exitCode, signal, outputTail, spawnError } = closed;
        void recorded
          .then(() => (pgid !== undefined && options.attempt ? forgetAttempt(options.attempt.file, pgid) : undefined))
          .catch(() => undefined)
          .then(() => resolve({ exitCode, signal, timedOut, outputTail: outputTail.trim(), ...(spawnError ? { spawnError } : {}) }));
      },
    );
  });
}

type Closed = { exitCode: number | null; signal: NodeJS.Signals | null; outputTail: string; spawnError?: NodeJS.ErrnoException };

/** The one spawn thread of this process, started on first use; it does not keep the process alive while idle. */
let spawnThread: { thread: Worker; pending: Map<number, { onSpawned: (pid: number | undefined) => void; onClose: (c: Closed) => void }> } | undefined;
let nextId = 1;

function spawnOffThread(request: Omit<SpawnRequest, 'id'>, onSpawned: (pid: number | undefined) => void, onClose: (closed: Closed) => void): void {
  if (!spawnThread) {
    const thread = startThread(new URL('./spawn-thread.js', import.meta.url));
    const pending = new Map<number, { onSpawned: (pid: number | undefined) => void; onClose: (c: Closed) => void }>();
    const current = { thread, pending };
    spawnThread = current;
    thread.on('message', (message: SpawnMessage) => {
      const waiting = pending.get(message.id);
      if (!waiting) return;
      if (message.type === 'spawned') {
        waiting.onSpawned(message.pid);
        return;
      }
      pending.delete(message.id);
      if (pending.size === 0) thread.unref();
      const spawnError = message.spawnError ? Object.assign(new Error(message.spawnError.message), { code: message.spawnError.code }) : undefined;
      waiting.onClose({ exitCode: message.exitCode, signal: message.signal, outputTail: message.outputTail, ...(spawnError ? { spawnError } : {}) });
    });
    // A thread that fails (it should not) fails the runs it holds, with the group killed; the next run starts a new one.
    const fail = (error: Error) => {
      if (spawnThread === current) spawnThread = undefined;
      for (const [id, waiting] of pending) {
        pending.delete(id);
        waiting.onClose({
          exitCode: null,
          signal: null,
          outputTail: '',
          spawnError: Object.assign(new Error(`spawn thread stopped: ${error.message}`), { code: 'ESPAWNTHREAD' }),
        });
      }
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }
  const id = nextId++;
  spawnThread.pending.set(id, { onSpawned, onClose });
  spawnThread.thread.ref(); // a spawn in flight keeps the process alive, like a child process does
  spawnThread.thread.postMessage({ id, ...request } satisfies SpawnRequest);
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (CLI, tests)
  }
}
