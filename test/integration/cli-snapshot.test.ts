import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliRun, runCli } from '../helpers/cli.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/test-database.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// `bin/sentinel` (the package's bin) starts commands from the CLI's start-up snapshot (dist/cli-snapshot, written by
// scripts/build.mjs; docs/compiled-build.md): the same CLI must come out of it, byte for byte, with the same errors and
// exit codes as `node bin/sentinel.js`, and a snapshot it cannot use must be left alone, not half used.
const LAUNCHER = path.resolve('bin/sentinel');
const NO_LOCAL_SERVICE = path.join(os.tmpdir(), 'sentinel-cli-tests-no-local-service');

let dir: string;
let database: IsolatedDatabase;
let worker: WorkerProcess | undefined;
let env: Record<string, string | undefined>;

/** Runs `launcher args` (by default the project's bin/sentinel) the way an operator's shell runs the `sentinel` command. */
function runLauncher(args: string[], extraEnv: Record<string, string | undefined> = {}, launcher = LAUNCHER): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      launcher,
      args,
      { env: { ...process.env, LOG_LEVEL: 'warn', SENTINEL_DATA_DIR: NO_LOCAL_SERVICE, ...env, ...extraEnv }, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr, signal: error?.signal ?? null }),
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-cli-snapshot-'));
  database = await createIsolatedDatabase('cli_snapshot');
  await writeFile(path.join(dir, 'sentinel.yaml'), 'targets:\n  - name: nightly\n    kind: command\n    command: "true"\n');
  env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: database.url,
    SENTINEL_CONFIG: path.join(dir, 'sentinel.yaml'),
    SENTINEL_TASK_QUEUE: `test-cli-snapshot-${process.pid}`,
    // The payload codec on: `backup status` decrypts the run's result through the snapshot's protobuf types.
    CONFIG_BACKUP_KEY: `snapshot-test:${randomBytes(32).toString('base64')}`,
  };
});

