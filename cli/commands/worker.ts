import { Command } from 'commander';
import type { CliContext } from '../context.js';

export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .description('Run a Sentinel worker (Temporal connection flags or TEMPORAL_*, DATABASE_URL, SENTINEL_CONFIG) until Ctrl-C')
    .action(async () => {
      const connectionSettings = await ctx.connectionSettings();
      // Imported when it runs: the worker's modules (the SDK's worker, every activity) are the CLI's heaviest.
      const { runWorker } = await import('../../workers/main.js');
      await runWorker({ connectionSettings });
    });
}
