import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { scratchDatabaseName } from '../../capabilities/drill/scratch.js';
import { listDumps } from '../../capabilities/dumps/retention.js';
import { drillIdFor, restoreDrillWorkflowId, type RestoreDrillInput, type RestoreDrillResult } from '../../domain/drill/contract.js';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { predictFailure } from '../../capabilities/prediction/predict.js';
import { preBackupWorkflow } from '../../workflows/pre-backup.js';
import { restoreDrillWorkflow } from '../../workflows/restore-drill.js';
import { activityStarts, isAlive, processesMatching, startedActivity, waitForProcessExit } from '../helpers/faults.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { runCli } from '../helpers/cli.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { harnessWorkerOptions, spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Restore drills on the real dev server and PostgreSQL: real target databases with tables, real pg_dump and
 * pg_restore, scratch databases created and dropped on the server (DRILL_DATABASE_URL = its maintenance database).
 */
let h: Harness;
const adminUrl = () => inject('databaseAdminUrl');
const created: string[] = [];
const workers: WorkerProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

async function admin<T>(run: (c: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(adminUrl());
  if (database) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A real database for a target, with `setup` run in it; its URL. */
async function targetDatabase(label: string, setup: string): Promise<string> {
  const name = `drill_${label}_${randomBytes(3).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  created.push(name);
  await admin((c) => c.query(setup), name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

const scratchOf = (workflowId: string, runId: string) => scratchDatabaseName(drillIdFor(workflowId, runId));
const scratchExists = (name: string) => admin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);

async function backup(target: string): Promise<PreBackupResult> {
  return h.client.workflow.execute(preBackupWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(target, `${new Date().toISOString()}-${randomBytes(3).toString('hex')}`),
    args: [{ target, context: { successRate: 1, recentFailures: 0 } }],
  });
}

function startDrill(input: RestoreDrillInput, taskQueue = h.taskQueue) {
  return h.client.workflow.start(restoreDrillWorkflow, {
    taskQueue,
    workflowId: restoreDrillWorkflowId(input.target, `${new Date().toISOString()}-${randomBytes(3).toString('hex')}`),
    args: [input],
  });
}

const SHOP = `CREATE TABLE customers (id int PRIMARY KEY, name text);
  INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 10) g;
  CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, total numeric);
  INSERT INTO orders SELECT g, 1 + g % 10, g * 1.5 FROM generate_series(1, 250) g;`;

const ORDERS_CHECK = { sql: 'select count(*) from orders', expect: '>= 1' };

let shopUrl: string;
let partialUrl: string;

beforeAll(async () => {
  h = await createHarness('restore-drill');
  await mkdir(h.backupDir, { recursive: true });
  shopUrl = await targetDatabase('shop', SHOP);
  // The same shop, but its dump lacks the orders table.
  partialUrl = await targetDatabase('partial', `CREATE TABLE customers (id int PRIMARY KEY, name text); INSERT INTO customers VALUES (1, 'a');`);
  await h.writeConfig({
    targets: [
      {
        name: 'shop',
        kind: 'postgres',
        url: shopUrl,
        drill: {
          checks: [
            ORDERS_CHECK,
            { sql: 'select count(*) from customers', expect: '= 10' },
            { sql: 'select name from customers where id = 3', expect: "= 'c3'" },
          ],
        },
      },
      { name: 'partial', kind: 'postgres', url: partialUrl, drill: { checks: [ORDERS_CHECK] } },
      { name: 'corrupt', kind: 'postgres', url: shopUrl, drill: {} },
      { name: 'self', kind: 'postgres', url: shopUrl, drill: {} },
      { name: 'kept', kind: 'postgres', url: partialUrl, keep: { last: 2 } },
      { name: 'cmd-ok', kind: 'command', command: 'true', drill: { command: 'test -d /' } },
      { name: 'cmd-bad', kind: 'command', command: 'true', drill: { command: 'echo "repository damaged" >&2; exit 4' } },
    ],
  });
  await h.startWorker({ drillDatabaseUrl: adminUrl() });
});

afterAll(async () => {
  for (const w of workers) await w.stop(5_000);
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  // A failing run may end with a drill cut off mid-restore and no workflow left to retry it: leave no scratch behind.
  const scratches = await h?.pool.query('SELECT scratch_database FROM restore_drills WHERE scratch_database IS NOT NULL').catch(() => undefined);
  for (const row of scratches?.rows ?? []) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${row.scratch_database} WITH (FORCE)`)).catch(() => undefined);
  await h?.close();
  for (const name of created) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
});

