import { spawn } from 'node:child_process';
import { Context } from '@temporalio/activity';
import { forgetAttempt, recordAttempt } from './attempts.js';

export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last few KiB of stderr (and stdout), for the error message. */
  outputTail: string;
  spawnError?: NodeJS.ErrnoException;
}

const TAIL_BYTES = 4096;
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
 * that: the group record (`attempt`) lets the next attempt stop it.
 */
export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<ProcessOutcome> {
  const context = activityContext();
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, shell: options.shell ?? false, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pgid = child.pid;
    if (pgid) liveGroups.add(pgid);
    const recorded =
      pgid && options.attempt ? recordAttempt(options.attempt.file, pgid, options.attempt.artifactName).catch(() => undefined) : Promise.resolve();
    let tail = '';
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const started = Date.now();
    const beat = setInterval(() => context?.heartbeat({ elapsedSeconds: Math.round((Date.now() - started) / 1000) }), HEARTBEAT_MS);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    context?.cancelled.catch(() => killGroup());
    child.on('error', (error) => {
      spawnError = error as NodeJS.ErrnoException;
    });
    child.on('close', (exitCode, signal) => {
      clearInterval(beat);
      clearTimeout(timer);
      // The leader is gone; kill what it may have left in its group (a shell's background children).
      if (pgid) {
        killGroup();
        liveGroups.delete(pgid);
      }
      void recorded
        .then(() => (pgid && options.attempt ? forgetAttempt(options.attempt.file, pgid) : undefined))
        .catch(() => undefined)
        .then(() => resolve({ exitCode, signal, timedOut, outputTail: tail.trim(), ...(spawnError ? { spawnError } : {}) }));
    });
  });
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (CLI, tests)
  }
}
