// Builds the CLI's start-up snapshot into <dist>/cli-snapshot/ (called by scripts/build.mjs on the tree it is about to
// swap in): main.cjs and the Temporal client library from node_modules bundled into one CommonJS file, then
// `node --snapshot-blob sentinel.blob --build-snapshot` on it. `bin/sentinel` starts from the blob when it is there and
// was built by the same `node` binary and after the last `npm install` (node-identity); docs/compiled-build.md.
//
// Node 20's own snapshot support is used (v8.startupSnapshot) rather than a hand-written module cache: the snapshot
// holds the evaluated Temporal API root, which no file cache can (building it is CPU work, not reading or compiling).
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What goes in the snapshot: these packages and everything they require. Only the Temporal API (protobufjs and the
 * root built from the descriptor): bundling the rest of the client library too (grpc-js, @temporalio/client and
 * common, unevaluated, since http2/tls/net cannot be in a snapshot) saved no CPU and doubled the blob, whose
 * deserialisation every command pays (BENCHMARKS.md, "CLI and worker start-up").
 */
const PACKAGES = ['@temporalio/proto'];

/** `stat` of the node binary as `bin/sentinel` prints it (device:inode:size:mtime), or undefined off Linux. */
export function nodeIdentity(nodePath = process.execPath) {
  try {
    const s = statSync(nodePath);
    return `${s.dev}:${s.ino}:${s.size}:${Math.floor(s.mtimeMs / 1000)}`;
  } catch {
    return undefined;
  }
}

/**
 * Writes <outDir>/sentinel.blob, <outDir>/snapshot.cjs (the bundle it was built from, kept for stack traces) and
 * <outDir>/node-identity. `root` is the project folder (node_modules and the module paths are relative to it).
 */
export async function buildCliSnapshot(root, outDir) {
  const { build } = await import('esbuild');
  const resolveDir = root;
  // Pass 1: the closure of PACKAGES (every file a require of them can reach).
  const closure = await build({
    stdin: { contents: PACKAGES.map((p) => `require(${JSON.stringify(p)});`).join('\n'), resolveDir, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: path.join(outDir, 'closure.cjs'),
  });
  const files = Object.keys(closure.metafile.inputs).filter((file) => file.startsWith('node_modules/') && /\.(c?js|json)$/.test(file));
  // Pass 2: main.cjs with a loader per file, so each file's one bundled copy can stand in for it in require.cache.
  const table = files.map((file) => `[${JSON.stringify(file)}, () => require(${JSON.stringify(path.join(root, file))})]`).join(',\n');
  mkdirSync(outDir, { recursive: true });
  const bundle = path.join(outDir, 'snapshot.cjs');
  await build({
    entryPoints: [path.join(root, 'scripts', 'cli-snapshot', 'main.cjs')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    plugins: [
      {
        name: 'sentinel-snapshot',
        setup(b) {
          b.onResolve({ filter: /^sentinel-snapshot:modules$/ }, () => ({ path: 'modules', namespace: 'sentinel-snapshot' }));
          b.onLoad({ filter: /.*/, namespace: 'sentinel-snapshot' }, () => ({
            contents: `exports.modules = [\n${table}\n];\n`,
            resolveDir,
            loader: 'js',
          }));
          // A bundled module's __dirname would be the bundle's folder: give it its own file's, at run time.
          b.onLoad({ filter: /node_modules[\\/].*\.c?js$/ }, async (args) => {
            const source = await readFile(args.path, 'utf8');
            if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
            const relative = JSON.stringify(path.relative(root, args.path));
            return {
              contents: `var __filename = globalThis.__sentinelSnapshotFilename(${relative}), __dirname = require('node:path').dirname(__filename);\n${source}`,
              loader: 'js',
            };
          });
        },
      },
    ],
  });
  const blob = path.join(outDir, 'sentinel.blob');
  // In the project folder, so that modules evaluated while building see the paths they will have.
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
  writeFileSync(path.join(outDir, 'node-identity'), `${nodeIdentity() ?? 'unknown'}\n`);
  return { blob, modules: files.length };
}