describe('restoreDrillWorkflow', () => {
  it('restores a real dump into a scratch database, passes its checks and the row counts taken at backup time, then drops it', async () => {
    const run = await backup('shop');
    expect(run.backup?.status).toBe('completed');
    expect(run.backup?.tableCounts).toEqual({ 'public.customers': 10, 'public.orders': 250 });
    const stored = await h.pool.query('SELECT table_counts FROM backup_runs WHERE artifact_path = $1', [run.backup!.path]);
    expect(stored.rows[0].table_counts).toEqual({ 'public.customers': 10, 'public.orders': 250 });

    const handle = await startDrill({ target: 'shop' });
    const result = await handle.result();
    expect(result.status, result.error).toBe('passed');
    expect(result.backupId).toMatch(/^pre-backup\/shop\//);
    expect(result.restoreSeconds).toBeGreaterThan(0);
    expect(result.checks.map((c) => [c.kind, c.name, c.actual, c.passed])).toEqual([
      ['sql', 'select count(*) from orders', 250, true],
      ['sql', 'select count(*) from customers', 10, true],
      ['sql', 'select name from customers where id = 3', 'c3', true],
      ['row-count', 'public.customers', 10, true],
      ['row-count', 'public.orders', 250, true],
    ]);
    expect(result.alertSent).toBe(false);
    const row = (await h.pool.query('SELECT * FROM restore_drills WHERE drill_id = $1', [result.drillId])).rows[0];
    expect(row).toMatchObject({ target: 'shop', status: 'passed', backup_id: result.backupId, error: null });
    expect(row.cleaned_at).not.toBeNull();
    expect(await scratchExists(scratchOf(handle.workflowId, handle.firstExecutionRunId))).toBe(false);

    // The dump list shows the drill; the risk pipeline sees no failed drill.
    const dumps = await listDumps(h.pool, { target: 'shop' });
    expect(dumps[0]).toMatchObject({ backupId: result.backupId, drillStatus: 'passed', pruned: false, sha256: run.backup!.sha256 });
    const prediction = await predictFailure({ db: h.pool }, { target: 'shop', threshold: 0.5, startAt: new Date().toISOString() });
    expect(prediction.riskFactors.map((f) => f.factor)).not.toContain('last_restore_drill');
  });

  it('a drill on a dump missing a table fails its check, alerts, and makes the target high risk', async () => {
    expect((await backup('partial')).backup?.status).toBe('completed');
    const handle = await startDrill({ target: 'partial' });
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.checks[0]).toMatchObject({ kind: 'sql', name: 'select count(*) from orders', passed: false, actual: null });
    expect(result.checks[0]!.error).toMatch(/relation "orders" does not exist/);
    expect(result.error).toMatch(/check\(s\) failed/);
    expect(result.alertSent).toBe(true);
    const alerts = await h.pool.query("SELECT severity, message FROM alerts WHERE kind = 'restore-drill-failed' AND target = 'partial'");
    expect(alerts.rows).toHaveLength(1);
    expect(alerts.rows[0].severity).toBe('critical');
    expect(await scratchExists(scratchOf(handle.workflowId, handle.firstExecutionRunId))).toBe(false);

    const prediction = await predictFailure(
      { db: h.pool },
      { target: 'partial', threshold: 0.5, startAt: new Date().toISOString(), context: { successRate: 1 } },
    );
    expect(prediction.failureProbability).toBeGreaterThan(0.5);
    expect(prediction.riskFactors[0]).toMatchObject({ factor: 'last_restore_drill', value: 'failed' });
    expect(prediction.riskFactors[0]!.description).toMatch(/^last restore drill failed/);
  });

  it('a corrupted dump (one byte flipped) fails with the checksum reason; no scratch database is ever created', async () => {
    const run = await backup('corrupt');
    const file = await open(run.backup!.path!, 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, 100);
    byte[0] = byte[0]! ^ 0xff;
    await file.write(byte, 0, 1, 100);
    await file.close();

    const handle = await startDrill({ target: 'corrupt' });
    const scratch = scratchOf(handle.workflowId, handle.firstExecutionRunId);
    // Watch the server's catalogue for the scratch name all along the drill.
    let seen = false;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (await scratchExists(scratch)) seen = true;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const result = await handle.result();
    watching = false;
    await watcher;
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^checksum mismatch: .* was recorded with SHA-256 [0-9a-f]{64}, the file now has [0-9a-f]{64}; restore not attempted$/);
    expect(result.restoreSeconds).toBeNull();
    expect(result.checks).toEqual([]);
    expect(seen).toBe(false);
    expect(result.alertSent).toBe(true);
  });

  it('refuses a DRILL_DATABASE_URL that is the target database itself: recorded, alerted, failed as invalid input', async () => {
    // A second worker on its own queue whose drill URL is the target's own (as written differently: localhost vs 127.0.0.1).
    const taskQueue = `${h.taskQueue}-self`;
    const selfUrl = new URL(shopUrl);
    selfUrl.hostname = 'localhost';
    const worker = spawnWorkerProcess({ ...harnessWorkerOptions(h, 'drill-self', taskQueue), env: { DRILL_DATABASE_URL: selfUrl.toString() } });
    workers.push(worker);
    await worker.ready;
    await backup('self');
    const handle = await startDrill({ target: 'self' }, taskQueue);
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(/DRILL_DATABASE_URL points at target "self"'s own database .*refused/);
    const row = (await h.pool.query("SELECT status, error FROM restore_drills WHERE target = 'self'")).rows;
    expect(row).toHaveLength(1);
    expect(row[0].status).toBe('failed');
    expect(row[0].error).toMatch(/refused/);
    expect(row[0].error).not.toContain('postgres:postgres'); // no credentials in the record
    expect((await h.pool.query("SELECT count(*)::int AS n FROM alerts WHERE kind = 'restore-drill-failed' AND target = 'self'")).rows[0].n).toBe(1);
  });

  it('command targets: the drill command exit code decides', async () => {
    const ok = await (await startDrill({ target: 'cmd-ok' })).result();
    expect(ok).toMatchObject({ status: 'passed', kind: 'command', backupId: null, alertSent: false });
    const bad: RestoreDrillResult = await (await startDrill({ target: 'cmd-bad' })).result();
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/drill command exited with code 4: repository damaged/);
  });

  it('sentinel drill run --wait and drill list through the real CLI: exit 1 for a failed drill, 2 for an unknown target', async () => {
    const env = { TEMPORAL_ADDRESS: h.temporalAddress, SENTINEL_TASK_QUEUE: h.taskQueue, DATABASE_URL: h.databaseUrl, SENTINEL_CONFIG: h.configPath };
    const failed = await runCli(['drill', 'run', 'cmd-bad', '--wait', '--json'], env);
    expect(failed.code, failed.stderr).toBe(1);
    const outcome = JSON.parse(failed.stdout);
    expect(outcome).toMatchObject({ target: 'cmd-bad', status: 'failed', alertSent: true });
    expect(outcome.workflowId).toMatch(/^restore-drill\/cmd-bad\//);
    const listed = await runCli(['drill', 'list', '--target', 'cmd-bad', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ drillId: outcome.drillId, status: 'failed', cleaned: false, kind: 'command' });
    const noDrill = await runCli(['drill', 'run', 'nope'], env);
    expect(noDrill.code).toBe(2);
  }, 120_000);

  it('retention runs after each successful backup: keep last 2 leaves two dumps; rows stay, marked pruned', async () => {
    const runs = [];
    for (let k = 0; k < 3; k++) runs.push(await backup('kept'));
    const dumps = await listDumps(h.pool, { target: 'kept' });
    expect(dumps.map((d) => [d.path, d.pruned])).toEqual([
      [runs[2]!.backup!.path, false],
      [runs[1]!.backup!.path, false],
      [runs[0]!.backup!.path, true],
    ]);
    expect(dumps[2]!.prunedReason).toBe('retention: keep 2 last');
    await expect(readFile(runs[0]!.backup!.path!)).rejects.toThrow(/ENOENT/);
    await expect(readFile(runs[2]!.backup!.path!)).resolves.toBeInstanceOf(Buffer);
  });
});

