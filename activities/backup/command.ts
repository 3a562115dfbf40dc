import { redactSecrets } from '../../platform/redact.js';
import { runProcess, type RunProcessOptions } from './process.js';

/** Runs the target's backup command through the shell; its exit code decides success. */
export async function runBackupCommand(command: string, timeoutMs: number, attempt?: RunProcessOptions['attempt']): Promise<void> {
  const outcome = await runProcess(command, [], { shell: true, timeoutMs, ...(attempt ? { attempt } : {}) });
  if (outcome.spawnError) throw new Error(`cannot start backup command: ${outcome.spawnError.message}`);
  if (outcome.timedOut) throw new Error(`backup command timed out after ${Math.round(timeoutMs / 1000)} s`);
  if (outcome.exitCode !== 0)
    throw new Error(
      redactSecrets(`backup command exited with code ${outcome.exitCode ?? outcome.signal}${outcome.outputTail ? `: ${outcome.outputTail}` : ''}`),
    );
}
