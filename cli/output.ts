/** Writes a command's result: JSON for scripts (`--json`), or a readable rendering for people. */
export function printResult(value: unknown, json: boolean | undefined, human: (value: never) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value as never)}\n`);
}

import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** An error the CLI reports as one line on stderr (no stack trace), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.error,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
