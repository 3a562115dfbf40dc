import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { backupCommand } from './backup.js';
import { healthCommand } from './health.js';
import { predictCommand } from './predict.js';
import { schedulesCommand } from './schedules.js';
import { workerCommand } from './worker.js';

/** Every top-level `sentinel` command. Each capability adds its command factory here. */
export function allCommands(ctx: CliContext): Command[] {
  return [workerCommand(), backupCommand(ctx), predictCommand(ctx), schedulesCommand(ctx), healthCommand(ctx)];
}