describe('a worker SIGKILLed mid-restore', () => {
  it('leaves no scratch database after the retry, which drops the leftover first and passes', async () => {
    // Enough tables that pg_restore is mid-way when the stalled connection stops answering.
    const tables = Array.from(
      { length: 120 },
      (_, k) => `CREATE TABLE t${k} (id int PRIMARY KEY, v text); INSERT INTO t${k} SELECT g, md5(g::text) FROM generate_series(1, 20) g;`,
    );
    const killUrl = await targetDatabase('kill', tables.join('\n'));
    const configPath = path.join(h.dir, 'kill.yaml');
    await writeFile(
      configPath,
      stringify({ targets: [{ name: 'kill', kind: 'postgres', url: killUrl, drill: { checks: [{ sql: 'select count(*) from t119', expect: '= 20' }] } }] }),
    );
    const admin = new URL(adminUrl());
    const proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    cleanups.push(() => proxy.close());
    const taskQueue = `${h.taskQueue}-kill`;
    const spawn = (name: string, drillUrl: string) => {
      const w = spawnWorkerProcess({
        name,
        taskQueue,
        temporalAddress: h.temporalAddress,
        databaseUrl: h.databaseUrl,
        configPath,
        backupDir: h.backupDir,
        dataDir: h.dir,
        logFile: path.join(h.dir, `${name}.log`),
        env: { DRILL_DATABASE_URL: drillUrl },
      });
      workers.push(w);
      return w;
    };
    const first = spawn('drill-kill-1', proxy.rewrite(adminUrl()));
    await first.ready;
    const dump = await h.client.workflow.execute(preBackupWorkflow, {
      taskQueue,
      workflowId: preBackupWorkflowId('kill', new Date()),
      args: [{ target: 'kill', context: { successRate: 1, recentFailures: 0 } }],
    });
    expect(dump.backup?.status).toBe('completed');

    // Connections to the drill server opened from now on stall after 4 KiB from the server: the admin statements
    // fit, pg_restore's hundreds of statements do not.
    proxy.stallAfter(4096);
    const handle = await startDrill({ target: 'kill', heartbeatTimeoutSeconds: 10 }, taskQueue);
    const scratch = scratchOf(handle.workflowId, handle.firstExecutionRunId);
    let seen = {};
    const inFlight = await eventually(async () => {
      const running = await startedActivity(handle, 'runRestoreDrill');
      // `/<scratch>`: pg_restore's --dbname URL; the server's backend for it names the database without the slash.
      const pids = await processesMatching(`/${scratch}`);
      const exists = await scratchExists(scratch);
      seen = { running, stats: proxy.stats(), pids, exists };
      if (!running || proxy.stats().stalled < 1 || pids.length !== 1 || !exists) return undefined;
      return { running, pid: pids[0]! };
    }, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(seen)}\n${first.log().slice(-3000)}`);
    });
    expect(inFlight.running.attempt).toBe(1);

    await first.kill();
    expect(isAlive(inFlight.pid)).toBe(true); // pg_restore orphaned, still holding its session
    const second = spawn('drill-kill-2', adminUrl());
    await second.ready;
    const result = await handle.result();
    expect(result.status, result.error).toBe('passed');
    expect(result.checks.find((c) => c.kind === 'sql')).toMatchObject({ actual: 20, passed: true });
    const starts = await activityStarts(handle, 'runRestoreDrill');
    expect(starts.at(-1)!.attempt).toBeGreaterThanOrEqual(2);
    expect(second.log()).toContain('dropped the scratch database an earlier attempt of this drill left');
    expect(await scratchExists(scratch)).toBe(false);
    // The orphaned pg_restore (stuck on its stalled connection) was stopped by the retry, not left to linger.
    await waitForProcessExit(inFlight.pid, 5_000);
    expect(second.log()).toContain('stopped a drill process an earlier attempt left running');
    const row = (await h.pool.query('SELECT status, attempt, cleaned_at FROM restore_drills WHERE drill_id = $1', [result.drillId])).rows[0];
    expect(row.status).toBe('passed');
    expect(row.attempt).toBeGreaterThanOrEqual(2);
    expect(row.cleaned_at).not.toBeNull();
  }, 240_000);
});
