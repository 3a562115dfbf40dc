import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { stringify } from 'yaml';
import { sha256File } from '../../activities/backup/postgres.js';
import { referencedHashes } from '../../db/repositories/config-backups.js';
import { Keyring } from '../../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { generateHistory } from '../../domain/ml/synthetic-history.js';
import { trainModelWorkflowId, type TrainModelResult } from '../../domain/models/contract.js';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult, type PreBackupState } from '../../domain/pre-backup/contract.js';
import { prune } from '../../capabilities/config-backup/operations/prune.js';
import { verifyBackups } from '../../capabilities/config-backup/operations/verify.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import { writeHistoryFile } from '../../capabilities/history/history-file.js';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import {
  activityStarts,
  dumpNameFor,
  filesBelow,
  isAlive,
  processesMatching,
  startedActivity,
  timers,
  waitForProcessExit,
  workflowTaskIdentities,
} from '../helpers/faults.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { createIsolatedDatabase } from '../helpers/model-database.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { harnessWorkerOptions, spawnWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from '../helpers/worker-process.js';

// Forces a critical risk from the rules without touching stored history (as in pre-backup.test.ts).
const RISKY = { successRate: 0.2, recentFailures: 4 };

let h: Harness;
const workers: WorkerProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  h = await createHarness('faults-kill');
  await mkdir(h.backupDir, { recursive: true });
});

afterAll(async () => {
  for (const w of workers) await w.stop(5_000);
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await h?.close();
});

function spawnWorker(name: string, taskQueue: string, options: Partial<WorkerProcessOptions> = {}): WorkerProcess {
  const worker = spawnWorkerProcess({ ...harnessWorkerOptions(h, name, taskQueue), ...options });
  workers.push(worker);
  return worker;
}

/** The identity the SDK gives a worker by default: `<pid>@<host>`. */
const identityOf = (worker: WorkerProcess) => `${worker.pid}@${os.hostname()}`;

