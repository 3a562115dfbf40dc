#!/usr/bin/env node
// Runs the compiled CLI (dist/, written by `npm run build`; `npm start` and `npm test` build it when stale): no
// TypeScript compiler at run time, so `sentinel --help` starts in a fraction of a second.
try {
  await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js')) throw error;
  process.stderr.write('error: sentinel is not built: run `npm run build` (or `npm start`) in the project folder first\n');
  process.exitCode = 1;
}
