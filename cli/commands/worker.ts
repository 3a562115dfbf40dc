import { Command } from 'commander';
import { runWorker } from '../../workers/main.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a Sentinel worker (TEMPORAL_ADDRESS, DATABASE_URL, SENTINEL_CONFIG from the environment) until Ctrl-C')
    .action(async () => {
      await runWorker();
    });
}
