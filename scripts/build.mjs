// `npm run build`: compiles the service to JavaScript in dist/ (the tree mirrored: dist/cli/main.js, dist/workers/main.js,
// ...), copies what the code reads beside itself (db/migrations, sentinel.example.yaml, the package version) and
// writes the prebuilt workflow bundle dist/workflow-bundle.js, which the compiled worker loads.
// `--if-stale` builds only when dist/ is missing or older than a source: `npm start`, `npm test` and `npm run worker`
// call it, and the no-op check costs a stat of each source file and folder (BENCHMARKS.md, "CLI start-up").
//
// esbuild rather than tsc: the build only strips types, file by file (tsconfig has isolatedModules, which is exactly
// the guarantee that this is safe), in under a second for the whole tree; type checking stays with `tsc --noEmit`
// in `npm test`, so a tsc emit would type-check everything a second time (tens of seconds on this 2-core machine) for
// the same output. Plain JavaScript (.mjs) so it runs without tsx, which is a development dependency.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCliSnapshot, nodeIdentity } from './cli-snapshot/build.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');

/** The folders the CLI and the worker run from (scripts/, test/, bench/ and examples/ stay TypeScript for tsx). */
const SOURCE_DIRS = ['activities', 'capabilities', 'cli', 'client', 'db', 'domain', 'platform', 'schedules', 'workers', 'workflows'];
/** `npm start` and its demo, compiled so that the worker it runs in-process is compiled code too. */
const SOURCE_FILES = ['scripts/start.ts', 'scripts/demo.ts'];
/** Read at run time next to the code (`new URL('../sentinel.example.yaml', import.meta.url)`, db/migrate.ts). */
const ASSETS = ['sentinel.example.yaml', 'db/migrations'];
/** Inputs that change the output without being sources: the build itself, the dependencies (the workflow bundle). */
const BUILD_INPUTS = ['scripts/build.mjs', 'scripts/cli-snapshot', 'package.json', 'package-lock.json', 'tsconfig.json', ...ASSETS];
/** Rewritten by every `npm install`: the CLI's start-up snapshot holds a copy of the Temporal client library. */
const OPTIONAL_INPUTS = ['node_modules/.package-lock.json'];

/** Every file and folder below `dir`; a folder's mtime moves when an entry is added, removed or renamed. */
function walk(dir, visit) {
  visit(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, visit);
    else visit(full);
  }
}

function newestInputMtime() {
  let newest = 0;
  const see = (file) => {
    newest = Math.max(newest, statSync(file).mtimeMs);
  };
  for (const dir of SOURCE_DIRS) walk(path.join(ROOT, dir), see);
  for (const file of [...SOURCE_FILES, ...BUILD_INPUTS]) {
    const full = path.join(ROOT, file);
    if (statSync(full).isDirectory()) walk(full, see);
    else see(full);
  }
  for (const file of OPTIONAL_INPUTS) if (existsSync(path.join(ROOT, file))) see(path.join(ROOT, file));
  return newest;
}

/** Why dist/ must be (re)built, or undefined when it is current. */
export function staleReason() {
  if (!existsSync(STAMP)) return 'dist/ is missing';
  // A snapshot loads only in the Node build that wrote it (bin/sentinel falls back to a normal start without it).
  const identity = path.join(DIST, 'cli-snapshot', 'node-identity');
  if (existsSync(identity) && readFileSync(identity, 'utf8').trim() !== nodeIdentity()) return 'node changed since the CLI snapshot was built';
  return newestInputMtime() > statSync(STAMP).mtimeMs ? 'a source is newer than dist/' : undefined;
}

function entryPoints() {
  const files = [...SOURCE_FILES];
  for (const dir of SOURCE_DIRS)
    walk(path.join(ROOT, dir), (file) => {
      if (file.endsWith('.ts') && !file.endsWith('.d.ts')) files.push(path.relative(ROOT, file));
    });
  return files;
}

/** Builds into a fresh folder and swaps it in, so a CLI starting meanwhile never loads a half-written tree. */
export async function build() {
  const started = Date.now();
  const { build: esbuild } = await import('esbuild');
  const next = path.join(ROOT, `.build-tmp-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  try {
    await esbuild({
      entryPoints: entryPoints().map((file) => path.join(ROOT, file)),
      outdir: next,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Linked maps: free unless asked for (node --enable-source-maps), then stack traces name the .ts lines.
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    for (const asset of ASSETS) copy(path.join(ROOT, asset), path.join(next, asset));
    // platform/package-version.ts reads ../package.json; this one also keeps dist/ an ES module tree on its own.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(
      path.join(next, 'package.json'),
      `${JSON.stringify({ name: `${pkg.name}-dist`, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`,
    );
    // The workflow bundle, from the compiled workflows (workers/create-worker.ts points at them under dist/).
    const { writeWorkflowBundle } = await import(pathToFileURL(path.join(next, 'workers', 'workflow-bundle.js')).href);
    await writeWorkflowBundle(path.join(next, 'workflow-bundle.js'));
    // Its traced twin (OpenTelemetry workflow interceptors), which a worker loads when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    await writeWorkflowBundle(path.join(next, 'workflow-bundle.traced.js'), { tracing: true });
    // The CLI's start-up snapshot (bin/sentinel starts from it). Without one the CLI still works, only slower to
    // start, so a Node that cannot build it does not fail the build (a test checks it is built here).
    try {
      await buildCliSnapshot(ROOT, path.join(next, 'cli-snapshot'));
    } catch (error) {
      rmSync(path.join(next, 'cli-snapshot'), { recursive: true, force: true });
      process.stderr.write(
        `build: warning: no CLI start-up snapshot (bin/sentinel starts without it): ${
          String(error.stderr ?? error.message)
            .trim()
            .split('\n')[0]
        }\n`,
      );
    }
    // Stamped with the time the build started: a source saved while it ran makes the next check rebuild.
    const stamp = path.join(next, '.build-stamp');
    writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
    utimesSync(stamp, started / 1000, started / 1000);
    const old = path.join(ROOT, `.build-old-${process.pid}`);
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(next, DIST);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  return Date.now() - started;
}

function copy(from, to) {
  if (statSync(from).isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) copy(path.join(from, entry), path.join(to, entry));
  } else {
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ifStale = process.argv.includes('--if-stale');
  const reason = ifStale ? staleReason() : 'asked for';
  if (reason) {
    process.stderr.write(`build: compiling to dist/ (${reason})...\n`);
    const ms = await build();
    process.stderr.write(`build: dist/ written in ${(ms / 1000).toFixed(1)} s\n`);
  }
}
