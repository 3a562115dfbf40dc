import { CommanderError } from 'commander';
import { SettingsError } from '../domain/settings/errors.js';
import { logFormatFrom, setLogFormat } from '../platform/log-format.js';
import { redactSecrets } from '../platform/redact.js';
import { adoptLocalServiceSettings } from '../platform/runtime-env.js';
import { ConnectionSettingsError, TemporalConnectError } from '../platform/temporal-connection-errors.js';
import { CliContext } from './context.js';
import { ExitCode } from './exit-codes.js';
import { CliError } from './output.js';
import { buildProgram } from './program.js';

/**
 * After a failed Temporal connection grpc-js keeps a timer until its connect deadline (up to 10 s) even once the
 * connection is closed; the error line is written (stderr is synchronous), so exit now rather than idle.
 */
let abandonedConnection = false;

async function main(argv: string[]): Promise<number> {
  // Before anything logs: people get text lines, `--log-format json` / SENTINEL_LOG_FORMAT=json gets pino's JSON.
  const format = logFormatFrom(argv, process.env, 'text');
  if (!format.ok) {
    process.stderr.write(`error: ${format.problem}\n`);
    return ExitCode.invalidInput;
  }
  setLogFormat(format.format);
  let ctx: CliContext | undefined;
  try {
    // Before the context reads the environment; inside the try so a damaged dev-key file is an error line, not a stack.
    await adoptLocalServiceSettings();
    ctx = new CliContext();
    await (await buildProgram(ctx, argv)).parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.ok); // a command may report its outcome (e.g. `health`, `backup run --wait`) without throwing
  } catch (error) {
    // Commander has already printed its message (unknown option, bad value, missing argument) and the help hint.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    const message = error instanceof CliError || error instanceof SettingsError ? error.message : ((error as Error).message ?? String(error));
    process.stderr.write(`error: ${redactSecrets(message)}\n`);
    if (error instanceof CliError) return error.exitCode;
    if (error instanceof TemporalConnectError) abandonedConnection = true;
    // Connection settings that cannot work (a missing certificate, an empty API key, an unknown profile) are invalid input.
    return error instanceof ConnectionSettingsError ? ExitCode.invalidInput : ExitCode.error;
  } finally {
    await ctx?.close();
  }
}

process.exitCode = await main(process.argv);
if (abandonedConnection) process.exit();
