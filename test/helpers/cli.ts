import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process (a crash or the timeout), when it did not exit by itself; its code is then 1. */
  signal: NodeJS.Signals | null;
}

/** What to show when a run's exit code is not the expected one: its signal and the end of its stderr. */
export function cliFailure(run: CliRun): string {
  return `exit ${run.code}${run.signal ? ` (killed by ${run.signal})` : ''}; stderr: ${run.stderr.slice(-2000) || '(empty)'}`;
}

const BIN = path.resolve('bin/sentinel.js');
// Never the developer's own .data (its runtime.json or development key would change what the CLI connects to).
const NO_LOCAL_SERVICE = path.join(os.tmpdir(), 'sentinel-cli-tests-no-local-service');

/**
 * Runs the real `sentinel` executable with the given environment (as an operator's shell would): the compiled CLI in
 * dist/, which the integration project's global setup builds when stale (test/setup/build.ts).
 */
export function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', SENTINEL_DATA_DIR: NO_LOCAL_SERVICE, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, signal: error?.signal ?? null });
      },
    );
  });
}
