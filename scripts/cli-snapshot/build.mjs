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

/**
 * The rest of what `backup status` and every other Temporal command require from node_modules, bundled beside the
 * snapshot with a V8 code cache (client.cjs, client.cache) rather than evaluated in it: grpc-js needs http2 and tls,
 * and reads its GRPC_* environment when it loads, which a snapshot would freeze at build time.
 */
const CLIENT_PACKAGES = ['@temporalio/client', '@temporalio/envconfig'];

/** `stat` of the node binary as `bin/sentinel` prints it (device:inode:size:mtime), or undefined off Linux. */
export function nodeIdentity(nodePath = process.execPath) {
  try {
    const s = statSync(nodePath);
    return `${s.dev}:${s.ino}:${s.size}:${Math.floor(s.mtimeMs / 1000)}`;
  } catch {
    return undefined;
  }
}

/** The esbuild plugin giving each bundled module its own __filename and __dirname at run time (not the bundle's). */
function ownFilenames(root) {
  return {
    name: 'sentinel-own-filenames',
    setup(b) {
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
  };
}

/** Every file in node_modules a require of `packages` can reach (paths relative to root), but those of `exclude`. */
async function closureOf(build, root, packages, exclude = new Set()) {
  const result = await build({
    stdin: { contents: packages.map((p) => `require(${JSON.stringify(p)});`).join('\n'), resolveDir: root, loader: 'js' },
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: path.join(root, 'closure.cjs'),
  });
  return Object.keys(result.metafile.inputs).filter((file) => file.startsWith('node_modules/') && /\.(c?js|json)$/.test(file) && !exclude.has(file));
}

/** `exports.modules = [[path relative to root, () => its exports], ...]`: each file's one bundled copy, loaded on demand. */
function moduleTable(root, files) {
  return `exports.modules = [\n${files.map((file) => `[${JSON.stringify(file)}, () => require(${JSON.stringify(path.join(root, file))})]`).join(',\n')}\n];\n`;
}

/**
 * Writes <outDir>/sentinel.blob, <outDir>/snapshot.cjs (the bundle it was built from, kept for stack traces),
 * <outDir>/client.cjs with <outDir>/client.cache (the rest of the client library and its V8 code cache) and
 * <outDir>/node-identity. `root` is the project folder (node_modules and the module paths are relative to it).
 */
export async function buildCliSnapshot(root, outDir) {
  const { build } = await import('esbuild');
  const resolveDir = root;
  // Pass 1: the closure of PACKAGES (every file a require of them can reach).
  const files = await closureOf(build, root, PACKAGES);
  // Pass 2: main.cjs with a loader per file, so each file's one bundled copy can stand in for it in require.cache.
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
          b.onLoad({ filter: /.*/, namespace: 'sentinel-snapshot' }, () => ({ contents: moduleTable(root, files), resolveDir, loader: 'js' }));
        },
      },
      ownFilenames(root),
    ],
  });
  await buildClientBundle(build, root, outDir, new Set(files));
  const blob = path.join(outDir, 'sentinel.blob');
  // In the project folder, so that modules evaluated while building see the paths they will have.
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
  writeFileSync(path.join(outDir, 'node-identity'), `${nodeIdentity() ?? 'unknown'}\n`);
  return { blob, modules: files.length };
}

/**
 * <outDir>/client.cjs: the rest of what a Temporal command requires from node_modules (CLIENT_PACKAGES and their
 * closure, without what the snapshot holds) as one CommonJS module table like the snapshot's, and <outDir>/client.cache,
 * its V8 code cache (vm.Script cachedData) made after evaluating every module. The restored snapshot compiles it with
 * that cache: one file read and no parsing instead of ~150 files resolved, read and compiled (docs/compiled-build.md).
 * A module of the snapshot that it requires stays a require, of its path relative to the project folder.
 */
async function buildClientBundle(build, root, outDir, inSnapshot) {
  const files = await closureOf(build, root, CLIENT_PACKAGES, inSnapshot);
  const bundle = path.join(outDir, 'client.cjs');
  await build({
    stdin: { contents: moduleTable(root, files), resolveDir: root, loader: 'js', sourcefile: 'client-modules.cjs' },
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    plugins: [
      {
        name: 'sentinel-snapshot-externals',
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === 'resolving' || args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
            const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'resolving' });
            if (resolved.errors.length > 0 || resolved.external) return undefined;
            const relative = path.relative(root, resolved.path);
            return inSnapshot.has(relative) ? { path: `./${relative}`, external: true } : undefined;
          });
        },
      },
      ownFilenames(root),
    ],
  });
  // The code cache, from a process that compiles and evaluates the bundle as the restored snapshot will.
  execFileSync(
    process.execPath,
    [path.join(root, 'scripts', 'cli-snapshot', 'client-bundle.cjs'), bundle, path.join(outDir, 'client.cache'), ...CLIENT_PACKAGES],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  return files.length;
}
