import { Command } from 'commander';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a Sentinel worker (TEMPORAL_ADDRESS, DATABASE_URL, SENTINEL_CONFIG from the environment) until Ctrl-C')
    .action(async () => {
      // Imported when it runs: the worker's modules (the SDK's worker, every activity) are the CLI's heaviest.
      const { runWorker } = await import('../../workers/main.js');
      await runWorker();
    });
}
