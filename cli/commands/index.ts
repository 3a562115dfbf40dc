import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { anomaliesCommand } from './anomalies.js';
import { backupCommand } from './backup.js';
import { codecServerCommand } from './codec-server.js';
import { configCommand } from './config.js';
import { forecastCommand } from './forecast.js';
import { healthCommand } from './health.js';
import { historyCommand } from './history.js';
import { modelCommand } from './model.js';
import { predictCommand } from './predict.js';
import { schedulesCommand } from './schedules.js';
import { workerCommand } from './worker.js';

/** Every top-level `sentinel` command. Each capability adds its command factory here. */
export function allCommands(ctx: CliContext): Command[] {
  return [workerCommand(), backupCommand(ctx), predictCommand(ctx), schedulesCommand(ctx), healthCommand(ctx), codecServerCommand(ctx), anomaliesCommand(ctx), forecastCommand(ctx), configCommand(ctx), historyCommand(ctx), modelCommand(ctx)];
}
