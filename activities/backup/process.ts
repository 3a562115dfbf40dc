import type { ChildProcess } from 'node:child_process';
import { Context } from '@temporalio/activity';
import { startNodeProcess } from '../../platform/worker-threads.js';
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
 * that: the group record (`attempt`) lets the next attempt stop it. The spawn itself happens in the spawn helper
 * process (spawn-helper.ts): its synchronous fork and exec neither hold this event loop nor copy this (large)
 * process's page tables.
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
    spawnViaHelper(
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
type Waiting = { onSpawned: (pid: number | undefined) => void; onClose: (c: Closed) => void };
type SpawnHelper = { helper: ChildProcess; pending: Map<number, Waiting> };

/**
 * The one spawn helper of this process, started on first use (a new one after it dies); it does not keep this
 * process alive while idle.
 */
let spawnHelper: SpawnHelper | undefined;
let nextId = 1;

/** Keeps this process alive while a spawn is in flight (as a child process would), and not while idle. */
function holdOpen(helper: ChildProcess, hold: boolean): void {
  const channel = helper.channel as { ref(): void; unref(): void } | null | undefined;
  if (hold) {
    helper.ref();
    channel?.ref();
  } else {
    helper.unref();
    channel?.unref();
  }
}

/** Ends run `id` of `state` (if still pending) with `closed`; the last one lets this process exit again. */
function settle(state: SpawnHelper, id: number, closed: Closed): void {
  const waiting = state.pending.get(id);
  if (!waiting) return;
  state.pending.delete(id);
  if (state.pending.size === 0) holdOpen(state.helper, false);
  waiting.onClose(closed);
}

/** A run that never reached, or lost, its helper. */
function helperFailure(message: string): Closed {
  return { exitCode: null, signal: null, outputTail: '', spawnError: Object.assign(new Error(message), { code: 'ESPAWNHELPER' }) };
}

function startSpawnHelper(): SpawnHelper {
  const helper = startNodeProcess(new URL('./spawn-helper.js', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const current: SpawnHelper = { helper, pending: new Map() };
  helper.on('message', (message: SpawnMessage) => {
    if (message.type === 'spawned') {
      current.pending.get(message.id)?.onSpawned(message.pid);
      return;
    }
    const spawnError = message.spawnError ? Object.assign(new Error(message.spawnError.message), { code: message.spawnError.code }) : undefined;
    settle(current, message.id, { exitCode: message.exitCode, signal: message.signal, outputTail: message.outputTail, ...(spawnError ? { spawnError } : {}) });
  });
  // A helper that fails (killed, or it could not start) fails the runs it holds, with their groups killed by
  // runProcess; the next run starts a new helper. `exit` may follow `error`: the runs are failed once.
  const fail = (reason: string) => {
    if (spawnHelper === current) spawnHelper = undefined;
    for (const id of [...current.pending.keys()]) settle(current, id, helperFailure(`spawn helper stopped: ${reason}`));
  };
  helper.on('error', (error) => fail(error.message));
  helper.on('exit', (code, signal) => fail(signal ? `signal ${signal}` : `exit code ${code}`));
  return current;
}

/** The spawn helper's pid while one runs (benchmarks count its CPU with the worker's). */
export function spawnHelperPid(): number | undefined {
  return spawnHelper?.helper.pid;
}

function spawnViaHelper(request: Omit<SpawnRequest, 'id'>, onSpawned: (pid: number | undefined) => void, onClose: (closed: Closed) => void): void {
  spawnHelper ??= startSpawnHelper();
  const state = spawnHelper;
  const id = nextId++;
  state.pending.set(id, { onSpawned, onClose });
  holdOpen(state.helper, true);
  // Not delivered (the helper is exiting): this run fails alone; the exit handler fails the rest.
  state.helper.send({ id, ...request } satisfies SpawnRequest, (error) => {
    if (error) settle(state, id, helperFailure(`spawn helper unreachable: ${error.message}`));
  });
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (CLI, tests)
  }
}
