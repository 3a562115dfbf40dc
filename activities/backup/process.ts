import { spawn } from 'node:child_process';
import { Context } from '@temporalio/activity';

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

/**
 * Runs a child process while heartbeating, so Temporal notices a dead worker within the heartbeat timeout,
 * and kills it on timeout or when the activity is cancelled.
 */
export function runProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs: number; shell?: boolean }): Promise<ProcessOutcome> {
  const context = activityContext();
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: options.env ?? process.env, shell: options.shell ?? false, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
      resolve({ exitCode, signal, timedOut, outputTail: tail.trim(), ...(spawnError ? { spawnError } : {}) });
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
