import { Command, Option } from 'commander';
import { EXIT_CODE_TABLE } from './exit-codes.js';
import { commandsFor } from './commands/index.js';
import type { CliContext } from './context.js';
import { addConnectionOptions, CONNECTION_HELP, connectionOverridesFrom } from './connection-options.js';

/** The `sentinel` program with the commands `argv` needs (`'all'` for every command: help, docs, tests). */
export async function buildProgram(ctx: CliContext, argv: readonly string[] | 'all' = 'all'): Promise<Command> {
  const program = new Command('sentinel')
    .description('Backup Sentinel: keeps backups from failing silently (pre-backup gate, config backups, metrics intelligence)')
    .version('0.1.0')
    // Read by cli/main.ts before parsing (so even early lines follow it); declared here for help and validation.
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr as text for people or JSON lines (default text, or SENTINEL_LOG_FORMAT)').choices([
        'text',
        'json',
      ]),
    )
    .addHelpText('after', `\n${CONNECTION_HELP}\n\n${EXIT_CODE_TABLE}`)
    .showHelpAfterError();
  addConnectionOptions(program);
  // Before any command runs: the flags go over TEMPORAL_* and the profile file wherever the command connects.
  program.hook('preAction', () => ctx.setConnectionOverrides(connectionOverridesFrom(program.opts())));
  for (const command of await commandsFor(ctx, argv)) program.addCommand(command);
  exitOverrideEverywhere(program);
  return program;
}

/** Commander exits the process on errors unless told otherwise, per command; the CLI maps errors to exit codes itself. */
function exitOverrideEverywhere(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideEverywhere(sub);
}

/** Every command path, e.g. ['backup', 'run'], for help generation and tests. */
export function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}
