import { Command } from 'commander';
import { allCommands } from './commands/index.js';
import type { CliContext } from './context.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sentinel')
    .description('Backup Sentinel: keeps backups from failing silently (pre-backup gate, config backups, metrics intelligence)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const command of allCommands(ctx)) program.addCommand(command);
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
