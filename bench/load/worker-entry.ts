/**
 * Entry point of the bench's worker processes: the memory probe, then the product's own `runWorker` from
 * workers/main.ts, unchanged. (Preloading the probe with a second `--import` would also load it into the SDK's
 * workflow thread, which inherits the process's execArgv and cannot import TypeScript there.)
 */
import './memory-probe.js';
import { logger } from '../../platform/logger.js';
import { runWorker } from '../../workers/main.js';

runWorker().catch((error: Error) => {
  logger.error({ err: error.message }, 'worker failed');
  process.exitCode = 1;
});
