import { Command } from 'commander';
import { runWorker } from '../../workers/main.js';
import type { CliContext } from '../context.js';

export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .description('Run a Sentinel worker (Temporal connection flags or TEMPORAL_*, DATABASE_URL, SENTINEL_CONFIG) until Ctrl-C')
    .action(async () => {
      await runWorker({ connectionSettings: await ctx.connectionSettings() });
    });
}
