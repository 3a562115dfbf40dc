// Entry shim of platform/worker-threads.ts when the code runs as TypeScript (tsx, vitest; never in the compiled dist/), for threads and helper processes: Node 20 does not apply
// `--import` loaders to a worker's entry module, so this plain-JS entry registers tsx (resolved from this file,
// whatever the working directory), takes the real entry's URL out of argv and imports it.
import { register } from 'tsx/esm/api';

register();
const at = process.argv.indexOf('--sentinel-thread-entry');
if (at < 0 || at + 1 >= process.argv.length) throw new Error('worker-thread-tsx.mjs: no --sentinel-thread-entry URL in argv');
const [, entry] = process.argv.splice(at, 2);
await import(entry);
