import { execFile } from 'node:child_process';
import { readdir, readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// The compiled build (scripts/build.mjs, dist/) as users and the Docker image run it, with a module hook that fails
// the process on any TypeScript module or tsx (test/helpers/no-typescript.mjs): the CLI, its assets, the worker with
// its migrations, its prebuilt workflow bundle and its worker threads (training, trees, config parsing); and the spawn
// helper process it forks from dist/ for backup commands (without NODE_OPTIONS, so without the hook).
const NO_TYPESCRIPT = path.resolve('test/helpers/no-typescript.mjs');
const WITHOUT_TYPESCRIPT = { NODE_OPTIONS: `--import ${NO_TYPESCRIPT}` };
const run = promisify(execFile);

let dir: string;
let databaseName: string;
let databaseUrl: string;
let worker: WorkerProcess | undefined;
let env: Record<string, string | undefined>;

async function admin<T>(work: (client: pg.Client) => Promise<T>, url = inject('databaseAdminUrl')): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-compiled-'));
  // An empty database, not a clone of the migrated template: the compiled worker must find and apply the migrations.
  databaseName = `sentinel_compiled_${process.pid}_${Date.now()}`;
  await admin((client) => client.query(`CREATE DATABASE ${databaseName}`));
  const url = new URL(inject('databaseAdminUrl'));
  url.pathname = `/${databaseName}`;
  databaseUrl = url.toString();
  await writeFile(
    path.join(dir, 'sentinel.yaml'),
    // spawned-by: the backup command writes the command line of the process that started its shell.
    `targets:\n  - name: nightly\n    kind: command\n    command: "true"\n  - name: spawned-by\n    kind: command\n    command: "tr '\\\\0' ' ' < /proc/$PPID/cmdline > ${path.join(dir, 'spawned-by.txt')}"\n`,
  );
  await mkdir(path.join(dir, 'etc'));
  await writeFile(path.join(dir, 'etc', 'app.yaml'), 'db:\n  host: db.internal\n  port: 5432\nworkers: 4\n');
  const taskQueue = `test-compiled-${process.pid}`;
  env = {
    ...WITHOUT_TYPESCRIPT,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: databaseUrl,
    SENTINEL_CONFIG: path.join(dir, 'sentinel.yaml'),
    SENTINEL_TASK_QUEUE: taskQueue,
    SENTINEL_DATA_DIR: path.join(dir, 'data'),
    CONFIG_BACKUP_DIR: path.join(dir, 'config-store'),
  };
});

afterAll(async () => {
  await worker?.stop();
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('the no-TypeScript hook refuses a TypeScript module (so the tests below can fail)', async () => {
    const refused = await run(process.execPath, ['--import', NO_TYPESCRIPT, '--input-type=module', '-e', "await import('./cli/exit-codes.ts')"]).then(
      () => 'loaded',
      (error: { stderr: string }) => error.stderr,
    );
    expect(refused).toContain('TypeScript loaded at run time');
  });

  it('`sentinel --help` and `sentinel init` run from dist/ (the example file found beside the compiled code)', async () => {
    const help = await runCli(['--help'], WITHOUT_TYPESCRIPT);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sentinel /);
    const file = path.join(dir, 'init', 'sentinel.yaml');
    const init = await runCli(['init', '--path', file], WITHOUT_TYPESCRIPT);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(await readFile('sentinel.example.yaml', 'utf8'));
  });

  it('the worker (`sentinel worker`, as in the Docker image) migrates an empty database, loads dist/workflow-bundle.js and runs its threads and spawn helper', async () => {
    worker = spawnWorkerProcess({
      name: 'compiled',
      temporalAddress: inject('temporalAddress'),
      taskQueue: env.SENTINEL_TASK_QUEUE!,
      databaseUrl,
      configPath: env.SENTINEL_CONFIG!,
      backupDir: path.join(dir, 'backups'),
      dataDir: env.SENTINEL_DATA_DIR!,
      nodeArgs: ['--import', NO_TYPESCRIPT, path.resolve('bin/sentinel.js'), 'worker'],
      // No SENTINEL_WORKFLOW_BUNDLE: the compiled worker loads the bundle built beside it.
      env: { SENTINEL_WORKFLOW_BUNDLE: undefined, CONFIG_BACKUP_DIR: env.CONFIG_BACKUP_DIR, CONFIG_FILES_TO_BACKUP: path.join(dir, 'etc', '*.yaml') },
      readyTimeoutMs: 120_000,
    });
    await worker.ready;

    const migrations = (await readdir('db/migrations')).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
    const applied = await admin((client) => client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name'), databaseUrl);
    expect(applied.rows.map((r) => r.name)).toEqual(migrations.sort());

    // Training runs on a training thread that grows trees on tree threads: both start from compiled .js entries.
    const history = path.join(dir, 'history.csv');
    expect((await runCli(['history', 'generate', '--targets', '2', '--days', '60', '--seed', '1', '--out', history], env)).code).toBe(0);
    expect((await runCli(['history', 'import', history], env)).code).toBe(0);
    const trained = await runCli(
      ['model', 'train', '--wait', '--json', '--params', '{"nTrees":4,"maxDepth":4,"seed":1,"selectionBudgetSeconds":0}'],
      env,
      300_000,
    );
    expect(trained.code, trained.stderr).toBe(0); // stderr has the "waiting for" progress lines
    const training = JSON.parse(trained.stdout) as { outcome: string; version: number | null };
    expect(['promoted', 'kept-candidate']).toContain(training.outcome);
    expect(training.version).toBeGreaterThan(0);

    // A configuration backup parses the YAML file on the parse-thread pool (view-worker.js).
    const backedUp = await runCli(['config', 'backup', '--wait', '--json'], env, 300_000);
    expect(backedUp.code, backedUp.stderr).toBe(0);
    const items = (JSON.parse(backedUp.stdout) as { items: Array<{ name: string; status: string }> }).items;
    expect(items.find((i) => i.name.endsWith('app.yaml'))?.status).toBe('backed_up');
    // A backup command starts from the compiled spawn helper process (spawn-helper.js), not from the worker.
    const backup = await runCli(['backup', 'run', 'spawned-by', '--wait', '--json'], env, 300_000);
    expect(backup.code, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
    expect(await readFile(path.join(dir, 'spawned-by.txt'), 'utf8')).toContain(path.resolve('dist/activities/backup/spawn-helper.js'));
    expect(worker.log()).not.toContain('TypeScript loaded at run time');
  }, 600_000);
});
