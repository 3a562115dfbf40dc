// Preloaded into a child process (NODE_OPTIONS=--import <this file>): when the process exits, writes the files of
// every CommonJS module it loaded (require.cache, which also holds the CommonJS packages that ES modules import)
// to SENTINEL_TEST_LOADED_MODULES, so a test can say which packages a real worker process loaded.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.SENTINEL_TEST_LOADED_MODULES;
if (out) {
  const require = createRequire(import.meta.url);
  process.on('exit', () => writeFileSync(out, JSON.stringify(Object.keys(require.cache))));
}
