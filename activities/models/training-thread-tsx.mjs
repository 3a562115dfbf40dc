// Entry of the training thread when the code runs as TypeScript (tsx, vitest): Node 20 does not apply `--import`
// loaders to a worker's entry module, so this plain-JS entry registers tsx itself, then loads the real thread.
import { register } from 'tsx/esm/api';

register();
await import('./training-thread.ts');
