// Worker entry used when the forest code runs as TypeScript (tsx, vitest). Node 20 does not apply `--import`
// loaders from a worker's execArgv to the worker's entry module, so this plain-JS entry registers tsx itself
// (resolved from this file, whatever the working directory) and then loads the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./tree-worker.ts');
