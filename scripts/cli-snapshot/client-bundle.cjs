// Compiling and running dist/cli-snapshot/client.cjs (the Temporal client library bundled beside the snapshot, with
// its V8 code cache client.cache): shared by the restored snapshot (main.cjs) and by the build, which runs this file
// to write the cache (scripts/cli-snapshot/build.mjs). The same wrapper and file name on both sides, or V8 rejects the
// cache (it then compiles the source as usual: slower, same result). docs/compiled-build.md.
'use strict';

/**
 * Compiles `bundle` (with the code cache `cacheFile` when it is there and matches), runs it and returns its module
 * table (`[path relative to the project folder, () => exports][]`) and whether V8 took the cache. `requireFromRoot`
 * serves the requires the bundle left out (the snapshot's modules, built-ins), relative to the project folder.
 */
function compileClientBundle(bundle, cacheFile, requireFromRoot) {
  const { readFileSync } = require('node:fs');
  const path = require('node:path');
  const vm = require('node:vm');
  const { wrap } = require('node:module');
  const source = readFileSync(bundle, 'utf8');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(wrap(source), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, requireFromRoot, module, bundle, path.dirname(bundle));
  return { modules: module.exports.modules, script, cacheUsed: cachedData !== undefined && script.cachedDataRejected === false };
}

module.exports = { compileClientBundle };

// `node client-bundle.cjs BUNDLE CACHE PACKAGE...` (the build, in the project folder): require the packages as a command
// would (their modules have require cycles, so they load from the packages' entry points, in Node's order), then try
// every other module, then write the cache, which then holds the code of every function run so far.
if (require.main === module) {
  const { writeFileSync } = require('node:fs');
  const path = require('node:path');
  const { createRequire } = require('node:module');
  const [bundle, cacheFile, ...packages] = process.argv.slice(2);
  const root = process.cwd();
  const requireFromRoot = createRequire(path.join(root, 'package.json'));
  globalThis.__sentinelSnapshotFilename = (relative) => path.join(root, relative);
  const { modules, script } = compileClientBundle(bundle, `${cacheFile}.none`, requireFromRoot);
  const byPath = new Map(modules);
  for (const name of packages) byPath.get(path.relative(root, requireFromRoot.resolve(name)))();
  for (const [, load] of modules) {
    try {
      load();
    } catch {
      // a module no command requires on its own (its cycle resolves only from the entry points): no cache for its code
    }
  }
  writeFileSync(cacheFile, script.createCachedData());
}