const startPreBackup = (taskQueue: string, input: PreBackupInput) =>
  h.client.workflow.start('preBackupWorkflow', {
    taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`),
    args: [input],
  });
const stateOf = (handle: WorkflowHandle) => handle.query<PreBackupState>('state');

/** One finished run: exactly one dump file (no partial), matching its recorded checksum and restorable, and one row. */
async function expectOneArtifactAndRow(
  expect: ExpectStatic,
  handle: WorkflowHandleWithFirstExecutionRunId,
  result: PreBackupResult,
  target: string,
): Promise<void> {
  expect(result.backup?.status).toBe('completed');
  const name = `${dumpNameFor(handle.workflowId, handle.firstExecutionRunId)}.dump`;
  const artifact = path.join(h.backupDir, target, name);
  expect(await filesBelow(path.join(h.backupDir, target))).toEqual([name]);
  expect(result.backup!.path).toBe(artifact);
  expect(await sha256File(artifact)).toBe(result.backup!.sha256);
  expect(execFileSync('pg_restore', ['--list', artifact], { encoding: 'utf8' })).toContain('TABLE public backup_runs');
  const rows = await h.pool.query('SELECT status, decision, artifact_path, artifact_sha256 FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
  expect(rows.rows).toEqual([{ status: 'completed', decision: result.decision, artifact_path: artifact, artifact_sha256: result.backup!.sha256 }]);
}

describe.concurrent('a worker SIGKILLed mid-flight; a new worker finishes every workflow', () => {
  it('pre-backup: one kill during a pg_dump, a delay timer and an approval wait', async ({ expect }) => {
    const taskQueue = `${h.taskQueue}-pre-backup`;
    const pgUrl = new URL(h.databaseUrl);
    // pg_dump of the `kill-dump` target goes through a proxy that stops relaying after 8 KiB: a dump stuck mid-way.
    const proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    cleanups.push(() => proxy.close());
    proxy.stallAfter(8192);
    const configPath = path.join(h.dir, 'pre-backup.yaml');
    await writeFile(
      configPath,
      stringify({
        targets: [
          { name: 'kill-dump', kind: 'postgres', url: proxy.rewrite(h.databaseUrl), policy: 'manual' },
          { name: 'kill-delay', kind: 'postgres', url: h.databaseUrl, policy: 'delay', delayMinutes: 0.5, maxDelays: 1 },
          { name: 'kill-approval', kind: 'postgres', url: h.databaseUrl, policy: 'manual' },
        ],
      }),
    );
    const first = spawnWorker('pre-backup-1', taskQueue, { configPath });
    await first.ready;

    const dump = await startPreBackup(taskQueue, { target: 'kill-dump' });
    const delay = await startPreBackup(taskQueue, { target: 'kill-delay', context: RISKY });
    const approval = await startPreBackup(taskQueue, { target: 'kill-approval', context: RISKY });
    const dumpName = dumpNameFor(dump.workflowId, dump.firstExecutionRunId);
    const dumpDir = path.join(h.backupDir, 'kill-dump');

    // Mid-flight, from evidence: the server has runBackup started, pg_dump runs and has created its partial file,
    // and its connection is stalled; the other two runs sit in their timer and their approval wait.
    const inFlight = await eventually(async () => {
      const running = await startedActivity(dump, 'runBackup');
      const partial = (await filesBelow(dumpDir)).filter((f) => f.startsWith(dumpName) && f.includes('.partial'));
      const pids = await processesMatching(dumpName);
      if (!running || proxy.stats().stalled < 1 || partial.length !== 1 || pids.length !== 1) return undefined;
      return { running, partial, pid: pids[0]! };
    }, 60_000);
    expect(inFlight.running.attempt).toBe(1);
    await eventually(async () => (await stateOf(delay)).phase === 'delaying' && (await stateOf(approval)).phase === 'awaiting-approval', 60_000);
    const [timerBeforeKill] = await timers(delay);
    expect(timerBeforeKill!.firedAt).toBeNaN();

    const killedAt = Date.now();
    await first.kill();
    expect((await first.exited).signal).toBe('SIGKILL');
    // What a real crash leaves behind: the dump the dead worker started is still running (now stuck on the proxy).
    expect(isAlive(inFlight.pid)).toBe(true);
    proxy.stallAfter(null);

    const second = spawnWorker('pre-backup-2', taskQueue, { configPath });
    await second.ready;
    const approved = await approval.executeUpdate<PreBackupState, [unknown]>('decide', {
      args: [{ decision: 'approve', by: 'oncall', reason: 'after the crash' }],
    });
    expect(approved.approval).toEqual({ decision: 'approved', by: 'oncall', reason: 'after the crash' });
    // The delay's timer fires on the server; the new worker re-predicts (still critical) and escalates.
    await eventually(async () => (await stateOf(delay)).phase === 'awaiting-approval', 120_000);
    await delay.signal('approve', { by: 'oncall' });

    const [dumpResult, delayResult, approvalResult] = (await Promise.all([dump.result(), delay.result(), approval.result()])) as PreBackupResult[];
    const recoveredMs = Date.now() - killedAt;
    // Let the orphaned pg_dump of the killed attempt finish: it must not touch the artifact of the retry.
    proxy.release();
    await waitForProcessExit(inFlight.pid, 60_000);

    expect(dumpResult!.decision).toBe('proceed');
    expect(delayResult).toMatchObject({ decision: 'approved', delays: 1 });
    expect(approvalResult).toMatchObject({ decision: 'approved', approval: { by: 'oncall' } });
    await expectOneArtifactAndRow(expect, dump, dumpResult!, 'kill-dump');
    await expectOneArtifactAndRow(expect, delay, delayResult!, 'kill-delay');
    await expectOneArtifactAndRow(expect, approval, approvalResult!, 'kill-approval');

    // The dump was retried on the new worker (attempt 2), after the heartbeat timeout noticed the dead one.
    const dumpStarts = await activityStarts(dump, 'runBackup');
    expect(dumpStarts.map((s) => [s.attempt, s.identity])).toEqual([[2, identityOf(second)]]);
    const [timer] = await timers(delay);
    expect(timer!.firedAt).toBeGreaterThan(killedAt);
    for (const handle of [dump, delay, approval]) {
      const identities = new Set(await workflowTaskIdentities(handle, killedAt));
      expect([...identities]).toEqual([identityOf(second)]);
    }
    expect(second.hasExited()).toBe(false);
    console.log(`[faults] pre-backup kill: all three runs finished ${Math.round(recoveredMs / 1000)} s after the SIGKILL`);
  }, 300_000);

  it('model training: a kill mid-training; the retry on a new worker stores exactly one candidate', async ({ expect }) => {
    const db = await createIsolatedDatabase('faultkill');
    cleanups.push(() => db.drop());
    const historyFile = path.join(h.dir, 'model-history.csv');
    await writeHistoryFile(historyFile, generateHistory({ targets: 6, days: 7, seed: 11, start: new Date('2026-01-01T00:00:00Z') }));
    await importHistoryFile(db.pool, historyFile);
    const taskQueue = `${h.taskQueue}-model`;
    const first = spawnWorker('model-1', taskQueue, { databaseUrl: db.url });
    await first.ready;

    // ml-random-forest trains in quadratic time: ~800 training rows keep the activity busy for many seconds.
    const handle = await h.client.workflow.start('trainFailureModelWorkflow', {
      taskQueue,
      workflowId: trainModelWorkflowId(`${new Date().toISOString()}-kill`),
      args: [{ algorithm: 'ml-random-forest', params: { nTrees: 50, seed: 3 } }],
    });
    const trainingRun = `${handle.workflowId}#${handle.firstExecutionRunId}`;
    const running = await eventually(
      async () => {
        const started = await startedActivity(handle, 'trainModelCandidate');
        return started && Number.isFinite(started.heartbeatAt) ? started : undefined;
      },
      60_000,
      100,
    );
    expect(running.attempt).toBe(1);
    const killedAt = Date.now();
    await first.kill();
    // Nothing stored yet: the kill landed while the candidate was being trained.
    expect((await db.pool.query('SELECT version FROM ml_models WHERE training_run = $1', [trainingRun])).rows).toEqual([]);

    const second = spawnWorker('model-2', taskQueue, { databaseUrl: db.url });
    await second.ready;
    const result: TrainModelResult = await handle.result();
    const recoveredMs = Date.now() - killedAt;
    expect(['promoted', 'kept-candidate']).toContain(result.outcome);
    const models = await db.pool.query('SELECT version, status FROM ml_models WHERE training_run = $1', [trainingRun]);
    expect(models.rows).toHaveLength(1);
    expect(models.rows[0].version).toBe(result.version);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM ml_models')).rows[0].n).toBe(1);
    const trained = await db.pool.query(`SELECT count(*)::int AS n FROM model_audit WHERE event = 'trained' AND model_version = $1`, [result.version]);
    expect(trained.rows[0].n).toBe(1);
    const starts = await activityStarts(handle, 'trainModelCandidate');
    expect(starts.map((s) => [s.attempt, s.identity])).toEqual([[2, identityOf(second)]]);
    expect(second.hasExited()).toBe(false);
    console.log(`[faults] training kill: finished ${Math.round(recoveredMs / 1000)} s after the SIGKILL`);
  }, 420_000);

  it('config backup: a kill mid-batch leaves orphan payloads; the retry finishes and the cleanup pass removes exactly them', async ({ expect }) => {
    const taskQueue = `${h.taskQueue}-config`;
    const confDir = path.join(h.dir, 'conf');
    const storeDir = path.join(h.dir, 'config-store');
    await mkdir(confDir, { recursive: true });
    // 1500 distinct YAML files: three batches of 500 (two in flight at once), committed as their files are stored.
    const FILES = 1500;
    const yamlFor = (i: number, version: number) =>
      `# service ${i}\nservice:\n  name: svc-${i}\n  version: ${version}\n${Array.from({ length: 120 }, (_, k) => `  key_${k}: value-${i}-${k}-v${version}\n`).join('')}`;
    const fileName = (i: number) => path.join(confDir, `svc-${String(i).padStart(4, '0')}.yaml`);
    for (let i = 0; i < FILES; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => writeFile(fileName(i + k), yamlFor(i + k, 1))));
    const configEnv = { CONFIG_BACKUP_DIR: storeDir, CONFIG_FILES_TO_BACKUP: path.join(confDir, '*.yaml'), CONFIG_ENV_PREFIX: undefined };
    const store = new PayloadStore(storeDir);
    const keyring = Keyring.fromSpec(process.env.CONFIG_BACKUP_KEY!);

    const first = spawnWorker('config-1', taskQueue, { env: configEnv });
    await first.ready;
    const handle = await h.client.workflow.start('configBackupWorkflow', {
      taskQueue,
      workflowId: configBackupWorkflowId(`${new Date().toISOString()}-kill`),
      args: [{}],
    });
    // Killed at the worst moment: a file batch has written its pack, and no committed row references its payloads.
    // A batch writes its pack just before the transaction that commits its rows, which starts by renewing the run
    // lock: holding that row's lock here keeps the batch waiting in that window until the kill.
    await eventually(() => startedActivity(handle, 'backupConfigFiles'), 120_000, 50);
    const blocker = await h.pool.connect();
    let caught: Awaited<ReturnType<typeof startedActivity>>;
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT holder FROM config_backup_lock WHERE id FOR UPDATE');
      caught = await eventually(
        async () => {
          const referenced = await referencedHashes(h.pool);
          if (!(await store.list()).some((hash) => !referenced.has(hash))) return undefined;
          const running = await startedActivity(handle, 'backupConfigFiles');
          await first.kill();
          return running;
        },
        120_000,
        50,
      );
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const killedAt = Date.now();
    expect(caught!.attempt).toBe(1);
    // Two batches run at once (and beside the environment step): every batch in flight at the kill is retried.
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    const batchesInFlight = pending.filter((a) => a.activityType?.name === 'backupConfigFiles').length;
    expect([1, 2]).toContain(batchesInFlight);
    const committedAtKill = await referencedHashes(h.pool);
    const orphansAtKill = (await store.list()).filter((hash) => !committedAtKill.has(hash));
    expect(orphansAtKill.length).toBeGreaterThan(0);

    // The files change while no worker runs: what the killed attempt stored can no longer be reused by the retry.
    for (let i = 0; i < FILES; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => writeFile(fileName(i + k), yamlFor(i + k, 2))));
    const second = spawnWorker('config-2', taskQueue, { env: configEnv });
    await second.ready;
    const result: ConfigBackupResult = await handle.result();
    const recoveredMs = Date.now() - killedAt;

    expect(result.totals).toMatchObject({ backedUp: FILES, unchanged: 0, failed: 0 });
    const set = await h.pool.query('SELECT status FROM config_backup_sets WHERE id = $1', [result.setId]);
    expect(set.rows).toEqual([{ status: 'completed' }]);
    const items = await h.pool.query('SELECT count(*)::int AS n, count(DISTINCT item_name)::int AS names FROM config_backup_items WHERE set_id = $1', [
      result.setId,
    ]);
    expect(items.rows[0]).toEqual({ n: FILES, names: FILES });
    expect((await h.pool.query('SELECT holder FROM config_backup_lock')).rows).toEqual([{ holder: null }]);
    const retried = (await activityStarts(handle, 'backupConfigFiles')).filter((s) => s.attempt > 1);
    expect(retried.map((s) => [s.attempt, s.identity])).toEqual(Array.from({ length: batchesInFlight }, () => [2, identityOf(second)]));

    // Batches committed before the kill keep version 1; the killed batches and the later ones were read as version 2.
    const expected = new Set(committedAtKill);
    for (let i = 0; i < FILES; i++) {
      const v1 = keyring.contentHash(Buffer.from(yamlFor(i, 1)));
      if (!committedAtKill.has(v1)) expected.add(keyring.contentHash(await readFile(fileName(i))));
    }
    expect(expected.size).toBe(FILES);
    expect([...(await referencedHashes(h.pool))].sort()).toEqual([...expected].sort());

    // The run's own cleanup keeps unreferenced payloads younger than its grace period (a run may be writing them).
    const before = await verifyBackups(h.pool, keyring, store);
    expect(before.ok).toBe(true);
    expect(before.orphans).toEqual([...orphansAtKill].sort());
    // The cleanup pass (prune, which holds the run lock and so needs no grace period) removes exactly the orphans.
    const pruned = await prune(h.pool, store, { last: 10 });
    expect(pruned.deleted).toMatchObject({ items: 0, payloads: orphansAtKill.length });
    const after = await verifyBackups(h.pool, keyring, store);
    expect(after).toMatchObject({ ok: true, orphans: [], payloadsChecked: FILES });
    expect(await store.list()).toEqual([...expected].sort());
    expect((await filesBelow(storeDir)).filter((f) => !/^(objects\/[0-9a-f]{2}\/[0-9a-f]{64}|packs\/[0-9a-f]{32}\.pack)$/.test(f))).toEqual([]);
    expect(second.hasExited()).toBe(false);
    console.log(
      `[faults] config backup kill (${batchesInFlight} batch(es) in flight): finished ${Math.round(recoveredMs / 1000)} s after the SIGKILL; ${orphansAtKill.length} orphan payload(s) removed by the cleanup pass`,
    );
  }, 300_000);
});