afterAll(async () => {
  await worker?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the CLI start-up snapshot', () => {
  it('is written by the build, and bin/sentinel starts commands from it (a restored process that only returns prints nothing)', async () => {
    for (const file of ['sentinel.blob', 'client.cjs', 'client.cache', 'node-identity'])
      expect((await stat(path.join('dist', 'cli-snapshot', file))).size).toBeGreaterThan(0);
    const probe = { SENTINEL_SNAPSHOT_PROBE: '1' };
    const restored = await runLauncher(['backup', 'status', 'no-such-run', '--json'], probe);
    expect(restored).toEqual({ code: 0, stdout: '', stderr: '', signal: null });
    // Without the snapshot the probe variable means nothing: the command runs (so the check above can fail).
    const plain = await runLauncher(['backup', 'status', 'no-such-run', '--json'], { ...probe, SENTINEL_SNAPSHOT: 'off' });
    expect(plain).toEqual({ code: 2, stdout: '', stderr: 'error: no workflow with ID "no-such-run"\n', signal: null });
    // V8 refuses a snapshot under other V8 settings (node then fails to start): with NODE_OPTIONS set the command runs
    // without it.
    const withNodeOptions = await runLauncher(['backup', 'status', 'no-such-run', '--json'], { ...probe, NODE_OPTIONS: '--max-old-space-size=4096' });
    expect(withNodeOptions).toEqual({ code: 2, stdout: '', stderr: 'error: no workflow with ID "no-such-run"\n', signal: null });
  });

  it('compiles the client library bundled beside it from its code cache, and from its source when V8 rejects the cache', async () => {
    // What the restored snapshot runs (scripts/cli-snapshot/client-bundle.cjs), in a plain node: the client from the
    // bundle, with the cache taken; with a cache V8 cannot use, the same client from the source.
    const bogus = path.join(dir, 'bogus.cache');
    await writeFile(bogus, randomBytes(4096));
    const script = `
      const path = require('node:path');
      const { createRequire } = require('node:module');
      const root = process.cwd();
      globalThis.__sentinelSnapshotFilename = (relative) => path.join(root, relative);
      const { compileClientBundle } = require(path.join(root, 'scripts/cli-snapshot/client-bundle.cjs'));
      const requireFromRoot = createRequire(path.join(root, 'package.json'));
      const { modules, cacheUsed } = compileClientBundle(path.join(root, 'dist/cli-snapshot/client.cjs'), process.argv[1], requireFromRoot);
      const client = new Map(modules).get(path.relative(root, requireFromRoot.resolve('@temporalio/client')))();
      process.stdout.write(JSON.stringify({ cacheUsed, client: typeof client.Client, connection: typeof client.Connection.lazy }));
    `;
    const run = (cache: string) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script, cache], { timeout: 60_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
      );
    expect(JSON.parse(await run(path.resolve('dist/cli-snapshot/client.cache')))).toEqual({ cacheUsed: true, client: 'function', connection: 'function' });
    expect(JSON.parse(await run(bogus))).toEqual({ cacheUsed: false, client: 'function', connection: 'function' });
  });

  it('gives the same output, errors and exit codes as `node bin/sentinel.js`', async () => {
    worker = spawnWorkerProcess({
      name: 'cli-snapshot',
      temporalAddress: inject('temporalAddress'),
      taskQueue: env.SENTINEL_TASK_QUEUE!,
      databaseUrl: database.url,
      configPath: env.SENTINEL_CONFIG!,
      backupDir: path.join(dir, 'backups'),
      dataDir: path.join(dir, 'data'),
      nodeArgs: [path.resolve('bin/sentinel.js'), 'worker'],
      env: { SENTINEL_WORKFLOW_BUNDLE: undefined, CONFIG_BACKUP_KEY: env.CONFIG_BACKUP_KEY },
      readyTimeoutMs: 120_000,
    });
    await worker.ready;
    // Started from the snapshot too: connect, start, wait for the result.
    const started = await runLauncher(['backup', 'run', 'nightly', '--wait', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };

    const cases: string[][] = [
      ['backup', 'status', workflowId, '--json'],
      ['backup', 'status', workflowId],
      ['backup', 'status', 'no-such-run'],
      // Connection settings checked before connecting (exit 2, one line naming the flag)...
      ['--tls-cert-path', path.join(dir, 'missing.pem'), '--tls-key-path', path.join(dir, 'missing.key'), 'backup', 'status', workflowId],
      ['--profile', 'nope', 'backup', 'status', workflowId],
      // ...and commander's own errors.
      ['backup', 'status'],
      ['--help'],
      ['backup', 'status', '--help'],
    ];
    for (const args of cases) {
      const fromSnapshot = await runLauncher(args);
      const plain = await runCli(args, env);
      expect(fromSnapshot, args.join(' ')).toEqual(plain);
    }
    const status = JSON.parse((await runLauncher(['backup', 'status', workflowId, '--json'])).stdout) as { status: string; result: { decision: string } };
    expect(status.status).toBe('COMPLETED');
    expect(status.result.decision).toBe('proceed');
    // An empty API key is refused before connecting, from the snapshot as without it.
    const emptyKey = await runLauncher(['backup', 'status', workflowId], { TEMPORAL_API_KEY: ' ' });
    expect(emptyKey).toEqual(await runCli(['backup', 'status', workflowId], { ...env, TEMPORAL_API_KEY: ' ' }));
    expect(emptyKey.code).toBe(2);
  }, 300_000);

  it('is not used when another node binary built it: the command starts the ordinary way', async () => {
    // A copy of the project's entry points over the same dist/ and node_modules, with its own dist/cli-snapshot.
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'bin'), { recursive: true });
    for (const file of ['sentinel', 'sentinel.js']) await copyFile(path.resolve('bin', file), path.join(project, 'bin', file));
    await symlink(path.resolve('node_modules'), path.join(project, 'node_modules'));
    await mkdir(path.join(project, 'dist', 'cli-snapshot'), { recursive: true });
    for (const entry of await readdir('dist')) if (entry !== 'cli-snapshot') await symlink(path.resolve('dist', entry), path.join(project, 'dist', entry));
    await symlink(path.resolve('dist/cli-snapshot/sentinel.blob'), path.join(project, 'dist', 'cli-snapshot', 'sentinel.blob'));
    const identity = path.join(project, 'dist', 'cli-snapshot', 'node-identity');
    const launcher = path.join(project, 'bin', 'sentinel');
    const args = ['backup', 'status', 'no-such-run'];
    const probe = { SENTINEL_SNAPSHOT_PROBE: '1' };

    // The real identity: the copy starts from the snapshot (so the copy itself is sound).
    await copyFile(path.resolve('dist/cli-snapshot/node-identity'), identity);
    expect(await runLauncher(args, probe, launcher)).toEqual({ code: 0, stdout: '', stderr: '', signal: null });
    // Another node's: it starts without the snapshot, and the command runs.
    await writeFile(identity, `${(await readFile(identity, 'utf8')).trim()}0\n`);
    expect(await runLauncher(args, probe, launcher)).toEqual({ code: 2, stdout: '', stderr: 'error: no workflow with ID "no-such-run"\n', signal: null });
  });
});
